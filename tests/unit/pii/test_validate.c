/* Tests of pii/validate.c: every validator, on python-stdnum's vectors and on hand-checked values. */
#include "pii/validate.h"
#include "tests/unit/testutil.h"

#define OK(e) CU_ASSERT_TRUE(e)
#define NO(e) CU_ASSERT_FALSE(e)
#define S(x) x, strlen(x)

static void test_validate_luhn_card(void)
{
    OK(bw_pii_luhn(S("79927398713")));
    NO(bw_pii_luhn(S("79927398710")));
    OK(bw_pii_card_valid(S("4111111111111111")));
    OK(bw_pii_card_valid(S("4012888888881881")));
    OK(bw_pii_card_valid(S("371449635398431")));
    OK(bw_pii_card_valid(S("501864667909"))); /* a 12-digit Maestro */
    NO(bw_pii_card_valid(S("4111111111111112")));
    NO(bw_pii_card_valid(S("0000000000000000"))); /* one repeated digit */
    NO(bw_pii_card_valid(S("41111111111")));      /* too short */
    NO(bw_pii_card_valid(S("4111-1111-1111-1111")));
}

static void test_validate_aba(void)
{
    OK(bw_pii_aba_valid(S("121000358")));
    OK(bw_pii_aba_valid(S("121042882")));
    OK(bw_pii_aba_valid(S("071101307"))); /* Presidio: 0711-0130-7 */
    OK(bw_pii_aba_valid(S("322271627"))); /* Presidio: 3222-7162-7 */
    NO(bw_pii_aba_valid(S("421042111"))); /* prefix 42 is no Federal Reserve district */
    NO(bw_pii_aba_valid(S("123400000")));
    NO(bw_pii_aba_valid(S("121000359")));
    NO(bw_pii_aba_valid(S("000000000")));
}

static void test_validate_vin(void)
{
    OK(bw_pii_vin_valid(S("1HGCM82633A004352")));
    OK(bw_pii_vin_valid(S("1M8GDM9AXKP042788"))); /* check digit X */
    OK(bw_pii_vin_valid(S("1hgcm82633a004352")));
    NO(bw_pii_vin_valid(S("1HGCM82633A004353")));
    NO(bw_pii_vin_valid(S("1HGCM8263IA004352"))); /* I is never in a VIN */
    NO(bw_pii_vin_valid(S("1HGCM82633A00435")));
    OK(bw_pii_vin_shape(S("WVWZZZ1JZXW000001")));
    NO(bw_pii_vin_shape(S("ABCDEFGHJKLMNPRST"))); /* letters only */
}

static void test_validate_nhs(void)
{
    OK(bw_pii_nhs_valid(S("9434765919")));
    OK(bw_pii_nhs_valid(S("4010232137")));
    OK(bw_pii_nhs_valid(S("0032698674")));
    NO(bw_pii_nhs_valid(S("4010232138")));
    NO(bw_pii_nhs_valid(S("9434765918")));
    NO(bw_pii_nhs_valid(S("1111111111")));
}

static void test_validate_ssn_itin_sin(void)
{
    OK(bw_pii_ssn_valid(S("078051121")));
    OK(bw_pii_ssn_valid(S("460899847")));
    NO(bw_pii_ssn_valid(S("078051120"))); /* the Woolworth wallet card */
    NO(bw_pii_ssn_valid(S("123456789")));
    NO(bw_pii_ssn_valid(S("987654321")));
    NO(bw_pii_ssn_valid(S("000123456")));
    NO(bw_pii_ssn_valid(S("666123456")));
    NO(bw_pii_ssn_valid(S("912345678"))); /* 9xx: an ITIN area */
    NO(bw_pii_ssn_valid(S("123006789")));
    NO(bw_pii_ssn_valid(S("123450000")));
    NO(bw_pii_ssn_valid(S("111111111")));
    OK(bw_pii_itin_valid(S("911701234")));
    OK(bw_pii_itin_valid(S("911531234")));
    OK(bw_pii_itin_valid(S("911641234")));
    OK(bw_pii_itin_valid(S("900941234")));
    NO(bw_pii_itin_valid(S("911891234"))); /* 89 */
    NO(bw_pii_itin_valid(S("911931234"))); /* 93 */
    NO(bw_pii_itin_valid(S("811701234")));
    OK(bw_pii_sin_valid(S("130692544")));
    OK(bw_pii_sin_valid(S("435418165")));
    OK(bw_pii_sin_valid(S("258933688")));
    NO(bw_pii_sin_valid(S("130692545")));
    NO(bw_pii_sin_valid(S("046454286"))); /* 0: not assigned */
    NO(bw_pii_sin_valid(S("812345678")));
    NO(bw_pii_sin_valid(S("999999999")));
}

