/*
 * Tests of policies/gconf.c: both Bedrock shapes, every validation rule,
 * defaults, our raised limits and extensions, the golden error files of
 * tests/data/bad_config, and allocation failure.
 *
 * tests/data/guardrails/create_full.json is the full CreateGuardrail
 * example of the Bedrock reference (§8); get_full.json is the same
 * guardrail as `aws bedrock get-guardrail` prints it, written for these
 * tests with Bedrock's defaults spelled out.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filters/limits.h"
#include "policies/gconf.h"
#include "tests/unit/testutil.h"

#include "tests/unit/failmalloc.h"

/* ------------------------------------------------------------------------ */
/* helpers */

static struct bw_errs errs;

/* Loads json labelled "t.json"; errors stay in errs until the next call. */
static int load(const char *json, struct bw_gconf **c)
{
    bw_errs_free(&errs);
    bw_errs_init(&errs, NULL);
    return bw_gconf_load_mem("t.json", json, strlen(json), c, &errs);
}

static struct bw_gconf *load_ok(const char *json)
{
    struct bw_gconf *c = NULL;
    int rv = load(json, &c);
    size_t i;

    for (i = 0; i < errs.n; i++)
        fprintf(stderr, "\nunexpected: %s", errs.msg[i]);
    CU_ASSERT_EQUAL(rv, BW_OK);
    return c;
}

static struct bw_gconf *load_file_ok(const char *path)
{
    struct bw_gconf *c = NULL;
    size_t i;
    int rv;

    bw_errs_free(&errs);
    bw_errs_init(&errs, NULL);
    rv = bw_gconf_load_file(path, &c, &errs);
    for (i = 0; i < errs.n; i++)
        fprintf(stderr, "\nunexpected: %s", errs.msg[i]);
    CU_ASSERT_EQUAL(rv, BW_OK);
    return c;
}

/* Expects the load to fail with exactly the given lines (NULL-terminated). */
static void expect(const char *json, ...)
{
    struct bw_gconf *c = (struct bw_gconf *)1;
    const char *want;
    va_list ap;
    size_t i = 0;
    int rv = load(json, &c);

    CU_ASSERT_EQUAL(rv, BW_ECONFIG);
    CU_ASSERT_PTR_NULL(c);
    va_start(ap, json);
    while ((want = va_arg(ap, const char *)) != NULL) {
        if (i >= errs.n || strcmp(errs.msg[i], want) != 0) {
            fprintf(stderr, "\nfor %s\nwant: %s\n got: %s\n", json, want, i < errs.n ? errs.msg[i] : "(nothing)");
            CU_FAIL("error line differs");
        }
        i++;
    }
    va_end(ap);
    if (i != errs.n) {
        for (; i < errs.n; i++)
            fprintf(stderr, "\nextra: %s", errs.msg[i]);
        CU_FAIL("more errors than expected");
    }
}

#define DOC(body) "{\"name\":\"g\",\"blockedInputMessaging\":\"in\",\"blockedOutputsMessaging\":\"out\"" body "}"

static int streq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static int same_ac(const struct bw_actcfg *a, const struct bw_actcfg *b)
{
    return memcmp(a, b, sizeof(*a)) == 0;
}

static int same_strs(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    size_t i;

    if (na != nb)
        return 0;
    for (i = 0; i < na; i++)
        if (!streq(a[i], b[i]))
            return 0;
    return 1;
}

/* Are two models the same configuration (everything but the file label)? */
static int same_conf(const struct bw_gconf *a, const struct bw_gconf *b)
{
    size_t i;

    if (!streq(a->name, b->name) || !streq(a->description, b->description) ||
        !streq(a->blocked_input, b->blocked_input) || !streq(a->blocked_output, b->blocked_output))
        return 0;
    if (a->has_content != b->has_content || a->has_topics != b->has_topics || a->has_words != b->has_words ||
        a->has_pii != b->has_pii || a->has_regex != b->has_regex || a->has_grounding != b->has_grounding ||
        a->has_automated_reasoning != b->has_automated_reasoning)
        return 0;
    if (!streq(a->cross_region_profile, b->cross_region_profile) || !streq(a->kms_key, b->kms_key))
        return 0;
    if (a->content.n != b->content.n || a->content.tier != b->content.tier)
        return 0;
    for (i = 0; i < a->content.n; i++) {
        const struct bw_content_item *x = &a->content.items[i], *y = &b->content.items[i];
        if (x->type != y->type || memcmp(x->strength, y->strength, 2) || memcmp(x->modalities, y->modalities, 2) ||
            !same_ac(&x->ac, &y->ac))
            return 0;
    }
    if (a->topics.n != b->topics.n || a->topics.tier != b->topics.tier)
        return 0;
    for (i = 0; i < a->topics.n; i++) {
        const struct bw_topic_item *x = &a->topics.items[i], *y = &b->topics.items[i];
        if (!streq(x->name, y->name) || !streq(x->definition, y->definition) ||
            !same_strs(x->examples, x->nexamples, y->examples, y->nexamples) ||
            !same_strs(x->phrases, x->nphrases, y->phrases, y->nphrases) || !same_ac(&x->ac, &y->ac))
            return 0;
    }
    if (a->words.nwords != b->words.nwords || a->words.nmanaged != b->words.nmanaged)
        return 0;
    for (i = 0; i < a->words.nwords; i++)
        if (!streq(a->words.words[i].text, b->words.words[i].text) ||
            !same_ac(&a->words.words[i].ac, &b->words.words[i].ac))
            return 0;
    for (i = 0; i < a->words.nmanaged; i++)
        if (a->words.managed[i].type != b->words.managed[i].type ||
            !streq(a->words.managed[i].lang, b->words.managed[i].lang) ||
            !same_ac(&a->words.managed[i].ac, &b->words.managed[i].ac))
            return 0;
    if (a->pii.n != b->pii.n || a->regex.n != b->regex.n)
        return 0;
    for (i = 0; i < a->pii.n; i++)
        if (a->pii.items[i].type != b->pii.items[i].type || !same_ac(&a->pii.items[i].ac, &b->pii.items[i].ac))
            return 0;
    for (i = 0; i < a->regex.n; i++) {
        const struct bw_regex_item *x = &a->regex.items[i], *y = &b->regex.items[i];
        if (!streq(x->name, y->name) || !streq(x->description, y->description) || !streq(x->pattern, y->pattern) ||
            !same_ac(&x->ac, &y->ac))
            return 0;
    }
    if (a->grounding.n != b->grounding.n)
        return 0;
    for (i = 0; i < a->grounding.n; i++) {
        const struct bw_grounding_item *x = &a->grounding.items[i], *y = &b->grounding.items[i];
        if (x->type != y->type || x->threshold != y->threshold || x->action != y->action || x->enabled != y->enabled)
            return 0;
    }
    return 1;
}

