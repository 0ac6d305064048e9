/*
 * regex.c: custom regexes of the sensitive information policy
 * (regexesConfig). Each regex is one pattern of the direction's matcher, in
 * PCRE2 syntax and with PCRE2's case semantics: Hyperscan runs it when it
 * can (with start of match), PCRE2 JIT otherwise (filters/matcher.c). The
 * regex sees the normalised view, so full-width digits or zero-width
 * characters do not dodge it.
 *
 * Hyperscan reports every end of a match with its leftmost start; PCRE2
 * reports leftmost-first, non-overlapping matches. Here both become
 * leftmost-longest, non-overlapping spans per regex.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "filters/errs.h"
#include "filters/matcher.h"
#include "pii/pii.h"

#define REGEX_PRIO 200 /* the user's own patterns win ties with built-in recognisers */
/*
 * Streaming hold for a regex whose matches are unbounded (or run on PCRE2,
 * which gives no width): matches longer than this can be released in part
 * before they complete. Documented in README (streaming).
 */
#define REGEX_HOLD_CAP 256

struct rx {
    uint32_t cfg;
    uint8_t action;
    pcre2_code *re; /* for the streaming hold: partial matching */
    size_t width;   /* longest match, capped at REGEX_HOLD_CAP */
};

struct regex_state {
    struct rx *r;
    size_t n;
    size_t hold; /* longest match any regex can make, capped */
};

/* per evaluation: the span being grown, per regex */
struct open_span {
    size_t start, end;
    int open;
};

static void st_free(void *p)
{
    struct regex_state *st = p;

    size_t i;

    if (st) {
        for (i = 0; i < st->n; i++)
            if (st->r[i].re)
                pcre2_code_free(st->r[i].re);
        free(st->r);
        free(st);
    }
}

static int compile(const void *conf, int dir, struct bw_mbuild *mb, uint16_t mod, void **out, struct bw_errs *errs)
{
    const struct bw_regex_conf *c = conf;
    struct regex_state *st;
    size_t i;

    *out = NULL;
    if ((st = calloc(1, sizeof(*st))) == NULL || (c->n && (st->r = calloc(c->n, sizeof(*st->r))) == NULL)) {
        free(st);
        return BW_ENOMEM;
    }
    for (i = 0; i < c->n; i++) {
        const struct bw_regex_item *it = &c->items[i];
        struct bw_pat_err perr;
        int rv;

        if (!it->ac.enabled[dir])
            continue;
        rv = bw_mbuild_add(mb, mod, (uint32_t)st->n, it->pattern, strlen(it->pattern), BW_PAT_USER | BW_PAT_SOM, &perr);
        if (rv < 0) {
            if (rv == BW_ECOMPILE && errs)
                bw_errs_add(errs, NULL, "regex \"%s\": %s at offset %d", it->name, perr.msg, perr.offset);
            st_free(st);
            return rv;
        }
        {
            uint32_t mw = bw_mbuild_max_width(mb, rv);
            int ec;
            PCRE2_SIZE eo;
            st->r[st->n].width = mw > REGEX_HOLD_CAP ? REGEX_HOLD_CAP : mw;
            if (st->r[st->n].width > st->hold)
                st->hold = st->r[st->n].width;
            /* validated by the matcher already; a failure here only widens the hold */
            st->r[st->n].re = pcre2_compile((PCRE2_SPTR)it->pattern, strlen(it->pattern), PCRE2_UTF, &ec, &eo, NULL);
            if (st->r[st->n].re)
                pcre2_jit_compile(st->r[st->n].re, PCRE2_JIT_PARTIAL_HARD);
        }
        st->r[st->n].cfg = (uint32_t)i;
        st->r[st->n].action = it->ac.action[dir];
        st->n++;
    }
    if (st->n == 0) {
        st_free(st);
        return BW_OK;
    }
    *out = st;
    return BW_OK;
}

static size_t scratch_size(const void *p)
{
    const struct regex_state *st = p;

    return st->n * sizeof(struct open_span);
}

