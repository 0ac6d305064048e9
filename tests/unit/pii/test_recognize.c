/*
 * Tests of pii/recognize.c (with names.c, address.c, context.c): every
 * entity type found with its exact span and not found where it should not
 * be, context words required where the value alone is ambiguous, spans at
 * ORIGINAL offsets when the text has multi-byte and zero-width characters.
 */
#include "tests/unit/pii/piitest.h"

struct pcase {
    const char *text;
    int type;
    const char *want; /* the exact finding; NULL: none of this type */
};

static const struct pcase cases[] = {
    /* ADDRESS */
    {"Ship it to 221 Baker Street, London NW1 6XE please", BW_PII_ADDRESS, "221 Baker Street, London NW1 6XE"},
    {"He lives at 1668 Glyn St in town", BW_PII_ADDRESS, "1668 Glyn St"},
    {"Send it to P.O. Box 255 today", BW_PII_ADDRESS, "P.O. Box 255"},
    {"Tomomi Nishiyama lives at Rua do Arenque 1634, Goiania", BW_PII_ADDRESS, "Rua do Arenque 1634, Goiania"},
    {"I visited London last year.", BW_PII_ADDRESS, NULL},
    {"The series converges like 100 ln n", BW_PII_ADDRESS, NULL},
    /* a particle after the first word: only a capital after it, a box word or a cue before make it worth a check */
    {"Rua do Arenque 1634, Goiania is far", BW_PII_ADDRESS, "Rua do Arenque 1634, Goiania"},
    {"Apt is short for apartment", BW_PII_ADDRESS, NULL},
    {"It is on the way", BW_PII_ADDRESS, NULL},
    /* address cues, found by their last two letters first */
    {"She moved TO Rua do Arenque 1634, Goiania", BW_PII_ADDRESS, "Rua do Arenque 1634, Goiania"},
    {"Address: Rua do Arenque 1634, Goiania", BW_PII_ADDRESS, "Rua do Arenque 1634, Goiania"},
    {"The corner of Main and Elm", BW_PII_ADDRESS, NULL},
    /* the box and unit words, by first letter and length (bw_pii_address_may_hit()) */
    {"Mail it to PO Box 4411 soon", BW_PII_ADDRESS, "PO Box 4411"},
    {"Mail it to PSC 1234, Box 5678, APO AE 09204", BW_PII_ADDRESS, "PSC 1234, Box 5678, APO AE 09204"},
    {"Mail it to USNS Kaiser, FPO AP 96678", BW_PII_ADDRESS, NULL},
    {"Mail it to USCGC Hudson, FPO AA 34099", BW_PII_ADDRESS, NULL},
    {"She lives in Suite 12, 400 Pine Road, Dover", BW_PII_ADDRESS, "400 Pine Road, Dover"},
    {"She lives in Unit 7 of the block", BW_PII_ADDRESS, NULL},
    {"People in Pine Road, Dover", BW_PII_ADDRESS, NULL},
    {"Suites of Oak Lane", BW_PII_ADDRESS, NULL},
    {"Units in Box Hill", BW_PII_ADDRESS, NULL},
    /* street endings, found by the word's last letter (street_ending()) */
    {"Write to Koskikatu 25 today", BW_PII_ADDRESS, "Koskikatu 25"},
    {"Write to KOSKIKATU 25 today", BW_PII_ADDRESS, "KOSKIKATU 25"},
    {"Write to Hauptstraße 5 today", BW_PII_ADDRESS, "Hauptstraße 5"},
    {"Write to HauptstraßE 5 today", BW_PII_ADDRESS, "HauptstraßE 5"},
    {"Write to Katu 25 today", BW_PII_ADDRESS, NULL},
    {"He lives at 6750 Koskikatu 25", BW_PII_ADDRESS, "6750 Koskikatu 25"},
    {"He lives at 6750 Koskikatuu 25", BW_PII_ADDRESS, "6750 Koskikatuu 25"},
    {"He lives at 6750 Koskikatu", BW_PII_ADDRESS, "6750 Koskikatu"},
    {"Write to Storgatan 12", BW_PII_ADDRESS, "Storgatan 12"},
    {"Write to Storgatań 12", BW_PII_ADDRESS, NULL},
    /* AGE */
    {"I am 40 years old", BW_PII_AGE, "40 years"},
    {"Patient is a 35-year-old male", BW_PII_AGE, "35-year"},
    {"My father retired at the age of 61", BW_PII_AGE, "61"},
    {"I'm 31 y/o.", BW_PII_AGE, "31 y/o"},
    {"It took 40 years to finish", BW_PII_AGE, NULL},
    {"Follow these 5 steps", BW_PII_AGE, NULL},
    /* the words before a small number, any case */
    {"She TURNED 61 today", BW_PII_AGE, "61"},
    {"Her Age Was 61", BW_PII_AGE, "61"},
    {"Her weight was 61", BW_PII_AGE, NULL},
    /* AWS keys */
    {"key AKIAIOSFODNN7EXAMPLE here", BW_PII_AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPLE"},
    {"key akiaiosfodnn7example here", BW_PII_AWS_ACCESS_KEY, NULL},
    {"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", BW_PII_AWS_SECRET_KEY,
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
    {"AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", BW_PII_AWS_SECRET_KEY,
     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
    {"token wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", BW_PII_AWS_SECRET_KEY, NULL},
    /* CA health, SIN */
    {"My OHIP health card number is 1234567890", BW_PII_CA_HEALTH_NUMBER, "1234567890"},
    {"Order number 1234567890 shipped", BW_PII_CA_HEALTH_NUMBER, NULL},
    {"my SIN is 130-692-544", BW_PII_CA_SOCIAL_INSURANCE_NUMBER, "130-692-544"},
    {"mon NAS: 258 933 688", BW_PII_CA_SOCIAL_INSURANCE_NUMBER, "258 933 688"},
    {"my SIN is 130-692-545", BW_PII_CA_SOCIAL_INSURANCE_NUMBER, NULL},
    {"call 130 692 544 now", BW_PII_CA_SOCIAL_INSURANCE_NUMBER, NULL},
    /* CVV, expiry, card */
    {"CVV: 123", BW_PII_CREDIT_DEBIT_CARD_CVV, "123"},
    {"I have 123 apples", BW_PII_CREDIT_DEBIT_CARD_CVV, NULL},
    {"card expiry 09/27", BW_PII_CREDIT_DEBIT_CARD_EXPIRY, "09/27"},
    {"it expires Jan 2027", BW_PII_CREDIT_DEBIT_CARD_EXPIRY, "Jan 2027"},
    {"the ratio was 09/27 overall", BW_PII_CREDIT_DEBIT_CARD_EXPIRY, NULL},
    {"card 4111 1111 1111 1111 ok", BW_PII_CREDIT_DEBIT_CARD_NUMBER, "4111 1111 1111 1111"},
    {"card 4012-8888-8888-1881.", BW_PII_CREDIT_DEBIT_CARD_NUMBER, "4012-8888-8888-1881"},
    {"What is the limit for card 501864667909?", BW_PII_CREDIT_DEBIT_CARD_NUMBER, "501864667909"},
    {"card 4111 1111 1111 1112", BW_PII_CREDIT_DEBIT_CARD_NUMBER, NULL},
    {"timestamp 1607635102000", BW_PII_CREDIT_DEBIT_CARD_NUMBER, NULL},
    /* DRIVER_ID */
    {"My driver's license number is F162823540116", BW_PII_DRIVER_ID, "F162823540116"},
    {"my driver's license number is 2270-66-1551", BW_PII_DRIVER_ID, "2270-66-1551"},
    {"the part code F162823540116", BW_PII_DRIVER_ID, NULL},
    /* EMAIL */
    {"mail me at jane.doe@example.co.uk.", BW_PII_EMAIL, "jane.doe@example.co.uk"},
    {"a@xn--d1acufc.xn--p1ai", BW_PII_EMAIL, "a@xn--d1acufc.xn--p1ai"},
    {"user@localhost", BW_PII_EMAIL, NULL},
    {"my email is info@presidio.", BW_PII_EMAIL, NULL},
    {"x@y.notarealtld", BW_PII_EMAIL, NULL},
    /* IBAN */
    {"IBAN GB82 WEST 1234 5698 7654 32.", BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER, "GB82 WEST 1234 5698 7654 32"},
    {"from GB56HXDO88167774656119 to", BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER, "GB56HXDO88167774656119"},
    {"IBAN: NO 02 1503 7577 003", BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER, "NO 02 1503 7577 003"},
    {"IBAN GB82 WEST 1234 5698 7654 33", BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER, NULL},
    /* IP */
    {"host 192.168.10.1 is down", BW_PII_IP_ADDRESS, "192.168.10.1"},
    {"address 6e40:4041:c617:e898:c11:40d2:c669:2eb4 blocked", BW_PII_IP_ADDRESS,
     "6e40:4041:c617:e898:c11:40d2:c669:2eb4"},
    {"fe80::1%eth0", BW_PII_IP_ADDRESS, "fe80::1%eth0"},
    {"version 1.2.3.4.5", BW_PII_IP_ADDRESS, NULL},
    {"999.1.1.1", BW_PII_IP_ADDRESS, NULL},
    {"at 12:30:45 today", BW_PII_IP_ADDRESS, NULL},
    /* LICENSE_PLATE */
    {"license plate ABC-1234", BW_PII_LICENSE_PLATE, "ABC-1234"},
    {"the car's registration is 7ABC123", BW_PII_LICENSE_PLATE, "7ABC123"},
    {"model ABC-1234 is new", BW_PII_LICENSE_PLATE, NULL},
    /* MAC */
    {"My MAC address is 00:1A:2B:3C:4D:5E", BW_PII_MAC_ADDRESS, "00:1A:2B:3C:4D:5E"},
    {"Hardware address: AA-BB-CC-DD-EE-FF", BW_PII_MAC_ADDRESS, "AA-BB-CC-DD-EE-FF"},
    {"Cisco MAC: 0012.3456.789A", BW_PII_MAC_ADDRESS, "0012.3456.789A"},
    {"Broadcast: FF:FF:FF:FF:FF:FF", BW_PII_MAC_ADDRESS, NULL},
    {"Mixed 10:2F:33-AC-29-C3", BW_PII_MAC_ADDRESS, NULL},
    /* NAME */
    {"My name is Rubija", BW_PII_NAME, "Rubija"},
    {"Please correct it to Mr. Gordon Trpinc?", BW_PII_NAME, "Gordon Trpinc"},
    {"Catherine Hertzog called twice", BW_PII_NAME, "Catherine Hertzog"},
    {"verses from Faina D. Yefremova's tales", BW_PII_NAME, "Faina D. Yefremova"},
    {"John Doe Street is long", BW_PII_NAME, NULL},
    /* a place word opening the run (BW_LEX_PLACE), in any case, ASCII letters only */
    {"We met in The New Hampshire hills", BW_PII_NAME, NULL},
    {"We met in the SAN Marcos hills", BW_PII_NAME, "Marcos"},
    {"We met Santa Marcos there", BW_PII_NAME, NULL},
    {"We met Sant Marcos there", BW_PII_NAME, "Sant Marcos"},
    {"The weather is nice in May.", BW_PII_NAME, NULL},
    /* lone capitals: never a name alone, after a cue or not */
    {"I think A is fine, said I.", BW_PII_NAME, NULL},
    {"Dear J, thanks", BW_PII_NAME, NULL},
    {"signed by J. Smith", BW_PII_NAME, "J. Smith"},
    /* text without a capital is walked byte by byte: pairs of known names, not inside words */
    {"please call catherine hertzog today", BW_PII_NAME, "catherine hertzog"},
    {"xcatherine hertzog", BW_PII_NAME, NULL},
    {"12catherine hertzog", BW_PII_NAME, NULL},
    /* the case of a run's words: ALL CAPS is a heading, a capital inside a name is not */
    {"Then CATHERINE HERTZOG called", BW_PII_NAME, NULL},
    {"Then Catherine McDonald called", BW_PII_NAME, "Catherine McDonald"},
    {"Then Catherine HERTZOG called", BW_PII_NAME, "Catherine"},
    /* PASSWORD */
    {"password: hunter2!", BW_PII_PASSWORD, "hunter2!"},
    {"my password is Tr0ub4dor&3 so", BW_PII_PASSWORD, "Tr0ub4dor&3"},
    {"please reset your password today", BW_PII_PASSWORD, NULL},
    {"the password is required", BW_PII_PASSWORD, NULL},
    {"<label for=\"password\">Password:</label>", BW_PII_PASSWORD, NULL},
    /* PHONE */
    {"call me at (415) 555-0132 today", BW_PII_PHONE, "(415) 555-0132"},
    {"international +44 20 7123 4567", BW_PII_PHONE, "+44 20 7123 4567"},
    {"Fax: 259.735.7502x459", BW_PII_PHONE, "259.735.7502x459"},
    {"Please have the manager call me at 0494 92 82 32 now", BW_PII_PHONE, "0494 92 82 32"},
    {"in 2019 1500 people came", BW_PII_PHONE, NULL},
    {"Trygve Lie (1946-1952) 2) Dag", BW_PII_PHONE, NULL},
    {"Date: 1978-04-13 12:20:39", BW_PII_PHONE, NULL},
    /* PIN */
    {"my PIN is 4821", BW_PII_PIN, "4821"},
    {"there were 4821 people", BW_PII_PIN, NULL},
    /* SWIFT */
    {"SWIFT code: DEUTDEFF", BW_PII_SWIFT_CODE, "DEUTDEFF"},
    {"send via DEUTDEFF500 please", BW_PII_SWIFT_CODE, "DEUTDEFF500"},
    {"BUSINESS PLAN ahead", BW_PII_SWIFT_CODE, NULL},
    /* UK */
    {"NHS number 943 476 5919", BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER, "943 476 5919"},
    {"NHS number 943 476 5918", BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER, NULL},
    {"NI number AB 12 34 56 C", BW_PII_UK_NATIONAL_INSURANCE_NUMBER, "AB 12 34 56 C"},
    {"nino: PR 123612C", BW_PII_UK_NATIONAL_INSURANCE_NUMBER, "PR 123612C"},
    {"NI number QQ 12 34 56 C", BW_PII_UK_NATIONAL_INSURANCE_NUMBER, NULL},
    {"my UTR is 1234567895", BW_PII_UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER, "1234567895"},
    {"reference 1234567895", BW_PII_UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER, NULL},
    /* URL */
    {"see https://example.com/a?b=1.", BW_PII_URL, "https://example.com/a?b=1"},
    {"go to www.example.org now", BW_PII_URL, "www.example.org"},
    {"visit example.com today", BW_PII_URL, "example.com"},
    {"my domains: google.co.il", BW_PII_URL, "google.co.il"},
    {"www.microsoft", BW_PII_URL, NULL},
    {"run main.py and setup.sh", BW_PII_URL, NULL},
    {"I did it.It was fine", BW_PII_URL, NULL},
    /* USERNAME */
    {"username: jdoe42", BW_PII_USERNAME, "jdoe42"},
    {"Username: @superfan", BW_PII_USERNAME, "@superfan"},
    {"I forgot my username again", BW_PII_USERNAME, NULL},
    {"Number of users: 500", BW_PII_USERNAME, NULL},
    /* US bank account, routing */
    {"my checking account 000123456789", BW_PII_US_BANK_ACCOUNT_NUMBER, "000123456789"},
    {"order 000123456789 shipped", BW_PII_US_BANK_ACCOUNT_NUMBER, NULL},
    {"routing number 121000358", BW_PII_US_BANK_ROUTING_NUMBER, "121000358"},
    {"routing number 121000359", BW_PII_US_BANK_ROUTING_NUMBER, NULL},
    /* ITIN, passport, SSN */
    {"ITIN 911-70-1234", BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, "911-70-1234"},
    {"my tax id 911-89-1234", BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER, NULL},
    {"passport number A12803456", BW_PII_US_PASSPORT_NUMBER, "A12803456"},
    {"my passport is 912803456", BW_PII_US_PASSPORT_NUMBER, "912803456"},
    {"A12803456", BW_PII_US_PASSPORT_NUMBER, NULL},
    {"Here's my SSN: 460-89-9847", BW_PII_US_SOCIAL_SECURITY_NUMBER, "460-89-9847"},
    {"my social security number is 460899847", BW_PII_US_SOCIAL_SECURITY_NUMBER, "460899847"},
    {"078-05-0000", BW_PII_US_SOCIAL_SECURITY_NUMBER, NULL},
    {"123-45-6789", BW_PII_US_SOCIAL_SECURITY_NUMBER, NULL},
    {"693-09.4444", BW_PII_US_SOCIAL_SECURITY_NUMBER, NULL},
    {"460899847", BW_PII_US_SOCIAL_SECURITY_NUMBER, NULL},
    /* VIN */
    {"VIN 1HGCM82633A004352", BW_PII_VEHICLE_IDENTIFICATION_NUMBER, "1HGCM82633A004352"},
    {"code 1HGCM82633A004353", BW_PII_VEHICLE_IDENTIFICATION_NUMBER, NULL},
};

static void test_recognize_cases(void)
{
    size_t i, bad = 0;

    for (i = 0; i < BW_NELEMS(cases); i++) {
        const struct pcase *c = &cases[i];
        int ok = c->want ? pt_exact(c->text, c->type, c->want) : !pt_has(c->text, c->type);
        if (!ok) {
            size_t a = 0, b = 0, n;
            pt_run(c->text);
            n = pt_count(c->type, &a, &b);
            fprintf(stderr, "case %zu %s: \"%s\" want %s%s%s, got %zu finding(s)", i, bw_pii_name(c->type), c->text,
                    c->want ? "\"" : "", c->want ? c->want : "none", c->want ? "\"" : "", n);
            if (n)
                fprintf(stderr, " first \"%.*s\"", (int)(b - a), c->text + a);
            fprintf(stderr, "\n");
            bad++;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* Every one of the 31 types has a positive and a negative case above. */
static void test_recognize_all_types_covered(void)
{
    int pos[BW_PII__N] = {0}, neg[BW_PII__N] = {0}, t;
    size_t i;

    for (i = 0; i < BW_NELEMS(cases); i++) {
        if (cases[i].want)
            pos[cases[i].type]++;
        else
            neg[cases[i].type]++;
    }
    for (t = 0; t < BW_PII__N; t++) {
        if (!pos[t] || !neg[t])
            fprintf(stderr, "type %s lacks a %s case\n", bw_pii_name(t), pos[t] ? "negative" : "positive");
        CU_ASSERT_TRUE(pos[t] > 0 && neg[t] > 0);
    }
}

/* Offsets are those of the original text: multi-byte letters before, a zero-width space inside. */
static void test_recognize_original_offsets(void)
{
    /* "Café: card 4111 1111 11<ZWSP>11 1111 ok" */
    const char *s = "Caf\xc3\xa9: card 4111 1111 11\xe2\x80\x8b" "11 1111 ok";
    /* full-width digits fold to ASCII in the view */
    const char *fw = "card \xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 \xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 "
                     "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 \xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91!";
    const char *em = "\xe2\x80\x9cZo\xc3\xab\xe2\x80\x9d <zoe@exa\xe2\x80\x8bmple.com>";
    size_t a = 0, b = 0;

    pt_run(s);
    CU_ASSERT_EQUAL_FATAL(pt_count(BW_PII_CREDIT_DEBIT_CARD_NUMBER, &a, &b), 1);
    CU_ASSERT_EQUAL(a, 12);
    CU_ASSERT_EQUAL(b, strlen(s) - 3);
    pt_run(fw);
    CU_ASSERT_EQUAL_FATAL(pt_count(BW_PII_CREDIT_DEBIT_CARD_NUMBER, &a, &b), 1);
    CU_ASSERT_EQUAL(a, 5);
    CU_ASSERT_EQUAL(b, strlen(fw) - 1);
    pt_run(em);
    CU_ASSERT_EQUAL_FATAL(pt_count(BW_PII_EMAIL, &a, &b), 1);
    CU_ASSERT_EQUAL(a, (size_t)(strstr(em, "zoe@") - em));
    CU_ASSERT_EQUAL(b, strlen(em) - 1);
}

/* Ambiguous numbers need their context word, within the few words before them. */
static void test_recognize_context_required(void)
{
    CU_ASSERT_TRUE(pt_has("PIN: 4821", BW_PII_PIN));
    CU_ASSERT_FALSE(pt_has("4821", BW_PII_PIN));
    CU_ASSERT_FALSE(pt_has("my PIN is something we never share with anyone at all, 4821", BW_PII_PIN));
    CU_ASSERT_TRUE(pt_has("the cvc on the back is 737", BW_PII_CREDIT_DEBIT_CARD_CVV));
    CU_ASSERT_FALSE(pt_has("737", BW_PII_CREDIT_DEBIT_CARD_CVV));
    CU_ASSERT_TRUE(pt_has("passport no. 912803456", BW_PII_US_PASSPORT_NUMBER));
    CU_ASSERT_FALSE(pt_has("912803456", BW_PII_US_PASSPORT_NUMBER));
    CU_ASSERT_TRUE(pt_has("acct# 12345678", BW_PII_US_BANK_ACCOUNT_NUMBER));
    CU_ASSERT_FALSE(pt_has("12345678", BW_PII_US_BANK_ACCOUNT_NUMBER));
    CU_ASSERT_TRUE(pt_has("UTR: 1234567895", BW_PII_UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER));
    CU_ASSERT_TRUE(pt_has("Phone:\n60-56-85-91", BW_PII_PHONE));
    CU_ASSERT_FALSE(pt_has("60-56-85-91", BW_PII_PHONE));
    CU_ASSERT_TRUE(pt_has("416 60 039 office", BW_PII_PHONE)); /* a phone word after the number */
}

/* Only enabled types are reported, with the configured action. */
static void test_recognize_enabled_types_only(void)
{
    struct bw_engine *e = NULL;
    struct bw_worker w;
    struct bw_pii_item it = {BW_PII_EMAIL, {{BW_ACT_BLOCK, BW_ACT_ANONYMIZE}, {1, 1}}};
    struct bw_pii_conf c = {&it, 1};
    struct bw_errs errs;
    const char *s = "mail a@example.com or call (415) 555-0132";
    struct bw_block b = {s, strlen(s), 0};

    bw_errs_init(&errs, NULL);
    CU_ASSERT_FATAL(bw_engine_new(BW_DIR_INPUT, &e) == 0);
    CU_ASSERT_FATAL(bw_engine_add(e, &bw_pii_module, &c, &errs) == 0);
    CU_ASSERT_FATAL(bw_engine_compile(e, BW_MATCHER_BLOCK, &errs) == 0);
    CU_ASSERT_FATAL(bw_worker_init(&w) == 0);
    CU_ASSERT_FATAL(bw_engine_eval(e, &w, &b, 1, NULL, NULL) == 0);
    CU_ASSERT_EQUAL(w.nf, 1);
    if (w.nf == 1) {
        CU_ASSERT_EQUAL(w.f[0].type, BW_PII_EMAIL);
        CU_ASSERT_EQUAL(w.f[0].action, BW_ACT_BLOCK);
        CU_ASSERT_EQUAL(w.f[0].policy, BW_POL_PII);
        CU_ASSERT_EQUAL(w.f[0].detected, 1);
    }
    bw_worker_free(&w);
    bw_engine_free(e);
    bw_errs_free(&errs);
}

/* Overlapping candidates resolve to one finding; a text with many numbers is analysed in one pass. */
static void test_recognize_overlap_and_volume(void)
{
    char big[64 * 1024];
    size_t i, n = 0;

    /* a card number is also a digit run a phone could claim: one finding */
    pt_run("card 4111 1111 1111 1111");
    CU_ASSERT_EQUAL(pt_w.nf, 1);
    /* thousands of candidates: more than the scratch holds at once */
    for (i = 0; n + 40 < sizeof(big); i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "SSN 078-05-%04zu. ", 1000 + i % 100);
    pt_run(big);
    if (pt_count(BW_PII_US_SOCIAL_SECURITY_NUMBER, NULL, NULL) != i)
        fprintf(stderr, "volume: %zu SSNs written, %zu found, %zu findings\n", i,
                pt_count(BW_PII_US_SOCIAL_SECURITY_NUMBER, NULL, NULL), pt_w.nf);
    for (n = 0; n < pt_w.nf; n++)
        if (pt_w.f[n].type != BW_PII_US_SOCIAL_SECURITY_NUMBER)
            fprintf(stderr, "  other: %s \"%.*s\"\n", bw_pii_name(pt_w.f[n].type), (int)(pt_w.f[n].end - pt_w.f[n].start),
                    big + pt_w.f[n].start);
    CU_ASSERT_EQUAL(pt_count(BW_PII_US_SOCIAL_SECURITY_NUMBER, NULL, NULL), i);
}

/* Several blocks in one evaluation: each finding names its block, offsets are the block's own. */
static void test_recognize_blocks(void)
{
    struct bw_block b[3] = {{"mail a@example.com", 18, 0}, {"nothing here", 12, 0}, {"SSN 078-05-1123", 15, 0}};
    size_t k, seen = 0;

    pt_init(NULL, 0);
    CU_ASSERT_FATAL(bw_engine_eval(pt_eng, &pt_w, b, 3, NULL, NULL) == 0);
    for (k = 0; k < pt_w.nf; k++) {
        if (pt_w.f[k].type == BW_PII_EMAIL) {
            CU_ASSERT_EQUAL(pt_w.f[k].block, 0);
            CU_ASSERT_EQUAL(pt_w.f[k].start, 5);
            seen++;
        }
        if (pt_w.f[k].type == BW_PII_US_SOCIAL_SECURITY_NUMBER) {
            CU_ASSERT_EQUAL(pt_w.f[k].block, 2);
            CU_ASSERT_EQUAL(pt_w.f[k].start, 4);
            CU_ASSERT_EQUAL(pt_w.f[k].end, 15);
            seen++;
        }
    }
    CU_ASSERT_EQUAL(seen, 2);
    CU_ASSERT_EQUAL(pt_w.nf, 2);
}

static void test_recognize_fini(void)
{
    pt_fini();
}

static const struct bw_test tests[] = {
    {"test_recognize_cases", test_recognize_cases},
    {"test_recognize_all_types_covered", test_recognize_all_types_covered},
    {"test_recognize_original_offsets", test_recognize_original_offsets},
    {"test_recognize_context_required", test_recognize_context_required},
    {"test_recognize_enabled_types_only", test_recognize_enabled_types_only},
    {"test_recognize_overlap_and_volume", test_recognize_overlap_and_volume},
    {"test_recognize_blocks", test_recognize_blocks},
    {"test_recognize_fini", test_recognize_fini},
};

BW_TEST_MAIN("pii/recognize", tests)
