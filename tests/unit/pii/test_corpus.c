/*
 * Regression tests of the PII recogniser on copied public data
 * (tests/data/pii/ATTRIBUTION): Presidio's own recogniser test cases for the
 * types Bedrock has, and ordinary user prompts that hold no PII of the
 * structured types.
 */
#include <cjson/cJSON.h>

#include "tests/unit/pii/piitest.h"

static const struct {
    const char *file;
    int type;
    unsigned min_pass; /* cases that pass today; the rest are Presidio's own quirks (see docs/pii.md) */
} files[] = {
    {"test_aba_routing_recognizer.py", BW_PII_US_BANK_ROUTING_NUMBER, 6},
    {"test_ca_sin_recognizer.py", BW_PII_CA_SOCIAL_INSURANCE_NUMBER, 15},
    {"test_credit_card_recognizer.py", BW_PII_CREDIT_DEBIT_CARD_NUMBER, 19},
    {"test_email_recognizer.py", BW_PII_EMAIL, 8},
    {"test_iban_recognizer.py", BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER, 330},
    {"test_ip_recognizer.py", BW_PII_IP_ADDRESS, 104},
    {"test_mac_recognizer.py", BW_PII_MAC_ADDRESS, 20},
    {"test_phone_recognizer.py", BW_PII_PHONE, 19},
    {"test_uk_nhs_recognizer.py", BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER, 3},
    {"test_uk_nino_recognizer.py", BW_PII_UK_NATIONAL_INSURANCE_NUMBER, 11},
    {"test_url_recognizer.py", BW_PII_URL, 14},
    {"test_us_bank_recognizer.py", BW_PII_US_BANK_ACCOUNT_NUMBER, 1},
    {"test_us_driver_license_recognizer.py", BW_PII_DRIVER_ID, 3},
    {"test_us_itin_recognizer.py", BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, 5},
    {"test_us_passport_recognizer.py", BW_PII_US_PASSPORT_NUMBER, 2},
    {"test_us_ssn_recognizer.py", BW_PII_US_SOCIAL_SECURITY_NUMBER, 11},
};

/* Byte offset of code point cp in s (the cases count Python code points). */
static size_t cp2byte(const char *s, size_t cp)
{
    size_t i = 0, k = 0, n = strlen(s);

    while (i < n && k < cp) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        k++;
    }
    return i;
}

static void test_corpus_presidio_cases(void)
{
    size_t len, f;
    char *buf = bw_test_slurp("tests/data/pii/presidio_cases.jsonl", &len), *line, *save = NULL;
    unsigned pass[BW_NELEMS(files)] = {0}, total = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *tf = cJSON_GetObjectItemCaseSensitive(j, "test_file");
        const cJSON *cs = cJSON_GetObjectItemCaseSensitive(j, "case"), *tx, *pos, *p;
        size_t k, want = 0, got = 0, match = 0;

        tx = cJSON_GetObjectItemCaseSensitive(cs, "text");
        if (!cJSON_IsString(tx))
            tx = cJSON_GetObjectItemCaseSensitive(cs, "iban");
        pos = cJSON_GetObjectItemCaseSensitive(cs, "expected_positions");
        if (!cJSON_IsArray(pos))
            pos = cJSON_GetObjectItemCaseSensitive(cs, "expected_res");
        for (f = 0; cJSON_IsString(tf) && f < BW_NELEMS(files); f++)
            if (strcmp(files[f].file, tf->valuestring) == 0)
                break;
        if (!cJSON_IsString(tx) || f >= BW_NELEMS(files)) {
            cJSON_Delete(j);
            continue;
        }
        total++;
        pt_run(tx->valuestring);
        for (k = 0; k < pt_w.nf; k++) {
            if (pt_w.f[k].type != files[f].type)
                continue;
            got++;
            cJSON_ArrayForEach(p, pos)
            {
                size_t a = cp2byte(tx->valuestring, (size_t)cJSON_GetArrayItem(p, 0)->valuedouble);
                size_t b = cp2byte(tx->valuestring, (size_t)cJSON_GetArrayItem(p, 1)->valuedouble);
                if (a == pt_w.f[k].start && b == pt_w.f[k].end)
                    match++;
            }
        }
        want = (size_t)cJSON_GetArraySize(pos);
        if (got == want && match == want)
            pass[f]++;
        cJSON_Delete(j);
    }
    free(buf);
    CU_ASSERT_EQUAL(total, 604);
    for (f = 0; f < BW_NELEMS(files); f++) {
        if (pass[f] < files[f].min_pass)
            fprintf(stderr, "%s: %u cases pass, %u did before\n", files[f].file, pass[f], files[f].min_pass);
        CU_ASSERT_TRUE(pass[f] >= files[f].min_pass);
    }
}

/*
 * 400 ordinary prompts (HaluEval user queries): the structured types must
 * stay silent. Names, URLs, ages and addresses there are real ones
 * (characters, public figures, example sites), which Bedrock reports too.
 */
static void test_corpus_benign_prompts(void)
{
    static const int silent[] = {
        BW_PII_AWS_ACCESS_KEY, BW_PII_AWS_SECRET_KEY, BW_PII_CA_HEALTH_NUMBER, BW_PII_CA_SOCIAL_INSURANCE_NUMBER,
        BW_PII_CREDIT_DEBIT_CARD_CVV, BW_PII_CREDIT_DEBIT_CARD_EXPIRY, BW_PII_CREDIT_DEBIT_CARD_NUMBER,
        BW_PII_DRIVER_ID, BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER, BW_PII_LICENSE_PLATE, BW_PII_MAC_ADDRESS,
        BW_PII_PASSWORD, BW_PII_PHONE, BW_PII_PIN, BW_PII_SWIFT_CODE, BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER,
        BW_PII_UK_NATIONAL_INSURANCE_NUMBER, BW_PII_UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER, BW_PII_USERNAME,
        BW_PII_US_BANK_ACCOUNT_NUMBER, BW_PII_US_BANK_ROUTING_NUMBER, BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER,
        BW_PII_US_PASSPORT_NUMBER, BW_PII_US_SOCIAL_SECURITY_NUMBER, BW_PII_VEHICLE_IDENTIFICATION_NUMBER,
    };
    size_t len, k, i, names = 0, lines = 0, loud = 0;
    char *buf = bw_test_slurp("tests/data/pii/benign_queries.txt", &len), *line, *save = NULL;

    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lines++;
        pt_run(line);
        for (k = 0; k < pt_w.nf; k++) {
            for (i = 0; i < BW_NELEMS(silent); i++)
                if (pt_w.f[k].type == silent[i]) {
                    fprintf(stderr, "benign: %s \"%.*s\" in: %s\n", bw_pii_name(silent[i]),
                            (int)(pt_w.f[k].end - pt_w.f[k].start), line + pt_w.f[k].start, line);
                    loud++;
                }
            names += pt_w.f[k].type == BW_PII_NAME;
        }
    }
    free(buf);
    CU_ASSERT_EQUAL(lines, 400);
    CU_ASSERT_EQUAL(loud, 0);
    CU_ASSERT_TRUE(names <= 15); /* all of them real names today (docs/pii.md) */
}

static void test_corpus_fini(void)
{
    pt_fini();
}

static const struct bw_test tests[] = {
    {"test_corpus_presidio_cases", test_corpus_presidio_cases},
    {"test_corpus_benign_prompts", test_corpus_benign_prompts},
    {"test_corpus_fini", test_corpus_fini},
};

BW_TEST_MAIN("pii/corpus", tests)
