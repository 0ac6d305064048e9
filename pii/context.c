/*
 * context.c: context words and lexicons of the PII recogniser.
 *
 * Ambiguous values (a 4-digit PIN, a 9-digit passport number, a 3-digit
 * CVV) are only reported when a context word stands in the few words
 * before them, as Presidio's LemmaContextAwareEnhancer does (5 words
 * before). Context is computed only for candidates that passed their shape
 * checks, by walking back over the view: no pattern of the shared matcher
 * is spent on context words (a caseless alternation of them alone scans
 * at a third of the speed of the whole PII set).
 *
 * The name and TLD lexicons (conf/lexicons/names and web/tlds.txt) are
 * loaded once per process into one open-addressing hash set of lower-case
 * keys with flags, immutable afterwards and shared by every thread.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "filters/blob.h"
#include "pii/context.h"

static const struct {
    const char *w;
    uint32_t c;
} words[] = {
    /* phone (Presidio: phone, number, telephone, cell, cellphone, mobile, call) */
    {"phone", BW_CTX_PHONE}, {"phones", BW_CTX_PHONE}, {"telephone", BW_CTX_PHONE}, {"tel", BW_CTX_PHONE},
    {"telefon", BW_CTX_PHONE}, {"mobile", BW_CTX_PHONE}, {"mob", BW_CTX_PHONE}, {"cell", BW_CTX_PHONE},
    {"cellphone", BW_CTX_PHONE}, {"fax", BW_CTX_PHONE}, {"pager", BW_CTX_PHONE}, {"call", BW_CTX_PHONE},
    {"calling", BW_CTX_PHONE}, {"called", BW_CTX_PHONE}, {"ring", BW_CTX_PHONE}, {"dial", BW_CTX_PHONE},
    {"text", BW_CTX_PHONE}, {"sms", BW_CTX_PHONE}, {"whatsapp", BW_CTX_PHONE}, {"contact", BW_CTX_PHONE},
    {"reach", BW_CTX_PHONE}, {"desk", BW_CTX_PHONE}, {"office", BW_CTX_PHONE}, {"messages", BW_CTX_PHONE},
    {"message", BW_CTX_PHONE}, {"answering", BW_CTX_PHONE}, {"hotline", BW_CTX_PHONE}, {"ph", BW_CTX_PHONE},
    {"tel.", BW_CTX_PHONE}, {"voicemail", BW_CTX_PHONE}, {"extension", BW_CTX_PHONE},
    /* card (Presidio: credit, card, visa, mastercard, cc, amex, discover, jcb, diners, maestro, instapayment) */
    {"card", BW_CTX_CARD | BW_CTX_HEALTH}, {"cards", BW_CTX_CARD}, {"credit", BW_CTX_CARD}, {"debit", BW_CTX_CARD},
    {"visa", BW_CTX_CARD}, {"mastercard", BW_CTX_CARD}, {"amex", BW_CTX_CARD}, {"discover", BW_CTX_CARD},
    {"jcb", BW_CTX_CARD}, {"diners", BW_CTX_CARD}, {"maestro", BW_CTX_CARD}, {"cc", BW_CTX_CARD},
    {"cardholder", BW_CTX_CARD}, {"unionpay", BW_CTX_CARD}, {"instapayment", BW_CTX_CARD},
    /* SSN (Presidio: social, security, ssn, ssns, ssid) */
    {"ssn", BW_CTX_SSN}, {"ssns", BW_CTX_SSN}, {"ssid", BW_CTX_SSN}, {"social", BW_CTX_SSN | BW_CTX_SIN},
    {"security", BW_CTX_SSN | BW_CTX_CVV},
    /* ITIN (Presidio: individual, taxpayer, itin, tax, payer, taxid, tin) */
    {"itin", BW_CTX_ITIN}, {"taxpayer", BW_CTX_ITIN | BW_CTX_UTR}, {"tax", BW_CTX_ITIN | BW_CTX_UTR},
    {"taxid", BW_CTX_ITIN}, {"tin", BW_CTX_ITIN}, {"payer", BW_CTX_ITIN},
    /* SIN (Presidio: sin, social insurance, nas, assurance sociale) */
    {"sin", BW_CTX_SIN}, {"insurance", BW_CTX_SIN | BW_CTX_NINO}, {"nas", BW_CTX_SIN}, {"assurance", BW_CTX_SIN},
    /* routing (Presidio: aba, routing, abarouting, association, bankrouting) */
    {"routing", BW_CTX_ROUTING}, {"aba", BW_CTX_ROUTING}, {"rtn", BW_CTX_ROUTING}, {"abarouting", BW_CTX_ROUTING},
    {"bankrouting", BW_CTX_ROUTING}, {"transit", BW_CTX_ROUTING},
    /* bank account (Presidio: check, account, account#, acct, bank, save, debit) */
    {"account", BW_CTX_ACCOUNT}, {"accounts", BW_CTX_ACCOUNT}, {"acct", BW_CTX_ACCOUNT}, {"acc", BW_CTX_ACCOUNT},
    {"checking", BW_CTX_ACCOUNT}, {"savings", BW_CTX_ACCOUNT}, {"bank", BW_CTX_ACCOUNT | BW_CTX_SWIFT},
    {"deposit", BW_CTX_ACCOUNT}, {"beneficiary", BW_CTX_ACCOUNT},
    /* NHS (Presidio: national health service, nhs, health services authority, health authority) */
    {"nhs", BW_CTX_NHS}, {"health", BW_CTX_NHS | BW_CTX_HEALTH},
    /* UTR */
    {"utr", BW_CTX_UTR}, {"hmrc", BW_CTX_UTR}, {"unique", BW_CTX_UTR}, {"assessment", BW_CTX_UTR},
    /* Canadian health numbers */
    {"ohip", BW_CTX_HEALTH}, {"hcn", BW_CTX_HEALTH}, {"phn", BW_CTX_HEALTH}, {"ramq", BW_CTX_HEALTH},
    {"msp", BW_CTX_HEALTH}, {"medicare", BW_CTX_HEALTH}, {"healthcare", BW_CTX_HEALTH},
    /* passport (Presidio: us, united, states, passport, passport#, travel, document) */
    {"passport", BW_CTX_PASSPORT}, {"passports", BW_CTX_PASSPORT}, {"travel", BW_CTX_PASSPORT},
    /* PIN */
    {"pin", BW_CTX_PIN}, {"pins", BW_CTX_PIN}, {"pincode", BW_CTX_PIN}, {"atm", BW_CTX_PIN},
    /* CVV */
    {"cvv", BW_CTX_CVV}, {"cvv2", BW_CTX_CVV}, {"cvc", BW_CTX_CVV}, {"cvc2", BW_CTX_CVV}, {"csc", BW_CTX_CVV},
    {"cvn", BW_CTX_CVV}, {"cid", BW_CTX_CVV}, {"verification", BW_CTX_CVV},
    /* expiry */
    {"exp", BW_CTX_EXPIRY}, {"expiry", BW_CTX_EXPIRY}, {"expires", BW_CTX_EXPIRY}, {"expiration", BW_CTX_EXPIRY},
    {"expire", BW_CTX_EXPIRY}, {"expiring", BW_CTX_EXPIRY}, {"expired", BW_CTX_EXPIRY}, {"thru", BW_CTX_EXPIRY},
    {"valid", BW_CTX_EXPIRY},
    /* driver id (Presidio: driver, license, permit, lic, identification, dls, cdls, lic#, driving) */
    {"driver", BW_CTX_DRIVER}, {"drivers", BW_CTX_DRIVER}, {"driver's", BW_CTX_DRIVER},
    {"license", BW_CTX_DRIVER | BW_CTX_PLATE}, {"licence", BW_CTX_DRIVER | BW_CTX_PLATE}, {"dl", BW_CTX_DRIVER},
    {"dln", BW_CTX_DRIVER}, {"driving", BW_CTX_DRIVER}, {"permit", BW_CTX_DRIVER}, {"lic", BW_CTX_DRIVER},
    {"cdl", BW_CTX_DRIVER}, {"dls", BW_CTX_DRIVER}, {"cdls", BW_CTX_DRIVER},
    /* licence plate */
    {"plate", BW_CTX_PLATE}, {"plates", BW_CTX_PLATE}, {"registration", BW_CTX_PLATE}, {"reg", BW_CTX_PLATE},
    {"numberplate", BW_CTX_PLATE}, {"vrn", BW_CTX_PLATE}, {"tag", BW_CTX_PLATE},
    /* VIN */
    {"vin", BW_CTX_VIN}, {"chassis", BW_CTX_VIN}, {"vehicle", BW_CTX_VIN | BW_CTX_PLATE},
    /* age */
    {"age", BW_CTX_AGE}, {"aged", BW_CTX_AGE}, {"turned", BW_CTX_AGE}, {"turn", BW_CTX_AGE},
    {"turning", BW_CTX_AGE}, {"turns", BW_CTX_AGE},
    /* postal codes (part of ADDRESS) */
    {"zip", BW_CTX_ZIP}, {"zipcode", BW_CTX_ZIP}, {"postal", BW_CTX_ZIP}, {"postcode", BW_CTX_ZIP},
    {"plz", BW_CTX_ZIP},
    /* SWIFT / IBAN */
    {"swift", BW_CTX_SWIFT}, {"bic", BW_CTX_SWIFT}, {"iban", BW_CTX_IBAN | BW_CTX_ACCOUNT},
    /* MAC */
    {"mac", BW_CTX_MAC}, {"ethernet", BW_CTX_MAC}, {"hardware", BW_CTX_MAC}, {"physical", BW_CTX_MAC},
    /* NINO */
    {"nino", BW_CTX_NINO}, {"ni", BW_CTX_NINO},
    /* dates: a number after these is a date */
    {"date", BW_CTX_DATE}, {"born", BW_CTX_DATE}, {"dob", BW_CTX_DATE}, {"birthday", BW_CTX_DATE},
    {"since", BW_CTX_DATE}, {"year", BW_CTX_DATE}, {"in", 0},
    {"aws", BW_CTX_AWS}, {"secret", BW_CTX_AWS},
    {"address", BW_CTX_ADDRESS}, {"lives", BW_CTX_ADDRESS}, {"located", BW_CTX_ADDRESS},
};

