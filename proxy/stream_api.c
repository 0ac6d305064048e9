/*
 * stream_api.c: every API's streamed answer to and from the neutral event
 * sequence (see stream_api.h).
 *
 * Decoding: the wire codec (sse.c, evstream.c) gives events; each is
 * parsed as JSON and split into its texts (TEXT, TOOL_ARGS) and what is
 * left (PASS, STOP, DONE, ERROR). When an event holds both, the texts are
 * copied out, blanked in the event, and the rest is re-printed: role
 * before the texts, stop after them. Logprobs in a remainder become null:
 * they would spell the text the guard may have changed.
 *
 * Encoding: TEXT and TOOL_ARGS become fresh events of the API from the
 * stream context (ids, model, created) the decoder learnt; everything else
 * goes out as it came, except that the Responses API's sequence numbers
 * are renumbered and its summary events get the text actually sent, and
 * that Bedrock's last events are held back one step so the trace can be
 * put into the last one.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy/adapt_int.h"
#include "proxy/stream_api.h"

/* ------------------------------------------------------------------ */
/* helpers                                                             */

struct bw_sev *bw_sev_dup(const struct bw_sev *ev)
{
    size_t n = sizeof(*ev) + ev->text.len + ev->name.len + ev->data.len + 3;
    struct bw_sev *c = malloc(n);
    char *p;

    if (c == NULL)
        return NULL;
    *c = *ev;
    p = (char *)(c + 1);
    memcpy(p, ev->text.base ? ev->text.base : "", ev->text.len);
    p[ev->text.len] = 0;
    c->text.base = p;
    p += ev->text.len + 1;
    memcpy(p, ev->name.base ? ev->name.base : "", ev->name.len);
    p[ev->name.len] = 0;
    c->name.base = p;
    p += ev->name.len + 1;
    memcpy(p, ev->data.base ? ev->data.base : "", ev->data.len);
    p[ev->data.len] = 0;
    c->data.base = p;
    return c;
}

/* "a.0.b" */
static cJSON *jpath(cJSON *j, const char *path)
{
    char key[64];

    while (j && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = 0;
        if (cJSON_IsArray(j))
            j = (key[0] >= '0' && key[0] <= '9') ? cJSON_GetArrayItem(j, (int)strtol(key, NULL, 10)) : NULL;
        else if (cJSON_IsObject(j))
            j = cJSON_GetObjectItemCaseSensitive(j, key);
        else
            return NULL;
        path += n;
        if (*path == '.')
            path++;
    }
    return j;
}

/*
 * Replaces obj[key] with v, or frees v when there is no such member:
 * cJSON's replace leaks the replacement then.
 */
/*
 * Replaces obj's key with v (taken). BW_ENOMEM when the key is there but
 * could not be replaced (v NULL: its creation failed): callers that remove
 * text must fail then, never pass the old value on.
 */
static int jreplace(cJSON *obj, const char *key, cJSON *v)
{
    if (!cJSON_IsObject(obj) || bw_jget(obj, key) == NULL) {
        cJSON_Delete(v);
        return 0;
    }
    if (v == NULL)
        return BW_ENOMEM;
    if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, v)) {
        cJSON_Delete(v);
        return BW_ENOMEM;
    }
    /* cJSON does not check the copy of the key: out of memory leaves the item nameless */
    return v->string ? 0 : BW_ENOMEM;
}

static const char *jpstr(cJSON *j, const char *path)
{
    cJSON *n = jpath(j, path);
    return cJSON_IsString(n) ? n->valuestring : NULL;
}

static int jpint(cJSON *j, const char *path, int dflt)
{
    cJSON *n = jpath(j, path);

    /* a peer's number may be anything: only values an int holds convert */
    if (!cJSON_IsNumber(n) || !(n->valuedouble >= INT_MIN && n->valuedouble <= INT_MAX))
        return dflt;
    return (int)n->valuedouble;
}

static void setstr(char *dst, size_t cap, const char *s)
{
    if (s)
        snprintf(dst, cap, "%s", s);
}

/* Inserts ,"key":json before the last '}' of the JSON object in b[start..]. */
static int obj_append(struct bw_buf *b, size_t start, const char *key, const char *json, size_t jlen)
{
    size_t i = b->len, tail;
    struct bw_buf ins;
    int rv, empty;

    while (i > start && b->base[i - 1] != '}')
        i--;
    if (i == start)
        return BW_EINVAL;
    i--;
    tail = b->len - i;
    /* an empty object takes no comma */
    {
        size_t k = i;
        while (k > start && (b->base[k - 1] == ' ' || b->base[k - 1] == '\n' || b->base[k - 1] == '\t'))
            k--;
        empty = k > start && b->base[k - 1] == '{';
    }
    bw_buf_init(&ins, 0);
    rv = (!empty && bw_buf_addc(&ins, ',')) || bw_buf_jstr(&ins, key) || bw_buf_addc(&ins, ':') ||
         bw_buf_add(&ins, json, jlen);
    if (rv == 0)
        rv = bw_buf_reserve(b, ins.len);
    if (rv == 0) {
        memmove(b->base + i + ins.len, b->base + i, tail);
        memcpy(b->base + i, ins.base, ins.len);
        b->len += ins.len;
        b->base[b->len] = 0;
    }
    bw_buf_free(&ins);
    return rv ? BW_ENOMEM : 0;
}

static int b64enc(struct bw_buf *out, const char *p, size_t n)
{
    size_t need = 4 * ((n + 2) / 3);
    int rv;

    if ((rv = bw_buf_reserve(out, need)) != 0)
        return rv;
    EVP_EncodeBlock((unsigned char *)out->base + out->len, (const unsigned char *)p, (int)n);
    out->len += need;
    out->base[out->len] = 0;
    return 0;
}

static int b64dec(struct bw_buf *out, const char *p, size_t n)
{
    size_t pad = 0, need;
    int got, rv;

    if (n % 4 != 0)
        return BW_EPROTO;
    if (n == 0)
        return 0;
    if (p[n - 1] == '=')
        pad++;
    if (n > 1 && p[n - 2] == '=')
        pad++;
    need = n / 4 * 3;
    if ((rv = bw_buf_reserve(out, need)) != 0)
        return rv;
    got = EVP_DecodeBlock((unsigned char *)out->base + out->len, (const unsigned char *)p, (int)n);
    if (got < 0 || (size_t)got != need)
        return BW_EPROTO;
    out->len += need - pad;
    out->base[out->len] = 0;
    return 0;
}

/* ------------------------------------------------------------------ */
/* decoder                                                             */

struct site {
    cJSON *obj;      /* holds the text at key */
    const char *key;
    int kind;        /* BW_SEV_TEXT, BW_SEV_TOOL_ARGS */
    uint32_t index, sub;
    size_t off, len; /* in scratch2 once taken */
};

#define MAX_SITES 32

struct split {
    struct site s[MAX_SITES];
    size_t n;
};

static void add_site(struct split *sp, cJSON *obj, const char *key, int kind, uint32_t index, uint32_t sub)
{
    cJSON *v = bw_jget(obj, key);

    if (sp->n < MAX_SITES && cJSON_IsString(v) && v->valuestring[0])
        sp->s[sp->n++] = (struct site){obj, key, kind, index, sub, 0, 0};
}

static int emit(struct bw_sdec *d, int kind, uint32_t index, uint32_t sub, const char *text, size_t tlen,
                const char *name, size_t nlen, const char *data, size_t dlen)
{
    struct bw_sev ev;

    ev.kind = kind;
    ev.flags = 0;
    ev.index = index;
    ev.sub = sub;
    ev.text.base = text ? text : "";
    ev.text.len = tlen;
    ev.name.base = name ? name : "";
    ev.name.len = nlen;
    ev.data.base = data ? data : "";
    ev.data.len = dlen;
    if (kind == BW_SEV_DONE)
        d->done = 1;
    if (kind == BW_SEV_STOP)
        d->stopped = 1;
    return d->cb(d->ud, &ev);
}

static int emit_s(struct bw_sdec *d, int kind, uint32_t index, const char *text, const char *name, const char *data,
                  size_t dlen)
{
    return emit(d, kind, index, 0, text, text ? strlen(text) : 0, name, name ? strlen(name) : 0, data, dlen);
}

/*
 * Emits an event that may hold texts: without sites, the event as it is;
 * with sites, [PASS remainder] TEXT... [STOP remainder]. stop_reason
 * non-NULL makes the remainder a STOP (after the texts); keep says the
 * remainder matters even without a stop (role, usage, ids of tool calls).
 */
static int emit_split(struct bw_sdec *d, cJSON *root, struct split *sp, const char *name, const char *data,
                      size_t dlen, const char *stop_reason, uint32_t stop_index, int keep)
{
    size_t i, nlen = name ? strlen(name) : 0;
    char *rem = NULL;
    int rv = 0;

    if (sp->n == 0) {
        if (stop_reason)
            return emit(d, BW_SEV_STOP, stop_index, 0, stop_reason, strlen(stop_reason), name, nlen, data, dlen);
        return emit(d, BW_SEV_PASS, stop_index, 0, NULL, 0, name, nlen, data, dlen);
    }
    bw_buf_reset(&d->scratch2);
    for (i = 0; i < sp->n && rv == 0; i++) {
        const char *t = bw_jget(sp->s[i].obj, sp->s[i].key)->valuestring;
        sp->s[i].off = d->scratch2.len;
        sp->s[i].len = strlen(t);
        rv = bw_buf_add(&d->scratch2, t, sp->s[i].len);
    }
    if (rv != 0)
        return rv;
    if (keep || stop_reason) {
        char *sr = NULL;
        if (stop_reason && (sr = strdup(stop_reason)) == NULL)
            return BW_ENOMEM;
        for (i = 0; i < sp->n; i++)
            if (jreplace(sp->s[i].obj, sp->s[i].key, cJSON_CreateString("")) != 0) {
                free(sr);
                return BW_ENOMEM; /* the remainder would still hold the text */
            }
        if ((rem = cJSON_PrintUnformatted(root)) == NULL) {
            free(sr);
            return BW_ENOMEM;
        }
        if (!stop_reason)
            rv = emit(d, BW_SEV_PASS, stop_index, 0, NULL, 0, name, nlen, rem, strlen(rem));
        for (i = 0; i < sp->n && rv == 0; i++)
            rv = emit(d, sp->s[i].kind, sp->s[i].index, sp->s[i].sub, d->scratch2.base + sp->s[i].off, sp->s[i].len,
                      name, nlen, NULL, 0);
        if (rv == 0 && sr)
            rv = emit(d, BW_SEV_STOP, stop_index, 0, sr, strlen(sr), name, nlen, rem, strlen(rem));
        free(sr);
        cJSON_free(rem);
        return rv;
    }
    for (i = 0; i < sp->n && rv == 0; i++)
        rv = emit(d, sp->s[i].kind, sp->s[i].index, sp->s[i].sub, d->scratch2.base + sp->s[i].off, sp->s[i].len, name,
                  nlen, NULL, 0);
    return rv;
}

static void learn_openai(struct bw_sdec *d, cJSON *root)
{
    cJSON *cr = bw_jget(root, "created");

    if (!d->ctx.id[0])
        setstr(d->ctx.id, sizeof(d->ctx.id), bw_jstr(root, "id"));
    if (!d->ctx.model[0])
        setstr(d->ctx.model, sizeof(d->ctx.model), bw_jstr(root, "model"));
    if (!d->ctx.fingerprint[0])
        setstr(d->ctx.fingerprint, sizeof(d->ctx.fingerprint), bw_jstr(root, "system_fingerprint"));
    if (d->ctx.created == 0)
        d->ctx.created = bw_peer_time(cr, 0);
}

