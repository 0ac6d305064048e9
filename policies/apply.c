/*
 * apply.c: ApplyGuardrail. Runs the direction's engine over the content,
 * resolves overlapping findings, decides the action, masks, counts usage,
 * and renders Bedrock's response JSON.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/limits.h"
#include "filters/text.h"
#include "policies/apply.h"
#include "policies/json.h"

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

const char *bw_guardrail_blocked_message(const struct bw_guardrail *g, int dir)
{
    return dir == BW_DIR_OUTPUT ? g->conf->blocked_output : g->conf->blocked_input;
}

const char *bw_apply_reason(const struct bw_apply_res *res)
{
    if (res->blocked)
        return "Guardrail blocked.";
    if (res->masked)
        return "Guardrail masked.";
    return NULL;
}

/* Marks span findings whose match repeats an earlier one of the same item (reported once). */
static int mark_dups(struct bw_worker *w, const struct bw_apply_req *rq)
{
    size_t cap = 64, i;
    uint32_t *tab;

    while (cap < w->nf * 2)
        cap *= 2;
    if ((tab = bw_arena_alloc(&w->arena, cap * sizeof(*tab))) == NULL)
        return BW_ENOMEM;
    memset(tab, 0xff, cap * sizeof(*tab));
    for (i = 0; i < w->nf; i++) {
        struct bw_finding *f = &w->f[i];
        const char *m = rq->blocks[f->block].text + f->start;
        size_t n = f->end - f->start, k;
        uint64_t h = 2166136261u, x;

        f->dup = 0;
        if (n == 0)
            continue;
        /*
         * Eight bytes a step, the last eight overlapping (below eight, 4 + 4
         * or the first, middle and last byte): the hash only picks the slot,
         * the compare decides.
         */
        for (k = 0; k + 8 <= n; k += 8) {
            memcpy(&x, m + k, 8);
            h = (h ^ x) * 0x9e3779b97f4a7c15ull;
            h ^= h >> 32;
        }
        if (k < n) {
            if (n >= 8) {
                memcpy(&x, m + n - 8, 8);
            } else if (n >= 4) {
                uint32_t a, b;
                memcpy(&a, m, 4);
                memcpy(&b, m + n - 4, 4);
                x = (uint64_t)a << 32 | b;
            } else {
                x = (uint64_t)(unsigned char)m[0] << 16 | (uint64_t)(unsigned char)m[n / 2] << 8 | (unsigned char)m[n - 1];
            }
            h = (h ^ x ^ n) * 0x9e3779b97f4a7c15ull;
            h ^= h >> 32;
        }
        h ^= ((uint64_t)f->policy << 24) ^ ((uint64_t)f->type << 8) ^ f->sub ^ ((uint64_t)f->item * 2654435761u);
        for (k = h & (cap - 1);; k = (k + 1) & (cap - 1)) {
            const struct bw_finding *o;
            if (tab[k] == UINT32_MAX) {
                tab[k] = (uint32_t)i;
                break;
            }
            o = &w->f[tab[k]];
            if (o->policy == f->policy && o->type == f->type && o->item == f->item && o->sub == f->sub &&
                o->detected == f->detected && o->end - o->start == n &&
                memcmp(rq->blocks[o->block].text + o->start, m, n) == 0) {
                f->dup = 1;
                break;
            }
        }
    }
    return BW_OK;
}

/* ---- masking ------------------------------------------------------------ */

static int mask_block(const struct bw_guardrail *g, struct bw_worker *w, const struct bw_block *b, uint32_t bi,
                      struct bw_iov *out)
{
    size_t i, need = b->len + 1, pos = 0, k = 0;
    char *p;

    for (i = 0; i < w->nf; i++) {
        const struct bw_finding *f = &w->f[i];
        if (f->block == bi && f->detected && f->action == BW_ACT_ANONYMIZE)
            need += strlen(bw_mask_name(g->conf, f)) + 2;
    }
    if ((p = bw_arena_alloc(&w->arena, need)) == NULL)
        return BW_ENOMEM;
    /* findings are sorted by position and the masked ones do not overlap */
    for (i = 0; i < w->nf; i++) {
        const struct bw_finding *f = &w->f[i];
        const char *name;
        size_t nl;
        if (f->block != bi || !f->detected || f->action != BW_ACT_ANONYMIZE || f->start < pos)
            continue;
        memcpy(p + k, b->text + pos, f->start - pos);
        k += f->start - pos;
        name = bw_mask_name(g->conf, f);
        nl = strlen(name);
        p[k++] = '{';
        memcpy(p + k, name, nl);
        k += nl;
        p[k++] = '}';
        pos = f->end;
    }
    memcpy(p + k, b->text + pos, b->len - pos);
    k += b->len - pos;
    p[k] = '\0';
    out->base = p;
    out->len = k;
    return BW_OK;
}