static void ac_is(const struct bw_actcfg *ac, int in_act, int out_act, int in_on, int out_on)
{
    CU_ASSERT_EQUAL(ac->action[BW_DIR_INPUT], in_act);
    CU_ASSERT_EQUAL(ac->action[BW_DIR_OUTPUT], out_act);
    CU_ASSERT_EQUAL(ac->enabled[BW_DIR_INPUT], in_on);
    CU_ASSERT_EQUAL(ac->enabled[BW_DIR_OUTPUT], out_on);
}

/* ------------------------------------------------------------------------ */
/* both shapes */

static void test_gconf_create_full(void)
{
    struct bw_gconf *c = load_file_ok("tests/data/guardrails/create_full.json");
    const struct bw_content_item *f;
    const struct bw_topic_item *t;

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(c->file, "tests/data/guardrails/create_full.json");
    CU_ASSERT_STRING_EQUAL(c->name, "support-bot");
    CU_ASSERT_STRING_EQUAL(c->description, "Customer support guardrail");
    CU_ASSERT_STRING_EQUAL(c->blocked_input, "Sorry, I can't help with that request.");
    CU_ASSERT_STRING_EQUAL(c->blocked_output, "Sorry, I can't provide that information.");
    CU_ASSERT(c->has_content && c->has_topics && c->has_words && c->has_pii && c->has_regex && c->has_grounding);
    CU_ASSERT_FALSE(c->has_automated_reasoning);
    CU_ASSERT_STRING_EQUAL(c->cross_region_profile, "us.guardrail.v1:0");
    CU_ASSERT_PTR_NULL(c->kms_key);

    CU_ASSERT_EQUAL(c->content.tier, BW_TIER_STANDARD);
    CU_ASSERT_EQUAL_FATAL(c->content.n, 6);
    f = &c->content.items[0];
    CU_ASSERT_EQUAL(f->type, BW_CAT_SEXUAL);
    CU_ASSERT_EQUAL(f->strength[BW_DIR_INPUT], BW_CONF_HIGH);
    CU_ASSERT_EQUAL(f->modalities[BW_DIR_INPUT], 3); /* TEXT and IMAGE */
    CU_ASSERT_EQUAL(f->modalities[BW_DIR_OUTPUT], 1);
    ac_is(&f->ac, BW_ACT_BLOCK, BW_ACT_BLOCK, 1, 1);
    f = &c->content.items[3];
    CU_ASSERT_EQUAL(f->type, BW_CAT_INSULTS);
    CU_ASSERT_EQUAL(f->strength[BW_DIR_OUTPUT], BW_CONF_MEDIUM);
    ac_is(&f->ac, BW_ACT_BLOCK, BW_ACT_NONE, 1, 1);
    f = &c->content.items[5];
    CU_ASSERT_EQUAL(f->type, BW_CAT_PROMPT_ATTACK);
    CU_ASSERT_EQUAL(f->strength[BW_DIR_OUTPUT], BW_CONF_NONE);
    ac_is(&f->ac, BW_ACT_BLOCK, BW_ACT_BLOCK, 1, 0);

    CU_ASSERT_EQUAL(c->topics.tier, BW_TIER_STANDARD);
    CU_ASSERT_EQUAL_FATAL(c->topics.n, 1);
    t = &c->topics.items[0];
    CU_ASSERT_STRING_EQUAL(t->name, "Investment Advice");
    CU_ASSERT_EQUAL(strncmp(t->definition, "Inquiries, guidance", 19), 0);
    CU_ASSERT_EQUAL_FATAL(t->nexamples, 2);
    CU_ASSERT_STRING_EQUAL(t->examples[1], "Is it better to buy bonds or stocks?");
    CU_ASSERT_EQUAL(t->nphrases, 0);
    CU_ASSERT_PTR_NULL(t->phrases);

    CU_ASSERT_EQUAL_FATAL(c->words.nwords, 2);
    CU_ASSERT_STRING_EQUAL(c->words.words[1].text, "project nightingale");
    ac_is(&c->words.words[1].ac, BW_ACT_BLOCK, BW_ACT_NONE, 1, 1);
    CU_ASSERT_EQUAL_FATAL(c->words.nmanaged, 1);
    CU_ASSERT_EQUAL(c->words.managed[0].type, BW_WL_PROFANITY);
    CU_ASSERT_PTR_NULL(c->words.managed[0].lang);

    CU_ASSERT_EQUAL_FATAL(c->pii.n, 3);
    CU_ASSERT_EQUAL(c->pii.items[0].type, BW_PII_EMAIL);
    ac_is(&c->pii.items[0].ac, BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE, 1, 1);
    CU_ASSERT_EQUAL(c->pii.items[1].type, BW_PII_US_SOCIAL_SECURITY_NUMBER);
    ac_is(&c->pii.items[1].ac, BW_ACT_BLOCK, BW_ACT_BLOCK, 1, 1);
    CU_ASSERT_EQUAL(c->pii.items[2].type, BW_PII_NAME);
    ac_is(&c->pii.items[2].ac, BW_ACT_NONE, BW_ACT_NONE, 1, 1);

    CU_ASSERT_EQUAL_FATAL(c->regex.n, 1);
    CU_ASSERT_STRING_EQUAL(c->regex.items[0].name, "order_id");
    CU_ASSERT_STRING_EQUAL(c->regex.items[0].description, "internal order ids");
    CU_ASSERT_STRING_EQUAL(c->regex.items[0].pattern, "ORD-[0-9]{8}");
    ac_is(&c->regex.items[0].ac, BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE, 1, 1);

    CU_ASSERT_EQUAL_FATAL(c->grounding.n, 2);
    CU_ASSERT_EQUAL(c->grounding.items[0].type, BW_GROUND_GROUNDING);
    CU_ASSERT_DOUBLE_EQUAL(c->grounding.items[0].threshold, 0.7, 1e-12);
    CU_ASSERT_EQUAL(c->grounding.items[1].type, BW_GROUND_RELEVANCE);
    CU_ASSERT_DOUBLE_EQUAL(c->grounding.items[1].threshold, 0.5, 1e-12);
    CU_ASSERT_EQUAL(c->grounding.items[1].action, BW_ACT_BLOCK);
    CU_ASSERT_EQUAL(c->grounding.items[1].enabled, 1);
    bw_gconf_free(c);
}