/* OpenAI chat.completion.chunk and text_completion chunks. */
static int dec_openai(struct bw_sdec *d, const char *data, size_t n)
{
    struct split sp;
    cJSON *root, *ch, *c;
    const char *stop = NULL;
    uint32_t stop_index = 0;
    int keep = 0, rv, chat = d->api == BW_API_OPENAI_CHAT;

    if (n == 6 && memcmp(data, "[DONE]", 6) == 0)
        return emit(d, BW_SEV_DONE, 0, 0, NULL, 0, NULL, 0, data, n);
    if ((root = cJSON_ParseWithLength(data, n)) == NULL || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return BW_EPROTO;
    }
    learn_openai(d, root);
    ch = bw_jget(root, "choices");
    if (bw_jget(root, "error") && !ch) {
        const char *m = jpstr(root, "error.message");
        rv = emit_s(d, BW_SEV_ERROR, 0, m ? m : "upstream error", NULL, data, n);
        cJSON_Delete(root);
        return rv;
    }
    sp.n = 0;
    if (!cJSON_IsArray(ch) || cJSON_GetArraySize(ch) == 0)
        keep = 1; /* the usage chunk, or something new */
    for (c = cJSON_IsArray(ch) ? ch->child : NULL; c; c = c->next) {
        uint32_t idx = (uint32_t)jpint(c, "index", 0);
        cJSON *delta = bw_jget(c, "delta"), *tc, *t, *fr = bw_jget(c, "finish_reason");

        if (chat) {
            add_site(&sp, delta, "content", BW_SEV_TEXT, idx, 0);
            if (bw_jget(delta, "role") || (bw_jget(delta, "refusal") && !cJSON_IsNull(bw_jget(delta, "refusal"))))
                keep = 1;
            tc = bw_jget(delta, "tool_calls");
            for (t = cJSON_IsArray(tc) ? tc->child : NULL; t; t = t->next) {
                add_site(&sp, bw_jget(t, "function"), "arguments", BW_SEV_TOOL_ARGS, idx,
                         (uint32_t)jpint(t, "index", 0));
                if (bw_jget(t, "id") || jpath(t, "function.name"))
                    keep = 1;
            }
            if (bw_jget(delta, "function_call")) {
                add_site(&sp, bw_jget(delta, "function_call"), "arguments", BW_SEV_TOOL_ARGS, idx, 0);
                if (jpath(delta, "function_call.name"))
                    keep = 1;
            }
        } else {
            add_site(&sp, c, "text", BW_SEV_TEXT, idx, 0);
        }
        if (cJSON_IsString(fr) && stop == NULL) {
            stop = fr->valuestring;
            stop_index = idx;
        }
        /* logprobs would spell the text again */
        if (sp.n && bw_jget(c, "logprobs") && !cJSON_IsNull(bw_jget(c, "logprobs")) &&
            jreplace(c, "logprobs", cJSON_CreateNull()) != 0) {
            cJSON_Delete(root);
            return BW_ENOMEM;
        }
    }
    if (bw_jget(root, "usage") && !cJSON_IsNull(bw_jget(root, "usage")))
        keep = 1;
    if (sp.n == 0 && !stop && !keep) {
        /* an empty delta: nothing the client needs, and nothing to guard */
        rv = emit(d, BW_SEV_PASS, 0, 0, NULL, 0, NULL, 0, data, n);
    } else {
        rv = emit_split(d, root, &sp, NULL, data, n, stop, stop_index, keep);
    }
    cJSON_Delete(root);
    return rv;
}

static int set_item_id(struct bw_sctx *x, uint32_t oi, const char *id)
{
    if (id == NULL || oi > 4096)
        return 0;
    if (oi >= x->nitems) {
        char **v = realloc(x->item_ids, (oi + 1) * sizeof(*v));
        if (v == NULL)
            return BW_ENOMEM;
        memset(v + x->nitems, 0, (oi + 1 - x->nitems) * sizeof(*v));
        x->item_ids = v;
        x->nitems = oi + 1;
    }
    if (x->item_ids[oi] == NULL && (x->item_ids[oi] = strdup(id)) == NULL)
        return BW_ENOMEM;
    return 0;
}

/* OpenAI /v1/responses events. */
static int dec_responses(struct bw_sdec *d, const char *name, size_t nlen, const char *data, size_t n)
{
    cJSON *root = cJSON_ParseWithLength(data, n);
    const char *t;
    char nm[128];
    int rv = 0;

    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return BW_EPROTO;
    }
    t = bw_jstr(root, "type");
    if (t == NULL) {
        /* the type is in the data; the event line may repeat it */
        snprintf(nm, sizeof(nm), "%.*s", (int)BW_MIN(nlen, sizeof(nm) - 1), name);
        t = nm;
    }
    if (strcmp(t, "response.created") == 0 || strcmp(t, "response.in_progress") == 0) {
        cJSON *r = bw_jget(root, "response"), *ca = bw_jget(r, "created_at");
        if (!d->ctx.id[0])
            setstr(d->ctx.id, sizeof(d->ctx.id), bw_jstr(r, "id"));
        if (!d->ctx.model[0])
            setstr(d->ctx.model, sizeof(d->ctx.model), bw_jstr(r, "model"));
        if (d->ctx.created == 0)
            d->ctx.created = bw_peer_time(ca, 0);
    } else if (strcmp(t, "response.output_item.added") == 0) {
        rv = set_item_id(&d->ctx, (uint32_t)jpint(root, "output_index", 0), jpstr(root, "item.id"));
    }
    if (rv == 0) {
        if (strcmp(t, "response.output_text.delta") == 0) {
            const char *dl = bw_jstr(root, "delta");
            uint32_t oi = (uint32_t)jpint(root, "output_index", 0);

            rv = set_item_id(&d->ctx, oi, bw_jstr(root, "item_id"));
            if (rv == 0 && dl && dl[0])
                rv = emit(d, BW_SEV_TEXT, oi, (uint32_t)jpint(root, "content_index", 0), dl, strlen(dl), t, strlen(t),
                          NULL, 0);
        } else if (strcmp(t, "response.function_call_arguments.delta") == 0) {
            const char *dl = bw_jstr(root, "delta");
            uint32_t oi = (uint32_t)jpint(root, "output_index", 0);

            rv = set_item_id(&d->ctx, oi, bw_jstr(root, "item_id"));
            if (rv == 0 && dl && dl[0])
                rv = emit(d, BW_SEV_TOOL_ARGS, oi, 0, dl, strlen(dl), t, strlen(t), NULL, 0);
        } else if (strcmp(t, "response.completed") == 0 || strcmp(t, "response.incomplete") == 0) {
            rv = emit_s(d, BW_SEV_DONE, 0, NULL, t, data, n);
        } else if (strcmp(t, "response.failed") == 0 || strcmp(t, "error") == 0) {
            const char *m = strcmp(t, "error") == 0 ? bw_jstr(root, "message") : jpstr(root, "response.error.message");
            rv = emit_s(d, BW_SEV_ERROR, 0, m ? m : "upstream error", t, data, n);
        } else {
            rv = emit_s(d, BW_SEV_PASS, (uint32_t)jpint(root, "output_index", 0), NULL, t, data, n);
        }
    }
    cJSON_Delete(root);
    return rv;
}

/* Anthropic events (SSE, or InvokeModel chunks of Anthropic models: in_invoke). */
static int dec_anthropic(struct bw_sdec *d, const char *data, size_t n, int in_invoke)
{
    cJSON *root = cJSON_ParseWithLength(data, n);
    const char *t;
    struct split sp;
    int rv;

    if (!cJSON_IsObject(root) || (t = bw_jstr(root, "type")) == NULL) {
        cJSON_Delete(root);
        return BW_EPROTO;
    }
    sp.n = 0;
    if (strcmp(t, "message_start") == 0) {
        cJSON *m = bw_jget(root, "message");
        if (!d->ctx.id[0])
            setstr(d->ctx.id, sizeof(d->ctx.id), bw_jstr(m, "id"));
        if (!d->ctx.model[0])
            setstr(d->ctx.model, sizeof(d->ctx.model), bw_jstr(m, "model"));
        d->ctx.usage_in = jpint(m, "usage.input_tokens", 0);
        rv = emit_s(d, BW_SEV_PASS, 0, NULL, t, data, n);
    } else if (strcmp(t, "content_block_start") == 0) {
        cJSON *cb = bw_jget(root, "content_block");
        const char *ct = bw_jstr(cb, "type");

        if (ct && strcmp(ct, "text") == 0)
            add_site(&sp, cb, "text", BW_SEV_TEXT, (uint32_t)jpint(root, "index", 0), 0);
        rv = emit_split(d, root, &sp, t, data, n, NULL, (uint32_t)jpint(root, "index", 0), 1);
    } else if (strcmp(t, "content_block_delta") == 0) {
        cJSON *dl = bw_jget(root, "delta");
        const char *dt = bw_jstr(dl, "type");
        uint32_t idx = (uint32_t)jpint(root, "index", 0);
        const char *s;

        if (dt && strcmp(dt, "text_delta") == 0) {
            s = bw_jstr(dl, "text");
            rv = s && s[0] ? emit_s(d, BW_SEV_TEXT, idx, s, t, NULL, 0) : 0;
        } else if (dt && strcmp(dt, "input_json_delta") == 0) {
            s = bw_jstr(dl, "partial_json");
            rv = s && s[0] ? emit_s(d, BW_SEV_TOOL_ARGS, idx, s, t, NULL, 0) : 0;
        } else {
            rv = emit_s(d, BW_SEV_PASS, idx, NULL, t, data, n);
        }
    } else if (strcmp(t, "message_delta") == 0) {
        const char *sr = jpstr(root, "delta.stop_reason");
        d->ctx.usage_out = jpint(root, "usage.output_tokens", d->ctx.usage_out);
        rv = sr ? emit_s(d, BW_SEV_STOP, 0, sr, t, data, n) : emit_s(d, BW_SEV_PASS, 0, NULL, t, data, n);
    } else if (strcmp(t, "message_stop") == 0) {
        /* InvokeModel streams end with the event stream, not here */
        rv = emit_s(d, in_invoke ? BW_SEV_PASS : BW_SEV_DONE, 0, NULL, t, data, n);
    } else if (strcmp(t, "error") == 0) {
        const char *m = jpstr(root, "error.message");
        rv = emit_s(d, BW_SEV_ERROR, 0, m ? m : "upstream error", t, data, n);
    } else {
        rv = emit_s(d, BW_SEV_PASS, (uint32_t)jpint(root, "index", 0), NULL, t, data, n);
    }
    cJSON_Delete(root);
    return rv;
}

/* How the text sits in an InvokeModel chunk of a non-Anthropic model. */
enum {
    TK_NONE = 0,
    TK_TITAN,       /* outputText / completionReason */
    TK_LLAMA,       /* generation / stop_reason */
    TK_MISTRAL,     /* outputs.0.text / outputs.0.stop_reason */
    TK_CHAT_DELTA,  /* choices.0.delta.content / choices.0.finish_reason|stop_reason */
    TK_CHAT_MSG,    /* choices.0.message.content */
    TK_CHOICE_TEXT, /* choices.0.text */
    TK_NOVA,        /* contentBlockDelta.delta.text; messageStop.stopReason */
    TK_COHERE,      /* text; finish_reason */
    TK_CLAUDE_TEXT, /* completion / stop_reason */
    TK_COHERE_GEN,  /* generations.0.text / generations.0.finish_reason */
};