static void test_validate_nanp(void)
{
    OK(bw_pii_nanp_valid(S("2015550123")));
    OK(bw_pii_nanp_valid(S("9057674379")));
    NO(bw_pii_nanp_valid(S("1015550123")));
    NO(bw_pii_nanp_valid(S("2011550123")));
    NO(bw_pii_nanp_valid(S("4115550123")));
}

static void test_validate_ip(void)
{
    OK(bw_pii_ipv4_valid(S("192.168.1.1")));
    OK(bw_pii_ipv4_valid(S("0.0.0.0")));
    OK(bw_pii_ipv4_valid(S("255.255.255.255")));
    NO(bw_pii_ipv4_valid(S("256.1.1.1")));
    NO(bw_pii_ipv4_valid(S("01.2.3.4")));
    NO(bw_pii_ipv4_valid(S("1.2.3")));
    NO(bw_pii_ipv4_valid(S("1.2.3.4.5")));
    OK(bw_pii_ipv6_valid(S("::1")));
    OK(bw_pii_ipv6_valid(S("fe80::1")));
    OK(bw_pii_ipv6_valid(S("2001:db8::ff00:42:8329")));
    OK(bw_pii_ipv6_valid(S("::ffff:192.0.2.1")));
    OK(bw_pii_ipv6_valid(S("6e40:4041:c617:e898:c11:40d2:c669:2eb4")));
    NO(bw_pii_ipv6_valid(S("12:30:45")));
    NO(bw_pii_ipv6_valid(S("gggg::1")));
    NO(bw_pii_ipv6_valid(S("1:2:3:4:5:6:7:8:9")));
}

static void test_validate_mac(void)
{
    OK(bw_pii_mac_valid(S("00:1A:2B:3C:4D:5E")));
    OK(bw_pii_mac_valid(S("0d-B3-4a-6A-d9-cF")));
    OK(bw_pii_mac_valid(S("0012.3456.789a")));
    OK(bw_pii_mac_valid(S("aabb.ccdd.eeff")));
    NO(bw_pii_mac_valid(S("10:2F:33-AC-29-C3"))); /* mixed separators */
    NO(bw_pii_mac_valid(S("FF:FF:FF:FF:FF:FF")));
    NO(bw_pii_mac_valid(S("00:00:00:00:00:00")));
    NO(bw_pii_mac_valid(S("00:1A:2B:3C:4D")));
    NO(bw_pii_mac_valid(S("ZZ:ZZ:ZZ:ZZ:ZZ:ZZ")));
}

static void test_validate_bic_country(void)
{
    OK(bw_pii_iso3166("DE"));
    OK(bw_pii_iso3166("us"));
    NO(bw_pii_iso3166("XX"));
    NO(bw_pii_iso3166("ZZ"));
    OK(bw_pii_bic_valid(S("DEUTDEFF")));
    OK(bw_pii_bic_valid(S("DEUTDEFF500")));
    OK(bw_pii_bic_valid(S("NEDSZAJJXXX")));
    NO(bw_pii_bic_valid(S("DEUTXXFF")));
    NO(bw_pii_bic_valid(S("deutdeff")));
    NO(bw_pii_bic_valid(S("DEUTDEF")));
    OK(bw_pii_bic_valid(S("BUSINESS"))); /* SS is South Sudan: the shape holds, the recogniser wants more */
    NO(bw_pii_bic_valid(S("WONDXXRS"))); /* XX */
}

static void test_validate_nino(void)
{
    OK(bw_pii_nino_valid(S("AB123456C")));
    OK(bw_pii_nino_valid(S("tw987654a")));
    NO(bw_pii_nino_valid(S("QQ123456C")));
    NO(bw_pii_nino_valid(S("BG123456A")));
    NO(bw_pii_nino_valid(S("AB123456E")));
    NO(bw_pii_nino_valid(S("AO123456A")));
    NO(bw_pii_nino_valid(S("AB12345C")));
}

