/*
 * cli_train.c: `bulwark train`: trains one content model (filters/linear.h)
 * from labelled JSON lines {"text": ..., "label": 0|1 [, "weight": w]},
 * calibrates its LOW/MEDIUM/HIGH thresholds on out-of-fold scores of the
 * same rows, and writes the .bwm file. Deterministic: the same rows,
 * options and seed give the same bytes.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/buf.h"
#include "filters/content.h"
#include "filters/lexicon.h"
#include "filters/linear.h"

int bw_cmd_train(int argc, char **argv);

static int usage(void)
{
    fprintf(stderr,
            "usage: bulwark train --category CAT --in FILE.jsonl [--in FILE ...] --out FILE.bwm\n"
            "         [--seed N] [--bits N] [--features word1,word2,char3,char4,char5] [--epochs N]\n"
            "         [--lr X] [--l2 X] [--folds K] [--low RULE] [--medium RULE] [--high RULE]\n"
            "RULE: fpr:X | prec:X | recall:X | f1 (on out-of-fold scores). Defaults: 18 bits,\n"
            "word1,word2,char4, 8 epochs, seed 1, 5 folds, low fpr:0.05, medium fpr:0.01, high fpr:0.002.\n");
    return 2;
}

struct rows {
    struct bw_lin_row *r;
    char **own;
    uint8_t *calib; /* row takes part in threshold calibration */
    size_t n, cap, ncal;
};

static int add_row(struct rows *rs, const char *text, int label, double weight, int calib)
{
    size_t len = strlen(text);
    uint8_t *nc8;
    char *t;

    if (rs->n == rs->cap) {
        size_t nc = rs->cap ? rs->cap * 2 : 1024;
        struct bw_lin_row *nr = realloc(rs->r, nc * sizeof(*nr));
        char **no;
        if (nr == NULL)
            return BW_ENOMEM;
        rs->r = nr;
        if ((no = realloc(rs->own, nc * sizeof(*no))) == NULL)
            return BW_ENOMEM;
        rs->own = no;
        if ((nc8 = realloc(rs->calib, nc)) == NULL)
            return BW_ENOMEM;
        rs->calib = nc8;
        rs->cap = nc;
    }
    if ((t = malloc(len + 1)) == NULL)
        return BW_ENOMEM;
    memcpy(t, text, len + 1);
    memset(&rs->r[rs->n], 0, sizeof(rs->r[rs->n]));
    rs->r[rs->n].text = t;
    rs->r[rs->n].len = len;
    rs->r[rs->n].label = label != 0;
    rs->r[rs->n].weight = (float)weight;
    rs->own[rs->n] = t;
    rs->calib[rs->n] = calib != 0;
    rs->n++;
    return BW_OK;
}

static int read_jsonl(const char *path, struct rows *rs)
{
    FILE *f = fopen(path, "rb");
    struct bw_buf line;
    unsigned long ln = 0;
    int c, rv = 0;

    if (f == NULL) {
        fprintf(stderr, "bulwark train: %s: %s\n", path, strerror(errno));
        return BW_EIO;
    }
    bw_buf_init(&line, 0);
    do {
        c = getc(f);
        if (c != '\n' && c != EOF) {
            if (bw_buf_addc(&line, (char)c) != 0) {
                rv = BW_ENOMEM;
                break;
            }
            continue;
        }
        ln++;
        if (line.len) {
            cJSON *o = cJSON_ParseWithLength(line.base, line.len);
            cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text"), *l = cJSON_GetObjectItemCaseSensitive(o, "label"),
                  *w = cJSON_GetObjectItemCaseSensitive(o, "weight"),
                  *cb = cJSON_GetObjectItemCaseSensitive(o, "calib");
            if (!cJSON_IsString(t) || !cJSON_IsNumber(l)) {
                fprintf(stderr, "bulwark train: %s:%lu: expected {\"text\": string, \"label\": 0|1}\n", path, ln);
                rv = BW_EINVAL;
            } else {
                rv = add_row(rs, t->valuestring, l->valueint, cJSON_IsNumber(w) ? w->valuedouble : 1.0,
                             !cJSON_IsFalse(cb) && !(cJSON_IsNumber(cb) && cb->valueint == 0));
            }
            cJSON_Delete(o);
        }
        bw_buf_reset(&line);
    } while (c != EOF && rv == 0);
    bw_buf_free(&line);
    fclose(f);
    return rv;
}

