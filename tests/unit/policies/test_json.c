/* Tests of policies/json.c: the strict scanner, duplicate keys, the validation walk. */
#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filters/limits.h"
#include "policies/json.h"
#include "tests/unit/testutil.h"

/* Parses text; returns the errors joined by '\n' (caller frees) or NULL when none. */
static char *parse_errs(const char *text, size_t len, int *rvp, cJSON **tree)
{
    struct bw_errs e;
    cJSON *root = NULL;
    char *out = NULL;
    size_t i, n = 0;
    int rv;

    bw_errs_init(&e, "t.json");
    rv = bw_json_parse(text, len, &root, &e);
    if (rvp)
        *rvp = rv;
    if (tree)
        *tree = root;
    else
        cJSON_Delete(root);
    for (i = 0; i < e.n; i++)
        n += strlen(e.msg[i]) + 1;
    if (e.n) {
        char *w = out = calloc(1, n + 1);
        for (i = 0; i < e.n; i++) {
            size_t k = strlen(e.msg[i]);
            memcpy(w, e.msg[i], k);
            w += k;
            if (i + 1 < e.n)
                *w++ = '\n';
        }
    }
    bw_errs_free(&e);
    return out;
}

static void ok(const char *text)
{
    int rv;
    char *m = parse_errs(text, strlen(text), &rv, NULL);

    if (m)
        fprintf(stderr, "\nunexpected error for %s: %s\n", text, m);
    CU_ASSERT_EQUAL(rv, BW_OK);
    CU_ASSERT_PTR_NULL(m);
    free(m);
}

static void bad(const char *text, const char *want)
{
    int rv;
    cJSON *tree = NULL;
    char *m = parse_errs(text, strlen(text), &rv, &tree);

    CU_ASSERT_EQUAL(rv, BW_ECONFIG);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    if (strcmp(m, want) != 0)
        fprintf(stderr, "\nfor %s\n got: %s\nwant: %s\n", text, m, want);
    CU_ASSERT_STRING_EQUAL(m, want);
    CU_ASSERT_PTR_NULL(tree); /* no tree after a syntax error */
    cJSON_Delete(tree);
    free(m);
}

static void test_json_accepts_rfc8259(void)
{
    ok("{}");
    ok("[]");
    ok(" \t\r\n{ \"a\" : [ 1 , -0 , 0.5 , -12.25e-3 , 1E+2 , 7e0 ] , \"b\" : true , \"c\" : false , \"d\" : null }\n");
    ok("\"just a string\"");
    ok("{\"esc\": \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00\"}");
    ok("{\"utf8\": \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}");
    ok("\xef\xbb\xbf{\"bom\": 1}"); /* a UTF-8 byte-order mark is skipped */
    ok("{\"\": 1}");                 /* the empty key is a key */
}