/* Context word hash: 512 slots, keys of at most 15 bytes. */
#define CTX_SLOTS 512u
static struct {
    char w[16];
    uint8_t n;
    uint32_t c;
} ctab[CTX_SLOTS];
static uint32_t first_letters; /* bit per 'a'..'z': some context word starts with it */

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void ctx_build(void)
{
    size_t i;

    for (i = 0; i < BW_NELEMS(words); i++) {
        size_t n = strlen(words[i].w);
        uint32_t k = hash(words[i].w, n) & (CTX_SLOTS - 1);
        while (ctab[k].n && !(ctab[k].n == n && memcmp(ctab[k].w, words[i].w, n) == 0))
            k = (k + 1) & (CTX_SLOTS - 1);
        memcpy(ctab[k].w, words[i].w, n);
        ctab[k].n = (uint8_t)n;
        ctab[k].c |= words[i].c;
        first_letters |= 1u << (words[i].w[0] - 'a');
    }
}

uint32_t bw_pii_ctx_word(const char *w, size_t n)
{
    uint32_t k;

    if (n == 0 || n > 15 || !bw_c_lower((unsigned char)w[0]) || !(first_letters & (1u << (w[0] - 'a'))))
        return 0;
    k = hash(w, n) & (CTX_SLOTS - 1);
    while (ctab[k].n) {
        if (ctab[k].n == n && memcmp(ctab[k].w, w, n) == 0)
            return ctab[k].c;
        k = (k + 1) & (CTX_SLOTS - 1);
    }
    return 0;
}

