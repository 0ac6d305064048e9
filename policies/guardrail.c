/*
 * guardrail.c: a guardrail configuration compiled into one scanning engine
 * per direction. Every policy module of a direction adds its patterns to
 * that direction's one matcher; the output matcher also gets a streaming
 * database so the streaming guard scans answers as they arrive.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/errs.h"
#include "policies/guardrail.h"

#define MOD_SPAN 1 /* pattern policies: words, PII, regexes */
#define MOD_CLS 2  /* classifiers: content filters, topics, grounding */

/* The modules of kinds `which`, in the order Bedrock renders their policies. */
static int add_modules(struct bw_engine *e, const struct bw_gconf *c, int which, struct bw_errs *errs)
{
    int rv = BW_OK;

    if ((which & MOD_SPAN) && c->has_words && (rv = bw_engine_add(e, &bw_words_module, &c->words, errs)) != 0)
        return rv;
    if ((which & MOD_SPAN) && c->has_pii && (rv = bw_engine_add(e, &bw_pii_module, &c->pii, errs)) != 0)
        return rv;
    if ((which & MOD_SPAN) && c->has_regex && (rv = bw_engine_add(e, &bw_regex_module, &c->regex, errs)) != 0)
        return rv;
    return rv;
}

/* Builds an engine of the given module kinds; *out NULL when it would be empty. */
static int build(const struct bw_gconf *c, int dir, int which, struct bw_engine **out, struct bw_errs *errs)
{
    int rv;

    *out = NULL;
    if ((rv = bw_engine_new(dir, out)) != 0)
        return rv;
    if ((rv = add_modules(*out, c, which, errs)) == 0)
        rv = bw_engine_compile(*out, BW_MATCHER_BLOCK, errs);
    if (rv != 0 || (which != (MOD_SPAN | MOD_CLS) && bw_engine_nmodules(*out) == 0)) {
        bw_engine_free(*out);
        *out = NULL;
    }
    return rv;
}

/* Guardrail ids are [a-z0-9]+ (Bedrock); derive one from a file name. */
static char *id_from_path(const char *path)
{
    const char *b = strrchr(path, '/');
    char *id, *w;

    b = b ? b + 1 : path;
    if ((id = malloc(strlen(b) + 2)) == NULL)
        return NULL;
    for (w = id; *b && *b != '.'; b++) {
        char c = *b;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
            *w++ = c;
    }
    if (w == id)
        *w++ = 'g';
    *w = '\0';
    return id;
}

int bw_guardrail_compile(struct bw_gconf *conf, const char *id, const char *version, struct bw_guardrail **out,
                         struct bw_errs *errs)
{
    struct bw_guardrail *g;
    size_t n;
    int d, rv = BW_ENOMEM;

    *out = NULL;
    if ((g = calloc(1, sizeof(*g))) == NULL) {
        bw_gconf_free(conf);
        return BW_ENOMEM;
    }
    g->refs = 1;
    g->conf = conf;
    g->id = strdup(id ? id : "guardrail");
    g->version = strdup(version ? version : "DRAFT");
    if (!g->id || !g->version)
        goto fail;
    n = strlen(g->id) + 64;
    if ((g->arn = malloc(n)) == NULL)
        goto fail;
    snprintf(g->arn, n, "arn:aws:bedrock:local:000000000000:guardrail/%s", g->id);
    for (d = 0; d < 2; d++)
        if ((rv = build(conf, d, MOD_SPAN | MOD_CLS, &g->eng[d], errs)) != 0)
            goto fail;

    *out = g;
    return BW_OK;
fail:
    if (rv == BW_ECOMPILE)
        rv = BW_ECONFIG;
    bw_guardrail_unref(g);
    return rv;
}

static pthread_mutex_t stream_lock = PTHREAD_MUTEX_INITIALIZER;

