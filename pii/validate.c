/*
 * validate.c: checksums and issuing rules of structured PII values.
 *
 * These run only on candidates the matcher and the recogniser found, so
 * they favour being exact over being fast; none allocates. The rules follow
 * the issuers' published algorithms (ISO/IEC 7812, ISO 13616, ISO 3779,
 * ABA, NHS, HMRC, SSA), and match python-stdnum and Presidio where those
 * are the reference (tests/data/pii carries their vectors).
 */
#include <arpa/inet.h>
#include <math.h>
#include <string.h>

#include "pii/validate.h"

static int isdig(char c)
{
    return c >= '0' && c <= '9';
}

static int isup(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int islow(char c)
{
    return c >= 'a' && c <= 'z';
}

static char up(char c)
{
    return islow(c) ? (char)(c - 32) : c;
}

static int ishex(char c)
{
    return isdig(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int all_digits(const char *d, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!isdig(d[i]))
            return 0;
    return n > 0;
}

static int all_same(const char *d, size_t n)
{
    size_t i;

    for (i = 1; i < n; i++)
        if (d[i] != d[0])
            return 0;
    return 1;
}

int bw_pii_luhn(const char *d, size_t n)
{
    unsigned sum = 0;
    size_t i;

    if (!all_digits(d, n))
        return 0;
    for (i = 0; i < n; i++) {
        unsigned v = (unsigned)(d[n - 1 - i] - '0');
        if (i & 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

int bw_pii_card_valid(const char *d, size_t n)
{
    return n >= 12 && n <= 19 && !all_same(d, n) && bw_pii_luhn(d, n);
}

/* ISO 13616 registry lengths (SWIFT IBAN registry, 2024), sorted by code. */
static const struct {
    char cc[3];
    unsigned char len;
} iban_len[] = {
    {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
    {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DJ", 27},
    {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FK", 18}, {"FO", 18}, {"FR", 27},
    {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22},
    {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32},
    {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19},
    {"MN", 20}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24},
    {"PL", 28}, {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
    {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28}, {"TL", 23},
    {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30},
};

/* A binary search of the table above, in code order: every letter-digit token asks it (a scan took ~400 instructions). */
int bw_pii_iban_length(const char *cc)
{
    unsigned key = (unsigned char)up(cc[0]) << 8 | (unsigned char)up(cc[1]);
    size_t lo = 0, hi = BW_NELEMS(iban_len);

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        unsigned k = (unsigned char)iban_len[mid].cc[0] << 8 | (unsigned char)iban_len[mid].cc[1];
        if (k == key)
            return iban_len[mid].len;
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/*
 * BBAN structures of the SWIFT IBAN registry for the countries whose
 * IBANs are most often seen ("4!a6!n8!n": 4 letters, 6 digits, 8 digits;
 * c: letter or digit). Others are checked by length and mod-97 only.
 */
static const struct {
    char cc[3];
    const char *fmt;
} bban[] = {
    {"AT", "5!n11!n"},         {"BE", "3!n7!n2!n"},       {"BG", "4!a4!n2!n8!c"},     {"CH", "5!n12!c"},
    {"CZ", "4!n6!n10!n"},      {"DE", "8!n10!n"},         {"DK", "4!n9!n1!n"},        {"EE", "2!n2!n11!n1!n"},
    {"ES", "4!n4!n1!n1!n10!n"}, {"FI", "3!n11!n"},        {"FR", "5!n5!n11!c2!n"},    {"GB", "4!a6!n8!n"},
    {"GI", "4!a15!c"},         {"GR", "3!n4!n16!c"},      {"HR", "7!n10!n"},          {"HU", "3!n4!n1!n15!n1!n"},
    {"IE", "4!a6!n8!n"},       {"IT", "1!a5!n5!n12!c"},   {"LT", "5!n11!n"},          {"LU", "3!n13!c"},
    {"LV", "4!a13!c"},         {"MC", "5!n5!n11!c2!n"},   {"NL", "4!a10!n"},          {"NO", "4!n6!n1!n"},
    {"PL", "8!n16!n"},         {"PT", "4!n4!n11!n2!n"},   {"RO", "4!a16!c"},          {"SE", "3!n16!n1!n"},
    {"SI", "5!n8!n2!n"},       {"SK", "4!n6!n10!n"},
};

static int bban_ok(const char *cc, const char *b, size_t n)
{
    size_t i, k = 0;
    const char *f = NULL;

    for (i = 0; i < BW_NELEMS(bban); i++)
        if (bban[i].cc[0] == up(cc[0]) && bban[i].cc[1] == up(cc[1]))
            f = bban[i].fmt;
    if (f == NULL)
        return 1;
    while (*f) {
        size_t cnt = 0, j;
        char t;
        while (*f >= '0' && *f <= '9')
            cnt = cnt * 10 + (size_t)(*f++ - '0');
        if (*f == '!')
            f++;
        t = *f++;
        for (j = 0; j < cnt; j++, k++) {
            char c = k < n ? up(b[k]) : 0;
            if ((t == 'n' && !isdig(c)) || (t == 'a' && !isup(c)) || (t == 'c' && !isdig(c) && !isup(c)))
                return 0;
        }
    }
    return k == n;
}

int bw_pii_iban_valid(const char *s, size_t n)
{
    unsigned rem = 0;
    size_t i;

    if (n < 15 || n > 34)
        return 0;
    if (!isup(up(s[0])) || !isup(up(s[1])) || !isdig(s[2]) || !isdig(s[3]))
        return 0;
    if ((size_t)bw_pii_iban_length(s) != n)
        return 0;
    /* move the first four characters to the end, letters as 10..35 */
    for (i = 0; i < n; i++) {
        char c = up(s[(i + 4) % n]);
        if (isdig(c))
            rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else if (isup(c))
            rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
        else
            return 0;
    }
    return rem == 1 && bban_ok(s, s + 4, n - 4);
}

int bw_pii_aba_valid(const char *d, size_t n)
{
    static const int w[3] = {3, 7, 1};
    int sum = 0, p;
    size_t i;

    if (n != 9 || !all_digits(d, n) || all_same(d, n))
        return 0;
    p = (d[0] - '0') * 10 + (d[1] - '0');
    if (!((p <= 12) || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80))
        return 0;
    for (i = 0; i < 9; i++)
        sum += (d[i] - '0') * w[i % 3];
    return sum % 10 == 0;
}

/* ISO 3779 transliteration; 0 for the letters a VIN never holds (I, O, Q). */
static int vin_value(char c)
{
    static const char tr[26] = {1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 0, 7, 0, 9, 2, 3, 4, 5, 6, 7, 8, 9};

    c = up(c);
    if (isdig(c))
        return c - '0';
    if (isup(c))
        return tr[c - 'A'] ? tr[c - 'A'] : -1;
    return -1;
}

int bw_pii_vin_shape(const char *s, size_t n)
{
    size_t i;
    int dig = 0, let = 0;

    if (n != 17)
        return 0;
    for (i = 0; i < n; i++) {
        if (vin_value(s[i]) < 0)
            return 0;
        if (isdig(s[i]))
            dig = 1;
        else
            let = 1;
    }
    return dig && let;
}

int bw_pii_vin_valid(const char *s, size_t n)
{
    static const int w[17] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
    int sum = 0, check;
    size_t i;

    if (!bw_pii_vin_shape(s, n))
        return 0;
    for (i = 0; i < 17; i++)
        sum += vin_value(s[i]) * w[i];
    check = sum % 11;
    return up(s[8]) == (check == 10 ? 'X' : '0' + check);
}

int bw_pii_nhs_valid(const char *d, size_t n)
{
    int sum = 0, check;
    size_t i;

    if (n != 10 || !all_digits(d, n) || all_same(d, n))
        return 0;
    for (i = 0; i < 9; i++)
        sum += (d[i] - '0') * (int)(10 - i);
    check = 11 - sum % 11;
    if (check == 11)
        check = 0;
    return check != 10 && check == d[9] - '0';
}

int bw_pii_utr_valid(const char *d, size_t n)
{
    static const int w[9] = {6, 7, 8, 9, 10, 5, 4, 3, 2};
    static const char check[] = "21987654321";
    int sum = 0;
    size_t i;

    if (n != 10 || !all_digits(d, n))
        return 0;
    for (i = 0; i < 9; i++)
        sum += (d[i + 1] - '0') * w[i];
    return d[0] == check[sum % 11];
}

int bw_pii_ssn_valid(const char *d, size_t n)
{
    static const char *const fakes[] = {"123456789", "078051120", "219099999"};
    size_t i;

    if (n != 9 || !all_digits(d, n) || all_same(d, n))
        return 0;
    if (memcmp(d, "000", 3) == 0 || memcmp(d, "666", 3) == 0 || d[0] == '9')
        return 0;
    if (memcmp(d + 3, "00", 2) == 0 || memcmp(d + 5, "0000", 4) == 0)
        return 0;
    if (memcmp(d, "98765432", 8) == 0)
        return 0;
    for (i = 0; i < BW_NELEMS(fakes); i++)
        if (memcmp(d, fakes[i], 9) == 0)
            return 0;
    return 1;
}

int bw_pii_itin_valid(const char *d, size_t n)
{
    int g;

    if (n != 9 || !all_digits(d, n) || d[0] != '9')
        return 0;
    g = (d[3] - '0') * 10 + (d[4] - '0');
    if (!((g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || (g >= 94 && g <= 99)))
        return 0;
    return memcmp(d + 5, "0000", 4) != 0;
}

int bw_pii_sin_valid(const char *d, size_t n)
{
    /* 0 is unassigned and 8 is for business numbers, not people */
    if (n != 9 || !all_digits(d, n) || all_same(d, n) || d[0] == '0' || d[0] == '8')
        return 0;
    return bw_pii_luhn(d, n);
}

int bw_pii_nanp_valid(const char *d, size_t n)
{
    if (n != 10 || !all_digits(d, n))
        return 0;
    if (d[0] < '2' || d[3] < '2')
        return 0;
    /* N11 area codes are service codes, never an area */
    if (d[1] == '1' && d[2] == '1')
        return 0;
    /* 555-01xx is reserved for fiction but is still a phone shape: keep */
    return !all_same(d, n);
}

int bw_pii_ipv4_valid(const char *s, size_t n)
{
    size_t i = 0;
    int part;

    for (part = 0; part < 4; part++) {
        unsigned v = 0, nd = 0;
        size_t st = i;
        while (i < n && isdig(s[i]) && nd < 4) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
            nd++;
        }
        if (nd == 0 || nd > 3 || v > 255)
            return 0;
        if (nd > 1 && s[st] == '0')
            return 0;
        if (part < 3) {
            if (i >= n || s[i] != '.')
                return 0;
            i++;
        }
    }
    return i == n;
}

int bw_pii_ipv6_valid(const char *s, size_t n)
{
    char buf[64];
    unsigned char out[16];
    size_t i, colons = 0;

    if (n < 2 || n >= sizeof(buf))
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] == ':')
            colons++;
        else if (!ishex(s[i]) && s[i] != '.')
            return 0;
    }
    if (colons < 2)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(AF_INET6, buf, out) == 1;
}

int bw_pii_mac_valid(const char *s, size_t n)
{
    char hex[12];
    size_t i, k = 0;

    if (n == 17) {
        char sep = s[2];
        if (sep != ':' && sep != '-')
            return 0;
        for (i = 0; i < 17; i++) {
            if (i % 3 == 2) {
                if (s[i] != sep)
                    return 0;
            } else {
                if (!ishex(s[i]))
                    return 0;
                hex[k++] = up(s[i]);
            }
        }
    } else if (n == 14) {
        for (i = 0; i < 14; i++) {
            if (i % 5 == 4) {
                if (s[i] != '.')
                    return 0;
            } else {
                if (!ishex(s[i]))
                    return 0;
                hex[k++] = up(s[i]);
            }
        }
    } else {
        return 0;
    }
    if (all_same(hex, 12) && (hex[0] == '0' || hex[0] == 'F'))
        return 0;
    return 1;
}

/* ISO 3166-1 alpha-2, officially assigned, plus XK (Kosovo, used by SWIFT and IBAN). */
static const char iso3166[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCY"
    "CZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISIT"
    "JEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNI"
    "NLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTK"
    "TLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSXKYEYTZAZMZW";

int bw_pii_iso3166(const char *cc)
{
    size_t i;
    char a = up(cc[0]), b = up(cc[1]);

    for (i = 0; i + 1 < sizeof(iso3166); i += 2)
        if (iso3166[i] == a && iso3166[i + 1] == b)
            return 1;
    return 0;
}

int bw_pii_bic_valid(const char *s, size_t n)
{
    size_t i;

    if (n != 8 && n != 11)
        return 0;
    for (i = 0; i < 6; i++)
        if (!isup(s[i]))
            return 0;
    for (i = 6; i < n; i++)
        if (!isup(s[i]) && !isdig(s[i]))
            return 0;
    return bw_pii_iso3166(s + 4);
}

int bw_pii_nino_valid(const char *s, size_t n)
{
    static const char *const bad_prefix[] = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"};
    char a, b, c;
    size_t i;

    if (n != 9)
        return 0;
    a = up(s[0]);
    b = up(s[1]);
    c = up(s[8]);
    if (!isup(a) || !isup(b) || strchr("DFIQUV", a) || strchr("DFIOQUV", b))
        return 0;
    for (i = 0; i < BW_NELEMS(bad_prefix); i++)
        if (a == bad_prefix[i][0] && b == bad_prefix[i][1])
            return 0;
    for (i = 2; i < 8; i++)
        if (!isdig(s[i]))
            return 0;
    return c >= 'A' && c <= 'D';
}

int bw_pii_aws_access_key_valid(const char *s, size_t n)
{
    static const char *const pfx[] = {"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA", "ABIA",
                                      "ACCA"};
    size_t i;
    int ok = 0;

    if (n != 20)
        return 0;
    for (i = 0; i < BW_NELEMS(pfx); i++)
        if (memcmp(s, pfx[i], 4) == 0)
            ok = 1;
    if (!ok)
        return 0;
    for (i = 4; i < 20; i++)
        if (!isup(s[i]) && !(s[i] >= '2' && s[i] <= '7'))
            return 0;
    return 1;
}

int bw_pii_aws_secret_plausible(const char *s, size_t n)
{
    unsigned cnt[128];
    int u = 0, l = 0, d = 0;
    double h = 0;
    size_t i;

    if (n != 40)
        return 0;
    memset(cnt, 0, sizeof(cnt));
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (isup(c))
            u = 1;
        else if (islow(c))
            l = 1;
        else if (isdig(c))
            d = 1;
        else if (c != '/' && c != '+')
            return 0;
        cnt[(unsigned char)c]++;
    }
    if (!(u && l && d))
        return 0;
    for (i = 0; i < 128; i++)
        if (cnt[i]) {
            double p = (double)cnt[i] / (double)n;
            h -= p * log2(p);
        }
    return h > 4.0;
}