/* Lower-cases an ASCII word into buf; returns 0 when it holds other bytes or is too long. */
static size_t lower_word(const char *s, size_t n, char *buf)
{
    size_t i;

    if (n > 15)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (bw_c_upper(c))
            c = (unsigned char)(c + 32);
        else if (!bw_c_lower(c) && !bw_c_digit(c) && c != '\'')
            return 0;
        buf[i] = (char)c;
    }
    return n;
}

/* Classes of word s[0..n), trying it also without "'s" and a trailing "#" (acct#). */
static uint32_t classes(const char *s, size_t n)
{
    char buf[16];
    size_t k;
    uint32_t c;

    while (n && (s[n - 1] == '#' || s[n - 1] == '\''))
        n--;
    if ((k = lower_word(s, n, buf)) == 0)
        return 0;
    if ((c = bw_pii_ctx_word(buf, k)) != 0)
        return c;
    if (k > 2 && buf[k - 2] == '\'' && buf[k - 1] == 's')
        return bw_pii_ctx_word(buf, k - 2);
    return 0;
}

static int wordc(unsigned char c)
{
    return bw_c_alnum(c) || c == '\'' || c == '#';
}

uint32_t bw_pii_ctx_before(const char *v, size_t len, size_t pos)
{
    size_t lim = pos > 96 ? pos - 96 : 0, i = BW_MIN(pos, len);
    uint32_t c = 0;
    int nw = 0, nl = 0;

    while (i > lim && nw < BW_CTX_WORDS_BEFORE) {
        size_t e;
        unsigned char ch = (unsigned char)v[i - 1];
        if (!wordc(ch)) {
            if (ch == '\n' && ++nl > 1)
                break;
            i--;
            continue;
        }
        e = i;
        while (i > lim && wordc((unsigned char)v[i - 1]))
            i--;
        nw++;
        c |= classes(v + i, e - i);
    }
    return c;
}