int bw_guardrail_streaming(struct bw_guardrail *g, struct bw_errs *errs)
{
    struct bw_engine *span = NULL, *cls = NULL;
    int rv = BW_OK;

    if (__atomic_load_n(&g->streaming, __ATOMIC_ACQUIRE))
        return BW_OK;
    pthread_mutex_lock(&stream_lock);
    if (!g->streaming) {
        if ((rv = build(g->conf, BW_DIR_OUTPUT, MOD_SPAN, &span, errs)) == 0 &&
            (rv = build(g->conf, BW_DIR_OUTPUT, MOD_CLS, &cls, errs)) == 0) {
            g->sspan = span;
            g->scls = cls;
            __atomic_store_n(&g->streaming, 1, __ATOMIC_RELEASE);
        } else {
            bw_engine_free(span);
            bw_engine_free(cls);
        }
    }
    pthread_mutex_unlock(&stream_lock);
    return rv;
}

int bw_guardrail_load(const char *path, const char *id, const char *version, struct bw_guardrail **out,
                      struct bw_errs *errs)
{
    struct bw_gconf *c;
    char *gid = NULL;
    int rv;

    *out = NULL;
    if ((rv = bw_gconf_load_file(path, &c, errs)) != 0)
        return rv;
    if (id == NULL && (id = gid = id_from_path(path)) == NULL) {
        bw_gconf_free(c);
        return BW_ENOMEM;
    }
    rv = bw_guardrail_compile(c, id, version, out, errs);
    free(gid);
    return rv;
}

void bw_guardrail_ref(struct bw_guardrail *g)
{
    __atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
}

void bw_guardrail_unref(struct bw_guardrail *g)
{
    if (g == NULL || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    bw_engine_free(g->eng[0]);
    bw_engine_free(g->eng[1]);
    bw_engine_free(g->sspan);
    bw_engine_free(g->scls);
    bw_gconf_free(g->conf);
    free(g->id);
    free(g->version);
    free(g->arn);
    free(g);
}

static int any_enabled_ac(const struct bw_actcfg *ac, size_t stride, size_t n, int dir)
{
    size_t i;

    for (i = 0; i < n; i++) {
        const struct bw_actcfg *a = (const struct bw_actcfg *)((const char *)ac + i * stride);
        if (a->enabled[dir])
            return 1;
    }
    return 0;
}

int bw_guardrail_has_policy(const struct bw_guardrail *g, int dir, int policy)
{
    const struct bw_gconf *c = g->conf;
    size_t i;

    switch (policy) {
    case BW_POL_TOPIC:
        return c->has_topics && c->topics.n && any_enabled_ac(&c->topics.items[0].ac, sizeof(c->topics.items[0]), c->topics.n, dir);
    case BW_POL_CONTENT:
        for (i = 0; c->has_content && i < c->content.n; i++)
            if (c->content.items[i].ac.enabled[dir])
                return 1;
        return 0;
    case BW_POL_WORD:
        return c->has_words &&
               ((c->words.nwords && any_enabled_ac(&c->words.words[0].ac, sizeof(c->words.words[0]), c->words.nwords, dir)) ||
                (c->words.nmanaged &&
                 any_enabled_ac(&c->words.managed[0].ac, sizeof(c->words.managed[0]), c->words.nmanaged, dir)));
    case BW_POL_PII:
        return c->has_pii && c->pii.n && any_enabled_ac(&c->pii.items[0].ac, sizeof(c->pii.items[0]), c->pii.n, dir);
    case BW_POL_REGEX:
        return c->has_regex && c->regex.n &&
               any_enabled_ac(&c->regex.items[0].ac, sizeof(c->regex.items[0]), c->regex.n, dir);
    case BW_POL_GROUNDING:
        if (dir != BW_DIR_OUTPUT || !c->has_grounding)
            return 0;
        for (i = 0; i < c->grounding.n; i++)
            if (c->grounding.items[i].enabled)
                return 1;
        return 0;
    }
    return 0;
}
