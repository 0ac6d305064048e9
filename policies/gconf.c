/*
 * gconf.c: reads a guardrail file into a validated struct bw_gconf.
 *
 * Users already have their guardrails in one of two JSON shapes: the body
 * of a CreateGuardrail request (what they wrote, or Terraform/CDK rendered)
 * or a GetGuardrail response (what `aws bedrock get-guardrail` prints).
 * Both describe the same configuration under different key names, so each
 * policy reader takes the shape as a parameter and the two load to
 * identical models. A file mixing the shapes is refused: it is almost
 * always two configurations pasted together.
 *
 * Validation follows Bedrock's service model (botocore) key for key:
 * required keys, enums, lengths in characters, list sizes, patterns,
 * uniqueness; a handful of limits are raised on purpose (see MAX_* below
 * and docs/guardrail-config.md). Every problem of a file is collected,
 * not only the first, each naming its JSON path.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "filters/limits.h"
#include "filters/matcher.h"
#include "policies/gconf.h"
#include "policies/json.h"

/* Bedrock's limits, and ours where users asked for more (reference §10). */
#define MAX_TOPICS 30
#define MAX_TOPIC_DEF 1000 /* Bedrock: 200 in CLASSIC, 1,000 in STANDARD; ours: 1,000 in both */
#define MAX_EXAMPLES 5
#define MAX_PHRASES 100 /* extension */
#define MAX_WORDS 100000 /* Bedrock: 10,000 */
#define MAX_REGEXES 100  /* Bedrock: 10 */
#define MAX_TAGS 200
#define MAX_AR_POLICIES 2
#define MAX_GROUNDING_THRESHOLD 0.99

/* The arena holds the model: never more than a few times the file. */
#define ARENA_MAX (2 * (size_t)BW_MAX_CONFIG_BYTES)

enum shape { GET = 0, CREATE = 1 };

/* Key names of the two shapes (reference §1.10). */
struct shape_keys {
    const char *topic, *topics, *content, *filters, *word, *words, *managed, *sens, *pii, *regexes, *ground,
        *gfilters, *ar, *tier;
};

static const struct shape_keys shapes[2] = {
    [GET] = {"topicPolicy", "topics", "contentPolicy", "filters", "wordPolicy", "words", "managedWordLists",
             "sensitiveInformationPolicy", "piiEntities", "regexes", "contextualGroundingPolicy", "filters",
             "automatedReasoningPolicy", "tier"},
    [CREATE] = {"topicPolicyConfig", "topicsConfig", "contentPolicyConfig", "filtersConfig", "wordPolicyConfig",
                "wordsConfig", "managedWordListsConfig", "sensitiveInformationPolicyConfig", "piiEntitiesConfig",
                "regexesConfig", "contextualGroundingPolicyConfig", "filtersConfig", "automatedReasoningPolicyConfig",
                "tierConfig"},
};

static const char *const common_keys[] = {"name", "description", "blockedInputMessaging", "blockedOutputsMessaging"};
static const char *const create_keys[] = {"topicPolicyConfig",
                                          "contentPolicyConfig",
                                          "wordPolicyConfig",
                                          "sensitiveInformationPolicyConfig",
                                          "contextualGroundingPolicyConfig",
                                          "automatedReasoningPolicyConfig",
                                          "crossRegionConfig",
                                          "kmsKeyId",
                                          "tags",
                                          "clientRequestToken"};
static const char *const get_keys[] = {"topicPolicy",
                                       "contentPolicy",
                                       "wordPolicy",
                                       "sensitiveInformationPolicy",
                                       "contextualGroundingPolicy",
                                       "automatedReasoningPolicy",
                                       "crossRegionDetails",
                                       "kmsKeyArn",
                                       "guardrailId",
                                       "guardrailArn",
                                       "version",
                                       "status",
                                       "statusReasons",
                                       "failureRecommendations",
                                       "createdAt",
                                       "updatedAt"};

static const char *const act2[] = {"BLOCK", "NONE"};
static const uint8_t act2_map[] = {BW_ACT_BLOCK, BW_ACT_NONE};
static const char *const act3[] = {"BLOCK", "ANONYMIZE", "NONE"};
static const uint8_t act3_map[] = {BW_ACT_BLOCK, BW_ACT_ANONYMIZE, BW_ACT_NONE};
static const char *const tiers[] = {[BW_TIER_CLASSIC] = "CLASSIC", [BW_TIER_STANDARD] = "STANDARD"};
static const char *const topic_types[] = {"DENY"};
static const char *const modality_names[] = {"TEXT", "IMAGE"}; /* bit i of bw_content_item.modalities */
static const char *const ground_types[] = {[BW_GROUND_GROUNDING] = "GROUNDING", [BW_GROUND_RELEVANCE] = "RELEVANCE"};
/* Languages of the managed word lists we ship (LDNOOBW), extension bulwarkLanguage. */
static const char *const langs[] = {"ar", "cs", "da", "de", "en",  "eo",  "es",  "fa",  "fi", "fil",
                                    "fr", "fr-CA-u-sd-caqc", "hi", "hu", "it", "ja", "kab", "ko", "nl", "no",
                                    "pl", "pt", "ru", "sv", "th", "tlh", "tr", "zh"};

/* Botocore's patterns for the identifiers we only validate and keep. */
enum { RE_AR_ARN, RE_PROFILE, RE_PROFILE_ID, RE_PROFILE_ARN, RE_KMS_ID, RE_KMS_ARN, RE__N };