/* The object holding the text, and its key, for kind k. */
static cJSON *tk_text_obj(cJSON *root, int k, const char **key)
{
    *key = "text";
    switch (k) {
    case TK_TITAN: *key = "outputText"; return root;
    case TK_LLAMA: *key = "generation"; return root;
    case TK_MISTRAL: return jpath(root, "outputs.0");
    case TK_CHAT_DELTA: *key = "content"; return jpath(root, "choices.0.delta");
    case TK_CHAT_MSG: *key = "content"; return jpath(root, "choices.0.message");
    case TK_CHOICE_TEXT: return jpath(root, "choices.0");
    case TK_NOVA: return jpath(root, "contentBlockDelta.delta");
    case TK_COHERE: return root;
    case TK_CLAUDE_TEXT: *key = "completion"; return root;
    case TK_COHERE_GEN: return jpath(root, "generations.0");
    default: return NULL;
    }
}

static int tk_detect(cJSON *root)
{
    if (bw_jget(root, "outputText"))
        return TK_TITAN;
    if (bw_jget(root, "generation"))
        return TK_LLAMA;
    if (bw_jget(root, "outputs"))
        return TK_MISTRAL;
    if (jpath(root, "choices.0.delta"))
        return TK_CHAT_DELTA;
    if (jpath(root, "choices.0.message"))
        return TK_CHAT_MSG;
    if (jpath(root, "choices.0"))
        return TK_CHOICE_TEXT;
    if (bw_jget(root, "contentBlockDelta") || bw_jget(root, "messageStop") || bw_jget(root, "messageStart") ||
        bw_jget(root, "metadata") || bw_jget(root, "contentBlockStop"))
        return TK_NOVA;
    if (bw_jget(root, "completion"))
        return TK_CLAUDE_TEXT;
    if (bw_jget(root, "generations"))
        return TK_COHERE_GEN;
    if (bw_jget(root, "text") || bw_jget(root, "event_type") || bw_jget(root, "is_finished"))
        return TK_COHERE;
    return TK_NONE;
}

static const char *tk_stop(cJSON *root, int k)
{
    const char *s = NULL;

    switch (k) {
    case TK_TITAN: s = bw_jstr(root, "completionReason"); break;
    case TK_LLAMA:
    case TK_CLAUDE_TEXT: s = bw_jstr(root, "stop_reason"); break;
    case TK_MISTRAL: s = jpstr(root, "outputs.0.stop_reason"); break;
    case TK_CHAT_DELTA:
    case TK_CHAT_MSG:
    case TK_CHOICE_TEXT:
        if ((s = jpstr(root, "choices.0.finish_reason")) == NULL)
            s = jpstr(root, "choices.0.stop_reason");
        break;
    case TK_NOVA: s = jpstr(root, "messageStop.stopReason"); break;
    case TK_COHERE: s = cJSON_IsTrue(bw_jget(root, "is_finished")) ? bw_jstr(root, "finish_reason") : NULL; break;
    case TK_COHERE_GEN: s = jpstr(root, "generations.0.finish_reason"); break;
    default: break;
    }
    return s;
}

/* The first text chunk, its stop fields nulled and its text a placeholder, split around the text. */
#define TMPL_MARK "__bulwark_text__"

static void make_template(struct bw_sdec *d, cJSON *root, int k)
{
    cJSON *c = cJSON_Duplicate(root, 1), *o;
    const char *key;
    char *p;

    if (c == NULL)
        return;
    if ((o = tk_text_obj(c, k, &key)) != NULL) {
        static const char *const stops[] = {"completionReason", "stop_reason", "finish_reason",
                                            "totalOutputTextTokenCount"};
        size_t i;

        int bad = jreplace(o, key, cJSON_CreateString(TMPL_MARK));

        for (i = 0; i < BW_NELEMS(stops); i++) {
            if (bw_jget(o, stops[i]))
                bad |= jreplace(o, stops[i], cJSON_CreateNull());
            if (o != c && bw_jget(c, stops[i]))
                bad |= jreplace(c, stops[i], cJSON_CreateNull());
        }
        if (k == TK_CHAT_DELTA || k == TK_CHAT_MSG || k == TK_CHOICE_TEXT) {
            cJSON *c0 = jpath(c, "choices.0");
            if (bw_jget(c0, "finish_reason"))
                bad |= jreplace(c0, "finish_reason", cJSON_CreateNull());
            if (bw_jget(c0, "stop_reason"))
                bad |= jreplace(c0, "stop_reason", cJSON_CreateNull());
            if (bw_jget(c0, "logprobs"))
                bad |= jreplace(c0, "logprobs", cJSON_CreateNull());
        }
        cJSON_DeleteItemFromObjectCaseSensitive(c, "amazon-bedrock-invocationMetrics");
        /* a template that kept text or a stop is no template (out of memory: the defaults serve) */
        if (!bad && (p = cJSON_PrintUnformatted(c)) != NULL) {
            if (strstr(p, "\"" TMPL_MARK "\"")) {
                free(d->ctx.tmpl);
                d->ctx.tmpl = strdup(p);
                d->ctx.tmpl_kind = k;
            }
            cJSON_free(p);
        }
    }
    cJSON_Delete(c);
}

/* One InvokeModel chunk's model JSON. */
static int dec_native(struct bw_sdec *d, const char *json, size_t n)
{
    cJSON *root;
    struct split sp;
    const char *key, *stop;
    cJSON *o;
    int k, rv;

    if (d->ctx.native == BW_NAT_ANTHROPIC)
        return dec_anthropic(d, json, n, 1);
    if ((root = cJSON_ParseWithLength(json, n)) == NULL || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return BW_EPROTO;
    }
    /* an Anthropic body from a model we could not name */
    if (bw_jstr(root, "type") && (strncmp(bw_jstr(root, "type"), "message_", 8) == 0 ||
                                  strncmp(bw_jstr(root, "type"), "content_block_", 14) == 0)) {
        cJSON_Delete(root);
        d->ctx.native = BW_NAT_ANTHROPIC;
        return dec_anthropic(d, json, n, 1);
    }
    sp.n = 0;
    k = tk_detect(root);
    if ((o = tk_text_obj(root, k, &key)) != NULL) {
        uint32_t idx = k == TK_NOVA ? (uint32_t)jpint(root, "contentBlockDelta.contentBlockIndex", 0) : 0;
        add_site(&sp, o, key, BW_SEV_TEXT, idx, 0);
        if (sp.n && d->ctx.tmpl == NULL)
            make_template(d, root, k);
    }
    /* Cohere's stream-end repeats the whole answer */
    if (k == TK_COHERE && bw_jget(root, "response") && jreplace(root, "response", cJSON_CreateNull()) != 0) {
        cJSON_Delete(root);
        return BW_ENOMEM;
    }
    stop = tk_stop(root, k);
    rv = emit_split(d, root, &sp, "chunk", json, n, stop, 0, 0);
    cJSON_Delete(root);
    return rv;
}

static int on_sse(void *ud, const struct bw_sse_event *ev)
{
    struct bw_sdec *d = ud;

    if (d->done)
        return 0; /* nothing counts after the end marker */
    if (ev->comment) {
        struct bw_sev s;

        memset(&s, 0, sizeof(s));
        s.kind = BW_SEV_PASS;
        s.flags = BW_SEVF_COMMENT;
        s.text.base = s.name.base = "";
        s.data = ev->data;
        return d->cb(d->ud, &s);
    }
    switch (d->api) {
    case BW_API_OPENAI_CHAT:
    case BW_API_OPENAI_COMPLETIONS: return dec_openai(d, ev->data.base, ev->data.len);
    case BW_API_OPENAI_RESPONSES: return dec_responses(d, ev->event.base, ev->event.len, ev->data.base, ev->data.len);
    case BW_API_ANTHROPIC: return dec_anthropic(d, ev->data.base, ev->data.len, 0);
    default: return BW_EINVAL;
    }
}

static int on_evs(void *ud, const struct bw_evs_msg *m)
{
    struct bw_sdec *d = ud;
    const struct bw_iov *mt = bw_evs_header_str(m, ":message-type");
    const struct bw_iov *et = bw_evs_header_str(m, ":event-type");
    char name[128];
    int rv;

    if (mt && mt->len == 9 && memcmp(mt->base, "exception", 9) == 0) {
        const struct bw_iov *x = bw_evs_header_str(m, ":exception-type");
        cJSON *j = cJSON_ParseWithLength(m->payload.base, m->payload.len);
        const char *msg = bw_jstr(j, "message");

        if (msg == NULL)
            msg = bw_jstr(j, "Message");
        snprintf(name, sizeof(name), "%.*s", x ? (int)BW_MIN(x->len, 127) : 0, x ? x->base : "");
        rv = emit(d, BW_SEV_ERROR, 0, 0, msg ? msg : "upstream error", strlen(msg ? msg : "upstream error"), name,
                  strlen(name), m->payload.base, m->payload.len);
        cJSON_Delete(j);
        return rv;
    }
    if (mt && mt->len == 5 && memcmp(mt->base, "error", 5) == 0) {
        const struct bw_iov *em = bw_evs_header_str(m, ":error-message");
        const struct bw_iov *ec = bw_evs_header_str(m, ":error-code");
        snprintf(name, sizeof(name), "%.*s", ec ? (int)BW_MIN(ec->len, 127) : 0, ec ? ec->base : "");
        return emit(d, BW_SEV_ERROR, 0, 0, em ? em->base : "upstream error", em ? em->len : 14, name, strlen(name),
                    m->payload.base, m->payload.len);
    }
    if (et == NULL)
        return BW_EPROTO;
    snprintf(name, sizeof(name), "%.*s", (int)BW_MIN(et->len, 127), et->base);
    if (d->api == BW_API_BEDROCK_INVOKE) {
        cJSON *j;
        cJSON *b;

        if (strcmp(name, "chunk") != 0)
            return emit(d, BW_SEV_PASS, 0, 0, NULL, 0, name, strlen(name), m->payload.base, m->payload.len);
        j = cJSON_ParseWithLength(m->payload.base, m->payload.len);
        b = bw_jget(j, "bytes");
        if (!cJSON_IsString(b)) {
            cJSON_Delete(j);
            return BW_EPROTO;
        }
        bw_buf_reset(&d->scratch);
        rv = b64dec(&d->scratch, b->valuestring, strlen(b->valuestring));
        cJSON_Delete(j);
        if (rv != 0)
            return rv;
        return dec_native(d, d->scratch.base ? d->scratch.base : "", d->scratch.len);
    }
    /* ConverseStream */
    {
        cJSON *j = cJSON_ParseWithLength(m->payload.base, m->payload.len);
        struct split sp;

        if (!cJSON_IsObject(j)) {
            cJSON_Delete(j);
            return BW_EPROTO;
        }
        sp.n = 0;
        if (strcmp(name, "contentBlockDelta") == 0) {
            uint32_t idx = (uint32_t)jpint(j, "contentBlockIndex", 0);
            cJSON *dl = bw_jget(j, "delta");

            add_site(&sp, dl, "text", BW_SEV_TEXT, idx, 0);
            add_site(&sp, bw_jget(dl, "toolUse"), "input", BW_SEV_TOOL_ARGS, idx, 0);
            rv = emit_split(d, j, &sp, name, m->payload.base, m->payload.len, NULL, idx, 0);
        } else if (strcmp(name, "messageStop") == 0) {
            const char *sr = bw_jstr(j, "stopReason");
            rv = emit(d, BW_SEV_STOP, 0, 0, sr ? sr : "", sr ? strlen(sr) : 0, name, strlen(name), m->payload.base,
                      m->payload.len);
        } else {
            if (strcmp(name, "metadata") == 0) {
                d->ctx.usage_in = jpint(j, "usage.inputTokens", 0);
                d->ctx.usage_out = jpint(j, "usage.outputTokens", 0);
            }
            rv = emit(d, BW_SEV_PASS, (uint32_t)jpint(j, "contentBlockIndex", 0), 0, NULL, 0, name, strlen(name),
                      m->payload.base, m->payload.len);
        }
        cJSON_Delete(j);
        return rv;
    }
}