/* ---- apply -------------------------------------------------------------- */

int bw_apply(const struct bw_guardrail *g, struct bw_worker *w, const struct bw_apply_req *rq,
             struct bw_apply_res *res, char *errmsg, size_t errlen)
{
    uint64_t t0 = now_ns();
    size_t i, bad_block = 0, bad_off = 0;
    unsigned chars_src = 0;
    int rv, p;

    memset(res, 0, sizeof(*res));
    if (errmsg && errlen)
        errmsg[0] = '\0';
    if (rq->dir != BW_DIR_INPUT && rq->dir != BW_DIR_OUTPUT)
        return res->error = BW_EINVAL;
    if (rq->nblocks == 0 && rq->nimages == 0) {
        if (errmsg)
            snprintf(errmsg, errlen, "At least one GuardrailContentBlock must be provided");
        return res->error = BW_EINVAL;
    }
    rv = bw_engine_eval(g->eng[rq->dir], w, rq->blocks, rq->nblocks, &bad_block, &bad_off);
    if (rv != 0) {
        if (errmsg) {
            if (rv == BW_EUTF8)
                snprintf(errmsg, errlen, "content[%zu].text.text: invalid UTF-8 at byte %zu", bad_block, bad_off);
            else
                snprintf(errmsg, errlen, "guardrail evaluation failed: %s", bw_strerror(rv));
        }
        return res->error = rv;
    }
    if ((rv = bw_findings_resolve(w)) != 0 || (rv = mark_dups(w, rq)) != 0)
        return res->error = rv;
    for (i = 0; i < w->nf; i++) {
        const struct bw_finding *f = &w->f[i];
        if (!f->detected)
            continue;
        if (f->action == BW_ACT_BLOCK)
            res->blocked = 1;
        else if (f->action == BW_ACT_ANONYMIZE)
            res->masked = 1;
    }
    if (res->blocked)
        res->masked = 0;
    res->intervened = res->blocked || res->masked;
    res->f = w->f;
    res->nf = w->nf;

    if ((res->out = bw_arena_alloc(&w->arena, (rq->nblocks + 1) * sizeof(*res->out))) == NULL)
        return res->error = BW_ENOMEM;
    res->nout = rq->nblocks;
    for (i = 0; i < rq->nblocks; i++) {
        const struct bw_block *b = &rq->blocks[i];
        /* the engine's view tells an ASCII block: its length is its count */
        unsigned c = (unsigned)(bw_text_ascii(&w->texts[i]) ? b->len : bw_utf8_count(b->text, b->len));
        int guarded = bw_block_guarded(rq->blocks, rq->nblocks, i);

        res->chars_total += c;
        if (guarded)
            res->chars_guarded += c;
        else
            chars_src += c;
        res->out[i] = (struct bw_iov){b->text, b->len};
        if (res->masked && guarded && (rv = mask_block(g, w, b, (uint32_t)i, &res->out[i])) != 0)
            return res->error = rv;
    }
    for (p = 0; p < BW_POL__N; p++) {
        unsigned chars = res->chars_guarded + (p == BW_POL_GROUNDING ? chars_src : 0);
        if (bw_guardrail_has_policy(g, rq->dir, p))
            res->units[p] = (chars + 999) / 1000;
    }
    res->latency_ns = now_ns() - t0;
    return BW_OK;
}

/* ---- request parsing ---------------------------------------------------- */

static int perr(char *err, size_t errlen, const char *fmt, const char *a)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a);
    return BW_EINVAL;
}