static const struct {
    const char *re;
    const char *what;
} pats[RE__N] = {
    [RE_AR_ARN] = {"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:automated-reasoning-policy/[a-z0-9]{12}"
                   "(:([1-9][0-9]{0,11}))?",
                   "an automated reasoning policy ARN"},
    [RE_PROFILE] = {"[a-z0-9-]+[.]{1}guardrail[.]{1}v[0-9:]+|arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:"
                    "guardrail-profile/[a-z0-9-]+[.]{1}guardrail[.]{1}v[0-9:]+",
                    "a guardrail profile id or ARN (e.g. us.guardrail.v1:0)"},
    [RE_PROFILE_ID] = {"[a-z0-9-]+[.]{1}guardrail[.]{1}v[0-9:]+", "a guardrail profile id (e.g. us.guardrail.v1:0)"},
    [RE_PROFILE_ARN] = {"arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail-profile/"
                        "[a-z0-9-]+[.]{1}guardrail[.]{1}v[0-9:]+",
                        "a guardrail profile ARN"},
    [RE_KMS_ID] = {"(arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:((key/[a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)))"
                   "|([a-zA-Z0-9-]{36})|(alias/[a-zA-Z0-9-_/]+)",
                   "a KMS key id, alias or ARN"},
    [RE_KMS_ARN] = {"arn:aws(-[^:]+)?:kms:[a-zA-Z0-9-]*:[0-9]{12}:key/[a-zA-Z0-9-]{36}", "a KMS key ARN"},
};

/* One load. */
struct ld {
    struct bw_jv v;
    struct bw_gconf *c;
    int nomem;
    pcre2_code *re[RE__N];
    struct bw_mbuild *mb; /* throwaway: user regexes are compiled here to be checked */
    uint32_t nre;
    /* enum spellings, from the owners' name helpers */
    const char *cats[BW_CAT__N];
    const char *confs[BW_CONF_HIGH + 1];
    const char *pii[BW_PII__N];
    const char *lists[BW_WL__N];
};

#define V (&l->v)

/* ------------------------------------------------------------------------ */
/* helpers */

static void *alloc(struct ld *l, size_t n)
{
    void *p = bw_arena_calloc(&l->c->arena, n ? n : 1);

    if (p == NULL)
        l->nomem = 1;
    return p;
}

/* Copies s into the arena; "" when out of memory (the model is then dropped). */
static const char *sdup(struct ld *l, const char *s)
{
    char *p = bw_arena_strndup(&l->c->arena, s, strlen(s));

    if (p == NULL) {
        l->nomem = 1;
        return "";
    }
    return p;
}

static size_t count(const cJSON *arr)
{
    const cJSON *c;
    size_t n = 0;

    for (c = arr ? arr->child : NULL; c; c = c->next)
        n++;
    return n;
}

/* Describes the character at s for a message: 'x' or U+00E9. */
static const char *char_name(const char *s, char *buf, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned cp = u[0];

    if (cp >= 0x20 && cp < 0x7f) {
        snprintf(buf, n, "'%c'", cp);
        return buf;
    }
    if (cp >= 0xf0)
        cp = ((cp & 7u) << 18) | ((u[1] & 63u) << 12) | ((u[2] & 63u) << 6) | (u[3] & 63u);
    else if (cp >= 0xe0)
        cp = ((cp & 15u) << 12) | ((u[1] & 63u) << 6) | (u[2] & 63u);
    else if (cp >= 0xc0)
        cp = ((cp & 31u) << 6) | (u[1] & 63u);
    snprintf(buf, n, "U+%04X", cp);
    return buf;
}