static void test_gconf_get_equals_create(void)
{
    struct bw_gconf *a = load_file_ok("tests/data/guardrails/create_full.json");
    struct bw_gconf *b = load_file_ok("tests/data/guardrails/get_full.json");

    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_TRUE(same_conf(a, b));
    /* and the comparison can tell configurations apart */
    ((struct bw_pii_item *)b->pii.items)[0].ac.enabled[BW_DIR_INPUT] = 0;
    CU_ASSERT_FALSE(same_conf(a, b));
    bw_gconf_free(a);
    bw_gconf_free(b);
}

static void test_gconf_get_shape_details(void)
{
    struct bw_gconf *c;

    /* the ARN when no id is given; kmsKeyArn; empty lists of an unused policy */
    c = load_ok(DOC(",\"crossRegionDetails\":{\"guardrailProfileArn\":"
                    "\"arn:aws:bedrock:eu-west-1:123456789012:guardrail-profile/eu.guardrail.v1:0\"},"
                    "\"kmsKeyArn\":\"arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\","
                    "\"sensitiveInformationPolicy\":{\"piiEntities\":[],\"regexes\":[]},"
                    "\"wordPolicy\":{\"words\":[],\"managedWordLists\":[{\"type\":\"PROFANITY\"}]},"
                    "\"createdAt\":1730625164.517,\"updatedAt\":\"2025-11-03T09:15:02Z\",\"version\":\"3\","
                    "\"status\":\"FAILED\",\"statusReasons\":[\"quota\"],\"failureRecommendations\":[\"retry\"]"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(c->cross_region_profile,
                           "arn:aws:bedrock:eu-west-1:123456789012:guardrail-profile/eu.guardrail.v1:0");
    CU_ASSERT_STRING_EQUAL(c->kms_key, "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    CU_ASSERT_FALSE(c->has_pii);
    CU_ASSERT_FALSE(c->has_regex);
    CU_ASSERT_TRUE(c->has_words);
    CU_ASSERT_EQUAL(c->words.nwords, 0);
    bw_gconf_free(c);
    /* CreateGuardrail may not have them empty */
    expect(DOC(",\"sensitiveInformationPolicyConfig\":{\"piiEntitiesConfig\":[],\"regexesConfig\":[]}"),
           "t.json: sensitiveInformationPolicyConfig.piiEntitiesConfig: must not be empty",
           "t.json: sensitiveInformationPolicyConfig.regexesConfig: must not be empty", NULL);
    expect(DOC(",\"wordPolicyConfig\":{\"wordsConfig\":[]}"), "t.json: wordPolicyConfig.wordsConfig: must not be empty",
           NULL);
    /* read-only keys are GetGuardrail's: with CreateGuardrail keys they mix shapes */
    expect(DOC(",\"guardrailId\":\"abc\",\"tags\":[]"),
           "t.json: mixes CreateGuardrail keys (tags) with GetGuardrail keys (guardrailId): use one shape, a "
           "CreateGuardrail request body or a GetGuardrail response",
           NULL);
    expect(DOC(",\"failureRecommendations\":[1]"), "t.json: failureRecommendations[0]: expected a string, found a number",
           NULL);
    /* boto3's ResponseMetadata is not part of the shape (the CLI strips it) */
    expect(DOC(",\"ResponseMetadata\":{}"), "t.json: ResponseMetadata: unknown key", NULL);
}

static void test_gconf_minimal_and_defaults(void)
{
    struct bw_gconf *c = load_file_ok("tests/data/guardrails/minimal.json");

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_STRING_EQUAL(c->name, "minimal");
    CU_ASSERT_PTR_NULL(c->description);
    CU_ASSERT_FALSE(c->has_content || c->has_topics || c->has_words || c->has_pii || c->has_regex ||
                    c->has_grounding || c->has_automated_reasoning);
    CU_ASSERT_EQUAL(c->content.tier, BW_TIER_CLASSIC);
    CU_ASSERT_EQUAL(c->topics.tier, BW_TIER_CLASSIC);
    CU_ASSERT_PTR_NULL(c->cross_region_profile);
    bw_gconf_free(c);

    c = load_ok(DOC(",\"contentPolicyConfig\":{\"filtersConfig\":[{\"type\":\"HATE\",\"inputStrength\":\"LOW\","
                    "\"outputStrength\":\"MEDIUM\"}]},"
                    "\"topicPolicyConfig\":{\"topicsConfig\":[{\"name\":\"T\",\"type\":\"DENY\",\"definition\":\"d\"}]},"
                    "\"wordPolicyConfig\":{\"wordsConfig\":[{\"text\":\"w\"}],\"managedWordListsConfig\":[{\"type\":"
                    "\"PROFANITY\"}]},"
                    "\"sensitiveInformationPolicyConfig\":{\"piiEntitiesConfig\":[{\"type\":\"PHONE\",\"action\":"
                    "\"ANONYMIZE\"}],\"regexesConfig\":[{\"name\":\"r\",\"pattern\":\"x[0-9]+\",\"action\":\"NONE\"}]},"
                    "\"contextualGroundingPolicyConfig\":{\"filtersConfig\":[{\"type\":\"GROUNDING\",\"threshold\":0}]}"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    /* BLOCK both ways, both enabled, TEXT only */
    ac_is(&c->content.items[0].ac, BW_ACT_BLOCK, BW_ACT_BLOCK, 1, 1);
    CU_ASSERT_EQUAL(c->content.items[0].strength[BW_DIR_INPUT], BW_CONF_LOW);
    CU_ASSERT_EQUAL(c->content.items[0].strength[BW_DIR_OUTPUT], BW_CONF_MEDIUM);
    CU_ASSERT_EQUAL(c->content.items[0].modalities[BW_DIR_INPUT], 1);
    CU_ASSERT_EQUAL(c->content.items[0].modalities[BW_DIR_OUTPUT], 1);
    ac_is(&c->topics.items[0].ac, BW_ACT_BLOCK, BW_ACT_BLOCK, 1, 1);
    CU_ASSERT_EQUAL(c->topics.items[0].nexamples, 0);
    ac_is(&c->words.words[0].ac, BW_ACT_BLOCK, BW_ACT_BLOCK, 1, 1);
    ac_is(&c->words.managed[0].ac, BW_ACT_BLOCK, BW_ACT_BLOCK, 1, 1);
    /* PII and regexes: `action` for both directions, both enabled */
    ac_is(&c->pii.items[0].ac, BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE, 1, 1);
    ac_is(&c->regex.items[0].ac, BW_ACT_NONE, BW_ACT_NONE, 1, 1);
    CU_ASSERT_PTR_NULL(c->regex.items[0].description);
    CU_ASSERT_EQUAL(c->grounding.items[0].action, BW_ACT_BLOCK);
    CU_ASSERT_EQUAL(c->grounding.items[0].enabled, 1);
    CU_ASSERT_DOUBLE_EQUAL(c->grounding.items[0].threshold, 0, 0);
    bw_gconf_free(c);
}

static void test_gconf_disabled_and_none_preserved(void)
{
    struct bw_gconf *c;

    c = load_ok(DOC(",\"contentPolicyConfig\":{\"filtersConfig\":[{\"type\":\"VIOLENCE\",\"inputStrength\":\"NONE\","
                    "\"outputStrength\":\"HIGH\",\"inputAction\":\"NONE\",\"inputEnabled\":false}]},"
                    "\"topicPolicyConfig\":{\"topicsConfig\":[{\"name\":\"T\",\"type\":\"DENY\",\"definition\":\"d\","
                    "\"outputAction\":\"NONE\",\"outputEnabled\":false}]},"
                    "\"wordPolicyConfig\":{\"wordsConfig\":[{\"text\":\"w\",\"inputEnabled\":false,\"outputEnabled\":"
                    "false}]},"
                    "\"sensitiveInformationPolicyConfig\":{\"piiEntitiesConfig\":[{\"type\":\"EMAIL\",\"action\":"
                    "\"BLOCK\",\"inputAction\":\"ANONYMIZE\",\"outputEnabled\":false},{\"type\":\"URL\",\"action\":"
                    "\"ANONYMIZE\",\"outputAction\":\"NONE\"}],\"regexesConfig\":[{\"name\":\"r\",\"pattern\":\"x[0-9]+\","
                    "\"action\":\"BLOCK\",\"outputAction\":\"ANONYMIZE\",\"inputEnabled\":false}]},"
                    "\"contextualGroundingPolicyConfig\":{\"filtersConfig\":[{\"type\":\"RELEVANCE\",\"threshold\":0.99,"
                    "\"action\":\"NONE\",\"enabled\":false}]}"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->content.items[0].strength[BW_DIR_INPUT], BW_CONF_NONE);
    ac_is(&c->content.items[0].ac, BW_ACT_NONE, BW_ACT_BLOCK, 0, 1);
    ac_is(&c->topics.items[0].ac, BW_ACT_BLOCK, BW_ACT_NONE, 1, 0);
    ac_is(&c->words.words[0].ac, BW_ACT_BLOCK, BW_ACT_BLOCK, 0, 0);
    ac_is(&c->pii.items[0].ac, BW_ACT_ANONYMIZE, BW_ACT_BLOCK, 1, 0);
    ac_is(&c->pii.items[1].ac, BW_ACT_ANONYMIZE, BW_ACT_NONE, 1, 1);
    ac_is(&c->regex.items[0].ac, BW_ACT_BLOCK, BW_ACT_ANONYMIZE, 0, 1);
    CU_ASSERT_EQUAL(c->grounding.items[0].type, BW_GROUND_RELEVANCE);
    CU_ASSERT_EQUAL(c->grounding.items[0].action, BW_ACT_NONE);
    CU_ASSERT_EQUAL(c->grounding.items[0].enabled, 0);
    CU_ASSERT_DOUBLE_EQUAL(c->grounding.items[0].threshold, 0.99, 1e-12);
    bw_gconf_free(c);
}

static void test_gconf_extensions(void)
{
    struct bw_gconf *c = load_file_ok("tests/data/guardrails/extensions.json");
    const struct bw_topic_item *t;

    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    t = &c->topics.items[0];
    CU_ASSERT_EQUAL_FATAL(t->nphrases, 3);
    CU_ASSERT_STRING_EQUAL(t->phrases[0], "buy bitcoin");
    CU_ASSERT_STRING_EQUAL(t->phrases[2], "when to sell ETH");
    CU_ASSERT_EQUAL_FATAL(c->words.nmanaged, 3);
    CU_ASSERT_PTR_NULL(c->words.managed[0].lang);
    CU_ASSERT_STRING_EQUAL(c->words.managed[1].lang, "fr");
    ac_is(&c->words.managed[1].ac, BW_ACT_BLOCK, BW_ACT_BLOCK, 1, 0);
    CU_ASSERT_STRING_EQUAL(c->words.managed[2].lang, "fr-CA-u-sd-caqc");
    ac_is(&c->words.managed[2].ac, BW_ACT_NONE, BW_ACT_BLOCK, 1, 1);
    CU_ASSERT_FALSE(c->has_words && c->words.nwords);
    bw_gconf_free(c);
    /* each language once; the same list in another language is fine */
    expect(DOC(",\"wordPolicyConfig\":{\"managedWordListsConfig\":[{\"type\":\"PROFANITY\",\"bulwarkLanguage\":\"de\"},"
               "{\"type\":\"PROFANITY\",\"bulwarkLanguage\":\"de\"}]}"),
           "t.json: wordPolicyConfig.managedWordListsConfig[1]: duplicate managed word list PROFANITY de (first at "
           "managedWordListsConfig[0])",
           NULL);
    /* every language of the brief once, and the default list: 29 lists, no more */
    {
        static const char *const codes[] = {"ar", "cs", "da", "de", "en", "eo", "es", "fa", "fi", "fil",
                                            "fr", "fr-CA-u-sd-caqc", "hi", "hu", "it", "ja", "kab", "ko",
                                            "nl", "no", "pl", "pt", "ru", "sv", "th", "tlh", "tr", "zh"};
        char buf[4096];
        size_t w = 0, i;

        w += (size_t)snprintf(buf + w, sizeof(buf) - w,
                              "{\"name\":\"g\",\"blockedInputMessaging\":\"in\",\"blockedOutputsMessaging\":\"out\","
                              "\"wordPolicyConfig\":{\"managedWordListsConfig\":[{\"type\":\"PROFANITY\"}");
        for (i = 0; i < BW_NELEMS(codes); i++)
            w += (size_t)snprintf(buf + w, sizeof(buf) - w, ",{\"type\":\"PROFANITY\",\"bulwarkLanguage\":\"%s\"}",
                                  codes[i]);
        snprintf(buf + w, sizeof(buf) - w, "]}}");
        c = load_ok(buf);
        CU_ASSERT_PTR_NOT_NULL(c);
        if (c) {
            CU_ASSERT_EQUAL(c->words.nmanaged, 29);
            CU_ASSERT_STRING_EQUAL(c->words.managed[28].lang, "zh");
        }
        bw_gconf_free(c);
        snprintf(buf + w, sizeof(buf) - w, ",{\"type\":\"PROFANITY\"}]}}");
        expect(buf, "t.json: wordPolicyConfig.managedWordListsConfig: too many items: 30 (at most 29)",
               "t.json: wordPolicyConfig.managedWordListsConfig[29]: duplicate managed word list PROFANITY (first at "
               "managedWordListsConfig[0])",
               NULL);
    }
    /* every phrase limit */
    expect(DOC(",\"topicPolicyConfig\":{\"topicsConfig\":[{\"name\":\"T\",\"type\":\"DENY\",\"definition\":\"d\","
               "\"bulwarkPhrases\":\"one\"}]}"),
           "t.json: topicPolicyConfig.topicsConfig[0].bulwarkPhrases: expected an array, found a string", NULL);
}

/* ------------------------------------------------------------------------ */
/* limits: Bedrock's, and the ones we raise */

/* A document with n items made by fmt (which takes the index) under prefix/suffix. */
static char *many(const char *prefix, const char *fmt, size_t n, const char *suffix)
{
    size_t cap = strlen(prefix) + strlen(suffix) + n * (strlen(fmt) + 24) + 1, w = 0, i;
    char *s = malloc(cap);

    w += (size_t)snprintf(s + w, cap - w, "%s", prefix);
    for (i = 0; i < n; i++) {
        if (i)
            s[w++] = ',';
        w += (size_t)snprintf(s + w, cap - w, fmt, i);
    }
    snprintf(s + w, cap - w, "%s", suffix);
    return s;
}

static void test_gconf_raised_limits(void)
{
    struct bw_gconf *c;
    char *s, def[1200];
    char buf[1400];

    s = many("{\"name\":\"g\",\"blockedInputMessaging\":\"in\",\"blockedOutputsMessaging\":\"out\","
             "\"sensitiveInformationPolicyConfig\":{\"regexesConfig\":[",
             "{\"name\":\"r%zu\",\"pattern\":\"ID-[0-9]{4}\",\"action\":\"BLOCK\"}", 100, "]}}");
    c = load_ok(s);
    CU_ASSERT_PTR_NOT_NULL(c);
    if (c)
        CU_ASSERT_EQUAL(c->regex.n, 100);
    bw_gconf_free(c);
    free(s);

    s = many("{\"name\":\"g\",\"blockedInputMessaging\":\"in\",\"blockedOutputsMessaging\":\"out\","
             "\"sensitiveInformationPolicyConfig\":{\"regexesConfig\":[",
             "{\"name\":\"r%zu\",\"pattern\":\"ID-[0-9]{4}\",\"action\":\"BLOCK\"}", 101, "]}}");
    expect(s, "t.json: sensitiveInformationPolicyConfig.regexesConfig: too many items: 101 (at most 100)", NULL);
    free(s);

    s = many("{\"name\":\"g\",\"blockedInputMessaging\":\"in\",\"blockedOutputsMessaging\":\"out\","
             "\"wordPolicyConfig\":{\"wordsConfig\":[",
             "{\"text\":\"word%zu\"}", 100000, "]}}");
    c = load_ok(s);
    CU_ASSERT_PTR_NOT_NULL(c);
    if (c) {
        CU_ASSERT_EQUAL(c->words.nwords, 100000);
        CU_ASSERT_STRING_EQUAL(c->words.words[99999].text, "word99999");
    }
    bw_gconf_free(c);
    free(s);
    s = many("{\"name\":\"g\",\"blockedInputMessaging\":\"in\",\"blockedOutputsMessaging\":\"out\","
             "\"wordPolicyConfig\":{\"wordsConfig\":[",
             "{\"text\":\"word%zu\"}", 100001, "]}}");
    expect(s, "t.json: wordPolicyConfig.wordsConfig: too many items: 100001 (at most 100000)", NULL);
    free(s);

    /* a 1,000-character definition in the CLASSIC tier (Bedrock: STANDARD only) */
    memset(def, 'd', 1000);
    def[1000] = '\0';
    snprintf(buf, sizeof(buf),
             DOC(",\"topicPolicyConfig\":{\"topicsConfig\":[{\"name\":\"T\",\"type\":\"DENY\",\"definition\":\"%s\"}],"
                 "\"tierConfig\":{\"tierName\":\"CLASSIC\"}}"),
             def);
    c = load_ok(buf);
    CU_ASSERT_PTR_NOT_NULL(c);
    if (c)
        CU_ASSERT_EQUAL(strlen(c->topics.items[0].definition), 1000);
    bw_gconf_free(c);

    /* Bedrock's own: 30 topics, 6 content filters */
    s = many("{\"name\":\"g\",\"blockedInputMessaging\":\"in\",\"blockedOutputsMessaging\":\"out\","
             "\"topicPolicyConfig\":{\"topicsConfig\":[",
             "{\"name\":\"T%zu\",\"type\":\"DENY\",\"definition\":\"d\",\"examples\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}", 30,
             "]}}");
    c = load_ok(s);
    CU_ASSERT_PTR_NOT_NULL(c);
    if (c)
        CU_ASSERT_EQUAL(c->topics.n, 30);
    bw_gconf_free(c);
    free(s);
}

static void test_gconf_lengths_count_characters(void)
{
    struct bw_gconf *c;
    char buf[4096], desc[1000], msg[2000];
    size_t i;

    for (i = 0; i < 200; i++)
        memcpy(desc + 2 * i, "\xc3\xa9", 2); /* 200 characters, 400 bytes */
    desc[400] = '\0';
    for (i = 0; i < 500; i++)
        memcpy(msg + 3 * i, "\xe2\x82\xac", 3); /* 500 characters, 1500 bytes */
    msg[1500] = '\0';
    snprintf(buf, sizeof(buf),
             "{\"name\":\"g\",\"description\":\"%s\",\"blockedInputMessaging\":\"%s\",\"blockedOutputsMessaging\":\"x\"}",
             desc, msg);
    c = load_ok(buf);
    CU_ASSERT_PTR_NOT_NULL(c);
    if (c)
        CU_ASSERT_EQUAL(strlen(c->description), 400);
    bw_gconf_free(c);
    snprintf(buf, sizeof(buf),
             "{\"name\":\"g\",\"description\":\"%s\xc3\xa9\",\"blockedInputMessaging\":\"%s\xe2\x82\xac\","
             "\"blockedOutputsMessaging\":\"x\"}",
             desc, msg);
    expect(buf, "t.json: description: too long: 201 characters (at most 200)",
           "t.json: blockedInputMessaging: too long: 501 characters (at most 500)", NULL);
}

/* ------------------------------------------------------------------------ */
/* rules not covered by the golden files */

static void test_gconf_rules(void)
{
    struct bw_gconf *c;

    /* PROMPT_ATTACK with NONE output strength is the one accepted form */
    c = load_ok(DOC(",\"contentPolicyConfig\":{\"filtersConfig\":[{\"type\":\"PROMPT_ATTACK\",\"inputStrength\":"
                    "\"HIGH\",\"outputStrength\":\"NONE\"}]}"));
    CU_ASSERT_PTR_NOT_NULL(c);
    bw_gconf_free(c);
    expect(DOC(",\"contentPolicyConfig\":{\"filtersConfig\":[{\"type\":\"PROMPT_ATTACK\",\"inputStrength\":\"HIGH\","
               "\"outputStrength\":\"LOW\"}]}"),
           "t.json: contentPolicyConfig.filtersConfig[0].outputStrength: PROMPT_ATTACK applies to input only: "
           "outputStrength must be NONE, not LOW",
           NULL);
    /* threshold bounds: 0 and 0.99 are in, 1 is out */
    expect(DOC(",\"contextualGroundingPolicyConfig\":{\"filtersConfig\":[{\"type\":\"GROUNDING\",\"threshold\":0.99},"
               "{\"type\":\"RELEVANCE\",\"threshold\":1.0}]}"),
           "t.json: contextualGroundingPolicyConfig.filtersConfig[1].threshold: 1 is out of range (0 to 0.99)", NULL);
    /* content filters: 6 types at most, once each */
    expect(DOC(",\"contentPolicyConfig\":{\"filtersConfig\":[{}]}"),
           "t.json: contentPolicyConfig.filtersConfig[0]: missing required key \"type\"",
           "t.json: contentPolicyConfig.filtersConfig[0]: missing required key \"inputStrength\"",
           "t.json: contentPolicyConfig.filtersConfig[0]: missing required key \"outputStrength\"", NULL);
    expect(DOC(",\"contentPolicyConfig\":{\"filtersConfig\":[{\"type\":\"HATE\",\"inputStrength\":\"LOW\","
               "\"outputStrength\":\"LOW\",\"outputModalities\":[]}]}"),
           "t.json: contentPolicyConfig.filtersConfig[0].outputModalities: must not be empty", NULL);
    /* identifiers: the accepted spellings */
    c = load_ok(DOC(",\"kmsKeyId\":\"alias/guardrails/prod\","
                    "\"crossRegionConfig\":{\"guardrailProfileIdentifier\":"
                    "\"arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:guardrail-profile/us-gov.guardrail.v1:0\"},"
                    "\"automatedReasoningPolicyConfig\":{\"policies\":[\"arn:aws:bedrock:us-east-1:123456789012:"
                    "automated-reasoning-policy/abcdefghijkl:12\"],\"confidenceThreshold\":1},"
                    "\"tags\":[{\"key\":\"cost center\",\"value\":\"\"},{\"key\":\"a.b_c:d/e=f+g@h-i\",\"value\":\"x\"}],"
                    "\"clientRequestToken\":\"a-1\""));
    CU_ASSERT_PTR_NOT_NULL(c);
    if (c) {
        CU_ASSERT_STRING_EQUAL(c->kms_key, "alias/guardrails/prod");
        CU_ASSERT_TRUE(c->has_automated_reasoning);
    }
    bw_gconf_free(c);
    expect(DOC(",\"kmsKeyId\":\"1234abcd-12ab-34cd-56ef-1234567890a\""),
           "t.json: kmsKeyId: \"1234abcd-12ab-34cd-56ef-1234567890a\" is not a KMS key id, alias or ARN", NULL);
    expect(DOC(",\"crossRegionConfig\":{\"guardrailProfileIdentifier\":\"eu.guardrail.v\"}"),
           "t.json: crossRegionConfig.guardrailProfileIdentifier: too short: 14 characters (at least 15)", NULL);
    expect(DOC(",\"automatedReasoningPolicyConfig\":{\"policies\":[]}"),
           "t.json: automatedReasoningPolicyConfig.policies: must not be empty", NULL);
    expect(DOC(",\"tags\":[{\"key\":\"\",\"value\":\"caf\xc3\xa9\"}]"), "t.json: tags[0].key: must not be empty",
           "t.json: tags[0].value: invalid character U+00E9 (allowed: letters, digits, white space and . _ : / = + @ -)",
           NULL);
    expect(DOC(",\"clientRequestToken\":\"a_b\""),
           "t.json: clientRequestToken: invalid character '_' (allowed: letters, digits and -)", NULL);
    /* the topic type is DENY, in either case of mind */
    expect(DOC(",\"topicPolicyConfig\":{\"topicsConfig\":[{\"name\":\"T\",\"type\":\"deny\",\"definition\":\"d\"}]}"),
           "t.json: topicPolicyConfig.topicsConfig[0].type: unknown topic type \"deny\" (did you mean DENY?)", NULL);
    /* a topic name may hold space and ! ? . - _ */
    c = load_ok(DOC(",\"topicPolicyConfig\":{\"topicsConfig\":[{\"name\":\"Is it legal? Yes-no_maybe.!\",\"type\":"
                    "\"DENY\",\"definition\":\"d\"}]}"));
    CU_ASSERT_PTR_NOT_NULL(c);
    bw_gconf_free(c);
    /* policies must be objects */
    expect(DOC(",\"topicPolicyConfig\":[]"), "t.json: topicPolicyConfig: expected an object, found an array", NULL);
    /* a regex that Hyperscan takes and one only PCRE2 takes are both fine */
    c = load_ok(DOC(",\"sensitiveInformationPolicyConfig\":{\"regexesConfig\":[{\"name\":\"a\",\"pattern\":"
                    "\"\\\\bEMP-\\\\d{6}\\\\b\",\"action\":\"BLOCK\"},{\"name\":\"b\",\"pattern\":\"(\\\\d)\\\\1{3}\","
                    "\"action\":\"BLOCK\"}]}"));
    CU_ASSERT_PTR_NOT_NULL(c);
    bw_gconf_free(c);
}

static void test_gconf_not_json_object(void)
{
    struct bw_gconf *c = NULL;

    expect("\"support-bot\"", "t.json: expected a JSON object at the top level, found a string", NULL);
    expect("{}", "t.json: missing required key \"name\"", "t.json: missing required key \"blockedInputMessaging\"",
           "t.json: missing required key \"blockedOutputsMessaging\"", NULL);
    /* a UTF-8 byte-order mark is fine */
    c = load_ok("\xef\xbb\xbf" DOC(""));
    CU_ASSERT_PTR_NOT_NULL(c);
    bw_gconf_free(c);
}

/* ------------------------------------------------------------------------ */
/* messages: labels, files, the caller's list */

static void test_gconf_label_and_errs(void)
{
    struct bw_errs e;
    struct bw_gconf *c = NULL;
    const char *bad = "{\"name\": \"g\"}";

    /* the label prefixes every message whatever errs->file says; messages append */
    bw_errs_init(&e, "other");
    bw_errs_add(&e, NULL, "earlier");
    CU_ASSERT_EQUAL(bw_gconf_load_mem("guardrails/support.json", bad, strlen(bad), &c, &e), BW_ECONFIG);
    CU_ASSERT_EQUAL_FATAL(e.n, 3);
    CU_ASSERT_STRING_EQUAL(e.msg[0], "other: earlier");
    CU_ASSERT_STRING_EQUAL(e.msg[1], "guardrails/support.json: missing required key \"blockedInputMessaging\"");
    CU_ASSERT_STRING_EQUAL(e.msg[2], "guardrails/support.json: missing required key \"blockedOutputsMessaging\"");
    CU_ASSERT_STRING_EQUAL(e.file, "other");
    bw_errs_free(&e);
    /* line:column too */
    bw_errs_init(&e, NULL);
    CU_ASSERT_EQUAL(bw_gconf_load_mem("guardrails/support.json", "{\n  x", 5, &c, &e), BW_ECONFIG);
    CU_ASSERT_EQUAL_FATAL(e.n, 1);
    CU_ASSERT_STRING_EQUAL(e.msg[0], "guardrails/support.json:2:3: expected a key in double quotes, found 'x'");
    bw_errs_free(&e);
}

static void test_gconf_file_errors(void)
{
    struct bw_errs e;
    struct bw_gconf *c = (struct bw_gconf *)1;
    char path[] = "/tmp/bw_test_gconf_XXXXXX";
    int fd;

    bw_errs_init(&e, NULL);
    CU_ASSERT_EQUAL(bw_gconf_load_file("tests/data/guardrails/no-such-file.json", &c, &e), BW_EIO);
    CU_ASSERT_PTR_NULL(c);
    CU_ASSERT_EQUAL_FATAL(e.n, 1);
    CU_ASSERT_STRING_EQUAL(e.msg[0], "tests/data/guardrails/no-such-file.json: cannot read: No such file or directory");
    bw_errs_free(&e);

    bw_errs_init(&e, NULL);
    CU_ASSERT_EQUAL(bw_gconf_load_file("tests/data/guardrails", &c, &e), BW_EIO);
    CU_ASSERT_STRING_EQUAL(e.msg[0], "tests/data/guardrails: cannot read: Is a directory");
    bw_errs_free(&e);

    /* larger than the cap: refused before reading (a sparse file costs nothing) */
    fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(ftruncate(fd, (off_t)BW_MAX_CONFIG_BYTES + 1), 0);
    close(fd);
    bw_errs_init(&e, NULL);
    CU_ASSERT_EQUAL(bw_gconf_load_file(path, &c, &e), BW_ECONFIG);
    CU_ASSERT_EQUAL_FATAL(e.n, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg[0], ": file is larger than 67108864 bytes"));
    bw_errs_free(&e);
    unlink(path);
}

/* ------------------------------------------------------------------------ */
/* golden error files */

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_gconf_golden_errors(void)
{
    const char *dir = "tests/data/bad_config";
    char *names[256], path[512], *want, *got;
    struct dirent *d;
    size_t n = 0, i, k, len;
    DIR *dp = opendir(dir);

    CU_ASSERT_PTR_NOT_NULL_FATAL(dp);
    while ((d = readdir(dp)) != NULL && n < BW_NELEMS(names)) {
        size_t l = strlen(d->d_name);
        if (l > 5 && strcmp(d->d_name + l - 5, ".json") == 0)
            names[n++] = strndup(d->d_name, l - 5);
    }
    closedir(dp);
    qsort(names, n, sizeof(names[0]), cmpstr);
    CU_ASSERT(n >= 25);
    for (i = 0; i < n; i++) {
        struct bw_errs e;
        struct bw_gconf *c = NULL;
        size_t w = 0, cap = 1;
        int rv;

        snprintf(path, sizeof(path), "%s/%s.err", dir, names[i]);
        want = bw_test_slurp(path, &len);
        if (want == NULL) {
            fprintf(stderr, "\nmissing %s\n", path);
            CU_FAIL("golden .err file missing");
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s.json", dir, names[i]);
        bw_errs_init(&e, NULL);
        rv = bw_gconf_load_file(path, &c, &e);
        CU_ASSERT_EQUAL(rv, BW_ECONFIG);
        CU_ASSERT_PTR_NULL(c);
        CU_ASSERT(e.n > 0);
        for (k = 0; k < e.n; k++)
            cap += strlen(e.msg[k]) + 1;
        got = calloc(1, cap);
        for (k = 0; k < e.n; k++) {
            size_t l = strlen(e.msg[k]);
            memcpy(got + w, e.msg[k], l);
            w += l;
            got[w++] = '\n';
        }
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "\n%s:\n--- want\n%s--- got\n%s", path, want, got);
            CU_FAIL("errors differ from the golden file");
        }
        free(got);
        free(want);
        bw_errs_free(&e);
        bw_gconf_free(c);
        free(names[i]);
    }
}

/* ------------------------------------------------------------------------ */
/* allocation failure */

static void test_gconf_alloc_failure(void)
{
#if FAILMALLOC
    static const char *const files[] = {"tests/data/guardrails/create_full.json",
                                        "tests/data/bad_config/many_errors.json"};
    size_t f;

    for (f = 0; f < BW_NELEMS(files); f++) {
        struct bw_errs e;
        struct bw_gconf *ref = NULL, *c;
        size_t len = 0;
        char *json = bw_test_slurp(files[f], &len);
        long n, before, nerr;
        int rv, rv0;

        CU_ASSERT_PTR_NOT_NULL_FATAL(json);
        bw_errs_init(&e, NULL);
        rv0 = bw_gconf_load_mem("t", json, len, &ref, &e);
        nerr = (long)e.n;
        bw_errs_free(&e);
        for (n = 0;; n++) {
            c = NULL;
            bw_errs_init(&e, NULL);
            before = fm_live;
            fm_failed = 0;
            fm_countdown = n;
            rv = bw_gconf_load_mem("t", json, len, &c, &e);
            fm_countdown = -1;
            if (rv == BW_OK) {
                /* a failure that was recovered from must not change the result */
                CU_ASSERT_EQUAL(rv0, BW_OK);
                CU_ASSERT_TRUE(ref && same_conf(c, ref));
            } else if (rv == BW_ECONFIG) {
                /* a valid file is only refused for lack of memory, never as invalid */
                CU_ASSERT_EQUAL(rv0, BW_ECONFIG);
                CU_ASSERT_PTR_NULL(c);
            } else {
                CU_ASSERT_EQUAL(rv, BW_ENOMEM);
                CU_ASSERT_PTR_NULL(c);
            }
            if (getenv("BW_FM_DEBUG") && (rv == BW_ECONFIG) != (rv0 == BW_ECONFIG))
                fprintf(stderr, "\n%s: allocation %ld: rv %d %s\n", files[f], n, rv, e.n ? e.msg[0] : "");
            bw_gconf_free(c);
            bw_errs_free(&e);
            CU_ASSERT_EQUAL(fm_live, before); /* nothing leaked on any path */
            if (fm_live != before) {
                fprintf(stderr, "\n%s: leak when allocation %ld fails\n", files[f], n);
                break;
            }
            if (fm_failed == 0) { /* every allocation has had its turn */
                CU_ASSERT_EQUAL(rv, rv0);
                break;
            }
        }
        CU_ASSERT(n > 10);
        CU_ASSERT(nerr >= 0);
        bw_gconf_free(ref);
        free(json);
    }
#endif
}

static void cleanup(void)
{
    bw_errs_free(&errs);
}

static void test_gconf_zz_cleanup(void)
{
    cleanup();
    CU_ASSERT_EQUAL(errs.n, 0);
}

static const struct bw_test tests[] = {
    {"test_gconf_create_full", test_gconf_create_full},
    {"test_gconf_get_equals_create", test_gconf_get_equals_create},
    {"test_gconf_get_shape_details", test_gconf_get_shape_details},
    {"test_gconf_minimal_and_defaults", test_gconf_minimal_and_defaults},
    {"test_gconf_disabled_and_none_preserved", test_gconf_disabled_and_none_preserved},
    {"test_gconf_extensions", test_gconf_extensions},
    {"test_gconf_raised_limits", test_gconf_raised_limits},
    {"test_gconf_lengths_count_characters", test_gconf_lengths_count_characters},
    {"test_gconf_rules", test_gconf_rules},
    {"test_gconf_not_json_object", test_gconf_not_json_object},
    {"test_gconf_label_and_errs", test_gconf_label_and_errs},
    {"test_gconf_file_errors", test_gconf_file_errors},
    {"test_gconf_golden_errors", test_gconf_golden_errors},
    {"test_gconf_alloc_failure", test_gconf_alloc_failure},
    {"test_gconf_zz_cleanup", test_gconf_zz_cleanup},
};

BW_TEST_MAIN("gconf", tests)
