/*
 * stream_guard.c: the streaming output guard alone (policies/stream.h), fed
 * one token per event as the network benchmark's origin sends them, so the
 * part of a guarded stream's added latency that no proxy can remove is
 * measured apart from the proxy's own:
 *
 *   hold     how many later events a token waits for before the guard
 *            releases it (a word is released when the next word starts; a
 *            sentence-gated classifier releases at sentence ends). Times
 *            the event gap, this is the inherent added latency.
 *   feed     CPU time of one bw_sguard_feed() call (one event), p50/p99/max:
 *            the guard's share of the per-event release latency and CPU.
 *
 * Two answers: "stamps" (the origin's 8-consonant tokens, a sentence every
 * --sentence tokens; no pattern ever matches) and "english" (the words of
 * --text, e.g. tests/bench/data/prompt4k.txt, repeated to --tokens words).
 *
 *   stream_guard --guardrail FILE [--tokens T] [--sentence K] [--text FILE] [--rounds N]
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "filters/errs.h"
#include "policies/guardrail.h"
#include "policies/stream.h"

#define SG_ALPHA "bcdfghjklmnpqrstvwxz"

struct run {
    size_t released; /* bytes released so far (the answers here are never masked) */
    size_t masked;   /* release calls whose text differs in length: none expected */
};

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int on_release(void *ctx, unsigned ch, const char *text, size_t len)
{
    struct run *r = ctx;

    (void)ch;
    (void)text;
    r->released += len;
    return 0;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t pct(const int64_t *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return n ? v[i < n ? i : n - 1] : -1;
}

/* The tokens of an answer: tok[i] .. tok[i+1] in text. */
struct answer {
    char *text;
    size_t *tok, ntok;
};

static void stamps(struct answer *a, size_t n, unsigned sentence)
{
    size_t i, len = 0;
    unsigned long v = 1234567;

    a->text = malloc(n * 11 + 1);
    a->tok = malloc((n + 1) * sizeof(*a->tok));
    for (i = 0; i < n; i++) {
        int k;
        a->tok[i] = len;
        if (i)
            a->text[len++] = ' ';
        for (k = 0; k < 8; k++) {
            a->text[len++] = SG_ALPHA[v % 20];
            v = v * 1103515245 + 12345;
        }
        if (sentence && (i + 1) % sentence == 0)
            a->text[len++] = '.';
    }
    a->tok[n] = len;
    a->ntok = n;
}

/* Letters and sentence punctuation only. */
static int plain_word(const char *w, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' && w[i] <= 'Z') || strchr(",.;:'!?-()", w[i])))
            return 0;
    return n > 0;
}

static int english(struct answer *a, const char *path, size_t n)
{
    FILE *f = fopen(path, "rb");
    char *src;
    long sz;
    size_t len = 0, i = 0, k = 0, cap;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) <= 0) {
        if (f)
            fclose(f);
        return -1;
    }
    rewind(f);
    src = malloc((size_t)sz);
    if (src == NULL || fread(src, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        free(src);
        return -1;
    }
    fclose(f);
    cap = n * 16 + 64;
    a->text = malloc(cap);
    a->tok = malloc((n + 1) * sizeof(*a->tok));
    while (k < n) { /* a token: " " and a word (the first without the space) */
        size_t s;
        while (i < (size_t)sz && (src[i] == ' ' || src[i] == '\n' || src[i] == '\r' || src[i] == '\t'))
            i++;
        if (i >= (size_t)sz) {
            i = 0;
            continue;
        }
        s = i;
        while (i < (size_t)sz && src[i] != ' ' && src[i] != '\n' && src[i] != '\r' && src[i] != '\t')
            i++;
        if (!plain_word(src + s, i - s))
            continue; /* digits, @, ...: PII would be masked and the byte counts would no longer match */
        if (len + (i - s) + 1 > cap) {
            cap = 2 * (len + (i - s) + 1);
            a->text = realloc(a->text, cap);
        }
        a->tok[k] = len;
        if (k++)
            a->text[len++] = ' ';
        memcpy(a->text + len, src + s, i - s);
        len += i - s;
    }
    a->tok[n] = len;
    a->ntok = n;
    free(src);
    return 0;
}