/* Checks that every character of s is in the ASCII set; reports the first that is not. */
static int charset(struct ld *l, const char *s, const char *set, int space, const char *allowed)
{
    char b[16];

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            continue;
        if (c < 0x80 && c != 0 && strchr(set, c) != NULL)
            continue;
        /* Java's \s: the tag pattern allows any ASCII white space */
        if (space && (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'))
            continue;
        bw_jv_err(V, "invalid character %s (allowed: %s)", char_name(s, b, sizeof(b)), allowed);
        return -1;
    }
    return 0;
}

/* A string key with a character set; returns the string or NULL. */
static const char *cs_string(struct ld *l, const cJSON *o, const char *key, int req, size_t min, size_t max,
                             const char *set, int space, const char *allowed)
{
    const char *s = NULL;
    size_t m;
    int bad;

    if (bw_jv_string(V, o, key, req, min, max, &s) != 1)
        return NULL;
    m = bw_jv_key(V, key);
    bad = charset(l, s, set, space, allowed);
    bw_jv_pop(V, m);
    return bad ? NULL : s;
}

static int re_match(struct ld *l, int which, const char *s)
{
    pcre2_match_data *md;
    int ec, rc;
    PCRE2_SIZE eoff;

    if (l->re[which] == NULL) {
        l->re[which] = pcre2_compile((PCRE2_SPTR)pats[which].re, PCRE2_ZERO_TERMINATED,
                                     PCRE2_ANCHORED | PCRE2_ENDANCHORED, &ec, &eoff, NULL);
        if (l->re[which] == NULL) { /* our own pattern: only memory can fail it */
            l->nomem = 1;
            return 1;
        }
    }
    if ((md = pcre2_match_data_create_from_pattern(l->re[which], NULL)) == NULL) {
        l->nomem = 1;
        return 1;
    }
    rc = pcre2_match(l->re[which], (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    if (rc >= 0 || rc == PCRE2_ERROR_NOMATCH)
        return rc >= 0;
    l->nomem = 1; /* PCRE2 allocates its backtracking frames: nothing else can fail here */
    return 1;
}

/* A string key that must match one of the identifier patterns. */
static const char *pat_string(struct ld *l, const cJSON *o, const char *key, int req, size_t min, size_t max,
                              int which)
{
    const char *s = NULL;
    char q[400];
    size_t m;

    if (bw_jv_string(V, o, key, req, min, max, &s) != 1)
        return NULL;
    if (re_match(l, which, s))
        return s;
    m = bw_jv_key(V, key);
    bw_jv_err(V, "%s is not %s", bw_jv_quote(q, sizeof(q), s), pats[which].what);
    bw_jv_pop(V, m);
    return NULL;
}

/* Enters key of o when it is an object; returns it, or NULL (absent or reported). */
static const cJSON *enter(struct ld *l, const cJSON *o, const char *key, int req, size_t *mark)
{
    const cJSON *j = NULL;

    if (bw_jv_object(V, o, key, req, &j) != 1)
        return NULL;
    *mark = bw_jv_key(V, key);
    return j;
}

/* An array key; returns it (even with a bad item count, so items get checked) or NULL. */
static const cJSON *list(struct ld *l, const cJSON *o, const char *key, int req, size_t min, size_t max, size_t *n,
                         int *ok)
{
    const cJSON *a = NULL;

    *ok = bw_jv_array(V, o, key, req, min, max, &a) == 1;
    *n = count(a);
    return a;
}

/*
 * inputAction/outputAction/inputEnabled/outputEnabled. def is the action of
 * both directions when not given: BLOCK, or the item's `action` for PII
 * entities and regexes. Both directions are enabled unless said otherwise
 * (Bedrock's own default has surprised IaC users, reference §1.5).
 */
static void actions(struct ld *l, const cJSON *o, int three, int def, struct bw_actcfg *ac)
{
    const char *const *names = three ? act3 : act2;
    const uint8_t *map = three ? act3_map : act2_map;
    size_t n = three ? 3 : 2;
    int k, b;

    ac->action[BW_DIR_INPUT] = ac->action[BW_DIR_OUTPUT] = (uint8_t)def;
    ac->enabled[BW_DIR_INPUT] = ac->enabled[BW_DIR_OUTPUT] = 1;
    if (bw_jv_enum(V, o, "inputAction", 0, "action", names, n, &k) == 1)
        ac->action[BW_DIR_INPUT] = map[k];
    if (bw_jv_enum(V, o, "outputAction", 0, "action", names, n, &k) == 1)
        ac->action[BW_DIR_OUTPUT] = map[k];
    if (bw_jv_bool(V, o, "inputEnabled", 0, &b) == 1)
        ac->enabled[BW_DIR_INPUT] = (uint8_t)b;
    if (bw_jv_bool(V, o, "outputEnabled", 0, &b) == 1)
        ac->enabled[BW_DIR_OUTPUT] = (uint8_t)b;
}

/* An array of strings into the arena (topic examples, phrases). */
static const char *const *strings(struct ld *l, const cJSON *o, const char *key, size_t min, size_t max,
                                  size_t maxlen, size_t *nout)
{
    const cJSON *a, *it;
    const char **out = NULL;
    size_t n, i, m, mi;
    int ok;

    *nout = 0;
    if ((a = list(l, o, key, 0, min, max, &n, &ok)) == NULL)
        return NULL;
    if (ok && n)
        out = alloc(l, n * sizeof(*out));
    m = bw_jv_key(V, key);
    for (it = a->child, i = 0; it; it = it->next, i++) {
        const char *s = NULL;
        mi = bw_jv_index(V, i);
        if (bw_jv_string_val(V, it, 1, maxlen, &s) == 1 && out)
            out[i] = sdup(l, s);
        bw_jv_pop(V, mi);
    }
    bw_jv_pop(V, m);
    if (out)
        *nout = n;
    return out;
}

/* "tierConfig": {"tierName": ...} or "tier": {"tierName": ...} */
static void tier(struct ld *l, const cJSON *pol, enum shape sh, int *out)
{
    static const char *const keys[] = {"tierName"};
    const cJSON *t;
    size_t m;
    int k;

    *out = BW_TIER_CLASSIC;
    if ((t = enter(l, pol, shapes[sh].tier, 0, &m)) == NULL)
        return;
    bw_jv_keys(V, t, keys, BW_NELEMS(keys));
    if (bw_jv_enum(V, t, "tierName", 1, "tier", tiers, BW_NELEMS(tiers), &k) == 1)
        *out = k;
    bw_jv_pop(V, m);
}

/* ------------------------------------------------------------------------ */
/* denied topics */

static void topic_item(struct ld *l, const cJSON *o, struct bw_topic_item *t)
{
    static const char *const keys[] = {"name",        "definition",   "examples",      "type",          "inputAction",
                                       "outputAction", "inputEnabled", "outputEnabled", "bulwarkPhrases"};
    const char *s;
    int k;

    bw_jv_keys(V, o, keys, BW_NELEMS(keys));
    if ((s = cs_string(l, o, "name", 1, 1, 100, "-_ !?.", 0, "letters, digits, space and - _ ! ? .")) != NULL)
        t->name = sdup(l, s);
    if (bw_jv_string(V, o, "definition", 1, 1, MAX_TOPIC_DEF, &s) == 1)
        t->definition = sdup(l, s);
    t->examples = strings(l, o, "examples", 0, MAX_EXAMPLES, 100, &t->nexamples);
    bw_jv_enum(V, o, "type", 1, "topic type", topic_types, 1, &k);
    actions(l, o, 0, BW_ACT_BLOCK, &t->ac);
    t->phrases = strings(l, o, "bulwarkPhrases", 1, MAX_PHRASES, 100, &t->nphrases);
}

static void topic_policy(struct ld *l, const cJSON *pol, enum shape sh)
{
    const struct shape_keys *k = &shapes[sh];
    const char *keys[] = {k->topics, k->tier};
    struct bw_topic_item *items = NULL, scratch;
    const cJSON *a, *it;
    size_t n, i, j, m, mi;
    int ok;

    bw_jv_keys(V, pol, keys, BW_NELEMS(keys));
    tier(l, pol, sh, &l->c->topics.tier);
    if ((a = list(l, pol, k->topics, 1, 1, MAX_TOPICS, &n, &ok)) == NULL)
        return;
    if (ok)
        items = alloc(l, n * sizeof(*items));
    m = bw_jv_key(V, k->topics);
    for (it = a->child, i = 0; it; it = it->next, i++) {
        struct bw_topic_item *t = items ? &items[i] : &scratch;
        mi = bw_jv_index(V, i);
        memset(t, 0, sizeof(*t));
        if (bw_jv_is_object(V, it)) {
            topic_item(l, it, t);
            /* assessments name topics: two of one name could not be told apart */
            for (j = 0; items && t->name && j < i; j++) {
                if (items[j].name && strcmp(items[j].name, t->name) == 0) {
                    size_t mk = bw_jv_key(V, "name");
                    bw_jv_err(V, "duplicate topic name \"%s\" (first at %s[%zu])", t->name, k->topics, j);
                    bw_jv_pop(V, mk);
                    break;
                }
            }
        }
        bw_jv_pop(V, mi);
    }
    bw_jv_pop(V, m);
    if (items) {
        l->c->topics.items = items;
        l->c->topics.n = n;
        l->c->has_topics = 1;
    }
}

/* ------------------------------------------------------------------------ */
/* content filters */

static uint8_t modalities(struct ld *l, const cJSON *o, const char *key)
{
    const cJSON *a, *it;
    uint8_t bits = 0;
    size_t n, i, m, mi;
    int ok, k;

    if ((a = list(l, o, key, 0, 1, 2, &n, &ok)) == NULL)
        return 1; /* TEXT */
    m = bw_jv_key(V, key);
    for (it = a->child, i = 0; it; it = it->next, i++) {
        mi = bw_jv_index(V, i);
        if (bw_jv_enum_val(V, it, "modality", modality_names, BW_NELEMS(modality_names), &k) == 1) {
            if (bits & (1u << k))
                bw_jv_err(V, "duplicate modality %s", modality_names[k]);
            bits |= (uint8_t)(1u << k);
        }
        bw_jv_pop(V, mi);
    }
    bw_jv_pop(V, m);
    return bits ? bits : 1;
}

static void content_item(struct ld *l, const cJSON *o, struct bw_content_item *f)
{
    static const char *const keys[] = {"type",        "inputStrength", "outputStrength", "inputModalities",
                                       "outputModalities", "inputAction", "outputAction", "inputEnabled",
                                       "outputEnabled"};
    int k;

    bw_jv_keys(V, o, keys, BW_NELEMS(keys));
    f->type = -1;
    if (bw_jv_enum(V, o, "type", 1, "content filter type", l->cats, BW_CAT__N, &k) == 1)
        f->type = k;
    if (bw_jv_enum(V, o, "inputStrength", 1, "strength", l->confs, BW_NELEMS(l->confs), &k) == 1)
        f->strength[BW_DIR_INPUT] = (uint8_t)k;
    if (bw_jv_enum(V, o, "outputStrength", 1, "strength", l->confs, BW_NELEMS(l->confs), &k) == 1) {
        f->strength[BW_DIR_OUTPUT] = (uint8_t)k;
        /* prompt attacks are a property of prompts: Bedrock refuses an output strength */
        if (f->type == BW_CAT_PROMPT_ATTACK && k != BW_CONF_NONE) {
            size_t m = bw_jv_key(V, "outputStrength");
            bw_jv_err(V, "PROMPT_ATTACK applies to input only: outputStrength must be NONE, not %s", l->confs[k]);
            bw_jv_pop(V, m);
        }
    }
    f->modalities[BW_DIR_INPUT] = modalities(l, o, "inputModalities");
    f->modalities[BW_DIR_OUTPUT] = modalities(l, o, "outputModalities");
    actions(l, o, 0, BW_ACT_BLOCK, &f->ac);
}

static void content_policy(struct ld *l, const cJSON *pol, enum shape sh)
{
    const struct shape_keys *k = &shapes[sh];
    const char *keys[] = {k->filters, k->tier};
    struct bw_content_conf *cc = &l->c->content;
    int first[BW_CAT__N];
    const cJSON *a, *it;
    size_t n, i, m, mi;
    int ok;

    bw_jv_keys(V, pol, keys, BW_NELEMS(keys));
    tier(l, pol, sh, &cc->tier);
    if ((a = list(l, pol, k->filters, 1, 1, BW_CAT__N, &n, &ok)) == NULL)
        return;
    for (i = 0; i < BW_CAT__N; i++)
        first[i] = -1;
    cc->n = 0;
    m = bw_jv_key(V, k->filters);
    for (it = a->child, i = 0; it; it = it->next, i++) {
        struct bw_content_item f;
        mi = bw_jv_index(V, i);
        memset(&f, 0, sizeof(f));
        if (bw_jv_is_object(V, it)) {
            content_item(l, it, &f);
            if (f.type >= 0 && first[f.type] >= 0) {
                size_t mk = bw_jv_key(V, "type");
                bw_jv_err(V, "duplicate content filter type %s (first at %s[%d])", l->cats[f.type], k->filters,
                          first[f.type]);
                bw_jv_pop(V, mk);
            } else if (f.type >= 0) {
                first[f.type] = (int)i;
            }
            if (cc->n < BW_CAT__N)
                cc->items[cc->n++] = f;
        }
        bw_jv_pop(V, mi);
    }
    bw_jv_pop(V, m);
    l->c->has_content = ok;
}

/* ------------------------------------------------------------------------ */
/* word filters */

static void word_policy(struct ld *l, const cJSON *pol, enum shape sh)
{
    static const char *const wkeys[] = {"text", "inputAction", "outputAction", "inputEnabled", "outputEnabled"};
    static const char *const mkeys[] = {"type",          "inputAction",    "outputAction",
                                        "inputEnabled",  "outputEnabled", "bulwarkLanguage"};
    const struct shape_keys *k = &shapes[sh];
    const char *keys[] = {k->words, k->managed};
    struct bw_words_conf *wc = &l->c->words;
    struct bw_word_item *words = NULL, wscratch;
    struct bw_managed_item *man = NULL, mscratch;
    const cJSON *a, *it;
    size_t n, i, j, m, mi;
    int ok, t, lang_rv, slot;
    long first[BW_WL__N][BW_NELEMS(langs) + 1];

    bw_jv_keys(V, pol, keys, BW_NELEMS(keys));
    /* GetGuardrail may render an unused list as []; CreateGuardrail may not */
    if ((a = list(l, pol, k->words, 0, sh == CREATE ? 1 : 0, MAX_WORDS, &n, &ok)) != NULL) {
        if (ok && n)
            words = alloc(l, n * sizeof(*words));
        m = bw_jv_key(V, k->words);
        for (it = a->child, i = 0; it; it = it->next, i++) {
            struct bw_word_item *w = words ? &words[i] : &wscratch;
            const char *s;
            mi = bw_jv_index(V, i);
            memset(w, 0, sizeof(*w));
            if (bw_jv_is_object(V, it)) {
                bw_jv_keys(V, it, wkeys, BW_NELEMS(wkeys));
                if (bw_jv_string(V, it, "text", 1, 1, 100, &s) == 1)
                    w->text = sdup(l, s);
                actions(l, it, 0, BW_ACT_BLOCK, &w->ac);
            }
            bw_jv_pop(V, mi);
        }
        bw_jv_pop(V, m);
        if (words) {
            wc->words = words;
            wc->nwords = n;
        }
    }
    for (i = 0; i < BW_WL__N; i++)
        for (j = 0; j <= BW_NELEMS(langs); j++)
            first[i][j] = -1;
    /* Bedrock sets no maximum; one list per type and language is all there can be */
    if ((a = list(l, pol, k->managed, 0, 0, BW_WL__N * (BW_NELEMS(langs) + 1), &n, &ok)) != NULL) {
        if (ok && n)
            man = alloc(l, n * sizeof(*man));
        m = bw_jv_key(V, k->managed);
        for (it = a->child, i = 0; it; it = it->next, i++) {
            struct bw_managed_item *w = man ? &man[i] : &mscratch;
            mi = bw_jv_index(V, i);
            memset(w, 0, sizeof(*w));
            w->type = -1;
            if (bw_jv_is_object(V, it)) {
                bw_jv_keys(V, it, mkeys, BW_NELEMS(mkeys));
                if (bw_jv_enum(V, it, "type", 1, "managed word list", l->lists, BW_WL__N, &t) == 1)
                    w->type = t;
                /* slot 0: the default list (NULL); an invalid language is not compared */
                lang_rv = bw_jv_enum(V, it, "bulwarkLanguage", 0, "language", langs, BW_NELEMS(langs), &t);
                slot = lang_rv == 1 ? t + 1 : 0;
                if (lang_rv == 1)
                    w->lang = sdup(l, langs[t]);
                actions(l, it, 0, BW_ACT_BLOCK, &w->ac);
                if (w->type >= 0 && lang_rv >= 0) {
                    long *f = &first[w->type][slot];
                    if (*f >= 0)
                        bw_jv_err(V, "duplicate managed word list %s%s%s (first at %s[%ld])", l->lists[w->type],
                                  w->lang ? " " : "", w->lang ? w->lang : "", k->managed, *f);
                    else
                        *f = (long)i;
                }
            }
            bw_jv_pop(V, mi);
        }
        bw_jv_pop(V, m);
        if (man) {
            wc->managed = man;
            wc->nmanaged = n;
        }
    }
    l->c->has_words = wc->nwords + wc->nmanaged > 0;
}

/* ------------------------------------------------------------------------ */
/* sensitive information: PII entities and regexes */

/* The legacy `action` (required) is the default of both directions. */
static int legacy_action(struct ld *l, const cJSON *o)
{
    int k;

    if (bw_jv_enum(V, o, "action", 1, "action", act3, BW_NELEMS(act3), &k) == 1)
        return act3_map[k];
    return BW_ACT_BLOCK;
}

/*
 * The matcher passes PCRE2's compile errors on as pattern errors, and one
 * of them is PCRE2 running out of memory: that is no fault of the pattern.
 */
static int is_oom(const struct bw_pat_err *perr)
{
    PCRE2_UCHAR msg[sizeof(perr->msg)];

    if (pcre2_get_error_message(PCRE2_ERROR_HEAP_FAILED, msg, sizeof(msg)) < 0)
        return 0;
    return strcmp((const char *)msg, perr->msg) == 0;
}

static void check_pattern(struct ld *l, const cJSON *o, const char *pattern)
{
    struct bw_pat_err perr;
    size_t m;
    int rv;

    if (l->mb == NULL && bw_mbuild_new(&l->mb) != 0) {
        l->nomem = 1;
        return;
    }
    memset(&perr, 0, sizeof(perr));
    rv = bw_mbuild_add(l->mb, 0, l->nre++, pattern, strlen(pattern), BW_PAT_USER, &perr);
    if (rv >= 0)
        return;
    if (rv != BW_ECOMPILE || is_oom(&perr)) {
        l->nomem = 1;
        return;
    }
    BW_UNUSED(o);
    m = bw_jv_key(V, "pattern");
    if (perr.offset >= 0)
        bw_jv_err(V, "%s at offset %d", perr.msg, perr.offset);
    else
        bw_jv_err(V, "%s", perr.msg);
    bw_jv_pop(V, m);
}

static void sensitive_policy(struct ld *l, const cJSON *pol, enum shape sh)
{
    static const char *const pkeys[] = {"type",         "action",        "inputAction",
                                        "outputAction", "inputEnabled", "outputEnabled"};
    static const char *const rkeys[] = {"name",         "description",  "pattern",      "action",
                                        "inputAction",  "outputAction", "inputEnabled", "outputEnabled"};
    const struct shape_keys *k = &shapes[sh];
    const char *keys[] = {k->pii, k->regexes};
    struct bw_pii_item *pii = NULL, pscratch;
    struct bw_regex_item *rx = NULL, rscratch;
    int first[BW_PII__N];
    const cJSON *a, *it;
    size_t n, i, m, mi;
    int ok, t;

    bw_jv_keys(V, pol, keys, BW_NELEMS(keys));
    for (i = 0; i < BW_PII__N; i++)
        first[i] = -1;
    if ((a = list(l, pol, k->pii, 0, sh == CREATE ? 1 : 0, (size_t)-1, &n, &ok)) != NULL) {
        if (ok && n)
            pii = alloc(l, n * sizeof(*pii));
        m = bw_jv_key(V, k->pii);
        for (it = a->child, i = 0; it; it = it->next, i++) {
            struct bw_pii_item *p = pii ? &pii[i] : &pscratch;
            mi = bw_jv_index(V, i);
            memset(p, 0, sizeof(*p));
            p->type = -1;
            if (bw_jv_is_object(V, it)) {
                bw_jv_keys(V, it, pkeys, BW_NELEMS(pkeys));
                if (bw_jv_enum(V, it, "type", 1, "entity", l->pii, BW_PII__N, &t) == 1) {
                    p->type = t;
                    if (first[t] >= 0) {
                        size_t mk = bw_jv_key(V, "type");
                        bw_jv_err(V, "duplicate entity %s (first at %s[%d])", l->pii[t], k->pii, first[t]);
                        bw_jv_pop(V, mk);
                    } else {
                        first[t] = (int)i;
                    }
                }
                actions(l, it, 1, legacy_action(l, it), &p->ac);
            }
            bw_jv_pop(V, mi);
        }
        bw_jv_pop(V, m);
        if (pii) {
            l->c->pii.items = pii;
            l->c->pii.n = n;
            l->c->has_pii = 1;
        }
    }
    if ((a = list(l, pol, k->regexes, 0, sh == CREATE ? 1 : 0, MAX_REGEXES, &n, &ok)) != NULL) {
        if (ok && n)
            rx = alloc(l, n * sizeof(*rx));
        m = bw_jv_key(V, k->regexes);
        for (it = a->child, i = 0; it; it = it->next, i++) {
            struct bw_regex_item *r = rx ? &rx[i] : &rscratch;
            const char *s;
            mi = bw_jv_index(V, i);
            memset(r, 0, sizeof(*r));
            if (bw_jv_is_object(V, it)) {
                bw_jv_keys(V, it, rkeys, BW_NELEMS(rkeys));
                if (bw_jv_string(V, it, "name", 1, 1, 100, &s) == 1)
                    r->name = sdup(l, s);
                if (bw_jv_string(V, it, "description", 0, 1, 1000, &s) == 1)
                    r->description = sdup(l, s);
                if (bw_jv_string(V, it, "pattern", 1, 1, 500, &s) == 1) {
                    r->pattern = sdup(l, s);
                    check_pattern(l, it, s);
                }
                actions(l, it, 1, legacy_action(l, it), &r->ac);
            }
            bw_jv_pop(V, mi);
        }
        bw_jv_pop(V, m);
        if (rx) {
            l->c->regex.items = rx;
            l->c->regex.n = n;
            l->c->has_regex = 1;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* contextual grounding */

static void grounding_policy(struct ld *l, const cJSON *pol, enum shape sh)
{
    static const char *const fkeys[] = {"type", "threshold", "action", "enabled"};
    const struct shape_keys *k = &shapes[sh];
    const char *keys[] = {k->gfilters};
    struct bw_grounding_conf *gc = &l->c->grounding;
    int first[BW_GROUND__N] = {-1, -1};
    const cJSON *a, *it;
    size_t n, i, m, mi;
    int ok, t, b;

    bw_jv_keys(V, pol, keys, BW_NELEMS(keys));
    /* Bedrock sets no maximum, but one filter per type leaves at most two */
    if ((a = list(l, pol, k->gfilters, 1, 1, (size_t)-1, &n, &ok)) == NULL)
        return;
    gc->n = 0;
    m = bw_jv_key(V, k->gfilters);
    for (it = a->child, i = 0; it; it = it->next, i++) {
        struct bw_grounding_item g;
        double th;
        mi = bw_jv_index(V, i);
        memset(&g, 0, sizeof(g));
        g.type = -1;
        g.action = BW_ACT_BLOCK;
        g.enabled = 1;
        if (bw_jv_is_object(V, it)) {
            bw_jv_keys(V, it, fkeys, BW_NELEMS(fkeys));
            if (bw_jv_enum(V, it, "type", 1, "grounding filter type", ground_types, BW_GROUND__N, &t) == 1) {
                g.type = t;
                if (first[t] >= 0) {
                    size_t mk = bw_jv_key(V, "type");
                    bw_jv_err(V, "duplicate grounding filter type %s (first at %s[%d])", ground_types[t],
                              k->gfilters, first[t]);
                    bw_jv_pop(V, mk);
                } else {
                    first[t] = (int)i;
                }
            }
            /* 1 would flag every answer: Bedrock documents 0 to 0.99 */
            if (bw_jv_number(V, it, "threshold", 1, 0, MAX_GROUNDING_THRESHOLD, &th) == 1)
                g.threshold = th;
            if (bw_jv_enum(V, it, "action", 0, "action", act2, BW_NELEMS(act2), &t) == 1)
                g.action = act2_map[t];
            if (bw_jv_bool(V, it, "enabled", 0, &b) == 1)
                g.enabled = (uint8_t)b;
            if (gc->n < BW_GROUND__N)
                gc->items[gc->n++] = g;
        }
        bw_jv_pop(V, mi);
    }
    bw_jv_pop(V, m);
    l->c->has_grounding = ok;
}

/* ------------------------------------------------------------------------ */
/* accepted, validated, not acted on */

static void ar_policy(struct ld *l, const cJSON *pol)
{
    static const char *const keys[] = {"policies", "confidenceThreshold"};
    const cJSON *a, *it;
    size_t n, i, m, mi;
    double th;
    int ok;

    bw_jv_keys(V, pol, keys, BW_NELEMS(keys));
    if ((a = list(l, pol, "policies", 1, 1, MAX_AR_POLICIES, &n, &ok)) != NULL) {
        m = bw_jv_key(V, "policies");
        for (it = a->child, i = 0; it; it = it->next, i++) {
            const char *s;
            char q[400];
            mi = bw_jv_index(V, i);
            if (bw_jv_string_val(V, it, 1, 2048, &s) == 1 && !re_match(l, RE_AR_ARN, s))
                bw_jv_err(V, "%s is not %s", bw_jv_quote(q, sizeof(q), s), pats[RE_AR_ARN].what);
            bw_jv_pop(V, mi);
        }
        bw_jv_pop(V, m);
    }
    bw_jv_number(V, pol, "confidenceThreshold", 0, 0, 1, &th);
    l->c->has_automated_reasoning = 1;
}

static void tags(struct ld *l, const cJSON *root)
{
    static const char *const keys[] = {"key", "value"};
    static const char *const allowed = "letters, digits, white space and . _ : / = + @ -";
    const cJSON *a, *it;
    size_t n, i, m, mi;
    int ok;

    if ((a = list(l, root, "tags", 0, 0, MAX_TAGS, &n, &ok)) == NULL)
        return;
    m = bw_jv_key(V, "tags");
    for (it = a->child, i = 0; it; it = it->next, i++) {
        mi = bw_jv_index(V, i);
        if (bw_jv_is_object(V, it)) {
            bw_jv_keys(V, it, keys, BW_NELEMS(keys));
            cs_string(l, it, "key", 1, 1, 128, "._:/=+@-", 1, allowed);
            cs_string(l, it, "value", 1, 0, 256, "._:/=+@-", 1, allowed);
        }
        bw_jv_pop(V, mi);
    }
    bw_jv_pop(V, m);
}

/* clientRequestToken: [a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])? */
static void request_token(struct ld *l, const cJSON *root)
{
    const char *s;
    size_t n, m;

    if ((s = cs_string(l, root, "clientRequestToken", 0, 1, 256, "-", 0, "letters, digits and -")) == NULL)
        return;
    n = strlen(s);
    if (s[0] == '-' || s[n - 1] == '-') {
        m = bw_jv_key(V, "clientRequestToken");
        bw_jv_err(V, "must start and end with a letter or a digit");
        bw_jv_pop(V, m);
    }
}

/* GetGuardrail's read-only fields: checked for shape only. */
static void read_only(struct ld *l, const cJSON *root)
{
    static const char *const strs[] = {"guardrailId", "guardrailArn", "version", "status"};
    static const char *const lists[] = {"statusReasons", "failureRecommendations"};
    static const char *const times[] = {"createdAt", "updatedAt"};
    const char *s;
    size_t i, k, n, m, mi;
    const cJSON *a, *it;
    int ok;

    for (i = 0; i < BW_NELEMS(strs); i++)
        bw_jv_string(V, root, strs[i], 0, 0, 2048, &s);
    for (i = 0; i < BW_NELEMS(lists); i++) {
        if ((a = list(l, root, lists[i], 0, 0, 100, &n, &ok)) == NULL)
            continue;
        m = bw_jv_key(V, lists[i]);
        for (it = a->child, k = 0; it; it = it->next, k++) {
            mi = bw_jv_index(V, k);
            bw_jv_string_val(V, it, 0, 200, &s);
            bw_jv_pop(V, mi);
        }
        bw_jv_pop(V, m);
    }
    /* the API renders ISO 8601 strings, SDK dumps may hold epoch numbers */
    for (i = 0; i < BW_NELEMS(times); i++) {
        const cJSON *t = bw_json_member(root, times[i]);
        if (t && !cJSON_IsString(t) && !cJSON_IsNumber(t)) {
            m = bw_jv_key(V, times[i]);
            bw_jv_err(V, "expected a timestamp (a string or a number), found %s", bw_json_type_name(t));
            bw_jv_pop(V, m);
        }
    }
}

static void cross_region(struct ld *l, const cJSON *root)
{
    static const char *const ckeys[] = {"guardrailProfileIdentifier"};
    static const char *const gkeys[] = {"guardrailProfileId", "guardrailProfileArn"};
    const cJSON *o;
    const char *s, *arn;
    size_t m;

    if ((o = enter(l, root, "crossRegionConfig", 0, &m)) != NULL) {
        bw_jv_keys(V, o, ckeys, BW_NELEMS(ckeys));
        if ((s = pat_string(l, o, "guardrailProfileIdentifier", 1, 15, 2048, RE_PROFILE)) != NULL)
            l->c->cross_region_profile = sdup(l, s);
        bw_jv_pop(V, m);
    }
    if ((o = enter(l, root, "crossRegionDetails", 0, &m)) != NULL) {
        bw_jv_keys(V, o, gkeys, BW_NELEMS(gkeys));
        s = pat_string(l, o, "guardrailProfileId", 0, 1, 2048, RE_PROFILE_ID);
        arn = pat_string(l, o, "guardrailProfileArn", 0, 1, 2048, RE_PROFILE_ARN);
        if (s || arn)
            l->c->cross_region_profile = sdup(l, s ? s : arn);
        bw_jv_pop(V, m);
    }
}

/* ------------------------------------------------------------------------ */
/* the document */

static int in(const char *k, const char *const *set, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(k, set[i]) == 0)
            return 1;
    return 0;
}

static void document(struct ld *l, const cJSON *root)
{
    const char *allowed[BW_NELEMS(common_keys) + BW_NELEMS(create_keys) + BW_NELEMS(get_keys)];
    const char *first_create = NULL, *first_get = NULL, *s;
    const cJSON *c, *o;
    size_t n = 0, i, m;
    int sh;

    if (!cJSON_IsObject(root)) {
        bw_jv_err(V, "expected a JSON object at the top level, found %s", bw_json_type_name(root));
        return;
    }
    for (i = 0; i < BW_NELEMS(common_keys); i++)
        allowed[n++] = common_keys[i];
    for (i = 0; i < BW_NELEMS(create_keys); i++)
        allowed[n++] = create_keys[i];
    for (i = 0; i < BW_NELEMS(get_keys); i++)
        allowed[n++] = get_keys[i];
    bw_jv_keys(V, root, allowed, n);
    for (c = root->child; c; c = c->next) {
        if (!first_create && in(c->string, create_keys, BW_NELEMS(create_keys)))
            first_create = c->string;
        if (!first_get && in(c->string, get_keys, BW_NELEMS(get_keys)))
            first_get = c->string;
    }
    if (first_create && first_get)
        bw_jv_err(V,
                  "mixes CreateGuardrail keys (%s) with GetGuardrail keys (%s): use one shape, "
                  "a CreateGuardrail request body or a GetGuardrail response",
                  first_create, first_get);

    if ((s = cs_string(l, root, "name", 1, 1, 50, "-_", 0, "letters, digits, - and _")) != NULL)
        l->c->name = sdup(l, s);
    if (bw_jv_string(V, root, "description", 0, 1, 200, &s) == 1)
        l->c->description = sdup(l, s);
    if (bw_jv_string(V, root, "blockedInputMessaging", 1, 1, 500, &s) == 1)
        l->c->blocked_input = sdup(l, s);
    if (bw_jv_string(V, root, "blockedOutputsMessaging", 1, 1, 500, &s) == 1)
        l->c->blocked_output = sdup(l, s);

    /* each policy in whichever shape it is written: a mixed file is already an error */
    for (sh = CREATE; sh >= GET; sh--) {
        const struct shape_keys *k = &shapes[sh];
        if ((o = enter(l, root, k->topic, 0, &m)) != NULL) {
            topic_policy(l, o, (enum shape)sh);
            bw_jv_pop(V, m);
        }
        if ((o = enter(l, root, k->content, 0, &m)) != NULL) {
            content_policy(l, o, (enum shape)sh);
            bw_jv_pop(V, m);
        }
        if ((o = enter(l, root, k->word, 0, &m)) != NULL) {
            word_policy(l, o, (enum shape)sh);
            bw_jv_pop(V, m);
        }
        if ((o = enter(l, root, k->sens, 0, &m)) != NULL) {
            sensitive_policy(l, o, (enum shape)sh);
            bw_jv_pop(V, m);
        }
        if ((o = enter(l, root, k->ground, 0, &m)) != NULL) {
            grounding_policy(l, o, (enum shape)sh);
            bw_jv_pop(V, m);
        }
        if ((o = enter(l, root, k->ar, 0, &m)) != NULL) {
            ar_policy(l, o);
            bw_jv_pop(V, m);
        }
    }
    cross_region(l, root);
    if ((s = pat_string(l, root, "kmsKeyId", 0, 1, 2048, RE_KMS_ID)) != NULL)
        l->c->kms_key = sdup(l, s);
    if ((s = pat_string(l, root, "kmsKeyArn", 0, 1, 2048, RE_KMS_ARN)) != NULL)
        l->c->kms_key = sdup(l, s);
    tags(l, root);
    request_token(l, root);
    read_only(l, root);
}

/* ------------------------------------------------------------------------ */
/* entry points */

void bw_gconf_free(struct bw_gconf *c)
{
    if (c == NULL)
        return;
    bw_arena_free(&c->arena);
    free(c);
}

static void ld_init(struct ld *l, struct bw_gconf *c, struct bw_errs *errs)
{
    int i;

    memset(l, 0, sizeof(*l));
    l->c = c;
    bw_jv_init(&l->v, errs);
    for (i = 0; i < BW_CAT__N; i++)
        l->cats[i] = bw_cat_name(i);
    for (i = 0; i <= BW_CONF_HIGH; i++)
        l->confs[i] = bw_conf_name(i);
    for (i = 0; i < BW_PII__N; i++)
        l->pii[i] = bw_pii_name(i);
    for (i = 0; i < BW_WL__N; i++)
        l->lists[i] = bw_wordlist_name(i);
}

static void ld_free(struct ld *l)
{
    int i;

    for (i = 0; i < RE__N; i++)
        pcre2_code_free(l->re[i]);
    bw_mbuild_free(l->mb);
}

/* Validates root into a new configuration; every problem goes to errs. */
static int build(const char *label, const cJSON *root, struct bw_gconf **out, struct bw_errs *errs)
{
    struct bw_gconf *c;
    struct ld l;
    int rv;

    if ((c = calloc(1, sizeof(*c))) == NULL)
        return BW_ENOMEM;
    bw_arena_init(&c->arena, ARENA_MAX);
    c->content.tier = c->topics.tier = BW_TIER_CLASSIC;
    ld_init(&l, c, errs);
    c->file = label ? sdup(&l, label) : NULL;
    if (!l.nomem)
        document(&l, root);
    ld_free(&l);
    rv = l.nomem ? BW_ENOMEM : l.v.nerr ? BW_ECONFIG : BW_OK;
    if (rv != BW_OK) {
        bw_gconf_free(c);
        return rv;
    }
    *out = c;
    return BW_OK;
}

int bw_gconf_load_mem(const char *label, const char *json, size_t len, struct bw_gconf **out, struct bw_errs *errs)
{
    struct bw_errs le;
    cJSON *root = NULL;
    int rv;

    *out = NULL;
    /* our own list: messages name label whatever errs->file says */
    bw_errs_init(&le, label);
    rv = bw_json_parse(json, len, &root, &le);
    if (rv == BW_ELIMIT)
        rv = BW_ECONFIG;
    if (root != NULL) { /* also with duplicate keys: report the rest too */
        int brv = build(label, root, out, &le);
        cJSON_Delete(root);
        if (rv == BW_OK || brv == BW_ENOMEM)
            rv = brv;
        if (rv != BW_OK && *out) {
            bw_gconf_free(*out);
            *out = NULL;
        }
    }
    bw_errs_move(errs, &le);
    return rv;
}

int bw_conf_read_file(const char *path, char **buf, size_t *len, struct bw_errs *errs)
{
    struct bw_errs le;
    int rv;

    rv = bw_json_read_file(path, BW_MAX_CONFIG_BYTES, buf, len);
    if (rv == BW_OK)
        return BW_OK;
    bw_errs_init(&le, path);
    if (rv == BW_EIO)
        bw_errs_add(&le, NULL, "cannot read: %s", strerror(errno));
    else if (rv == BW_ELIMIT)
        bw_errs_add(&le, NULL, "file is larger than %u bytes", BW_MAX_CONFIG_BYTES);
    else
        bw_errs_add(&le, NULL, "cannot read: %s", bw_strerror(rv));
    bw_errs_move(errs, &le);
    return rv == BW_ELIMIT ? BW_ECONFIG : rv;
}

int bw_gconf_load_file(const char *path, struct bw_gconf **out, struct bw_errs *errs)
{
    char *buf;
    size_t len;
    int rv;

    *out = NULL;
    if ((rv = bw_conf_read_file(path, &buf, &len, errs)) != BW_OK)
        return rv;
    rv = bw_gconf_load_mem(path, buf, len, out, errs);
    free(buf);
    return rv;
}