int bw_sdec_init(struct bw_sdec *d, const struct bw_areq *rq)
{
    memset(d, 0, sizeof(*d));
    d->api = rq->api;
    switch (rq->api) {
    case BW_API_OPENAI_CHAT:
    case BW_API_OPENAI_COMPLETIONS:
    case BW_API_OPENAI_RESPONSES:
    case BW_API_ANTHROPIC:
    case BW_API_BEDROCK_INVOKE:
    case BW_API_BEDROCK_CONVERSE: break;
    default: return BW_EINVAL;
    }
    bw_sse_dec_init(&d->sse, 0, 0);
    bw_evs_dec_init(&d->evs, 0);
    bw_buf_init(&d->scratch, 0);
    bw_buf_init(&d->scratch2, 0);
    d->ctx.native = rq->native;
    return 0;
}

void bw_sdec_free(struct bw_sdec *d)
{
    size_t i;

    bw_sse_dec_free(&d->sse);
    bw_evs_dec_free(&d->evs);
    bw_buf_free(&d->scratch);
    bw_buf_free(&d->scratch2);
    for (i = 0; i < d->ctx.nitems; i++)
        free(d->ctx.item_ids[i]);
    free(d->ctx.item_ids);
    free(d->ctx.tmpl);
    memset(&d->ctx, 0, sizeof(d->ctx));
}

int bw_sdec_feed(struct bw_sdec *d, const char *p, size_t n, bw_sev_cb cb, void *ud)
{
    int rv;

    if (d->err)
        return d->err;
    d->cb = cb;
    d->ud = ud;
    if (bw_api_stream_is_evs(d->api))
        rv = bw_evs_dec_feed(&d->evs, p, n, on_evs, d);
    else
        rv = bw_sse_dec_feed(&d->sse, p, n, on_sse, d);
    if (rv < 0)
        d->err = rv;
    return rv;
}

int bw_sdec_finish(struct bw_sdec *d, bw_sev_cb cb, void *ud)
{
    int rv;

    if (d->err)
        return d->err;
    d->cb = cb;
    d->ud = ud;
    rv = bw_api_stream_is_evs(d->api) ? bw_evs_dec_finish(&d->evs) : bw_sse_dec_finish(&d->sse);
    if (rv != 0)
        return d->err = rv;
    if (d->done)
        return 0;
    if (bw_api_stream_is_evs(d->api) || d->stopped)
        return emit(d, BW_SEV_DONE, 0, 0, NULL, 0, NULL, 0, NULL, 0);
    return d->err = BW_EPROTO; /* an SSE answer cut before the model stopped */
}

/* ------------------------------------------------------------------ */
/* encoder                                                             */

struct bw_senc_item {
    uint32_t oi;
    int32_t ci;  /* content index; -1: function call arguments */
    struct bw_buf text;
};

static const struct bw_sctx *ctx(const struct bw_senc *e)
{
    return e->ctx ? e->ctx : &e->own;
}

static const char *cid(const struct bw_senc *e)
{
    return ctx(e)->id[0] ? ctx(e)->id : e->own.id;
}

static const char *cmodel(const struct bw_senc *e)
{
    return ctx(e)->model[0] ? ctx(e)->model : (e->own.model[0] ? e->own.model : "unknown");
}

static long long ccreated(const struct bw_senc *e)
{
    return ctx(e)->created ? (long long)ctx(e)->created : (long long)e->own.created;
}

int bw_senc_init(struct bw_senc *e, const struct bw_areq *rq, const struct bw_sdec *d)
{
    struct bw_buf id;
    const char *pfx;

    memset(e, 0, sizeof(*e));
    e->api = rq->api;
    e->native = rq->native;
    e->ctx = d ? &d->ctx : NULL;
    e->include_usage = rq->include_usage;
    e->trace_on = rq->trace != BW_TRACE_OFF;
    e->gr_client = rq->gr_id != NULL;
    bw_buf_init(&e->tmp, 0);
    bw_buf_init(&e->tmp2, 0);
    switch (rq->api) {
    case BW_API_OPENAI_CHAT: pfx = "chatcmpl-bw"; break;
    case BW_API_OPENAI_COMPLETIONS: pfx = "cmpl-bw"; break;
    case BW_API_OPENAI_RESPONSES: pfx = "resp_bw"; break;
    case BW_API_ANTHROPIC:
    case BW_API_BEDROCK_INVOKE: pfx = "msg_bw"; break;
    case BW_API_BEDROCK_CONVERSE: pfx = ""; break;
    default: return BW_EINVAL;
    }
    bw_buf_init(&id, 0);
    if (bw_rand_id(&id, pfx) == 0)
        setstr(e->own.id, sizeof(e->own.id), id.base);
    bw_buf_free(&id);
    setstr(e->own.model, sizeof(e->own.model), rq->model);
    e->own.created = (int64_t)time(NULL);
    e->own.native = rq->native;
    return 0;
}

void bw_senc_free(struct bw_senc *e)
{
    size_t i;

    bw_buf_free(&e->tmp);
    bw_buf_free(&e->tmp2);
    for (i = 0; i < e->nitems; i++)
        bw_buf_free(&e->items[i].text);
    free(e->items);
    free(e->held);
    free(e->tr_mem);
    e->items = NULL;
    e->held = NULL;
    e->tr_mem = NULL;
}

int bw_senc_set_trace(struct bw_senc *e, const struct bw_trace *tr)
{
    const char *s[6] = {tr->gr_id, tr->action_reason, tr->input_json, tr->output_json, tr->model_output, NULL};
    size_t n = 0, i;
    char *p;

    for (i = 0; i < 5; i++)
        n += s[i] ? strlen(s[i]) + 1 : 0;
    free(e->tr_mem);
    if ((e->tr_mem = malloc(n + 1)) == NULL)
        return BW_ENOMEM;
    p = e->tr_mem;
    e->tr = *tr;
    for (i = 0; i < 5; i++) {
        const char **dst = i == 0 ? &e->tr.gr_id
                           : i == 1 ? &e->tr.action_reason
                           : i == 2 ? &e->tr.input_json
                           : i == 3 ? &e->tr.output_json
                                    : &e->tr.model_output;
        if (s[i]) {
            size_t l = strlen(s[i]);
            memcpy(p, s[i], l + 1);
            *dst = p;
            p += l + 1;
        } else {
            *dst = NULL;
        }
    }
    e->has_trace = 1;
    return 0;
}

/* --- SSE helpers --- */

static int sse_out(struct bw_buf *out, const char *name, const char *data, size_t dlen)
{
    return bw_sse_encode(out, name, name ? strlen(name) : 0, data, dlen);
}

static int sse_tmp(struct bw_senc *e, struct bw_buf *out, const char *name)
{
    return sse_out(out, name, e->tmp.base, e->tmp.len);
}

static int sse_pass(struct bw_buf *out, const struct bw_sev *ev)
{
    if (ev->flags & BW_SEVF_COMMENT)
        return bw_sse_comment(out, ev->data.base, ev->data.len);
    return bw_sse_encode(out, ev->name.len ? ev->name.base : NULL, ev->name.len, ev->data.base, ev->data.len);
}

/* --- OpenAI chat and completions --- */

static int st_oa_head(struct bw_senc *e, struct bw_buf *b)
{
    int chat = e->api == BW_API_OPENAI_CHAT, rv;

    rv = bw_buf_adds(b, "{\"id\":") || bw_buf_jstr(b, cid(e)) ||
         bw_buf_printf(b, ",\"object\":\"%s\",\"created\":%lld,\"model\":",
                       chat ? "chat.completion.chunk" : "text_completion", ccreated(e)) ||
         bw_buf_jstr(b, cmodel(e));
    if (rv == 0 && chat && ctx(e)->fingerprint[0])
        rv = bw_buf_adds(b, ",\"system_fingerprint\":") || bw_buf_jstr(b, ctx(e)->fingerprint);
    return rv ? BW_ENOMEM : 0;
}

static void st_oa_seen(struct bw_senc *e, uint32_t i)
{
    if (i < 64)
        e->seen |= (uint64_t)1 << i;
}

static int st_oa_text(struct bw_senc *e, uint32_t i, const char *t, size_t n, int role, struct bw_buf *out)
{
    int rv;

    bw_buf_reset(&e->tmp);
    st_oa_seen(e, i);
    if (e->api == BW_API_OPENAI_CHAT)
        rv = st_oa_head(e, &e->tmp) ||
             bw_buf_printf(&e->tmp, ",\"choices\":[{\"index\":%u,\"delta\":{%s\"content\":\"", i,
                           role ? "\"role\":\"assistant\"," : "") ||
             bw_buf_json_str(&e->tmp, t, n) ||
             bw_buf_adds(&e->tmp, "\"},\"logprobs\":null,\"finish_reason\":null}]}");
    else
        rv = st_oa_head(e, &e->tmp) || bw_buf_adds(&e->tmp, ",\"choices\":[{\"text\":\"") ||
             bw_buf_json_str(&e->tmp, t, n) ||
             bw_buf_printf(&e->tmp, "\",\"index\":%u,\"logprobs\":null,\"finish_reason\":null}]}", i);
    return rv ? BW_ENOMEM : sse_tmp(e, out, NULL);
}

static int st_oa_finish(struct bw_senc *e, uint32_t i, const char *reason, struct bw_buf *out)
{
    int rv;

    bw_buf_reset(&e->tmp);
    if (e->api == BW_API_OPENAI_CHAT)
        rv = st_oa_head(e, &e->tmp) ||
             bw_buf_printf(&e->tmp,
                           ",\"choices\":[{\"index\":%u,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"%s\"}]}", i,
                           reason);
    else
        rv = st_oa_head(e, &e->tmp) ||
             bw_buf_printf(&e->tmp,
                           ",\"choices\":[{\"text\":\"\",\"index\":%u,\"logprobs\":null,\"finish_reason\":\"%s\"}]}",
                           i, reason);
    return rv ? BW_ENOMEM : sse_tmp(e, out, NULL);
}

static int st_oa_done(struct bw_senc *e, struct bw_buf *out)
{
    int rv;

    if (e->has_trace && e->trace_on) {
        bw_buf_reset(&e->tmp);
        rv = st_oa_head(e, &e->tmp) || bw_buf_adds(&e->tmp, ",\"choices\":[],\"bulwark_trace\":") ||
             bw_trace_bulwark(&e->tr, &e->tmp) || bw_buf_addc(&e->tmp, '}');
        if (rv || (rv = sse_tmp(e, out, NULL)) != 0)
            return rv ? BW_ENOMEM : rv;
    }
    e->done = 1;
    return sse_out(out, NULL, "[DONE]", 6);
}

