/*
 * cli_apply.c: `bulwark apply`, `bulwark batch` and `bulwark check`: the
 * engine from the command line, for one request, for JSON lines at speed,
 * and for validating guardrail files in CI.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filters/errs.h"
#include "filters/limits.h"
#include "policies/apply.h"
#include "policies/json.h"
#include "proxy/cli.h"

int bw_cli_read(const char *path, struct bw_buf *b)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char tmp[65536];
    size_t n;
    int rv = BW_OK;

    if (f == NULL)
        return BW_EIO;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        if ((rv = bw_buf_add(b, tmp, n)) != 0)
            break;
    if (rv == 0 && ferror(f))
        rv = BW_EIO;
    if (f != stdin)
        fclose(f);
    return rv;
}

struct opts {
    const char *guardrail;
    int dir;   /* -1: not given */
    int scope; /* -1: not given */
    int optind;
};

static int parse_opts(int argc, char **argv, const char *cmd, struct opts *o)
{
    static const struct option lo[] = {
        {"guardrail", required_argument, NULL, 'g'},
        {"source", required_argument, NULL, 's'},
        {"scope", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    o->guardrail = NULL;
    o->dir = o->scope = -1;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "g:s:o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'g':
            o->guardrail = optarg;
            break;
        case 's':
            if (strcmp(optarg, "INPUT") == 0)
                o->dir = BW_DIR_INPUT;
            else if (strcmp(optarg, "OUTPUT") == 0)
                o->dir = BW_DIR_OUTPUT;
            else {
                fprintf(stderr, "bulwark %s: --source must be INPUT or OUTPUT, not \"%s\"\n", cmd, optarg);
                return 2;
            }
            break;
        case 'o':
            if (strcmp(optarg, "INTERVENTIONS") == 0)
                o->scope = BW_SCOPE_INTERVENTIONS;
            else if (strcmp(optarg, "FULL") == 0)
                o->scope = BW_SCOPE_FULL;
            else {
                fprintf(stderr, "bulwark %s: --scope must be INTERVENTIONS or FULL, not \"%s\"\n", cmd, optarg);
                return 2;
            }
            break;
        case 'h':
            return 3;
        default:
            fprintf(stderr, "bulwark %s: unknown or incomplete option \"%s\"\n", cmd, argv[optind - 1]);
            return 2;
        }
    }
    o->optind = optind;
    if (o->guardrail == NULL) {
        fprintf(stderr, "bulwark %s: --guardrail FILE is required\n", cmd);
        return 2;
    }
    return 0;
}

/* Loads a guardrail, printing every configuration error. */
static struct bw_guardrail *load(const char *cmd, const char *path)
{
    struct bw_guardrail *g = NULL;
    struct bw_errs errs;
    int rv;

    bw_errs_init(&errs, path);
    rv = bw_guardrail_load(path, NULL, "DRAFT", &g, &errs);
    if (rv != 0) {
        if (errs.n == 0)
            bw_errs_add(&errs, NULL, "%s", bw_strerror(rv));
        /* one line is the contract for apply/batch; check prints them all */
        fprintf(stderr, "bulwark %s: %s%s\n", cmd, errs.msg[0],
                errs.n + errs.dropped > 1 ? " (bulwark check lists every error)" : "");
        g = NULL;
    }
    bw_errs_free(&errs);
    return g;
}