static int parse_text(const cJSON *t, size_t idx, struct bw_arena *a, struct bw_block *b, char *err, size_t errlen)
{
    const cJSON *it, *txt = NULL, *q = NULL;
    char path[64];

    snprintf(path, sizeof(path), "content[%zu].text", idx);
    if (!cJSON_IsObject(t))
        return perr(err, errlen, "%s: must be an object", path);
    cJSON_ArrayForEach(it, t)
    {
        if (strcmp(it->string, "text") == 0 && !txt)
            txt = it;
        else if (strcmp(it->string, "qualifiers") == 0 && !q)
            q = it;
        else {
            snprintf(path, sizeof(path), "content[%zu].text.%.24s", idx, it->string);
            return perr(err, errlen, "%s: unknown or duplicate field", path);
        }
    }
    if (!cJSON_IsString(txt))
        return perr(err, errlen, "%s.text: required string is missing", path);
    b->len = strlen(txt->valuestring);
    if (b->len > BW_MAX_TEXT_BYTES)
        return perr(err, errlen, "%s.text: text is longer than the limit", path);
    if ((b->text = bw_arena_strndup(a, txt->valuestring, b->len)) == NULL)
        return BW_ENOMEM;
    b->quals = 0;
    if (q) {
        const cJSON *e;
        if (!cJSON_IsArray(q))
            return perr(err, errlen, "%s.qualifiers: must be an array", path);
        cJSON_ArrayForEach(e, q)
        {
            if (!cJSON_IsString(e))
                return perr(err, errlen, "%s.qualifiers: items must be strings", path);
            if (strcmp(e->valuestring, "grounding_source") == 0)
                b->quals |= BW_QUAL_GROUNDING;
            else if (strcmp(e->valuestring, "query") == 0)
                b->quals |= BW_QUAL_QUERY;
            else if (strcmp(e->valuestring, "guard_content") == 0)
                b->quals |= BW_QUAL_GUARD;
            else
                return perr(err, errlen,
                            "Value at 'content.member.text.qualifiers' failed to satisfy constraint: Member must "
                            "satisfy enum value set: [grounding_source, query, guard_content] (%s)",
                            path);
        }
    }
    return BW_OK;
}

int bw_apply_parse(const char *json, size_t len, struct bw_arena *a, struct bw_apply_req *rq, char *err,
                   size_t errlen)
{
    cJSON *root;
    int rv;

    memset(rq, 0, sizeof(*rq));
    if (bw_json_has_nul_escape(json, len))
        return perr(err, errlen, "%s", "text contains U+0000 (\\u0000), which bulwark does not accept");
    if ((root = cJSON_ParseWithLength(json, len)) == NULL)
        return perr(err, errlen, "%s", "request body is not valid JSON");
    rv = bw_apply_from_json(root, a, rq, err, errlen);
    cJSON_Delete(root);
    return rv;
}

