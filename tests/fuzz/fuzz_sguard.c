/*
 * fuzz_sguard.c: libFuzzer target for the streaming output guard
 * (policies/stream.c) fed random splits.
 *
 * Byte 0 seeds the cut points and byte 1 picks the mode; the rest is the
 * answer. The guard runs over words (the managed profanity list and a
 * phrase), PII (email, phone, card masked; SSN blocks) and two regexes.
 * Checks: no fault; the releases (pieces and bytes) and the verdict are the
 * same whole, cut at random, and one byte at a time; in synchronous mode no
 * blocking word ever reaches the released text.
 */
#include <stdlib.h>
#include <string.h>

#include "filters/buf.h"
#include "filters/errs.h"
#include "filters/words.h"
#include "pii/pii.h"
#include "policies/gconf.h"
#include "policies/stream.h"

static struct bw_engine *span;
static struct bw_worker w;
static struct bw_gconf conf;

static const struct bw_word_item words[] = {{"project nightingale", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}}};
static const struct bw_managed_item managed[] = {{BW_WL_PROFANITY, NULL, {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}}};
static const struct bw_pii_item pii[] = {
    {BW_PII_EMAIL, {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}},
    {BW_PII_PHONE, {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}},
    {BW_PII_CREDIT_DEBIT_CARD_NUMBER, {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}},
    {BW_PII_US_SOCIAL_SECURITY_NUMBER, {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
};
static const struct bw_regex_item regexes[] = {
    {"order_id", NULL, "ORD-[0-9]{8}", {{BW_ACT_ANONYMIZE, BW_ACT_ANONYMIZE}, {1, 1}}},
    {"secret", NULL, "sk-[A-Za-z0-9]{20,}", {{BW_ACT_BLOCK, BW_ACT_BLOCK}, {1, 1}}},
};

static void setup(void)
{
    struct bw_words_conf wc = {words, 1, managed, 1};
    struct bw_pii_conf pc = {pii, 4};
    struct bw_regex_conf rc = {regexes, 2};
    struct bw_errs errs;

    bw_errs_init(&errs, "fuzz");
    if (bw_engine_new(BW_DIR_OUTPUT, &span) || bw_engine_add(span, &bw_words_module, &wc, &errs) ||
        bw_engine_add(span, &bw_pii_module, &pc, &errs) || bw_engine_add(span, &bw_regex_module, &rc, &errs) ||
        bw_engine_compile(span, BW_MATCHER_BLOCK, &errs) || bw_worker_init(&w))
        abort();
    bw_errs_free(&errs);
    conf.regex.items = regexes;
    conf.regex.n = 2;
}

static int on_rel(void *ud, unsigned ch, const char *t, size_t n)
{
    struct bw_buf *b = ud;

    bw_buf_printf(b, "%u:%zu:", ch, n);
    bw_buf_add(b, t, n);
    return 0;
}

/* Runs the guard with cuts drawn from seed (0: whole, 1: every byte). */
static int run(const char *p, size_t n, int mode, unsigned seed, struct bw_buf *out)
{
    struct bw_sguard_opts o = {0};
    struct bw_sguard *sg;
    size_t i = 0;
    int rv = 0, blocked;

    o.mode = mode;
    o.conf = &conf;
    if (bw_sguard_new(span, NULL, &o, &sg) != 0)
        abort();
    while (i < n && rv == 0 && !bw_sguard_blocked(sg)) {
        size_t k = seed == 0 ? n - i : seed == 1 ? 1 : 1 + (seed = seed * 1103515245u + 12345u, (seed >> 16) % 13);
        if (k > n - i)
            k = n - i;
        rv = bw_sguard_feed(sg, &w, 0, p + i, k, on_rel, out);
        i += k;
    }
    if (rv == 0 && !bw_sguard_blocked(sg))
        rv = bw_sguard_finish(sg, &w, on_rel, out);
    blocked = bw_sguard_blocked(sg);
    bw_buf_printf(out, "|rv=%d|blocked=%d", rv, blocked);
    bw_sguard_free(sg);
    return blocked;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bw_buf a, b, c;
    int mode;

    if (span == NULL)
        setup();
    if (size < 2 || size > 4096)
        return 0;
    mode = data[1] & 1 ? BW_STREAM_ASYNC : BW_STREAM_SYNC;
    bw_buf_init(&a, 0);
    bw_buf_init(&b, 0);
    bw_buf_init(&c, 0);
    run((const char *)data + 2, size - 2, mode, 0, &a);
    run((const char *)data + 2, size - 2, mode, 2u + data[0], &b);
    run((const char *)data + 2, size - 2, mode, 1, &c);
    if (a.len != b.len || a.len != c.len || memcmp(a.base, b.base, a.len) != 0 || memcmp(a.base, c.base, a.len) != 0)
        abort(); /* the releases depend on how the answer was split */
    bw_buf_free(&a);
    bw_buf_free(&b);
    bw_buf_free(&c);
    return 0;
}