static int is_json_object(const char *s, size_t n)
{
    size_t i = 0;

    if (n >= 3 && (unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf)
        i = 3;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i < n && s[i] == '{';
}

static void set_enum(cJSON *root, const char *key, const char *val)
{
    cJSON_DeleteItemFromObjectCaseSensitive(root, key);
    cJSON_AddStringToObject(root, key, val);
}

int bw_cmd_apply(int argc, char **argv)
{
    struct opts o;
    struct bw_buf in, out;
    struct bw_arena a;
    struct bw_worker w;
    struct bw_apply_req rq;
    struct bw_apply_res res;
    struct bw_guardrail *g;
    struct bw_block blk;
    const char *src;
    char err[512];
    int rv, status = 2;
    struct stat sb;

    if ((rv = parse_opts(argc, argv, "apply", &o)) != 0) {
        if (rv == 3) {
            printf("usage: bulwark apply --guardrail FILE [--source INPUT|OUTPUT] [--scope INTERVENTIONS|FULL] "
                   "[REQUEST|-]\n");
            return 0;
        }
        return rv;
    }
    if (argc - o.optind > 1) {
        fprintf(stderr, "bulwark apply: one REQUEST at most (a file, - for stdin, or the text itself)\n");
        return 2;
    }
    src = o.optind < argc ? argv[o.optind] : "-";
    bw_buf_init(&in, BW_MAX_TEXT_BYTES + 1024);
    bw_buf_init(&out, 0);
    bw_arena_init(&a, 0);
    if (strcmp(src, "-") == 0 || stat(src, &sb) == 0) {
        if ((rv = bw_cli_read(src, &in)) != 0) {
            fprintf(stderr, "bulwark apply: cannot read %s: %s\n", src, rv == BW_EIO ? strerror(errno) : bw_strerror(rv));
            goto out0;
        }
    } else if (bw_buf_adds(&in, src) != 0) {
        goto out0;
    }
    if ((g = load("apply", o.guardrail)) == NULL)
        goto out0;
    if (bw_worker_init(&w) != 0) {
        fprintf(stderr, "bulwark apply: out of memory\n");
        goto out1;
    }
    if (is_json_object(in.base, in.len)) {
        const char *end = NULL;
        if (bw_json_has_nul_escape(in.base, in.len)) {
            fprintf(stderr, "bulwark apply: text contains U+0000 (\\u0000), which bulwark does not accept\n");
            goto out2;
        }
        cJSON *root = cJSON_ParseWithLengthOpts(in.base, in.len, &end, 0);
        if (root == NULL || !cJSON_IsObject(root)) {
            fprintf(stderr, "bulwark apply: the request is not valid JSON (near byte %ld)\n",
                    end ? (long)(end - in.base) : (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - in.base : 0));
            cJSON_Delete(root);
            goto out2;
        }
        if (o.dir >= 0)
            set_enum(root, "source", o.dir == BW_DIR_OUTPUT ? "OUTPUT" : "INPUT");
        else if (!cJSON_HasObjectItem(root, "source"))
            set_enum(root, "source", "INPUT");
        if (o.scope >= 0)
            set_enum(root, "outputScope", o.scope == BW_SCOPE_FULL ? "FULL" : "INTERVENTIONS");
        rv = bw_apply_from_json(root, &a, &rq, err, sizeof(err));
        cJSON_Delete(root);
        if (rv != 0) {
            fprintf(stderr, "bulwark apply: %s\n", err);
            goto out2;
        }
    } else {
        blk.text = in.base;
        blk.len = in.len;
        blk.quals = 0;
        memset(&rq, 0, sizeof(rq));
        rq.dir = o.dir >= 0 ? o.dir : BW_DIR_INPUT;
        rq.scope = o.scope >= 0 ? o.scope : BW_SCOPE_INTERVENTIONS;
        rq.blocks = &blk;
        rq.nblocks = 1;
    }
    if ((rv = bw_apply(g, &w, &rq, &res, err, sizeof(err))) != 0) {
        fprintf(stderr, "bulwark apply: %s\n", err[0] ? err : bw_strerror(rv));
        goto out2;
    }
    bw_apply_render(g, &rq, &res, &out);
    bw_buf_addc(&out, '\n');
    fwrite(out.base, 1, out.len, stdout);
    status = fflush(stdout) == 0 ? 0 : 2;
out2:
    bw_worker_free(&w);
out1:
    bw_guardrail_unref(g);
out0:
    bw_arena_free(&a);
    bw_buf_free(&in);
    bw_buf_free(&out);
    return status;
}

/* One line of `batch`: a request object, or {"id", "text", "grounding_source", "query"}. */
static int batch_line(const struct bw_guardrail *g, struct bw_worker *w, struct bw_arena *a, const struct opts *o,
                      cJSON *root, struct bw_buf *out, char *err, size_t errlen)
{
    struct bw_apply_req rq;
    struct bw_apply_res res;
    struct bw_block blk[3];
    const cJSON *t;
    int rv;

    if (cJSON_HasObjectItem(root, "content")) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "id");
        if (!cJSON_HasObjectItem(root, "source"))
            cJSON_AddStringToObject(root, "source", o->dir == BW_DIR_OUTPUT ? "OUTPUT" : "INPUT");
        if (o->scope >= 0 && !cJSON_HasObjectItem(root, "outputScope"))
            cJSON_AddStringToObject(root, "outputScope", o->scope == BW_SCOPE_FULL ? "FULL" : "INTERVENTIONS");
        if ((rv = bw_apply_from_json(root, a, &rq, err, errlen)) != 0)
            return rv;
    } else {
        const char *keys[3] = {"text", "grounding_source", "query"};
        const unsigned quals[3] = {0, BW_QUAL_GROUNDING, BW_QUAL_QUERY};
        const cJSON *it;
        size_t k;

        cJSON_ArrayForEach(it, root)
        {
            if (strcmp(it->string, "id") && strcmp(it->string, "text") && strcmp(it->string, "grounding_source") &&
                strcmp(it->string, "query")) {
                snprintf(err, errlen, "unknown field \"%.40s\" (expected id, text, grounding_source, query, or an "
                         "ApplyGuardrail request)", it->string);
                return BW_EINVAL;
            }
        }
        memset(&rq, 0, sizeof(rq));
        rq.dir = o->dir;
        rq.scope = o->scope >= 0 ? o->scope : BW_SCOPE_INTERVENTIONS;
        rq.blocks = blk;
        for (k = 0; k < 3; k++) {
            if ((t = cJSON_GetObjectItemCaseSensitive(root, keys[k])) == NULL)
                continue;
            if (!cJSON_IsString(t)) {
                snprintf(err, errlen, "\"%s\" must be a string", keys[k]);
                return BW_EINVAL;
            }
            blk[rq.nblocks].text = t->valuestring;
            blk[rq.nblocks].len = strlen(t->valuestring);
            blk[rq.nblocks].quals = quals[k];
            rq.nblocks++;
        }
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "text"))) {
            snprintf(err, errlen, "\"text\" is required");
            return BW_EINVAL;
        }
        if (rq.nblocks > 1) /* the text is the response grounding looks at */
            blk[0].quals = BW_QUAL_GUARD;
    }
    if ((rv = bw_apply(g, w, &rq, &res, err, errlen)) != 0) {
        if (!err[0])
            snprintf(err, errlen, "%s", bw_strerror(rv));
        return rv;
    }
    return bw_apply_render(g, &rq, &res, out);
}