int bw_apply_from_json(const cJSON *root, struct bw_arena *a, struct bw_apply_req *rq, char *err, size_t errlen)
{
    cJSON *it, *src = NULL, *content = NULL, *scope = NULL;
    struct bw_block *blocks;
    size_t n;
    int rv = BW_EINVAL;

    memset(rq, 0, sizeof(*rq));
    if (!cJSON_IsObject(root)) {
        perr(err, errlen, "%s", "request body must be a JSON object");
        goto out;
    }
    cJSON_ArrayForEach(it, root)
    {
        cJSON **slot = strcmp(it->string, "source") == 0        ? &src
                       : strcmp(it->string, "content") == 0     ? &content
                       : strcmp(it->string, "outputScope") == 0 ? &scope
                                                                : NULL;
        if (slot == NULL) {
            perr(err, errlen, "Unknown field '%.64s'", it->string);
            goto out;
        }
        if (*slot) {
            perr(err, errlen, "Duplicate field '%.64s'", it->string);
            goto out;
        }
        *slot = it;
    }
    if (!cJSON_IsString(src) || (strcmp(src->valuestring, "INPUT") != 0 && strcmp(src->valuestring, "OUTPUT") != 0)) {
        perr(err, errlen, "%s",
             "1 validation error detected: Value at 'source' failed to satisfy constraint: Member must satisfy enum "
             "value set: [INPUT, OUTPUT]");
        goto out;
    }
    rq->dir = strcmp(src->valuestring, "INPUT") == 0 ? BW_DIR_INPUT : BW_DIR_OUTPUT;
    if (scope) {
        if (!cJSON_IsString(scope) ||
            (strcmp(scope->valuestring, "INTERVENTIONS") != 0 && strcmp(scope->valuestring, "FULL") != 0)) {
            perr(err, errlen, "%s",
                 "1 validation error detected: Value at 'outputScope' failed to satisfy constraint: Member must "
                 "satisfy enum value set: [INTERVENTIONS, FULL]");
            goto out;
        }
        rq->scope = strcmp(scope->valuestring, "FULL") == 0 ? BW_SCOPE_FULL : BW_SCOPE_INTERVENTIONS;
    }
    if (!cJSON_IsArray(content)) {
        perr(err, errlen, "%s", "1 validation error detected: Value null at 'content' failed to satisfy constraint: "
                                "Member must not be null");
        goto out;
    }
    n = (size_t)cJSON_GetArraySize(content);
    if (n == 0) {
        perr(err, errlen, "%s", "At least one GuardrailContentBlock must be provided");
        goto out;
    }
    if (n > BW_MAX_BLOCKS) {
        perr(err, errlen, "%s", "too many content blocks");
        goto out;
    }
    if ((blocks = bw_arena_calloc(a, n * sizeof(*blocks))) == NULL) {
        rv = BW_ENOMEM;
        goto out;
    }
    cJSON_ArrayForEach(it, content)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "text");
        const cJSON *img = cJSON_GetObjectItemCaseSensitive(it, "image");
        char path[48];

        snprintf(path, sizeof(path), "content[%zu]", rq->nblocks + rq->nimages);
        if (!cJSON_IsObject(it) || cJSON_GetArraySize(it) != 1 || (!t && !img)) {
            perr(err, errlen, "%s: a GuardrailContentBlock must have exactly one of text, image", path);
            goto out;
        }
        if (img) {
            const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(img, "format");
            const cJSON *s = cJSON_GetObjectItemCaseSensitive(img, "source");
            if (!cJSON_IsString(fmt) || (strcmp(fmt->valuestring, "png") && strcmp(fmt->valuestring, "jpeg")) ||
                !cJSON_IsObject(s) || !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(s, "bytes"))) {
                perr(err, errlen, "%s.image: needs format png|jpeg and source.bytes (base64)", path);
                goto out;
            }
            rq->nimages++;
            continue;
        }
        if ((rv = parse_text(t, rq->nblocks + rq->nimages, a, &blocks[rq->nblocks], err, errlen)) != 0)
            goto out;
        rq->nblocks++;
    }
    rq->blocks = blocks;
    rv = BW_OK;
out:
    return rv;
}

/* ---- rendering ---------------------------------------------------------- */

static const char *action_name(const struct bw_finding *f)
{
    if (!f->detected)
        return "NONE";
    return f->action == BW_ACT_BLOCK ? "BLOCKED" : f->action == BW_ACT_ANONYMIZE ? "ANONYMIZED" : "NONE";
}

static void put_str(struct bw_buf *b, const char *s, size_t n)
{
    bw_buf_addc(b, '"');
    bw_buf_json_str(b, s, n);
    bw_buf_addc(b, '"');
}

static void put_usage(struct bw_buf *b, const struct bw_apply_res *r)
{
    bw_buf_printf(b,
                  "{\"topicPolicyUnits\":%u,\"contentPolicyUnits\":%u,\"wordPolicyUnits\":%u,"
                  "\"sensitiveInformationPolicyUnits\":%u,\"sensitiveInformationPolicyFreeUnits\":%u,"
                  "\"contextualGroundingPolicyUnits\":%u,\"contentPolicyImageUnits\":0}",
                  r->units[BW_POL_TOPIC], r->units[BW_POL_CONTENT], r->units[BW_POL_WORD], r->units[BW_POL_PII],
                  r->units[BW_POL_REGEX], r->units[BW_POL_GROUNDING]);
}

static void put_coverage(struct bw_buf *b, const struct bw_apply_req *rq, const struct bw_apply_res *r)
{
    bw_buf_printf(b, "{\"textCharacters\":{\"guarded\":%u,\"total\":%u}", r->chars_guarded, r->chars_total);
    if (rq->nimages)
        bw_buf_printf(b, ",\"images\":{\"guarded\":0,\"total\":%u}", rq->nimages);
    bw_buf_addc(b, '}');
}

static int reportable(const struct bw_apply_req *rq, const struct bw_finding *f)
{
    if (f->detected)
        return 1;
    /* FULL adds what was evaluated but not detected; never for words or regexes */
    return rq->scope == BW_SCOPE_FULL && f->policy != BW_POL_WORD && f->policy != BW_POL_REGEX;
}