static void test_json_syntax_errors_name_line_and_column(void)
{
    bad("{\n  \"a\": 1\n  \"b\": 2\n}", "t.json:3:3: expected ',' or '}', found '\"' (missing comma?)");
    bad("{\"a\": [1, 2,]}", "t.json:1:12: trailing comma before ']'");
    bad("{\"a\": 1,}", "t.json:1:8: trailing comma before '}'");
    bad("{\"a\": \"x\n\"}", "t.json:1:7: unterminated string (a line break before the closing quote)");
    bad("{\"a\": \"x", "t.json:1:7: unterminated string");
    bad("{\"a\": \"x\ty\"}", "t.json:1:9: control character U+0009 in a string must be escaped");
    bad("{\"a\": \"\\q\"}", "t.json:1:8: invalid escape '\\q' in a string");
    bad("{\"a\": \"\\u12G4\"}", "t.json:1:8: invalid \\u escape: expected 4 hexadecimal digits");
    bad("{\"a\": \"\\u0000\"}", "t.json:1:8: \\u0000 is not allowed in a string");
    bad("{\"a\": \"\\ud83d\"}", "t.json:1:8: unpaired UTF-16 surrogate \\uD83D");
    bad("{\"a\": \"\\ude00\"}", "t.json:1:8: unpaired UTF-16 surrogate \\uDE00");
    bad("{\"a\": \"\\ud83d\\u0041\"}", "t.json:1:8: unpaired UTF-16 surrogate \\uD83D");
    bad("{\"a\": 01}", "t.json:1:7: numbers must not have leading zeros");
    bad("{\"a\": -}", "t.json:1:8: expected a digit, found '}'");
    bad("{\"a\": 1.}", "t.json:1:9: expected a digit after '.', found '}'");
    bad("{\"a\": 1e}", "t.json:1:9: expected a digit in the exponent, found '}'");
    bad("{\"a\": .5}", "t.json:1:7: a number must start with a digit (0.5, not .5)");
    bad("{\"a\": +1}", "t.json:1:7: a number must not start with '+'");
    bad("{\"a\": 1234567890123456789012345678901234567890123456789012345678901234}",
        "t.json:1:7: number too long (more than 63 characters)");
    bad("{\"a\": True}", "t.json:1:7: unexpected word \"True\" (JSON literals are lowercase: true)");
    bad("{\"a\": NaN}", "t.json:1:7: NaN is not a JSON number");
    bad("{\"a\": yes}", "t.json:1:7: unexpected word \"yes\", expected a value (strings need double quotes)");
    bad("{\"a\": 'x'}", "t.json:1:7: strings must be in double quotes, not single quotes");
    bad("{'a': 1}", "t.json:1:2: keys must be in double quotes, not single quotes");
    bad("{a: 1}", "t.json:1:2: expected a key in double quotes, found 'a'");
    bad("{\"a\" 1}", "t.json:1:6: expected ':' after the key, found '1'");
    bad("{\"a\": 1 // note\n}", "t.json:1:9: expected ',' or '}' after a member, found '/'");
    bad("{ /* note */ \"a\": 1}", "t.json:1:3: comments are not allowed in JSON");
    bad("[1 2]", "t.json:1:4: expected ',' or ']' after an element, found '2' (missing comma?)");
    bad("[1,", "t.json:1:4: unexpected end of file, expected a value");
    bad("{\"a\":", "t.json:1:6: unexpected end of file, expected a value");
    bad("{\"a\": 1", "t.json:1:8: unexpected end of file, expected ',' or '}'");
    bad("{", "t.json:1:2: unexpected end of file, expected a key in double quotes");
    bad("{} {}", "t.json:1:4: unexpected content after the JSON value");
    bad("{\"a\": }", "t.json:1:7: unexpected '}', expected a value");
    bad("{\"a\": \xc3\xa9}", "t.json:1:7: unexpected U+00E9, expected a value");
}

static void test_json_columns_count_characters(void)
{
    unsigned line, col;
    const char *t = "{\n\"\xc3\xa9\xe2\x82\xac\": x}";

    /* the 'x' is the 7th character of line 2, at byte offset 11 */
    bad(t, "t.json:2:7: unexpected word \"x\", expected a value (strings need double quotes)");
    bw_json_linecol(t, strlen(t), 11, &line, &col);
    CU_ASSERT_EQUAL(line, 2);
    CU_ASSERT_EQUAL(col, 7);
    /* CRLF: the line still changes at \n */
    bad("{\r\n\"a\": x}", "t.json:2:6: unexpected word \"x\", expected a value (strings need double quotes)");
    /* a byte-order mark does not take a column */
    bad("\xef\xbb\xbf{x}", "t.json:1:2: expected a key in double quotes, found 'x'");
    bw_json_linecol(t, strlen(t), 999, &line, &col); /* clamped to the end */
    CU_ASSERT_EQUAL(line, 2);
}

static void test_json_invalid_utf8_names_the_byte(void)
{
    bad("{\"a\": \"\xff\"}", "t.json:1:8: invalid UTF-8: byte 0xFF at byte offset 7");
    bad("{\"a\": \"\xc0\x80\"}", "t.json:1:8: invalid UTF-8: byte 0xC0 at byte offset 7");     /* overlong NUL */
    bad("{\"a\": \"\xe0\x80\xaf\"}", "t.json:1:8: invalid UTF-8: byte 0xE0 at byte offset 7"); /* overlong */
    bad("{\"a\": \"\xed\xa0\x80\"}", "t.json:1:8: invalid UTF-8: byte 0xED at byte offset 7"); /* surrogate */
    bad("{\"a\": \"\xf4\x90\x80\x80\"}", "t.json:1:8: invalid UTF-8: byte 0xF4 at byte offset 7"); /* > U+10FFFF */
    bad("{\"a\": \"\xe2\x82\"}", "t.json:1:8: invalid UTF-8: byte 0xE2 at byte offset 7");     /* truncated */
    bad("{\"a\": \"\x80\"}", "t.json:1:8: invalid UTF-8: byte 0x80 at byte offset 7");         /* stray continuation */
    bad("\n\n  \xfe", "t.json:3:3: invalid UTF-8: byte 0xFE at byte offset 4");
    ok("{\"a\": \"\xf4\x8f\xbf\xbf \xef\xbf\xbf\"}"); /* U+10FFFF and U+FFFF are fine */
}