uint32_t bw_pii_ctx_after(const char *v, size_t len, size_t pos, int nwords)
{
    size_t i = pos;
    uint32_t c = 0;
    int nw = 0;

    while (i < len && nw < nwords && i < pos + 64) {
        size_t s;
        unsigned char ch = (unsigned char)v[i];
        if (ch == '\n')
            break;
        if (!wordc(ch)) {
            i++;
            continue;
        }
        s = i;
        while (i < len && wordc((unsigned char)v[i]))
            i++;
        nw++;
        c |= classes(v + s, i - s);
    }
    return c;
}

/* ---- lexicons ---- */

struct lexent {
    uint32_t off;  /* into pool; 0 = empty */
    uint8_t len;
    uint8_t flags;
};

static struct {
    struct lexent *slots;
    uint32_t mask;
    char *pool;
    size_t plen, pcap;
    int rv;
} lex;

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Folds a word to lower case (UTF-8 aware); returns its length in out, 0 if too long. */
static size_t fold(const char *s, size_t n, char *out, size_t cap)
{
    size_t i = 0, k = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (k + 1 > cap)
                return 0;
            out[k++] = (char)(bw_c_upper(c) ? c + 32 : c);
            i++;
        } else {
            utf8proc_int32_t cp;
            utf8proc_ssize_t r = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
            utf8proc_uint8_t enc[4];
            utf8proc_ssize_t w;
            if (r <= 0)
                return 0;
            w = utf8proc_encode_char(utf8proc_tolower(cp), enc);
            if (w <= 0 || k + (size_t)w > cap)
                return 0;
            memcpy(out + k, enc, (size_t)w);
            k += (size_t)w;
            i += (size_t)r;
        }
    }
    return k;
}

static struct lexent *slot_of(const char *key, size_t n)
{
    uint32_t k = hash(key, n) & lex.mask;

    while (lex.slots[k].off) {
        if (lex.slots[k].len == n && memcmp(lex.pool + lex.slots[k].off, key, n) == 0)
            return &lex.slots[k];
        k = (k + 1) & lex.mask;
    }
    return &lex.slots[k];
}

static int lex_add(const char *w, size_t n, unsigned flags)
{
    char key[64];
    size_t k = fold(w, n, key, sizeof(key));
    struct lexent *e;

    if (k == 0 || k > 255)
        return 0;
    e = slot_of(key, k);
    if (e->off == 0) {
        if (lex.plen + k > lex.pcap)
            return BW_ENOMEM; /* sized up front: cannot happen */
        memcpy(lex.pool + lex.plen, key, k);
        e->off = (uint32_t)lex.plen;
        e->len = (uint8_t)k;
        lex.plen += k;
    }
    e->flags |= (uint8_t)flags;
    return 0;
}