/* Writes the entries of policy pol (and word sub-list sub, -1 for all); returns how many. */
static size_t put_entries(struct bw_buf *b, const struct bw_guardrail *g, const struct bw_apply_req *rq,
                          const struct bw_apply_res *r, int pol, int sub)
{
    size_t i, n = 0;

    for (i = 0; i < r->nf; i++) {
        const struct bw_finding *f = &r->f[i];
        const char *m;
        size_t ml;

        if (f->policy != pol || (sub >= 0 && f->sub != sub) || !reportable(rq, f))
            continue;
        if (f->dup)
            continue;
        m = rq->blocks[f->block].text + f->start;
        ml = f->end - f->start;
        if (n++)
            bw_buf_addc(b, ',');
        switch (pol) {
        case BW_POL_TOPIC:
            bw_buf_adds(b, "{\"name\":");
            bw_buf_addc(b, '"');
            bw_buf_json_str(b, g->conf->topics.items[f->item].name, strlen(g->conf->topics.items[f->item].name));
            bw_buf_printf(b, "\",\"type\":\"DENY\",\"action\":\"%s\",\"detected\":%s}",
                          f->detected && f->action == BW_ACT_BLOCK ? "BLOCKED" : "NONE",
                          f->detected ? "true" : "false");
            break;
        case BW_POL_CONTENT:
            bw_buf_printf(b,
                          "{\"type\":\"%s\",\"confidence\":\"%s\",\"filterStrength\":\"%s\",\"action\":\"%s\","
                          "\"detected\":%s}",
                          bw_cat_name(f->type), bw_conf_name(f->confidence), bw_conf_name(f->strength),
                          action_name(f), f->detected ? "true" : "false");
            break;
        case BW_POL_WORD:
            bw_buf_adds(b, "{\"match\":");
            put_str(b, m, ml);
            if (f->sub == BW_WORD_MANAGED)
                bw_buf_printf(b, ",\"type\":\"%s\"", bw_wordlist_name(f->type));
            bw_buf_printf(b, ",\"action\":\"%s\",\"detected\":%s}", action_name(f), f->detected ? "true" : "false");
            break;
        case BW_POL_PII:
            bw_buf_adds(b, "{\"match\":");
            put_str(b, m, ml);
            bw_buf_printf(b, ",\"type\":\"%s\",\"action\":\"%s\",\"detected\":%s}", bw_pii_name(f->type),
                          action_name(f), f->detected ? "true" : "false");
            break;
        case BW_POL_REGEX: {
            const struct bw_regex_item *rx = &g->conf->regex.items[f->item];
            bw_buf_adds(b, "{\"name\":");
            put_str(b, rx->name, strlen(rx->name));
            bw_buf_adds(b, ",\"match\":");
            put_str(b, m, ml);
            bw_buf_adds(b, ",\"regex\":");
            put_str(b, rx->pattern, strlen(rx->pattern));
            bw_buf_printf(b, ",\"action\":\"%s\",\"detected\":%s}", action_name(f), f->detected ? "true" : "false");
            break;
        }
        case BW_POL_GROUNDING:
            bw_buf_printf(b, "{\"type\":\"%s\",\"threshold\":%.4g,\"score\":%.4g,\"action\":\"%s\",\"detected\":%s}",
                          f->type == 0 ? "GROUNDING" : "RELEVANCE", (double)f->threshold, (double)f->score,
                          f->detected && f->action == BW_ACT_BLOCK ? "BLOCKED" : "NONE",
                          f->detected ? "true" : "false");
            break;
        }
    }
    return n;
}

static int has_entries(const struct bw_apply_req *rq, const struct bw_apply_res *r, int pol1, int pol2)
{
    size_t i;

    for (i = 0; i < r->nf; i++)
        if ((r->f[i].policy == pol1 || r->f[i].policy == pol2) && reportable(rq, &r->f[i]))
            return 1;
    return 0;
}