static void test_json_empty_large_and_utf16(void)
{
    int rv;
    char *m, *big;

    m = parse_errs("", 0, &rv, NULL);
    CU_ASSERT_EQUAL(rv, BW_ECONFIG);
    CU_ASSERT_STRING_EQUAL(m, "t.json: file is empty");
    free(m);
    m = parse_errs(" \n\t ", 4, &rv, NULL);
    CU_ASSERT_STRING_EQUAL(m, "t.json: file is empty");
    free(m);
    m = parse_errs("\xef\xbb\xbf", 3, &rv, NULL);
    CU_ASSERT_STRING_EQUAL(m, "t.json: file is empty");
    free(m);
    m = parse_errs("\xfe\xff\x00{\x00}", 6, &rv, NULL);
    CU_ASSERT_EQUAL(rv, BW_ECONFIG);
    CU_ASSERT_STRING_EQUAL(m, "t.json: file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8");
    free(m);
    /* an embedded NUL byte is a character JSON does not allow there */
    m = parse_errs("{\"a\": 1}\0", 9, &rv, NULL);
    CU_ASSERT_STRING_EQUAL(m, "t.json:1:9: unexpected content after the JSON value");
    free(m);
    big = calloc(1, (size_t)BW_MAX_CONFIG_BYTES + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    m = parse_errs(big, (size_t)BW_MAX_CONFIG_BYTES + 1, &rv, NULL);
    CU_ASSERT_EQUAL(rv, BW_ELIMIT);
    CU_ASSERT_STRING_EQUAL(m, "t.json: file is larger than 67108864 bytes");
    free(m);
    free(big);
}

static char *nest(const char *open, const char *close, int depth)
{
    size_t lo = strlen(open), lc = strlen(close);
    char *s = calloc(1, (lo + lc) * (size_t)depth + 1), *w = s;
    int i;

    for (i = 0; i < depth; i++, w += lo)
        memcpy(w, open, lo);
    for (i = 0; i < depth; i++, w += lc)
        memcpy(w, close, lc);
    return s;
}

static void test_json_depth_capped(void)
{
    char *s;

    s = nest("[", "]", BW_MAX_JSON_DEPTH);
    ok(s);
    free(s);
    s = nest("[", "]", BW_MAX_JSON_DEPTH + 1);
    bad(s, "t.json:1:65: nesting deeper than 64 levels");
    free(s);
    s = nest("{\"k\":", "}", BW_MAX_JSON_DEPTH + 1);
    s[strlen(s) - BW_MAX_JSON_DEPTH - 1] = '1'; /* innermost value: a number instead of '}' */
    bad(s, "t.json:1:321: nesting deeper than 64 levels");
    free(s);
    s = nest("[", "]", 5000); /* cJSON would recurse on this; we stop at 65 */
    bad(s, "t.json:1:65: nesting deeper than 64 levels");
    free(s);
}

static void test_json_duplicate_keys_named_by_path(void)
{
    int rv;
    cJSON *tree = NULL;
    const char *t;
    char *m, big[4096];
    size_t w = 0;
    int i;

    t = "{\"a\": 1, \"b\": {\"c\": [{\"d\": 1, \"d\": 2, \"d\": 3}]}, \"a\": 2}";
    m = parse_errs(t, strlen(t), &rv, &tree);
    CU_ASSERT_EQUAL(rv, BW_ECONFIG);
    CU_ASSERT_STRING_EQUAL(m, "t.json: b.c[0].d: duplicate key\nt.json: b.c[0].d: duplicate key\nt.json: a: duplicate key");
    /* the tree is still given, first members win */
    CU_ASSERT_PTR_NOT_NULL_FATAL(tree);
    CU_ASSERT_EQUAL(bw_json_member(tree, "a")->valueint, 1);
    cJSON_Delete(tree);
    free(m);
    /* a large object goes through the sorted path: same answer */
    w += (size_t)snprintf(big + w, sizeof(big) - w, "{");
    for (i = 0; i < 100; i++)
        w += (size_t)snprintf(big + w, sizeof(big) - w, "\"k%d\": %d, ", i, i);
    snprintf(big + w, sizeof(big) - w, "\"k7\": 0, \"k 99\": 1, \"k99\": 2}");
    m = parse_errs(big, strlen(big), &rv, NULL);
    CU_ASSERT_EQUAL(rv, BW_ECONFIG);
    CU_ASSERT_STRING_EQUAL(m, "t.json: k7: duplicate key\nt.json: k99: duplicate key");
    free(m);
    /* keys are compared decoded and case-sensitively */
    t = "{\"a\": 1, \"\\u0061\": 2, \"A\": 3}";
    m = parse_errs(t, strlen(t), &rv, NULL);
    CU_ASSERT_STRING_EQUAL(m, "t.json: a: duplicate key");
    free(m);
}

static void test_json_suggest(void)
{
    static const char *const pii[] = {"EMAIL", "PHONE", "NAME", "CREDIT_DEBIT_CARD_NUMBER", "URL"};
    static const char *const keys[] = {"filtersConfig", "tierConfig", "inputEnabled"};

    CU_ASSERT_STRING_EQUAL(bw_json_suggest("EMAL", pii, 5), "EMAIL");
    CU_ASSERT_STRING_EQUAL(bw_json_suggest("email", pii, 5), "EMAIL");
    CU_ASSERT_STRING_EQUAL(bw_json_suggest("CREDIT_CARD_NUMBER", pii, 5), "CREDIT_DEBIT_CARD_NUMBER");
    CU_ASSERT_PTR_NULL(bw_json_suggest("DATE_OF_BIRTH", pii, 5));
    CU_ASSERT_PTR_NULL(bw_json_suggest("", pii, 5));
    CU_ASSERT_STRING_EQUAL(bw_json_suggest("filters", keys, 3), "filtersConfig"); /* the other shape's name */
    CU_ASSERT_STRING_EQUAL(bw_json_suggest("tier", keys, 3), "tierConfig");
    CU_ASSERT_STRING_EQUAL(bw_json_suggest("inputenabled", keys, 3), "inputEnabled");
    CU_ASSERT_PTR_NULL(bw_json_suggest("mask", keys, 3));
    CU_ASSERT_PTR_NULL(bw_json_suggest("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", keys, 3));
}

static void test_json_quote(void)
{
    char q[400], small[10];
    char longs[300];

    CU_ASSERT_STRING_EQUAL(bw_jv_quote(q, sizeof(q), "EMAL"), "\"EMAL\"");
    CU_ASSERT_STRING_EQUAL(bw_jv_quote(q, sizeof(q), "a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
    memset(longs, 'x', 150);
    longs[150] = '\0';
    bw_jv_quote(q, sizeof(q), longs);
    CU_ASSERT_EQUAL(strlen(q), 1 + 100 + 3 + 1);
    CU_ASSERT_STRING_EQUAL(q + 101, "...\"");
    /* a small buffer never ends inside a UTF-8 sequence */
    bw_jv_quote(small, sizeof(small), "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
    CU_ASSERT_STRING_EQUAL(small, "\"\xe2\x82\xac\xe2\x82\xac\"");
}

static void test_json_path_steps(void)
{
    struct bw_errs e;
    struct bw_jv v;
    size_t m1, m2, m3;
    int i;

    bw_errs_init(&e, "f");
    bw_jv_init(&v, &e);
    m1 = bw_jv_key(&v, "sensitiveInformationPolicyConfig");
    m2 = bw_jv_key(&v, "regexesConfig");
    m3 = bw_jv_index(&v, 3);
    CU_ASSERT_STRING_EQUAL(v.path, "sensitiveInformationPolicyConfig.regexesConfig[3]");
    bw_jv_pop(&v, m3);
    bw_jv_key(&v, "odd key.\"x\"");
    CU_ASSERT_STRING_EQUAL(v.path, "sensitiveInformationPolicyConfig.regexesConfig[\"odd key.\\\"x\\\"\"]");
    bw_jv_err(&v, "bad %d", 7);
    CU_ASSERT_EQUAL(v.nerr, 1);
    CU_ASSERT_STRING_EQUAL(e.msg[0], "f: sensitiveInformationPolicyConfig.regexesConfig[\"odd key.\\\"x\\\"\"]: bad 7");
    bw_jv_pop(&v, m2);
    CU_ASSERT_STRING_EQUAL(v.path, "sensitiveInformationPolicyConfig");
    bw_jv_pop(&v, m1);
    CU_ASSERT_STRING_EQUAL(v.path, "");
    bw_jv_err(&v, "top");
    CU_ASSERT_STRING_EQUAL(e.msg[1], "f: top");
    /* a path too long for the buffer ends in "..." and pops back cleanly */
    for (i = 0; i < 100; i++)
        bw_jv_key(&v, "aaaaaaaaaa");
    CU_ASSERT(v.plen < BW_JSON_PATH_MAX);
    CU_ASSERT_STRING_EQUAL(v.path + v.plen - 3, "...");
    bw_jv_pop(&v, 0);
    CU_ASSERT_STRING_EQUAL(v.path, "");
    bw_errs_free(&e);
}

/* Runs one getter on {"k": <val>}; returns rv and the message. */
static cJSON *doc;
static struct bw_errs ge;
static struct bw_jv gv;

static void getter_setup(const char *json)
{
    cJSON_Delete(doc);
    doc = cJSON_Parse(json);
    bw_errs_free(&ge);
    bw_errs_init(&ge, "f");
    bw_jv_init(&gv, &ge);
}

static const char *last(void)
{
    return ge.n ? ge.msg[ge.n - 1] : "";
}

static void test_json_getters(void)
{
    static const char *const acts[] = {"BLOCK", "ANONYMIZE", "NONE"};
    const char *s = NULL;
    const cJSON *j = NULL;
    double d = 0;
    long long ll = 0;
    int b = 0, k = -1;

    getter_setup("{\"s\": \"\xc3\xa9\xc3\xa9\xc3\xa9\", \"n\": 0.5, \"i\": 42, \"f\": 1.5, \"t\": true, \"a\": [1, 2, 3],"
                 " \"o\": {}, \"e\": \"block\", \"x\": \"MASK\", \"z\": \"\"}");
    /* strings count characters: three 2-byte characters are 3 long */
    CU_ASSERT_EQUAL(bw_jv_string(&gv, doc, "s", 1, 1, 3, &s), 1);
    CU_ASSERT_STRING_EQUAL(s, "\xc3\xa9\xc3\xa9\xc3\xa9");
    CU_ASSERT_EQUAL(bw_jv_string(&gv, doc, "s", 1, 1, 2, &s), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: s: too long: 3 characters (at most 2)");
    CU_ASSERT_EQUAL(bw_jv_string(&gv, doc, "s", 1, 4, 10, &s), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: s: too short: 3 characters (at least 4)");
    CU_ASSERT_EQUAL(bw_jv_string(&gv, doc, "z", 1, 1, 10, &s), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: z: must not be empty");
    CU_ASSERT_EQUAL(bw_jv_string(&gv, doc, "z", 1, 0, 10, &s), 1);
    CU_ASSERT_EQUAL(bw_jv_string(&gv, doc, "n", 1, 0, 10, &s), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: n: expected a string, found a number");
    CU_ASSERT_EQUAL(bw_jv_string(&gv, doc, "nope", 0, 0, 10, &s), 0);
    CU_ASSERT_EQUAL(ge.n, 4);
    CU_ASSERT_EQUAL(bw_jv_string(&gv, doc, "nope", 1, 0, 10, &s), 0);
    CU_ASSERT_STRING_EQUAL(last(), "f: missing required key \"nope\"");

    CU_ASSERT_EQUAL(bw_jv_number(&gv, doc, "n", 1, 0, 0.99, &d), 1);
    CU_ASSERT_DOUBLE_EQUAL(d, 0.5, 1e-12);
    CU_ASSERT_EQUAL(bw_jv_number(&gv, doc, "f", 1, 0, 0.99, &d), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: f: 1.5 is out of range (0 to 0.99)");
    CU_ASSERT_EQUAL(bw_jv_number(&gv, doc, "f", 1, 2, INFINITY, &d), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: f: 1.5 is out of range (at least 2)");
    CU_ASSERT_EQUAL(bw_jv_number(&gv, doc, "f", 1, -INFINITY, 1, &d), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: f: 1.5 is out of range (at most 1)");
    CU_ASSERT_EQUAL(bw_jv_number(&gv, doc, "t", 1, 0, 1, &d), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: t: expected a number, found a boolean");

    CU_ASSERT_EQUAL(bw_jv_int(&gv, doc, "i", 1, 1, 65535, &ll), 1);
    CU_ASSERT_EQUAL(ll, 42);
    CU_ASSERT_EQUAL(bw_jv_int(&gv, doc, "f", 1, 1, 65535, &ll), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: f: expected an integer, found 1.5");
    CU_ASSERT_EQUAL(bw_jv_int(&gv, doc, "i", 1, 100, 200, &ll), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: i: 42 is out of range (100 to 200)");

    CU_ASSERT_EQUAL(bw_jv_bool(&gv, doc, "t", 1, &b), 1);
    CU_ASSERT_EQUAL(b, 1);
    CU_ASSERT_EQUAL(bw_jv_bool(&gv, doc, "s", 1, &b), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: s: expected true or false, found a string");

    CU_ASSERT_EQUAL(bw_jv_enum(&gv, doc, "e", 1, "action", acts, 3, &k), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: e: unknown action \"block\" (did you mean BLOCK?)");
    CU_ASSERT_EQUAL(bw_jv_enum(&gv, doc, "x", 1, "action", acts, 3, &k), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: x: unknown action \"MASK\" (expected BLOCK, ANONYMIZE or NONE)");
    getter_setup("{\"e\": \"NONE\"}");
    CU_ASSERT_EQUAL(bw_jv_enum(&gv, doc, "e", 1, "action", acts, 3, &k), 1);
    CU_ASSERT_EQUAL(k, 2);

    getter_setup("{\"a\": [1, 2, 3], \"o\": {}, \"e\": []}");
    CU_ASSERT_EQUAL(bw_jv_array(&gv, doc, "a", 1, 1, 3, &j), 1);
    CU_ASSERT_PTR_EQUAL(j, bw_json_member(doc, "a"));
    j = NULL;
    CU_ASSERT_EQUAL(bw_jv_array(&gv, doc, "a", 1, 1, 2, &j), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: a: too many items: 3 (at most 2)");
    CU_ASSERT_PTR_NOT_NULL(j); /* still given, so its items can be checked */
    CU_ASSERT_EQUAL(bw_jv_array(&gv, doc, "a", 1, 4, 5, &j), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: a: too few items: 3 (at least 4)");
    CU_ASSERT_EQUAL(bw_jv_array(&gv, doc, "e", 1, 1, 5, &j), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: e: must not be empty");
    j = NULL;
    CU_ASSERT_EQUAL(bw_jv_array(&gv, doc, "o", 1, 0, 5, &j), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: o: expected an array, found an object");
    CU_ASSERT_PTR_NULL(j);
    CU_ASSERT_EQUAL(bw_jv_object(&gv, doc, "o", 1, &j), 1);
    CU_ASSERT_EQUAL(bw_jv_object(&gv, doc, "a", 1, &j), -1);
    CU_ASSERT_STRING_EQUAL(last(), "f: a: expected an object, found an array");
    CU_ASSERT_EQUAL(bw_jv_object(&gv, doc, "q", 0, &j), 0);

    cJSON_Delete(doc);
    doc = NULL;
    bw_errs_free(&ge);
}

static void test_json_unknown_keys(void)
{
    static const char *const allowed[] = {"name", "definition", "examples", "inputEnabled"};

    getter_setup("{\"name\": 1, \"defintion\": 2, \"inputenabled\": 3, \"colour\": 4, \"odd key\": 5, \"name\": 6}");
    CU_ASSERT_EQUAL(bw_jv_keys(&gv, doc, allowed, 4), 4);
    CU_ASSERT_EQUAL_FATAL(ge.n, 4);
    CU_ASSERT_STRING_EQUAL(ge.msg[0], "f: defintion: unknown key (did you mean definition?)");
    CU_ASSERT_STRING_EQUAL(ge.msg[1], "f: inputenabled: unknown key (did you mean inputEnabled?)");
    CU_ASSERT_STRING_EQUAL(ge.msg[2], "f: colour: unknown key");
    CU_ASSERT_STRING_EQUAL(ge.msg[3], "f: [\"odd key\"]: unknown key");
    /* keys are case-sensitive */
    CU_ASSERT_PTR_NULL(bw_json_member(doc, "Name"));
    cJSON_Delete(doc);
    doc = NULL;
    bw_errs_free(&ge);
}

static void test_json_type_names(void)
{
    cJSON *j = cJSON_Parse("[{}, [], \"s\", 1, true, null]");
    const cJSON *c = j->child;

    CU_ASSERT_STRING_EQUAL(bw_json_type_name(c), "an object");
    CU_ASSERT_STRING_EQUAL(bw_json_type_name(c = c->next), "an array");
    CU_ASSERT_STRING_EQUAL(bw_json_type_name(c = c->next), "a string");
    CU_ASSERT_STRING_EQUAL(bw_json_type_name(c = c->next), "a number");
    CU_ASSERT_STRING_EQUAL(bw_json_type_name(c = c->next), "a boolean");
    CU_ASSERT_STRING_EQUAL(bw_json_type_name(c = c->next), "null");
    CU_ASSERT_EQUAL(bw_json_utf8_len("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), 4);
    cJSON_Delete(j);
}

static void test_json_read_file(void)
{
    char path[] = "/tmp/bw_test_json_XXXXXX";
    char *buf = NULL;
    size_t len = 0;
    int fd = mkstemp(path);

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, "{\"a\": 1}", 8), 8);
    close(fd);
    CU_ASSERT_EQUAL(bw_json_read_file(path, 100, &buf, &len), BW_OK);
    CU_ASSERT_EQUAL(len, 8);
    CU_ASSERT_STRING_EQUAL(buf, "{\"a\": 1}");
    free(buf);
    CU_ASSERT_EQUAL(bw_json_read_file(path, 8, &buf, &len), BW_OK);
    free(buf);
    CU_ASSERT_EQUAL(bw_json_read_file(path, 7, &buf, &len), BW_ELIMIT);
    CU_ASSERT_PTR_NULL(buf);
    unlink(path);
    CU_ASSERT_EQUAL(bw_json_read_file(path, 100, &buf, &len), BW_EIO);
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_EQUAL(bw_json_read_file("/tmp", 100, &buf, &len), BW_EIO);
    CU_ASSERT_EQUAL(errno, EISDIR);
    /* not a regular file: read until the end, still capped */
    CU_ASSERT_EQUAL(bw_json_read_file("/dev/null", 100, &buf, &len), BW_OK);
    CU_ASSERT_EQUAL(len, 0);
    free(buf);
}

static const struct bw_test tests[] = {
    {"test_json_accepts_rfc8259", test_json_accepts_rfc8259},
    {"test_json_syntax_errors_name_line_and_column", test_json_syntax_errors_name_line_and_column},
    {"test_json_columns_count_characters", test_json_columns_count_characters},
    {"test_json_invalid_utf8_names_the_byte", test_json_invalid_utf8_names_the_byte},
    {"test_json_empty_large_and_utf16", test_json_empty_large_and_utf16},
    {"test_json_depth_capped", test_json_depth_capped},
    {"test_json_duplicate_keys_named_by_path", test_json_duplicate_keys_named_by_path},
    {"test_json_suggest", test_json_suggest},
    {"test_json_quote", test_json_quote},
    {"test_json_path_steps", test_json_path_steps},
    {"test_json_getters", test_json_getters},
    {"test_json_unknown_keys", test_json_unknown_keys},
    {"test_json_type_names", test_json_type_names},
    {"test_json_read_file", test_json_read_file},
};

BW_TEST_MAIN("json", tests)