static int enc_openai(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out)
{
    int rv;

    switch (ev->kind) {
    case BW_SEV_TEXT:
        e->started = 1;
        return st_oa_text(e, ev->index, ev->text.base, ev->text.len, 0, out);
    case BW_SEV_TOOL_ARGS:
        if (e->api != BW_API_OPENAI_CHAT)
            return BW_EINVAL;
        e->started = 1;
        bw_buf_reset(&e->tmp);
        st_oa_seen(e, ev->index);
        rv = st_oa_head(e, &e->tmp) ||
             bw_buf_printf(&e->tmp,
                           ",\"choices\":[{\"index\":%u,\"delta\":{\"tool_calls\":[{\"index\":%u,\"function\":{"
                           "\"arguments\":\"",
                           ev->index, ev->sub) ||
             bw_buf_json_str(&e->tmp, ev->text.base, ev->text.len) ||
             bw_buf_adds(&e->tmp, "\"}}]},\"logprobs\":null,\"finish_reason\":null}]}");
        return rv ? BW_ENOMEM : sse_tmp(e, out, NULL);
    case BW_SEV_DONE: return st_oa_done(e, out);
    case BW_SEV_STOP:
        e->stopped = 1;
        /* fall through */
    default:
        if (ev->kind != BW_SEV_PASS || !(ev->flags & BW_SEVF_COMMENT))
            e->started = 1;
        if (ev->kind == BW_SEV_ERROR)
            e->done = 1;
        return sse_pass(out, ev);
    }
}

/* --- Responses --- */

static struct bw_senc_item *item(struct bw_senc *e, uint32_t oi, int32_t ci, int create)
{
    size_t i;
    struct bw_senc_item *v;

    for (i = 0; i < e->nitems; i++)
        if (e->items[i].oi == oi && e->items[i].ci == ci)
            return &e->items[i];
    if (!create)
        return NULL;
    if ((v = realloc(e->items, (e->nitems + 1) * sizeof(*v))) == NULL)
        return NULL;
    e->items = v;
    v = &e->items[e->nitems++];
    v->oi = oi;
    v->ci = ci;
    bw_buf_init(&v->text, 0);
    return v;
}

static const char *item_id(struct bw_senc *e, uint32_t oi)
{
    const struct bw_sctx *x = ctx(e);

    if (oi < x->nitems && x->item_ids[oi])
        return x->item_ids[oi];
    if (oi < e->own.nitems && e->own.item_ids[oi])
        return e->own.item_ids[oi];
    return "msg_bw";
}

/* Puts the texts sent into a summary item. BW_ENOMEM: the item may still hold upstream text. */
static int rewrite_item(struct bw_senc *e, cJSON *it, uint32_t oi)
{
    const char *t = bw_jstr(it, "type");
    struct bw_senc_item *x;
    cJSON *c, *p;
    int k = 0, bad = 0;

    if (t && strcmp(t, "function_call") == 0) {
        if ((x = item(e, oi, -1, 0)) != NULL && bw_jget(it, "arguments"))
            bad |= jreplace(it, "arguments", cJSON_CreateString(x->text.base ? x->text.base : ""));
        return bad ? BW_ENOMEM : 0;
    }
    c = bw_jget(it, "content");
    for (p = cJSON_IsArray(c) ? c->child : NULL; p; p = p->next, k++) {
        const char *pt = bw_jstr(p, "type");
        if (pt && strcmp(pt, "output_text") == 0 && (x = item(e, oi, k, 0)) != NULL) {
            bad |= jreplace(p, "text", cJSON_CreateString(x->text.base ? x->text.base : ""));
            if (bw_jget(p, "logprobs"))
                bad |= jreplace(p, "logprobs", cJSON_CreateArray());
        }
    }
    return bad ? BW_ENOMEM : 0;
}

/* Re-prints a Responses event: sequence number, texts actually sent, trace on the last. */
static int resp_event(struct bw_senc *e, const struct bw_sev *ev, int last, struct bw_buf *out)
{
    cJSON *j = cJSON_ParseWithLength(ev->data.base, ev->data.len);
    const char *t;
    char *p;
    int rv, bad = 0;

    if (j == NULL)
        return BW_ENOMEM; /* the decoder read it as JSON: only memory can fail here, and it may hold text */
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return sse_pass(out, ev);
    }
    t = bw_jstr(j, "type");
    if (t == NULL)
        t = "";
    if (bw_jget(j, "sequence_number"))
        jreplace(j, "sequence_number", cJSON_CreateNumber((double)e->seq));
    e->seq++;
    if (strcmp(t, "response.output_text.done") == 0) {
        struct bw_senc_item *x = item(e, (uint32_t)jpint(j, "output_index", 0), jpint(j, "content_index", 0), 0);
        if (x) {
            bad |= jreplace(j, "text", cJSON_CreateString(x->text.base ? x->text.base : ""));
            if (bw_jget(j, "logprobs"))
                bad |= jreplace(j, "logprobs", cJSON_CreateArray());
        }
    } else if (strcmp(t, "response.content_part.done") == 0) {
        struct bw_senc_item *x = item(e, (uint32_t)jpint(j, "output_index", 0), jpint(j, "content_index", 0), 0);
        cJSON *part = bw_jget(j, "part");
        if (x && bw_jget(part, "text"))
            bad |= jreplace(part, "text", cJSON_CreateString(x->text.base ? x->text.base : ""));
    } else if (strcmp(t, "response.output_item.done") == 0) {
        bad |= rewrite_item(e, bw_jget(j, "item"), (uint32_t)jpint(j, "output_index", 0));
        if (e->open && e->open_index == (uint32_t)jpint(j, "output_index", 0))
            e->open = 0;
    } else if (strcmp(t, "response.function_call_arguments.done") == 0) {
        struct bw_senc_item *x = item(e, (uint32_t)jpint(j, "output_index", 0), -1, 0);
        if (x)
            bad |= jreplace(j, "arguments", cJSON_CreateString(x->text.base ? x->text.base : ""));
    } else if (strncmp(t, "response.", 9) == 0 && bw_jget(j, "response")) {
        cJSON *o = jpath(j, "response.output"), *it;
        uint32_t k = 0;
        for (it = cJSON_IsArray(o) ? o->child : NULL; it; it = it->next, k++)
            bad |= rewrite_item(e, it, k);
        if (strcmp(t, "response.created") == 0)
            e->started = 1;
    } else if (strcmp(t, "response.output_item.added") == 0) {
        uint32_t oi = (uint32_t)jpint(j, "output_index", 0);
        const char *it = jpstr(j, "item.type");
        e->open = 1;
        e->open_index = oi;
        e->open_kind = it && strcmp(it, "message") == 0 ? 0 : 2;
        if (oi + 1 > e->next_index)
            e->next_index = oi + 1;
    }
    if (last && e->has_trace && e->trace_on) {
        struct bw_buf tb;
        cJSON *tj;

        bw_buf_init(&tb, 0);
        if (bw_trace_bulwark(&e->tr, &tb) == 0 && (tj = cJSON_ParseWithLength(tb.base, tb.len)) != NULL)
            if (!cJSON_AddItemToObject(j, "bulwark_trace", tj))
                cJSON_Delete(tj);
        bw_buf_free(&tb);
    }
    /* t points into j: encode before freeing it */
    if (bad || (p = cJSON_PrintUnformatted(j)) == NULL) {
        cJSON_Delete(j);
        return BW_ENOMEM;
    }
    rv = bw_sse_encode(out, ev->name.len ? ev->name.base : t, ev->name.len ? ev->name.len : strlen(t), p, strlen(p));
    cJSON_free(p);
    cJSON_Delete(j);
    return rv;
}

static int resp_delta(struct bw_senc *e, int args, uint32_t oi, uint32_t ci, const char *t, size_t n,
                      struct bw_buf *out)
{
    struct bw_senc_item *x = item(e, oi, args ? -1 : (int32_t)ci, 1);
    const char *type = args ? "response.function_call_arguments.delta" : "response.output_text.delta";
    int rv;

    if (x == NULL || bw_buf_add(&x->text, t, n) != 0)
        return BW_ENOMEM;
    bw_buf_reset(&e->tmp);
    rv = bw_buf_printf(&e->tmp, "{\"type\":\"%s\",\"item_id\":", type) || bw_buf_jstr(&e->tmp, item_id(e, oi)) ||
         bw_buf_printf(&e->tmp, ",\"output_index\":%u", oi) ||
         (!args && bw_buf_printf(&e->tmp, ",\"content_index\":%u", ci)) || bw_buf_adds(&e->tmp, ",\"delta\":\"") ||
         bw_buf_json_str(&e->tmp, t, n) ||
         bw_buf_printf(&e->tmp, "\",%s\"sequence_number\":%lld}", args ? "" : "\"logprobs\":[],", (long long)e->seq++);
    return rv ? BW_ENOMEM : sse_tmp(e, out, type);
}

static int enc_responses(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out)
{
    switch (ev->kind) {
    case BW_SEV_TEXT: return resp_delta(e, 0, ev->index, ev->sub, ev->text.base, ev->text.len, out);
    case BW_SEV_TOOL_ARGS: return resp_delta(e, 1, ev->index, 0, ev->text.base, ev->text.len, out);
    case BW_SEV_DONE: e->done = 1; return resp_event(e, ev, 1, out);
    case BW_SEV_ERROR: e->done = 1; return resp_event(e, ev, 0, out);
    default:
        if (ev->flags & BW_SEVF_COMMENT)
            return sse_pass(out, ev);
        return resp_event(e, ev, 0, out);
    }
}

/* A minimal response object for the blocked end of a Responses stream. */
static int resp_object(struct bw_senc *e, struct bw_buf *b, const char *status, const char *msg_item)
{
    int rv = bw_buf_adds(b, "{\"id\":") || bw_buf_jstr(b, cid(e)) ||
             bw_buf_printf(b, ",\"object\":\"response\",\"created_at\":%lld,\"status\":\"%s\",\"error\":null,",
                           ccreated(e), status) ||
             bw_buf_adds(b, strcmp(status, "incomplete") == 0 ? "\"incomplete_details\":{\"reason\":\"content_filter\"},"
                                                               : "\"incomplete_details\":null,") ||
             bw_buf_adds(b, "\"model\":") || bw_buf_jstr(b, cmodel(e)) || bw_buf_adds(b, ",\"output\":[") ||
             (msg_item && bw_buf_adds(b, msg_item)) ||
             bw_buf_adds(b, "],\"parallel_tool_calls\":true,\"tool_choice\":\"auto\",\"tools\":[],\"usage\":null,"
                            "\"metadata\":{}}");
    return rv ? BW_ENOMEM : 0;
}