/* Generic TLDs accepted in bare domains ("example.com" without scheme or www). */
static const char *const gtlds[] = {"com", "org", "net", "edu", "gov", "mil", "int", "info", "biz", "io",
                                    "ai", "app", "dev", "xyz", "online", "site", "tech", "store", "shop", "blog",
                                    "cloud", "news", "live", "pro", "name", "museum", "aero", "coop", "jobs",
                                    "travel", "mobi", "asia", "eu", "page", "website", "space", "webcam", "agency"};
/* Two-letter TLDs that are far more often file extensions than domains. */
static const char *const not_bare[] = {"py", "rs", "sh", "md", "pl", "so", "cc", "mk", "ps", "pm", "am", "as", "it",
                                       "is", "me", "to", "in", "at", "be", "do", "go", "no", "so", "us", "my",
                                       "hi", "id", "im", "tv", "ms", "gs", "ts", "cs", "js", "sv", "tk", "ml", "ly"};

static const struct {
    const char *file;
    unsigned flags;
} lex_files[] = {
    {"lexicons/names/first.txt", BW_LEX_FIRST},
    {"lexicons/names/last.txt", BW_LEX_LAST},
    {"lexicons/names/common_words.txt", BW_LEX_COMMON},
    {"lexicons/web/tlds.txt", BW_LEX_TLD},
};

static void lex_build(void)
{
    struct bw_iov iov[BW_NELEMS(lex_files)];
    size_t i, total = 0, lines = 0, nslots = 1024;

    ctx_build();
    for (i = 0; i < BW_NELEMS(lex_files); i++) {
        size_t k;
        if ((lex.rv = bw_blob_get(lex_files[i].file, &iov[i])) != 0)
            return;
        total += iov[i].len;
        for (k = 0; k < iov[i].len; k++)
            lines += iov[i].base[k] == '\n';
    }
    while (nslots < (lines + 64) * 2)
        nslots <<= 1;
    lex.mask = (uint32_t)nslots - 1;
    lex.pcap = total * 2 + 256; /* folding can grow a few letters by a byte */
    lex.plen = 1;               /* offset 0 means empty */
    if ((lex.slots = calloc(nslots, sizeof(*lex.slots))) == NULL || (lex.pool = malloc(lex.pcap)) == NULL) {
        lex.rv = BW_ENOMEM;
        return;
    }
    for (i = 0; i < BW_NELEMS(lex_files); i++) {
        const char *p = iov[i].base, *end = p + iov[i].len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl : end;
            size_t n = (size_t)(e - p);
            unsigned f = lex_files[i].flags;
            while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
                n--;
            if (n && p[0] != '#') {
                if (f == BW_LEX_TLD && n == 2)
                    f |= BW_LEX_CCTLD;
                if ((lex.rv = lex_add(p, n, f)) != 0)
                    return;
            }
            p = e + 1;
        }
    }
    for (i = 0; i < BW_NELEMS(gtlds); i++)
        lex_add(gtlds[i], strlen(gtlds[i]), BW_LEX_GTLD);
    /* file-extension look-alikes lose the cctld-in-bare-domain privilege */
    for (i = 0; i < BW_NELEMS(not_bare); i++) {
        struct lexent *e = slot_of(not_bare[i], strlen(not_bare[i]));
        if (e->off)
            e->flags &= (uint8_t)~BW_LEX_CCTLD;
    }
}

int bw_pii_lex_load(void)
{
    pthread_once(&once, lex_build);
    return lex.rv;
}

unsigned bw_pii_lex(const char *w, size_t n)
{
    char key[64];
    size_t k;
    struct lexent *e;

    if (lex.slots == NULL || n == 0 || n >= sizeof(key))
        return 0;
    if ((k = fold(w, n, key, sizeof(key))) == 0)
        return 0;
    e = slot_of(key, k);
    return e->off ? e->flags : 0;
}