int bw_apply_render_assessment(const struct bw_guardrail *g, const struct bw_apply_req *rq,
                               const struct bw_apply_res *r, struct bw_buf *b)
{
    size_t start = b->len;

    bw_buf_addc(b, '{');
    if (has_entries(rq, r, BW_POL_TOPIC, BW_POL_TOPIC)) {
        bw_buf_adds(b, "\"topicPolicy\":{\"topics\":[");
        put_entries(b, g, rq, r, BW_POL_TOPIC, -1);
        bw_buf_adds(b, "]},");
    }
    if (has_entries(rq, r, BW_POL_CONTENT, BW_POL_CONTENT)) {
        bw_buf_adds(b, "\"contentPolicy\":{\"filters\":[");
        put_entries(b, g, rq, r, BW_POL_CONTENT, -1);
        bw_buf_adds(b, "]},");
    }
    if (has_entries(rq, r, BW_POL_WORD, BW_POL_WORD)) {
        bw_buf_adds(b, "\"wordPolicy\":{\"customWords\":[");
        put_entries(b, g, rq, r, BW_POL_WORD, BW_WORD_CUSTOM);
        bw_buf_adds(b, "],\"managedWordLists\":[");
        put_entries(b, g, rq, r, BW_POL_WORD, BW_WORD_MANAGED);
        bw_buf_adds(b, "]},");
    }
    if (has_entries(rq, r, BW_POL_PII, BW_POL_REGEX)) {
        bw_buf_adds(b, "\"sensitiveInformationPolicy\":{\"piiEntities\":[");
        put_entries(b, g, rq, r, BW_POL_PII, -1);
        bw_buf_adds(b, "],\"regexes\":[");
        put_entries(b, g, rq, r, BW_POL_REGEX, -1);
        bw_buf_adds(b, "]},");
    }
    if (has_entries(rq, r, BW_POL_GROUNDING, BW_POL_GROUNDING)) {
        bw_buf_adds(b, "\"contextualGroundingPolicy\":{\"filters\":[");
        put_entries(b, g, rq, r, BW_POL_GROUNDING, -1);
        bw_buf_adds(b, "]},");
    }
    bw_buf_printf(b, "\"invocationMetrics\":{\"guardrailProcessingLatency\":%llu,\"usage\":",
                  (unsigned long long)(r->latency_ns / 1000000u));
    put_usage(b, r);
    bw_buf_adds(b, ",\"guardrailCoverage\":");
    put_coverage(b, rq, r);
    bw_buf_adds(b, "},\"appliedGuardrailDetails\":{\"guardrailId\":");
    put_str(b, g->id, strlen(g->id));
    bw_buf_adds(b, ",\"guardrailVersion\":");
    put_str(b, g->version, strlen(g->version));
    bw_buf_adds(b, ",\"guardrailArn\":");
    put_str(b, g->arn, strlen(g->arn));
    bw_buf_adds(b, ",\"guardrailOrigin\":[\"REQUEST\"],\"guardrailOwnership\":\"SELF\"}}");
    (void)start;
    return b->len > b->max ? BW_ELIMIT : BW_OK;
}

int bw_apply_render(const struct bw_guardrail *g, const struct bw_apply_req *rq, const struct bw_apply_res *r,
                    struct bw_buf *b)
{
    const char *reason = bw_apply_reason(r);
    size_t i;
    int rv;

    bw_buf_adds(b, "{\"usage\":");
    put_usage(b, r);
    bw_buf_printf(b, ",\"action\":\"%s\"", r->intervened ? "GUARDRAIL_INTERVENED" : "NONE");
    if (reason)
        bw_buf_printf(b, ",\"actionReason\":\"%s\"", reason);
    bw_buf_adds(b, ",\"outputs\":[");
    if (r->blocked) {
        const char *m = bw_guardrail_blocked_message(g, rq->dir);
        bw_buf_adds(b, "{\"text\":");
        put_str(b, m, strlen(m));
        bw_buf_addc(b, '}');
    } else if (r->masked) {
        for (i = 0; i < r->nout; i++) {
            if (i)
                bw_buf_addc(b, ',');
            bw_buf_adds(b, "{\"text\":");
            put_str(b, r->out[i].base, r->out[i].len);
            bw_buf_addc(b, '}');
        }
    }
    bw_buf_adds(b, "],\"assessments\":[");
    if ((rv = bw_apply_render_assessment(g, rq, r, b)) != 0)
        return rv;
    bw_buf_adds(b, "],\"guardrailCoverage\":");
    put_coverage(b, rq, r);
    return bw_buf_addc(b, '}');
}