static void test_validate_aws(void)
{
    OK(bw_pii_aws_access_key_valid(S("AKIAIOSFODNN7EXAMPLE")));
    OK(bw_pii_aws_access_key_valid(S("ASIAY34FZKBOKMUTVV7A")));
    NO(bw_pii_aws_access_key_valid(S("AKIAIOSFODNN7EXAMPL1"))); /* 1 is not base32 */
    NO(bw_pii_aws_access_key_valid(S("akiaiosfodnn7example")));
    NO(bw_pii_aws_access_key_valid(S("AKZAIOSFODNN7EXAMPLE")));
    OK(bw_pii_aws_secret_plausible(S("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")));
    NO(bw_pii_aws_secret_plausible(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")));
    NO(bw_pii_aws_secret_plausible(S("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKE"))); /* 39 */
    NO(bw_pii_aws_secret_plausible(S("abcdefghijabcdefghijabcdefghijabcdefghij"))); /* one case, no digit */
}

/* python-stdnum 006192e tests/test_iban.doctest, test_bic.doctest, test_gb_utr.doctest (tests/data/pii/ATTRIBUTION) */
static void test_validate_stdnum_vectors(void)
{
    size_t len;
    char *buf = bw_test_slurp("tests/data/pii/stdnum_vectors.tsv", &len), *line, *save = NULL;
    unsigned n = 0, bad = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *t1 = strchr(line, '\t'), *t2, comp[80];
        size_t k = 0, i;
        int got, want;
        if (!t1 || !(t2 = strchr(t1 + 1, '\t')) || strncmp(line, "module", 6) == 0)
            continue;
        *t1 = *t2 = '\0';
        want = t2[1] == '1';
        for (i = 0; t1[1 + i] && k + 1 < sizeof(comp); i++) {
            char c = t1[1 + i];
            if (c != ' ' && c != '-' && c != '.')
                comp[k++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
        }
        comp[k] = '\0';
        if (strcmp(line, "iban") == 0)
            got = bw_pii_iban_valid(comp, k);
        else if (strcmp(line, "bic") == 0)
            got = bw_pii_bic_valid(comp, k);
        else
            got = bw_pii_utr_valid(comp, k);
        n++;
        if (got != want) {
            bad++;
            fprintf(stderr, "stdnum %s %s: got %d want %d\n", line, t1 + 1, got, want);
        }
    }
    CU_ASSERT_EQUAL(n, 623);
    CU_ASSERT_EQUAL(bad, 0);
    free(buf);
}

static void test_validate_iban_rules(void)
{
    OK(bw_pii_iban_valid(S("GB82WEST12345698765432")));
    OK(bw_pii_iban_valid(S("DE89370400440532013000")));
    OK(bw_pii_iban_valid(S("GB56HXDO88167774656119")));
    NO(bw_pii_iban_valid(S("GB82WEST12345698765433"))); /* check digits */
    NO(bw_pii_iban_valid(S("DE8937040044053201300")));  /* length */
    NO(bw_pii_iban_valid(S("XX82WEST12345698765432"))); /* country */
    NO(bw_pii_iban_valid(S("NL56300301A1643001")));    /* BBAN: letters where NL has digits */
    CU_ASSERT_EQUAL(bw_pii_iban_length("DE"), 22);
    CU_ASSERT_EQUAL(bw_pii_iban_length("no"), 15);
    CU_ASSERT_EQUAL(bw_pii_iban_length("US"), 0);
    /* the binary search finds every code of the registry table, at both ends too, and nothing else */
    {
        char cc[3] = {0};
        int n = 0, sum = 0, l;
        for (cc[0] = 'A'; cc[0] <= 'Z'; cc[0]++)
            for (cc[1] = 'A'; cc[1] <= 'Z'; cc[1]++)
                if ((l = bw_pii_iban_length(cc)) != 0)
                    n++, sum += l;
        CU_ASSERT_EQUAL(n, 88);
        CU_ASSERT_EQUAL(sum, 2127);
        CU_ASSERT_EQUAL(bw_pii_iban_length("AD"), 24);
        CU_ASSERT_EQUAL(bw_pii_iban_length("ye"), 30);
        CU_ASSERT_EQUAL(bw_pii_iban_length("1A"), 0);
    }
}

static const struct bw_test tests[] = {
    {"test_validate_luhn_card", test_validate_luhn_card},
    {"test_validate_aba", test_validate_aba},
    {"test_validate_vin", test_validate_vin},
    {"test_validate_nhs", test_validate_nhs},
    {"test_validate_ssn_itin_sin", test_validate_ssn_itin_sin},
    {"test_validate_nanp", test_validate_nanp},
    {"test_validate_ip", test_validate_ip},
    {"test_validate_mac", test_validate_mac},
    {"test_validate_bic_country", test_validate_bic_country},
    {"test_validate_nino", test_validate_nino},
    {"test_validate_aws", test_validate_aws},
    {"test_validate_stdnum_vectors", test_validate_stdnum_vectors},
    {"test_validate_iban_rules", test_validate_iban_rules},
};

BW_TEST_MAIN("pii/validate", tests)