static int emit(const struct regex_state *st, struct bw_eval *ev, uint32_t item, const struct open_span *sp)
{
    struct bw_finding f;

    memset(&f, 0, sizeof(f));
    f.policy = BW_POL_REGEX;
    f.item = st->r[item].cfg;
    f.action = st->r[item].action;
    f.detected = 1;
    f.prio = REGEX_PRIO;
    return bw_eval_add_span(ev, &f, sp->start, sp->end);
}

static int on_match(const void *p, struct bw_eval *ev, void *es, uint32_t item, size_t from, size_t to)
{
    const struct regex_state *st = p;
    struct open_span *sp = &((struct open_span *)es)[item];
    int rv;

    if (to <= from)
        return 0;
    if (sp->open) {
        if (from == sp->start) {
            if (to > sp->end)
                sp->end = to;
            return 0;
        }
        if (from < sp->end)
            return 0; /* overlaps the span being grown: leftmost wins */
        if ((rv = emit(st, ev, item, sp)) != 0)
            return rv;
    }
    sp->start = from;
    sp->end = to;
    sp->open = 1;
    return 0;
}

static int end_block(const void *p, struct bw_eval *ev, void *es)
{
    const struct regex_state *st = p;
    struct open_span *sp = es;
    size_t i;
    int rv;

    for (i = 0; i < st->n; i++)
        if (sp[i].open) {
            sp[i].open = 0;
            if ((rv = emit(st, ev, (uint32_t)i, &sp[i])) != 0)
                return rv;
        }
    return 0;
}

static pthread_key_t md_key;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_free(void *md)
{
    pcre2_match_data_free(md);
}

static void md_init(void)
{
    pthread_key_create(&md_key, md_free);
}

/* Per-thread match data: hooks get no scratch, and must not allocate per call. */
static pcre2_match_data *thread_md(void)
{
    pcre2_match_data *md;

    pthread_once(&md_once, md_init);
    if ((md = pthread_getspecific(md_key)) == NULL) {
        md = pcre2_match_data_create(16, NULL);
        pthread_setspecific(md_key, md);
    }
    return md;
}

/*
 * Streaming: where a match of some regex may still be in progress. PCRE2's
 * hard partial matching answers exactly that: it reports a match that ran
 * into the end of the text and could go on, with its start. Only the last
 * (width) bytes can hold such a start.
 */
static size_t hold(const void *p, const struct bw_text *t)
{
    const struct regex_state *st = p;
    pcre2_match_data *md = thread_md();
    size_t i, h = t->len;

    for (i = 0; i < st->n; i++) {
        const struct rx *r = &st->r[i];
        PCRE2_SIZE off = t->len > r->width ? t->len - r->width : 0;
        int rc;

        while (off > 0 && ((unsigned char)t->view[off] & 0xc0) == 0x80)
            off--;
        if (r->re == NULL || md == NULL) {
            if (off < h)
                h = off;
            continue;
        }
        while (off <= t->len) {
            PCRE2_SIZE *ov;
            rc = pcre2_match(r->re, (PCRE2_SPTR)t->view, t->len, off, PCRE2_PARTIAL_HARD | PCRE2_NO_UTF_CHECK, md,
                             NULL);
            if (rc == PCRE2_ERROR_NOMATCH)
                break;
            ov = pcre2_get_ovector_pointer(md);
            if (rc == PCRE2_ERROR_PARTIAL) {
                if (ov[0] < h)
                    h = ov[0];
                break;
            }
            if (rc < 0) {
                h = off < h ? off : h; /* limits: hold what could be in it */
                break;
            }
            off = ov[1] > ov[0] ? ov[1] : ov[0] + 1; /* a complete match: look past it */
        }
    }
    return h;
}

const struct bw_module_ops bw_regex_module = {
    .name = "regex",
    .policy = BW_POL_REGEX,
    .compile = compile,
    .scratch_size = scratch_size,
    .on_match = on_match,
    .end_block = end_block,
    .free = st_free,
    .hold = hold,
};
