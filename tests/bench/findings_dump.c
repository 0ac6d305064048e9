/*
 * findings_dump.c: prints every finding apply() reports for a fixed set of
 * texts, so a speed change can be checked to change no finding
 * (tests/bench/findings_check.sh compares the output with a baseline).
 *
 * Each guardrail runs each text as INPUT, and as OUTPUT with the text two
 * lines before as grounding source and the line before as query (so
 * grounding and relevance are scored too). Per text it prints the action,
 * a hash of the output texts, and every finding with all its fields;
 * scores print in %a so they compare bit for bit.
 *
 *   findings_dump [-l LINES] [-d BYTES] [-w BYTES] GUARDRAIL... -- TEXTFILE...
 *
 * A TEXTFILE is read line by line (at most -l lines, default 30000), then
 * as 4 KB documents cut like engine_bench's corpus (at most -d bytes of
 * it, default 2 MB), then as long documents of 8, 20, 48 and 100 KB in
 * turn (at most -w bytes of it, default 1 MB), and last as its first 4 KB
 * repeated to 64 KB. The long and repeated ones reach what 4 KB never
 * does: word tables that grow past their first size, scratch sized by the
 * text, the scorers' paths for repetitive text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filters/bw.h"
#include "filters/errs.h"
#include "policies/apply.h"
#include "policies/json.h"

/* The whole file, NUL-terminated, or NULL (errno set). */
static char *slurp(const char *path, size_t *len)
{
    char *b;

    return bw_json_read_file(path, (size_t)1 << 34, &b, len) == BW_OK ? b : NULL;
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void run(const struct bw_guardrail *g, size_t gi, struct bw_worker *w, const char *tag, size_t idx,
                const struct bw_iov *src, const struct bw_iov *qry, const struct bw_iov *txt)
{
    struct bw_block blk[3];
    struct bw_apply_req rq;
    struct bw_apply_res res;
    char err[256];
    int dir, rv;
    size_t i;

    for (dir = 0; dir < 2; dir++) {
        size_t nb = 0;
        uint64_t h = 14695981039346656037ull;

        if (dir == BW_DIR_OUTPUT && src && qry) {
            blk[nb++] = (struct bw_block){src->base, src->len, BW_QUAL_GROUNDING};
            blk[nb++] = (struct bw_block){qry->base, qry->len, BW_QUAL_QUERY};
        }
        blk[nb++] = (struct bw_block){txt->base, txt->len, 0};
        memset(&rq, 0, sizeof(rq));
        rq.dir = dir;
        rq.scope = BW_SCOPE_FULL;
        rq.blocks = blk;
        rq.nblocks = nb;
        rv = bw_apply(g, w, &rq, &res, err, sizeof(err));
        printf("%zu %s%zu %c", gi, tag, idx, dir ? 'O' : 'I');
        if (rv != 0) {
            printf(" error %d %s\n", rv, err);
            continue;
        }
        for (i = 0; i < res.nout; i++)
            h = fnv(h, res.out[i].base, res.out[i].len) * 31 + res.out[i].len;
        printf(" act %d%d%d out %zu:%016llx n %zu\n", res.intervened, res.blocked, res.masked, res.nout,
               (unsigned long long)h, res.nf);
        for (i = 0; i < res.nf; i++) {
            const struct bw_finding *f = &res.f[i];
            printf("  b%u %u-%u p%u a%u d%u c%u s%u sub%u dup%u t%u pr%u it%u sc %a th %a\n", f->block, f->start,
                   f->end, f->policy, f->action, f->detected, f->confidence, f->strength, f->sub, f->dup, f->type,
                   f->prio, f->item, (double)f->score, (double)f->threshold);
        }
    }
}

/*
 * The document of at most `size` bytes at `off`, cut like engine_bench's
 * corpus: after a newline in its last ~27% where there is one, never
 * inside a UTF-8 sequence.
 */
static struct bw_iov doc(const char *buf, size_t len, size_t off, size_t size)
{
    size_t n = len - off < size ? len - off : size;

    while (n < len - off && n > size * 3000 / 4096 && buf[off + n - 1] != '\n')
        n--;
    while (n < len - off && (buf[off + n] & 0xc0) == 0x80)
        n++;
    return (struct bw_iov){buf + off, n};
}

int main(int argc, char **argv)
{
    struct bw_guardrail *g[16];
    static const size_t longs[] = {8192, 20480, 49152, 102400};
    size_t ng = 0, maxlines = 30000, maxdoc = 2000000, maxlong = 1000000, gi;
    struct bw_worker w;
    int c, i;

    while ((c = getopt(argc, argv, "+l:d:w:")) != -1) {
        if (c == 'l')
            maxlines = strtoul(optarg, NULL, 10);
        else if (c == 'd')
            maxdoc = strtoul(optarg, NULL, 10);
        else if (c == 'w')
            maxlong = strtoul(optarg, NULL, 10);
        else
            return 2;
    }
    for (i = optind; i < argc && strcmp(argv[i], "--") != 0; i++) {
        struct bw_errs errs;

        bw_errs_init(&errs, argv[i]);
        if (ng == 16 || bw_guardrail_load(argv[i], NULL, "DRAFT", &g[ng], &errs) != 0) {
            bw_errs_print(&errs, stderr);
            return 2;
        }
        ng++;
    }
    if (i == argc || ng == 0) {
        fprintf(stderr, "usage: findings_dump [-l LINES] [-d BYTES] [-w BYTES] GUARDRAIL... -- TEXTFILE...\n");
        return 2;
    }
    bw_worker_init(&w);
    for (i++; i < argc; i++) {
        size_t len, off = 0, nl = 0, nd = 0;
        char *buf = slurp(argv[i], &len);
        struct bw_iov l[3] = {{"", 0}, {"", 0}, {"", 0}};

        if (!buf) {
            perror(argv[i]);
            return 2;
        }
        printf("# %s\n", argv[i]);
        /* lines */
        while (off < len && nl < maxlines) {
            const char *e = memchr(buf + off, '\n', len - off);
            size_t n = e ? (size_t)(e - (buf + off)) : len - off;

            l[0] = l[1];
            l[1] = l[2];
            l[2] = (struct bw_iov){buf + off, n};
            if (n > 0)
                for (gi = 0; gi < ng; gi++)
                    run(g[gi], gi, &w, "L", nl, nl >= 2 ? &l[0] : NULL, nl >= 2 ? &l[1] : NULL, &l[2]);
            off += n + 1;
            nl++;
        }
        /* 4 KB documents */
        for (off = 0; off < len && off < maxdoc; nd++) {
            struct bw_iov d = doc(buf, len, off, 4096);

            for (gi = 0; gi < ng; gi++)
                run(g[gi], gi, &w, "D", nd, NULL, NULL, &d);
            off += d.len;
        }
        /* long documents */
        for (off = 0, nd = 0; off < len && off < maxlong; nd++) {
            struct bw_iov d = doc(buf, len, off, longs[nd % BW_NELEMS(longs)]);

            for (gi = 0; gi < ng; gi++)
                run(g[gi], gi, &w, "W", nd, NULL, NULL, &d);
            off += d.len;
        }
        /* the first 4 KB, repeated to 64 KB */
        if (len > 0) {
            struct bw_iov d = doc(buf, len, 0, 4096);
            char *rep = malloc(16 * d.len);
            size_t k;

            if (!rep) {
                perror("malloc");
                return 2;
            }
            for (k = 0; k < 16; k++)
                memcpy(rep + k * d.len, d.base, d.len);
            d = (struct bw_iov){rep, 16 * d.len};
            for (gi = 0; gi < ng; gi++)
                run(g[gi], gi, &w, "R", 0, NULL, NULL, &d);
            free(rep);
        }
        free(buf);
    }
    bw_worker_free(&w);
    for (gi = 0; gi < ng; gi++)
        bw_guardrail_unref(g[gi]);
    return 0;
}