static int measure(const char *label, const char *gname, struct bw_guardrail *g, struct bw_worker *w,
                   const struct answer *a, unsigned rounds)
{
    size_t n = a->ntok, i, j, nh = 0;
    int64_t *feed = malloc(n * rounds * sizeof(int64_t)), *hold = malloc(n * rounds * sizeof(int64_t));
    int64_t fin = 0, total = 0;
    double mean = 0;
    unsigned r;
    int rv = 0;

    for (r = 0; r < rounds && rv == 0; r++) {
        struct bw_sguard_opts o = {.mode = BW_STREAM_SYNC, .conf = g->conf};
        struct bw_sguard *sg;
        struct run run = {0};
        size_t *rel_at = malloc(n * sizeof(size_t)); /* bytes released after feeding token i */
        int64_t t0, t1;

        if (bw_sguard_new(g->sspan, g->scls, &o, &sg) != 0) {
            free(rel_at);
            rv = 1;
            break;
        }
        for (i = 0; i < n; i++) {
            t0 = now_ns();
            rv = bw_sguard_feed(sg, w, 0, a->text + a->tok[i], a->tok[i + 1] - a->tok[i], on_release, &run);
            t1 = now_ns();
            if (rv != 0 || bw_sguard_blocked(sg)) {
                fprintf(stderr, "stream_guard: %s %s: %s at token %zu\n", gname, label,
                        rv ? "feed failed" : "blocked", i);
                rv = 1;
                break;
            }
            feed[r * n + i] = t1 - t0;
            rel_at[i] = run.released;
        }
        t0 = now_ns();
        if (rv == 0)
            rv = bw_sguard_finish(sg, w, on_release, &run);
        fin += now_ns() - t0;
        total += (int64_t)bw_sguard_ns(sg);
        if (rv == 0 && r == 0 && bw_sguard_masked(sg))
            fprintf(stderr, "stream_guard: %s %s: the answer was masked; holds are approximate\n", gname, label);
        /* hold of token i: the first event after which all of it was released */
        for (i = 0, j = 0; rv == 0 && i < n; i++) {
            while (j < n && rel_at[j] < a->tok[i + 1])
                j++;
            hold[nh++] = (int64_t)(j - i); /* j == n: released only at the end */
            mean += (double)(j - i);
        }
        free(rel_at);
        bw_sguard_free(sg);
    }
    if (rv == 0) {
        qsort(feed, n * rounds, sizeof(int64_t), cmp64);
        qsort(hold, nh, sizeof(int64_t), cmp64);
        printf("guard %-8s %-8s %6zu %9.2f %9.2f %9.2f %9.1f %9.2f %6lld %6lld %6lld %8.1f\n", gname, label, n,
               (double)pct(feed, n * rounds, 0.5) / 1e3, (double)pct(feed, n * rounds, 0.99) / 1e3,
               (double)pct(feed, n * rounds, 1.0) / 1e3, (double)fin / rounds / 1e3,
               (double)total / rounds / (double)n / 1e3, (long long)pct(hold, nh, 0.5),
               (long long)pct(hold, nh, 0.99), (long long)pct(hold, nh, 1.0), mean / (double)nh);
    }
    free(feed);
    free(hold);
    return rv;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"guardrail", 1, 0, 'g'}, {"tokens", 1, 0, 't'}, {"sentence", 1, 0, 's'},
                                       {"text", 1, 0, 'x'},      {"rounds", 1, 0, 'r'}, {"header", 0, 0, 'H'},
                                       {0, 0, 0, 0}};
    const char *gpath = NULL, *tpath = NULL, *gname;
    unsigned tokens = 500, sentence = 12, rounds = 20;
    int c, rv = 0, header = 0;
    struct bw_guardrail *g;
    struct bw_errs errs;
    struct bw_worker w;
    struct answer st = {0}, en = {0};

    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'g': gpath = optarg; break;
        case 't': tokens = (unsigned)strtoul(optarg, NULL, 10); break;
        case 's': sentence = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'x': tpath = optarg; break;
        case 'r': rounds = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'H': header = 1; break;
        default: goto usage;
        }
    }
    if (!gpath || tokens == 0 || rounds == 0)
        goto usage;
    if (header)
        printf("%-14s %-8s %6s %9s %9s %9s %9s %9s %6s %6s %6s %8s\n", "", "answer", "tokens", "feed p50",
               "feed p99", "feed max", "finish", "guard/ev", "hold50", "hold99", "holdmx", "holdmean");
    bw_errs_init(&errs, gpath);
    if (bw_guardrail_load(gpath, NULL, "DRAFT", &g, &errs) != 0 || bw_guardrail_streaming(g, &errs) != 0) {
        bw_errs_print(&errs, stderr);
        return 2;
    }
    gname = strrchr(gpath, '/') ? strrchr(gpath, '/') + 1 : gpath;
    bw_worker_init(&w);
    stamps(&st, tokens, sentence);
    rv = measure("stamps", gname, g, &w, &st, rounds);
    if (rv == 0 && tpath) {
        if (english(&en, tpath, tokens) != 0) {
            perror(tpath);
            rv = 2;
        } else
            rv = measure("english", gname, g, &w, &en, rounds);
    }
    free(st.text);
    free(st.tok);
    free(en.text);
    free(en.tok);
    bw_worker_free(&w);
    bw_guardrail_unref(g);
    bw_errs_free(&errs);
    return rv;
usage:
    fprintf(stderr, "usage: stream_guard --guardrail FILE [--tokens T] [--sentence K] [--text FILE] [--rounds N]"
                    " [--header]\n");
    return 2;
}