static int resp_blocked(struct bw_senc *e, const char *msg, struct bw_buf *out)
{
    struct bw_buf item_json;
    struct bw_senc_item *x;
    uint32_t oi;
    int rv = 0;

    if (!e->started) {
        bw_buf_reset(&e->tmp);
        rv = bw_buf_adds(&e->tmp, "{\"type\":\"response.created\",\"response\":") ||
             resp_object(e, &e->tmp, "in_progress", NULL) ||
             bw_buf_printf(&e->tmp, ",\"sequence_number\":%lld}", (long long)e->seq++);
        if (rv || (rv = sse_tmp(e, out, "response.created")) != 0)
            return rv ? BW_ENOMEM : rv;
        e->started = 1;
    }
    /* continue an open message item, or start one */
    if (e->open && e->open_kind == 0) {
        oi = e->open_index;
    } else {
        oi = e->next_index++;
        bw_buf_reset(&e->tmp);
        rv = bw_buf_printf(&e->tmp, "{\"type\":\"response.output_item.added\",\"output_index\":%u,\"item\":{\"id\":",
                           oi) ||
             bw_buf_jstr(&e->tmp, item_id(e, oi)) ||
             bw_buf_printf(&e->tmp,
                           ",\"type\":\"message\",\"status\":\"in_progress\",\"role\":\"assistant\",\"content\":[]},"
                           "\"sequence_number\":%lld}",
                           (long long)e->seq++) ||
             sse_tmp(e, out, "response.output_item.added");
        bw_buf_reset(&e->tmp);
        rv = rv || bw_buf_adds(&e->tmp, "{\"type\":\"response.content_part.added\",\"item_id\":") ||
             bw_buf_jstr(&e->tmp, item_id(e, oi)) ||
             bw_buf_printf(&e->tmp,
                           ",\"output_index\":%u,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":\"\","
                           "\"annotations\":[]},\"sequence_number\":%lld}",
                           oi, (long long)e->seq++) ||
             sse_tmp(e, out, "response.content_part.added");
        if (rv)
            return BW_ENOMEM;
    }
    if ((rv = resp_delta(e, 0, oi, 0, msg, strlen(msg), out)) != 0)
        return rv;
    x = item(e, oi, 0, 1);
    if (x == NULL)
        return BW_ENOMEM;
    bw_buf_reset(&e->tmp);
    rv = bw_buf_adds(&e->tmp, "{\"type\":\"response.output_text.done\",\"item_id\":") ||
         bw_buf_jstr(&e->tmp, item_id(e, oi)) ||
         bw_buf_printf(&e->tmp, ",\"output_index\":%u,\"content_index\":0,\"text\":", oi) ||
         bw_buf_jstr(&e->tmp, x->text.base ? x->text.base : "") ||
         bw_buf_printf(&e->tmp, ",\"logprobs\":[],\"sequence_number\":%lld}", (long long)e->seq++) ||
         sse_tmp(e, out, "response.output_text.done");
    bw_buf_reset(&e->tmp);
    rv = rv || bw_buf_adds(&e->tmp, "{\"type\":\"response.content_part.done\",\"item_id\":") ||
         bw_buf_jstr(&e->tmp, item_id(e, oi)) ||
         bw_buf_printf(&e->tmp, ",\"output_index\":%u,\"content_index\":0,\"part\":{\"type\":\"output_text\",\"text\":",
                       oi) ||
         bw_buf_jstr(&e->tmp, x->text.base ? x->text.base : "") ||
         bw_buf_printf(&e->tmp, ",\"annotations\":[]},\"sequence_number\":%lld}", (long long)e->seq++) ||
         sse_tmp(e, out, "response.content_part.done");
    bw_buf_init(&item_json, 0);
    rv = rv || bw_buf_adds(&item_json, "{\"id\":") || bw_buf_jstr(&item_json, item_id(e, oi)) ||
         bw_buf_adds(&item_json, ",\"type\":\"message\",\"status\":\"incomplete\",\"role\":\"assistant\",\"content\":["
                                 "{\"type\":\"output_text\",\"text\":") ||
         bw_buf_jstr(&item_json, x->text.base ? x->text.base : "") ||
         bw_buf_adds(&item_json, ",\"annotations\":[],\"logprobs\":[]}]}");
    bw_buf_reset(&e->tmp);
    rv = rv || bw_buf_printf(&e->tmp, "{\"type\":\"response.output_item.done\",\"output_index\":%u,\"item\":", oi) ||
         bw_buf_add(&e->tmp, item_json.base, item_json.len) ||
         bw_buf_printf(&e->tmp, ",\"sequence_number\":%lld}", (long long)e->seq++) ||
         sse_tmp(e, out, "response.output_item.done");
    bw_buf_reset(&e->tmp);
    rv = rv || bw_buf_adds(&e->tmp, "{\"type\":\"response.incomplete\",\"response\":") ||
         resp_object(e, &e->tmp, "incomplete", item_json.base) ||
         bw_buf_printf(&e->tmp, ",\"sequence_number\":%lld", (long long)e->seq++);
    if (rv == 0 && e->has_trace && e->trace_on)
        rv = bw_buf_adds(&e->tmp, ",\"bulwark_trace\":") || bw_trace_bulwark(&e->tr, &e->tmp);
    rv = rv || bw_buf_addc(&e->tmp, '}') || sse_tmp(e, out, "response.incomplete");
    bw_buf_free(&item_json);
    return rv ? BW_ENOMEM : 0;
}

/* --- Anthropic (SSE, and the chunks of Anthropic models on InvokeModel) --- */

/* Appends one Anthropic event: SSE, or an InvokeModel chunk. */
static int st_an_out(struct bw_senc *e, const char *type, const char *json, size_t n, struct bw_buf *out);