static int parse_features(const char *s, unsigned *flags)
{
    static const struct {
        const char *name;
        unsigned f;
    } tab[] = {{"word1", BW_LIN_WORD1}, {"word2", BW_LIN_WORD2}, {"char3", BW_LIN_CHAR3},
               {"char4", BW_LIN_CHAR4}, {"char5", BW_LIN_CHAR5}};
    *flags = 0;
    while (*s) {
        size_t n = strcspn(s, ","), i;
        for (i = 0; i < BW_NELEMS(tab); i++)
            if (strlen(tab[i].name) == n && strncmp(s, tab[i].name, n) == 0)
                break;
        if (i == BW_NELEMS(tab))
            return -1;
        *flags |= tab[i].f;
        s += n;
        if (*s == ',')
            s++;
    }
    return *flags ? 0 : -1;
}

static int num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);

    if (*s == '\0' || *end != '\0' || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

/* Precision, recall and FPR of the out-of-fold scores at threshold t. */
static void report(const char *name, const float *p, const uint8_t *y, size_t n, float t)
{
    size_t i, tp = 0, fp = 0, fn = 0, tn = 0;

    for (i = 0; i < n; i++) {
        int pred = p[i] >= t;
        if (y[i] && pred)
            tp++;
        else if (y[i])
            fn++;
        else if (pred)
            fp++;
        else
            tn++;
    }
    fprintf(stderr, "  %-6s p >= %.4f  precision %.3f  recall %.3f  FPR %.4f\n", name, t,
            tp + fp ? (double)tp / (double)(tp + fp) : 0, tp + fn ? (double)tp / (double)(tp + fn) : 0,
            fp + tn ? (double)fp / (double)(fp + tn) : 0);
}

int bw_cmd_train(int argc, char **argv)
{
    struct bw_lin_opts o;
    struct rows rs = {0};
    const char *out = NULL, *rules[3] = {"fpr:0.05", "fpr:0.01", "fpr:0.002"};
    const char *ins[16];
    size_t nin = 0, i;
    unsigned folds = 5;
    int cat = -1, rv = 1;
    struct bw_lexscan *ls = NULL;
    const struct bw_lexicon *lx;
    struct bw_linear *m = NULL;
    float *p = NULL;
    uint8_t *y = NULL;
    struct bw_buf img;
    double v;
    FILE *f;

    bw_lin_opts_default(&o);
    bw_buf_init(&img, 0);
    for (i = 1; i < (size_t)argc; i++) {
        const char *a = argv[i], *b = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
        if (b == NULL)
            return usage();
        i++;
        if (strcmp(a, "--category") == 0) {
            if ((cat = bw_cat_from_name(b)) < 0) {
                fprintf(stderr, "bulwark train: unknown category \"%s\"\n", b);
                return 2;
            }
        } else if (strcmp(a, "--in") == 0 && nin < BW_NELEMS(ins)) {
            ins[nin++] = b;
        } else if (strcmp(a, "--out") == 0) {
            out = b;
        } else if (strcmp(a, "--seed") == 0 && num(b, 0, 4294967295.0, &v) == 0) {
            o.seed = (uint32_t)v;
        } else if (strcmp(a, "--bits") == 0 && num(b, 8, 24, &v) == 0) {
            o.bits = (unsigned)v;
        } else if (strcmp(a, "--epochs") == 0 && num(b, 1, 1000, &v) == 0) {
            o.epochs = (unsigned)v;
        } else if (strcmp(a, "--lr") == 0 && num(b, 1e-6, 100, &v) == 0) {
            o.lr = v;
        } else if (strcmp(a, "--l2") == 0 && num(b, 0, 1, &v) == 0) {
            o.l2 = v;
        } else if (strcmp(a, "--folds") == 0 && num(b, 2, 20, &v) == 0) {
            folds = (unsigned)v;
        } else if (strcmp(a, "--features") == 0 && parse_features(b, &o.flags) == 0) {
        } else if (strcmp(a, "--low") == 0) {
            rules[0] = b;
        } else if (strcmp(a, "--medium") == 0) {
            rules[1] = b;
        } else if (strcmp(a, "--high") == 0) {
            rules[2] = b;
        } else {
            return usage();
        }
    }
    if (cat < 0 || nin == 0 || out == NULL)
        return usage();
    o.category = (unsigned)cat;
    o.ndense = BW_CAT__N;
    for (i = 0; i < nin; i++)
        if (read_jsonl(ins[i], &rs) != 0)
            goto done;
    if ((lx = bw_lex_default(NULL)) == NULL || bw_lexscan_new(lx, &ls) != 0) {
        fprintf(stderr, "bulwark train: the content lexicons did not load\n");
        goto done;
    }
    /* the dense features are the lexicon scores the module computes at run time */
    for (i = 0; i < rs.n; i++) {
        float sc[BW_LEX_NSCORES];
        if (bw_lexscan_run(ls, rs.r[i].text, rs.r[i].len, sc) != 0) {
            fprintf(stderr, "bulwark train: row %zu: not valid UTF-8, dropped from the lexicon features\n", i + 1);
            memset(sc, 0, sizeof(sc));
        }
        bw_content_dense(sc, rs.r[i].x);
    }
    if ((p = malloc(rs.n * sizeof(*p) + 1)) == NULL || (y = malloc(rs.n + 1)) == NULL)
        goto done;
    for (i = 0; i < rs.n; i++)
        y[i] = rs.r[i].label;
    {
        size_t npos = 0;
        for (i = 0; i < rs.n; i++)
            npos += y[i];
        fprintf(stderr, "bulwark train: %s: %zu rows, %zu positive; %u-fold calibration\n", bw_cat_name(cat), rs.n,
                npos, folds);
    }
    if ((rv = bw_lin_oof(rs.r, rs.n, &o, folds, p)) != 0) {
        fprintf(stderr, "bulwark train: %s\n", rv == BW_EINVAL ? "need rows of both labels" : bw_strerror(rv));
        rv = 1;
        goto done;
    }
    rv = 1;
    if ((bw_lin_train(rs.r, rs.n, &o, &m)) != 0)
        goto done;
    /* thresholds from the rows marked for calibration only (all rows unless "calib": false) */
    {
        size_t k = 0;
        for (i = 0; i < rs.n; i++)
            if (rs.calib[i]) {
                p[k] = p[i];
                y[k] = y[i];
                k++;
            }
        fprintf(stderr, "bulwark train: calibrating on %zu rows\n", k);
        rs.ncal = k;
    }
    for (i = 0; i < 3; i++)
        if (bw_lin_pick(p, y, rs.ncal, rules[i], &m->thr[i]) != 0) {
            fprintf(stderr, "bulwark train: bad threshold rule \"%s\"\n", rules[i]);
            goto done;
        }
    /* the levels must nest: HIGH implies MEDIUM implies LOW */
    m->thr[1] = fmaxf(m->thr[1], m->thr[0]);
    m->thr[2] = fmaxf(m->thr[2], m->thr[1]);
    report("LOW", p, y, rs.ncal, m->thr[0]);
    report("MEDIUM", p, y, rs.ncal, m->thr[1]);
    report("HIGH", p, y, rs.ncal, m->thr[2]);
    if (bw_lin_save(m, &img) != 0)
        goto done;
    if ((f = fopen(out, "wb")) == NULL || fwrite(img.base, 1, img.len, f) != img.len || fclose(f) != 0) {
        fprintf(stderr, "bulwark train: %s: %s\n", out, strerror(errno));
        goto done;
    }
    fprintf(stderr, "bulwark train: wrote %s (%zu bytes, crc32 %08x)\n", out, img.len,
            bw_crc32(img.base, img.len));
    rv = 0;
done:
    for (i = 0; i < rs.n; i++)
        free(rs.own[i]);
    free(rs.r);
    free(rs.own);
    free(rs.calib);
    free(p);
    free(y);
    bw_lin_free(m);
    bw_lexscan_free(ls);
    bw_buf_free(&img);
    return rv;
}