int bw_cmd_batch(int argc, char **argv)
{
    struct opts o;
    struct bw_guardrail *g;
    struct bw_worker w;
    struct bw_arena a;
    struct bw_buf out, line;
    char *buf = NULL, err[512];
    size_t cap = 0;
    ssize_t n;
    int rv, status = 0;
    static char obuf[1 << 20];

    if ((rv = parse_opts(argc, argv, "batch", &o)) != 0) {
        if (rv == 3) {
            printf("usage: bulwark batch --guardrail FILE --source INPUT|OUTPUT [--scope INTERVENTIONS|FULL] < lines\n");
            return 0;
        }
        return rv;
    }
    if (o.dir < 0) {
        fprintf(stderr, "bulwark batch: --source INPUT|OUTPUT is required\n");
        return 2;
    }
    if (o.optind < argc) {
        fprintf(stderr, "bulwark batch: reads JSON lines on stdin; unexpected argument \"%s\"\n", argv[o.optind]);
        return 2;
    }
    if ((g = load("batch", o.guardrail)) == NULL)
        return 2;
    if (bw_worker_init(&w) != 0) {
        bw_guardrail_unref(g);
        return 2;
    }
    setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
    bw_arena_init(&a, 0);
    bw_buf_init(&out, 0);
    bw_buf_init(&line, 0);
    while ((n = getline(&buf, &cap, stdin)) >= 0) {
        cJSON *root, *id;
        size_t len = (size_t)n;

        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
        bw_arena_reset(&a);
        bw_buf_reset(&out);
        err[0] = '\0';
        root = cJSON_ParseWithLength(buf, len);
        id = cJSON_IsObject(root) ? cJSON_DetachItemFromObjectCaseSensitive(root, "id") : NULL;
        if (root == NULL || !cJSON_IsObject(root)) {
            snprintf(err, sizeof(err), "%s", len ? "line is not a JSON object" : "empty line");
            rv = BW_EINVAL;
        } else if (bw_json_has_nul_escape(buf, len)) {
            snprintf(err, sizeof(err), "text contains U+0000 (\\u0000), which bulwark does not accept");
            rv = BW_EINVAL;
        } else {
            rv = batch_line(g, &w, &a, &o, root, &out, err, sizeof(err));
        }
        bw_buf_reset(&line);
        bw_buf_addc(&line, '{');
        if (id) {
            char *s = cJSON_PrintUnformatted(id);
            bw_buf_adds(&line, "\"id\":");
            bw_buf_adds(&line, s ? s : "null");
            free(s);
        }
        if (rv != 0) {
            bw_buf_adds(&line, id ? ",\"error\":\"" : "\"error\":\"");
            bw_buf_json_str(&line, err, strlen(err));
            bw_buf_adds(&line, "\"}\n");
        } else {
            /* the response object, with "id" first */
            if (id && out.len > 2)
                bw_buf_addc(&line, ',');
            bw_buf_add(&line, out.base + 1, out.len - 1);
            bw_buf_addc(&line, '\n');
        }
        fwrite(line.base, 1, line.len, stdout);
        cJSON_Delete(id);
        cJSON_Delete(root);
    }
    if (fflush(stdout) != 0)
        status = 2;
    free(buf);
    bw_buf_free(&out);
    bw_buf_free(&line);
    bw_arena_free(&a);
    bw_worker_free(&w);
    bw_guardrail_unref(g);
    return status;
}

int bw_cmd_check(int argc, char **argv)
{
    int i, status = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: bulwark check FILE...\n");
        return 2;
    }
    for (i = 1; i < argc; i++) {
        struct bw_guardrail *g = NULL;
        struct bw_errs errs;
        int rv;

        bw_errs_init(&errs, argv[i]);
        rv = bw_guardrail_load(argv[i], NULL, "DRAFT", &g, &errs);
        if (rv != 0) {
            if (errs.n == 0)
                bw_errs_add(&errs, NULL, "%s", bw_strerror(rv));
            bw_errs_print(&errs, stderr);
            status = 2;
        } else {
            printf("%s: ok\n", argv[i]);
        }
        bw_errs_free(&errs);
        bw_guardrail_unref(g);
    }
    return status;
}