static int st_an_start_if_needed(struct bw_senc *e, struct bw_buf *out)
{
    int rv;

    if (e->started)
        return 0;
    bw_buf_reset(&e->tmp2);
    rv = bw_buf_adds(&e->tmp2, "{\"type\":\"message_start\",\"message\":{\"id\":") || bw_buf_jstr(&e->tmp2, cid(e)) ||
         bw_buf_adds(&e->tmp2, ",\"type\":\"message\",\"role\":\"assistant\",\"model\":") ||
         bw_buf_jstr(&e->tmp2, cmodel(e)) ||
         bw_buf_adds(&e->tmp2, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{"
                               "\"input_tokens\":0,\"output_tokens\":0}}}");
    e->started = 1;
    return rv ? BW_ENOMEM : st_an_out(e, "message_start", e->tmp2.base, e->tmp2.len, out);
}

static int st_an_track(struct bw_senc *e, const struct bw_sev *ev)
{
    const char *n = ev->name.base;
    size_t l = ev->name.len;
    cJSON *j;

    if (l == 13 && memcmp(n, "message_start", 13) == 0)
        e->started = 1;
    else if (l == 19 && memcmp(n, "content_block_start", 19) == 0) {
        const char *t;

        j = cJSON_ParseWithLength(ev->data.base, ev->data.len);
        t = jpstr(j, "content_block.type");
        e->open = 1;
        e->open_index = (uint32_t)jpint(j, "index", 0);
        e->open_kind = t && strcmp(t, "text") == 0 ? 0 : (t && strstr(t, "tool_use") ? 1 : 2);
        if (e->open_index + 1 > e->next_index)
            e->next_index = e->open_index + 1;
        cJSON_Delete(j);
    } else if (l == 18 && memcmp(n, "content_block_stop", 18) == 0) {
        e->open = 0;
    }
    return 0;
}

static int st_an_delta(struct bw_senc *e, uint32_t i, int args, const char *t, size_t n, struct bw_buf *out)
{
    int rv;

    bw_buf_reset(&e->tmp2);
    rv = bw_buf_printf(&e->tmp2, "{\"type\":\"content_block_delta\",\"index\":%u,\"delta\":{\"type\":\"%s\",\"%s\":\"", i,
                       args ? "input_json_delta" : "text_delta", args ? "partial_json" : "text") ||
         bw_buf_json_str(&e->tmp2, t, n) || bw_buf_adds(&e->tmp2, "\"}}");
    return rv ? BW_ENOMEM : st_an_out(e, "content_block_delta", e->tmp2.base, e->tmp2.len, out);
}

/* message_stop with the trace (SSE: bulwark_trace; InvokeModel: Bedrock's fields). */
static int st_an_stop(struct bw_senc *e, const char *data, size_t n, struct bw_buf *out)
{
    struct bw_buf b;
    int rv = 0;

    bw_buf_init(&b, 0);
    if (bw_buf_add(&b, data ? data : "{\"type\":\"message_stop\"}", data ? n : 23) != 0) {
        bw_buf_free(&b);
        return BW_ENOMEM;
    }
    if (e->api == BW_API_ANTHROPIC) {
        if (e->has_trace && e->trace_on) {
            bw_buf_reset(&e->tmp2);
            rv = bw_trace_bulwark(&e->tr, &e->tmp2);
            rv = rv || obj_append(&b, 0, "bulwark_trace", e->tmp2.base, e->tmp2.len);
        }
    } else if (e->has_trace) {
        if (e->gr_client)
            rv = obj_append(&b, 0, "amazon-bedrock-guardrailAction",
                            e->tr.intervened ? "\"INTERVENED\"" : "\"NONE\"", e->tr.intervened ? 12 : 6);
        if (rv == 0 && e->trace_on) {
            bw_buf_reset(&e->tmp2);
            rv = bw_trace_invoke(&e->tr, &e->tmp2) ||
                 obj_append(&b, 0, "amazon-bedrock-trace", e->tmp2.base, e->tmp2.len);
        }
    }
    if (rv == 0)
        rv = st_an_out(e, "message_stop", b.base, b.len, out);
    bw_buf_free(&b);
    e->done = 1;
    return rv ? (rv < 0 ? rv : BW_ENOMEM) : 0;
}

static int st_an_blocked(struct bw_senc *e, const char *msg, struct bw_buf *out)
{
    uint32_t idx;
    int rv;

    if ((rv = st_an_start_if_needed(e, out)) != 0)
        return rv;
    if (e->open && e->open_kind != 0) {
        bw_buf_reset(&e->tmp2);
        if (bw_buf_printf(&e->tmp2, "{\"type\":\"content_block_stop\",\"index\":%u}", e->open_index) ||
            (rv = st_an_out(e, "content_block_stop", e->tmp2.base, e->tmp2.len, out)) != 0)
            return rv ? rv : BW_ENOMEM;
        e->open = 0;
    }
    if (e->open) {
        idx = e->open_index;
    } else {
        idx = e->next_index++;
        bw_buf_reset(&e->tmp2);
        if (bw_buf_printf(&e->tmp2,
                          "{\"type\":\"content_block_start\",\"index\":%u,\"content_block\":{\"type\":\"text\","
                          "\"text\":\"\"}}",
                          idx) ||
            (rv = st_an_out(e, "content_block_start", e->tmp2.base, e->tmp2.len, out)) != 0)
            return rv ? rv : BW_ENOMEM;
    }
    if ((rv = st_an_delta(e, idx, 0, msg, strlen(msg), out)) != 0)
        return rv;
    bw_buf_reset(&e->tmp2);
    if (bw_buf_printf(&e->tmp2, "{\"type\":\"content_block_stop\",\"index\":%u}", idx) ||
        (rv = st_an_out(e, "content_block_stop", e->tmp2.base, e->tmp2.len, out)) != 0)
        return rv ? rv : BW_ENOMEM;
    e->open = 0;
    bw_buf_reset(&e->tmp2);
    if (bw_buf_printf(&e->tmp2,
                      "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"guardrail_intervened\","
                      "\"stop_sequence\":null},\"usage\":{\"output_tokens\":%d}}",
                      ctx(e)->usage_out) ||
        (rv = st_an_out(e, "message_delta", e->tmp2.base, e->tmp2.len, out)) != 0)
        return rv ? rv : BW_ENOMEM;
    return st_an_stop(e, NULL, 0, out);
}

static int enc_anthropic(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out)
{
    switch (ev->kind) {
    case BW_SEV_TEXT:
    case BW_SEV_TOOL_ARGS:
        return st_an_delta(e, ev->index, ev->kind == BW_SEV_TOOL_ARGS, ev->text.base, ev->text.len, out);
    case BW_SEV_DONE: return st_an_stop(e, ev->data.len ? ev->data.base : NULL, ev->data.len, out);
    case BW_SEV_ERROR: e->done = 1; return sse_pass(out, ev);
    case BW_SEV_STOP: e->stopped = 1; /* fall through */
    default:
        st_an_track(e, ev);
        return sse_pass(out, ev);
    }
}

/* --- Bedrock: event-stream out, with the last events held for the trace --- */

static int evs_event(struct bw_buf *out, const char *type, const char *json, size_t n)
{
    return bw_evs_encode_json(out, 0, type, json, n);
}

/* An InvokeModel chunk: {"bytes": base64(json)}. */
static int chunk_out(struct bw_senc *e, const char *json, size_t n, struct bw_buf *out)
{
    struct bw_buf b;
    int rv;

    (void)e;
    bw_buf_init(&b, 0);
    rv = bw_buf_adds(&b, "{\"bytes\":\"") || b64enc(&b, json, n) || bw_buf_adds(&b, "\"}");
    if (rv == 0)
        rv = evs_event(out, "chunk", b.base, b.len);
    else
        rv = BW_ENOMEM;
    bw_buf_free(&b);
    return rv;
}

static int st_an_out(struct bw_senc *e, const char *type, const char *json, size_t n, struct bw_buf *out)
{
    if (e->api == BW_API_ANTHROPIC)
        return sse_out(out, type, json, n);
    return chunk_out(e, json, n, out);
}

static int flush_held(struct bw_senc *e, struct bw_buf *out)
{
    int rv;

    if (e->held == NULL)
        return 0;
    if (e->api == BW_API_BEDROCK_INVOKE)
        rv = chunk_out(e, e->held, e->held_len, out);
    else
        rv = evs_event(out, e->held_name, e->held, e->held_len);
    free(e->held);
    e->held = NULL;
    return rv;
}

static int hold(struct bw_senc *e, const char *name, const char *data, size_t n, struct bw_buf *out)
{
    int rv;

    if ((rv = flush_held(e, out)) != 0)
        return rv;
    if ((e->held = malloc(n + 1)) == NULL)
        return BW_ENOMEM;
    memcpy(e->held, data, n);
    e->held[n] = 0;
    e->held_len = n;
    setstr(e->held_name, sizeof(e->held_name), name ? name : "");
    return 0;
}

static const char *exception_type(int status)
{
    switch (status) {
    case 400: case 413: case 422: return "validationException";
    case 408: case 504: return "modelTimeoutException";
    case 424: case 502: return "modelStreamErrorException";
    case 429: return "throttlingException";
    case 503: return "serviceUnavailableException";
    default: return "internalServerException";
    }
}

static int cv_metadata_with_trace(struct bw_senc *e, const char *json, size_t n, struct bw_buf *out)
{
    struct bw_buf b;
    int rv = 0;

    bw_buf_init(&b, 0);
    if (json)
        rv = bw_buf_add(&b, json, n);
    else
        rv = bw_buf_printf(&b, "{\"usage\":{\"inputTokens\":%d,\"outputTokens\":%d,\"totalTokens\":%d},"
                               "\"metrics\":{\"latencyMs\":0}}",
                           ctx(e)->usage_in, ctx(e)->usage_out, ctx(e)->usage_in + ctx(e)->usage_out);
    if (rv == 0 && e->has_trace && e->trace_on) {
        cJSON *j = cJSON_ParseWithLength(b.base, b.len), *tr;
        struct bw_buf tb;
        char *p = NULL;

        bw_buf_init(&tb, 0);
        rv = bw_buf_adds(&tb, "{\"guardrail\":") || bw_trace_converse(&e->tr, &tb) || bw_buf_addc(&tb, '}');
        tr = rv ? NULL : cJSON_ParseWithLength(tb.base, tb.len);
        if (j && tr) {
            cJSON *old = bw_jget(j, "trace");
            if (cJSON_IsObject(old)) {
                cJSON_DeleteItemFromObjectCaseSensitive(old, "guardrail");
                cJSON *g = cJSON_DetachItemFromObjectCaseSensitive(tr, "guardrail");
                if (!cJSON_AddItemToObject(old, "guardrail", g)) /* out of memory: the item stays ours */
                    cJSON_Delete(g);
                cJSON_Delete(tr);
            } else {
                cJSON_DeleteItemFromObjectCaseSensitive(j, "trace");
                if (!cJSON_AddItemToObject(j, "trace", tr))
                    cJSON_Delete(tr);
            }
            p = cJSON_PrintUnformatted(j);
        } else {
            cJSON_Delete(tr);
        }
        cJSON_Delete(j);
        bw_buf_free(&tb);
        if (p) {
            bw_buf_reset(&b);
            rv = bw_buf_adds(&b, p);
            cJSON_free(p);
        }
    }
    if (rv == 0)
        rv = evs_event(out, "metadata", b.base, b.len);
    bw_buf_free(&b);
    return rv;
}

static int cv_done(struct bw_senc *e, struct bw_buf *out)
{
    int rv = 0;

    e->done = 1;
    if (e->held && strcmp(e->held_name, "metadata") == 0) {
        char *h = e->held;
        size_t n = e->held_len;

        e->held = NULL;
        rv = cv_metadata_with_trace(e, h, n, out);
        free(h);
        return rv;
    }
    if ((rv = flush_held(e, out)) != 0)
        return rv;
    if (e->has_trace && e->trace_on)
        rv = cv_metadata_with_trace(e, NULL, 0, out);
    return rv;
}

static int enc_converse(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out)
{
    char name[64];
    int rv;

    setstr(name, sizeof(name), "");
    snprintf(name, sizeof(name), "%.*s", (int)BW_MIN(ev->name.len, 63), ev->name.base);
    switch (ev->kind) {
    case BW_SEV_TEXT:
    case BW_SEV_TOOL_ARGS:
        if ((rv = flush_held(e, out)) != 0)
            return rv;
        bw_buf_reset(&e->tmp);
        if (ev->kind == BW_SEV_TEXT)
            rv = bw_buf_printf(&e->tmp, "{\"contentBlockIndex\":%u,\"delta\":{\"text\":\"", ev->index) ||
                 bw_buf_json_str(&e->tmp, ev->text.base, ev->text.len) || bw_buf_adds(&e->tmp, "\"}}");
        else
            rv = bw_buf_printf(&e->tmp, "{\"contentBlockIndex\":%u,\"delta\":{\"toolUse\":{\"input\":\"", ev->index) ||
                 bw_buf_json_str(&e->tmp, ev->text.base, ev->text.len) || bw_buf_adds(&e->tmp, "\"}}}");
        if (rv)
            return BW_ENOMEM;
        if (!e->open || e->open_index != ev->index) {
            e->open = 1;
            e->open_index = ev->index;
            e->open_kind = ev->kind == BW_SEV_TEXT ? 0 : 1;
            if (ev->index + 1 > e->next_index)
                e->next_index = ev->index + 1;
        }
        return evs_event(out, "contentBlockDelta", e->tmp.base, e->tmp.len);
    case BW_SEV_DONE: return cv_done(e, out);
    case BW_SEV_ERROR:
        if ((rv = flush_held(e, out)) != 0)
            return rv;
        e->done = 1;
        return bw_evs_encode_json(out, 1, name[0] ? name : "internalServerException", ev->data.base, ev->data.len);
    default:
        if (strcmp(name, "messageStart") == 0)
            e->started = 1;
        else if (strcmp(name, "contentBlockStart") == 0) {
            cJSON *j = cJSON_ParseWithLength(ev->data.base, ev->data.len);
            e->open = 1;
            e->open_index = (uint32_t)jpint(j, "contentBlockIndex", 0);
            e->open_kind = jpath(j, "start.toolUse") ? 1 : 2;
            if (e->open_index + 1 > e->next_index)
                e->next_index = e->open_index + 1;
            cJSON_Delete(j);
        } else if (strcmp(name, "contentBlockStop") == 0) {
            e->open = 0;
        }
        if (ev->kind == BW_SEV_STOP)
            e->stopped = 1;
        if (e->stopped)
            return hold(e, name, ev->data.base, ev->data.len, out);
        if ((rv = flush_held(e, out)) != 0)
            return rv;
        return evs_event(out, name, ev->data.base, ev->data.len);
    }
}

static int cv_blocked(struct bw_senc *e, const char *msg, struct bw_buf *out)
{
    uint32_t idx;
    int rv;

    if ((rv = flush_held(e, out)) != 0)
        return rv;
    if (!e->started && (rv = evs_event(out, "messageStart", "{\"role\":\"assistant\"}", 20)) != 0)
        return rv;
    e->started = 1;
    if (e->open && e->open_kind != 0) {
        bw_buf_reset(&e->tmp);
        if (bw_buf_printf(&e->tmp, "{\"contentBlockIndex\":%u}", e->open_index) ||
            (rv = evs_event(out, "contentBlockStop", e->tmp.base, e->tmp.len)) != 0)
            return rv ? rv : BW_ENOMEM;
        e->open = 0;
    }
    idx = e->open ? e->open_index : e->next_index++;
    bw_buf_reset(&e->tmp);
    rv = bw_buf_printf(&e->tmp, "{\"contentBlockIndex\":%u,\"delta\":{\"text\":\"", idx) ||
         bw_buf_json_str(&e->tmp, msg, strlen(msg)) || bw_buf_adds(&e->tmp, "\"}}");
    if (rv || (rv = evs_event(out, "contentBlockDelta", e->tmp.base, e->tmp.len)) != 0)
        return rv ? rv : BW_ENOMEM;
    bw_buf_reset(&e->tmp);
    if (bw_buf_printf(&e->tmp, "{\"contentBlockIndex\":%u}", idx) ||
        (rv = evs_event(out, "contentBlockStop", e->tmp.base, e->tmp.len)) != 0)
        return rv ? rv : BW_ENOMEM;
    e->open = 0;
    if ((rv = evs_event(out, "messageStop", "{\"stopReason\":\"guardrail_intervened\"}", 37)) != 0)
        return rv;
    e->done = 1;
    return cv_metadata_with_trace(e, NULL, 0, out);
}

/* InvokeModel: texts in the model's own chunk form. */
struct nat_form {
    const char *pre, *post, *stop;
};

static const struct nat_form nat_forms[BW_NAT__N] = {
    [BW_NAT_UNKNOWN] = {"{\"text\":", "}", "{\"stop_reason\":\"guardrail_intervened\"}"},
    [BW_NAT_TITAN] = {"{\"outputText\":",
                      ",\"index\":0,\"totalOutputTextTokenCount\":null,\"completionReason\":null,"
                      "\"inputTextTokenCount\":null}",
                      "{\"outputText\":\"\",\"index\":0,\"totalOutputTextTokenCount\":0,\"completionReason\":"
                      "\"CONTENT_FILTERED\",\"inputTextTokenCount\":null}"},
    [BW_NAT_LLAMA] = {"{\"generation\":", ",\"prompt_token_count\":null,\"generation_token_count\":0,\"stop_reason\":null}",
                      "{\"generation\":\"\",\"prompt_token_count\":null,\"generation_token_count\":0,\"stop_reason\":"
                      "\"stop\"}"},
    [BW_NAT_MISTRAL] = {"{\"outputs\":[{\"text\":", ",\"stop_reason\":null}]}",
                        "{\"outputs\":[{\"text\":\"\",\"stop_reason\":\"stop\"}]}"},
    [BW_NAT_CHAT] = {"{\"choices\":[{\"index\":0,\"delta\":{\"content\":", "},\"finish_reason\":null}]}",
                     "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"content_filter\"}]}"},
    [BW_NAT_DEEPSEEK] = {"{\"choices\":[{\"text\":", ",\"stop_reason\":null}]}",
                         "{\"choices\":[{\"text\":\"\",\"stop_reason\":\"stop\"}]}"},
    [BW_NAT_NOVA] = {"{\"contentBlockDelta\":{\"delta\":{\"text\":", "},\"contentBlockIndex\":0}}",
                     "{\"messageStop\":{\"stopReason\":\"guardrail_intervened\"}}"},
    [BW_NAT_COHERE] = {"{\"is_finished\":false,\"event_type\":\"text-generation\",\"text\":", "}",
                       "{\"is_finished\":true,\"event_type\":\"stream-end\",\"finish_reason\":\"COMPLETE\"}"},
    [BW_NAT_COHERE_GEN] = {"{\"generations\":[{\"text\":", "}],\"is_finished\":false}",
                           "{\"generations\":[{\"text\":\"\",\"finish_reason\":\"COMPLETE\"}],\"is_finished\":true}"},
    [BW_NAT_CLAUDE_TEXT] = {"{\"completion\":", ",\"stop_reason\":null,\"stop\":null}",
                            "{\"completion\":\"\",\"stop_reason\":\"guardrail_intervened\",\"stop\":null}"},
    [BW_NAT_AI21_J2] = {"{\"text\":", "}", "{\"stop_reason\":\"guardrail_intervened\"}"},
};

static int native_of(const struct bw_senc *e)
{
    int n = ctx(e)->native ? ctx(e)->native : e->native;
    return n > 0 && n < BW_NAT__N ? n : BW_NAT_UNKNOWN;
}

static int iv_text(struct bw_senc *e, const char *t, size_t n, struct bw_buf *out)
{
    const char *tmpl = ctx(e)->tmpl;
    const struct nat_form *f = &nat_forms[native_of(e)];
    const char *mark;
    int rv;

    bw_buf_reset(&e->tmp);
    if (tmpl && (mark = strstr(tmpl, "\"" TMPL_MARK "\"")) != NULL) {
        rv = bw_buf_add(&e->tmp, tmpl, (size_t)(mark - tmpl)) || bw_buf_addc(&e->tmp, '"') ||
             bw_buf_json_str(&e->tmp, t, n) || bw_buf_addc(&e->tmp, '"') ||
             bw_buf_adds(&e->tmp, mark + strlen(TMPL_MARK) + 2);
    } else {
        rv = bw_buf_adds(&e->tmp, f->pre) || bw_buf_addc(&e->tmp, '"') || bw_buf_json_str(&e->tmp, t, n) ||
             bw_buf_addc(&e->tmp, '"') || bw_buf_adds(&e->tmp, f->post);
    }
    return rv ? BW_ENOMEM : chunk_out(e, e->tmp.base, e->tmp.len, out);
}

/* The last chunk: Bedrock's guardrail action and trace go into it. */
static int iv_last(struct bw_senc *e, const char *json, size_t n, struct bw_buf *out)
{
    struct bw_buf b;
    int rv = 0;

    bw_buf_init(&b, 0);
    rv = bw_buf_add(&b, json, n);
    if (rv == 0 && e->has_trace && e->gr_client)
        rv = obj_append(&b, 0, "amazon-bedrock-guardrailAction", e->tr.intervened ? "\"INTERVENED\"" : "\"NONE\"",
                        e->tr.intervened ? 12 : 6);
    if (rv == 0 && e->has_trace && e->trace_on) {
        bw_buf_reset(&e->tmp2);
        rv = bw_trace_invoke(&e->tr, &e->tmp2) || obj_append(&b, 0, "amazon-bedrock-trace", e->tmp2.base, e->tmp2.len);
    }
    if (rv == 0)
        rv = chunk_out(e, b.base, b.len, out);
    bw_buf_free(&b);
    return rv ? (rv < 0 ? rv : BW_ENOMEM) : 0;
}

static int iv_done(struct bw_senc *e, struct bw_buf *out)
{
    int rv = 0;

    e->done = 1;
    if (e->held) {
        char *h = e->held;
        size_t n = e->held_len;

        e->held = NULL;
        rv = iv_last(e, h, n, out);
        free(h);
        return rv;
    }
    if (e->has_trace && (e->trace_on || e->gr_client)) {
        if (native_of(e) == BW_NAT_ANTHROPIC)
            return iv_last(e, "{\"type\":\"message_stop\"}", 23, out);
        return iv_last(e, "{}", 2, out);
    }
    return 0;
}

static int enc_invoke(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out)
{
    int rv;

    switch (ev->kind) {
    case BW_SEV_TEXT:
    case BW_SEV_TOOL_ARGS:
        if ((rv = flush_held(e, out)) != 0)
            return rv;
        if (native_of(e) == BW_NAT_ANTHROPIC)
            return st_an_delta(e, ev->index, ev->kind == BW_SEV_TOOL_ARGS, ev->text.base, ev->text.len, out);
        if (ev->kind == BW_SEV_TOOL_ARGS)
            return BW_EINVAL;
        e->started = 1;
        return iv_text(e, ev->text.base, ev->text.len, out);
    case BW_SEV_DONE: return iv_done(e, out);
    case BW_SEV_ERROR: {
        char name[64];

        if ((rv = flush_held(e, out)) != 0)
            return rv;
        e->done = 1;
        snprintf(name, sizeof(name), "%.*s", (int)BW_MIN(ev->name.len, 63), ev->name.base);
        return bw_evs_encode_json(out, 1, name[0] ? name : "internalServerException", ev->data.base, ev->data.len);
    }
    default:
        if (native_of(e) == BW_NAT_ANTHROPIC)
            st_an_track(e, ev);
        else
            e->started = 1;
        if (ev->kind == BW_SEV_STOP)
            e->stopped = 1;
        if (ev->name.len && !(ev->name.len == 5 && memcmp(ev->name.base, "chunk", 5) == 0) &&
            native_of(e) != BW_NAT_ANTHROPIC) {
            /* a non-chunk event of the stream: as it came */
            if ((rv = flush_held(e, out)) != 0)
                return rv;
            return evs_event(out, ev->name.base, ev->data.base, ev->data.len);
        }
        if (e->stopped)
            return hold(e, "chunk", ev->data.base, ev->data.len, out);
        if ((rv = flush_held(e, out)) != 0)
            return rv;
        return chunk_out(e, ev->data.base, ev->data.len, out);
    }
}

static int iv_blocked(struct bw_senc *e, const char *msg, struct bw_buf *out)
{
    const struct nat_form *f;
    int rv;

    if ((rv = flush_held(e, out)) != 0)
        return rv;
    if (native_of(e) == BW_NAT_ANTHROPIC)
        return st_an_blocked(e, msg, out);
    if ((rv = iv_text(e, msg, strlen(msg), out)) != 0)
        return rv;
    f = &nat_forms[native_of(e)];
    e->done = 1;
    return iv_last(e, f->stop, strlen(f->stop), out);
}

/* --- the interface --- */

int bw_senc_encode(struct bw_senc *e, const struct bw_sev *ev, struct bw_buf *out)
{
    if (e->done)
        return 0;
    if ((ev->kind == BW_SEV_TEXT || ev->kind == BW_SEV_TOOL_ARGS) && ev->text.len == 0)
        return 0;
    switch (e->api) {
    case BW_API_OPENAI_CHAT:
    case BW_API_OPENAI_COMPLETIONS: return enc_openai(e, ev, out);
    case BW_API_OPENAI_RESPONSES: return enc_responses(e, ev, out);
    case BW_API_ANTHROPIC: return enc_anthropic(e, ev, out);
    case BW_API_BEDROCK_CONVERSE: return enc_converse(e, ev, out);
    case BW_API_BEDROCK_INVOKE: return enc_invoke(e, ev, out);
    default: return BW_EINVAL;
    }
}

int bw_senc_blocked(struct bw_senc *e, const char *message, struct bw_buf *out)
{
    uint32_t i;
    int rv = 0;

    if (e->done)
        return 0;
    if (message == NULL)
        message = "";
    /* a blocked end always says so, trace or not */
    if (!e->has_trace) {
        memset(&e->tr, 0, sizeof(e->tr));
        e->has_trace = 1;
    }
    e->tr.intervened = e->tr.out_intervened = 1;
    if (e->api == BW_API_BEDROCK_INVOKE)
        e->gr_client = 1;
    switch (e->api) {
    case BW_API_OPENAI_CHAT:
    case BW_API_OPENAI_COMPLETIONS:
        if (e->seen == 0)
            e->seen = 1;
        for (i = 0; i < 64 && rv == 0; i++)
            if (e->seen & ((uint64_t)1 << i))
                rv = st_oa_text(e, i, message, strlen(message), !e->started && e->api == BW_API_OPENAI_CHAT, out);
        for (i = 0; i < 64 && rv == 0; i++)
            if (e->seen & ((uint64_t)1 << i))
                rv = st_oa_finish(e, i, "content_filter", out);
        if (rv == 0 && e->include_usage) {
            bw_buf_reset(&e->tmp);
            rv = st_oa_head(e, &e->tmp) ||
                 bw_buf_adds(&e->tmp, ",\"choices\":[],\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,"
                                      "\"total_tokens\":0}}")
                     ? BW_ENOMEM
                     : sse_tmp(e, out, NULL);
        }
        if (rv == 0)
            rv = st_oa_done(e, out);
        break;
    case BW_API_OPENAI_RESPONSES: rv = resp_blocked(e, message, out); break;
    case BW_API_ANTHROPIC: rv = st_an_blocked(e, message, out); break;
    case BW_API_BEDROCK_CONVERSE: rv = cv_blocked(e, message, out); break;
    case BW_API_BEDROCK_INVOKE: rv = iv_blocked(e, message, out); break;
    default: return BW_EINVAL;
    }
    e->done = 1;
    return rv;
}

int bw_senc_error(struct bw_senc *e, int status, const char *message, struct bw_buf *out)
{
    int rv;

    if (e->done)
        return 0;
    if (message == NULL)
        message = "";
    e->done = 1;
    bw_buf_reset(&e->tmp);
    switch (e->api) {
    case BW_API_OPENAI_CHAT:
    case BW_API_OPENAI_COMPLETIONS:
        rv = bw_buf_adds(&e->tmp, "{\"error\":{\"message\":") || bw_buf_jstr(&e->tmp, message) ||
             bw_buf_printf(&e->tmp, ",\"type\":\"%s\",\"param\":null,\"code\":null}}",
                           bw_adapter_error_type(e->api, status));
        return rv ? BW_ENOMEM : sse_tmp(e, out, NULL);
    case BW_API_OPENAI_RESPONSES:
        rv = bw_buf_printf(&e->tmp, "{\"type\":\"error\",\"code\":\"%s\",\"message\":",
                           bw_adapter_error_type(e->api, status)) ||
             bw_buf_jstr(&e->tmp, message) ||
             bw_buf_printf(&e->tmp, ",\"param\":null,\"sequence_number\":%lld}", (long long)e->seq++);
        return rv ? BW_ENOMEM : sse_tmp(e, out, "error");
    case BW_API_ANTHROPIC:
        rv = bw_buf_printf(&e->tmp, "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":",
                           bw_adapter_error_type(e->api, status)) ||
             bw_buf_jstr(&e->tmp, message) || bw_buf_adds(&e->tmp, "}}");
        return rv ? BW_ENOMEM : sse_tmp(e, out, "error");
    case BW_API_BEDROCK_CONVERSE:
    case BW_API_BEDROCK_INVOKE:
        if ((rv = flush_held(e, out)) != 0)
            return rv;
        rv = bw_buf_adds(&e->tmp, "{\"message\":") || bw_buf_jstr(&e->tmp, message) || bw_buf_addc(&e->tmp, '}');
        return rv ? BW_ENOMEM : bw_evs_encode_json(out, 1, exception_type(status), e->tmp.base, e->tmp.len);
    default: return BW_EINVAL;
    }
}
