/*
 * Tests of proxy/sigv4.c against AWS's aws-sig-v4-test-suite vectors
 * (tests/data/proxy/sigv4, see its README for their origin): canonical
 * request, string to sign and Authorization of every listed case; then the
 * Bedrock specifics (double-encoded model ids, payload hash header, session
 * token) and the errors.
 */
#include "proxy/sigv4.c"
#include "tests/unit/testutil.h"

#define STARTS(s, lit) (strncmp((s), (lit), sizeof(lit) - 1) == 0)

static const struct bw_sigv4_creds suite_creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};

static char *slurp_case(const char *name, const char *ext)
{
    char path[256];

    snprintf(path, sizeof(path), "tests/data/proxy/sigv4/%s.%s", name, ext);
    return bw_test_slurp(path, NULL);
}

/* Signs NAME.req and compares with NAME.creq, NAME.sts, NAME.authz. Returns 0 when all match. */
static int run_case_as(const char *name, const char *service, const char *date)
{
    char *req = slurp_case(name, "req"), *creq = slurp_case(name, "creq"), *sts = slurp_case(name, "sts");
    char *authz = slurp_case(name, "authz"), *p, *line, *q;
    struct bw_hdr h[16];
    struct bw_sigv4_req r;
    struct bw_sigv4_creds c = suite_creds;
    struct bw_sigv4_out out;
    struct bw_buf gc, gs;
    size_t nh = 0;
    int bad = 0;

    if (!req || !creq || !sts || !authz) {
        fprintf(stderr, "%s: missing files\n", name);
        return 1;
    }
    memset(&r, 0, sizeof(r));
    /* "METHOD PATH HTTP/1.1" */
    line = req;
    p = strchr(line, ' ');
    *p = 0;
    r.method = line;
    r.path = p + 1;
    p = strstr(r.path, " HTTP/1.1\n");
    *p = 0;
    line = p + 10;
    if ((q = strchr(r.path, '?')) != NULL) {
        *q = 0;
        r.query = q + 1;
        r.query_len = strlen(r.query);
    }
    r.path_len = strlen(r.path);
    /* header lines until the blank one, then the body */
    while (*line != '\n') {
        char *nl = strchr(line, '\n'), *colon = strchr(line, ':');

        *nl = 0;
        h[nh].name.base = line;
        h[nh].name.len = (size_t)(colon - line);
        h[nh].value.base = colon + 1;
        h[nh].value.len = strlen(colon + 1);
        if (strncasecmp(line, "x-amz-security-token", 20) == 0)
            c.token = colon + 1;
        nh++;
        line = nl + 1;
    }
    r.h = h;
    r.nh = nh;
    r.body = line + 1;
    r.body_len = strlen(line + 1);
    r.region = "us-east-1";
    r.service = service;
    r.amz_date = date;
    bw_buf_init(&gc, 0);
    bw_buf_init(&gs, 0);
    if (bw_sigv4_sign(&r, &c, &out, &gc, &gs) != 0) {
        fprintf(stderr, "%s: sign failed\n", name);
        bad = 1;
    } else {
        if (strcmp(gc.base, creq) != 0) {
            fprintf(stderr, "%s: canonical request\n--- got\n%s\n--- want\n%s\n", name, gc.base, creq);
            bad = 1;
        }
        if (strcmp(gs.base, sts) != 0) {
            fprintf(stderr, "%s: string to sign\n--- got\n%s\n--- want\n%s\n", name, gs.base, sts);
            bad = 1;
        }
        if (strcmp(out.authorization, authz) != 0) {
            fprintf(stderr, "%s: authorization\n--- got\n%s\n--- want\n%s\n", name, out.authorization, authz);
            bad = 1;
        }
    }
    bw_buf_free(&gc);
    bw_buf_free(&gs);
    free(req);
    free(creq);
    free(sts);
    free(authz);
    return bad;
}

static int run_case(const char *name)
{
    return run_case_as(name, "service", "20150830T123600Z");
}

/* A Converse request signed by botocore itself: the double-encoded model id, the session token. */
static void test_sigv4_botocore_bedrock(void)
{
    CU_ASSERT_EQUAL(run_case_as("bedrock-converse-botocore", "bedrock", "20240501T120000Z"), 0);
}

static void test_sigv4_aws_suite(void)
{
    char *list = bw_test_slurp("tests/data/proxy/sigv4/LIST", NULL), *name, *save = NULL;
    int n = 0, bad = 0;

    CU_ASSERT_PTR_NOT_NULL_FATAL(list);
    for (name = strtok_r(list, "\n", &save); name; name = strtok_r(NULL, "\n", &save)) {
        bad += run_case(name);
        n++;
    }
    CU_ASSERT_EQUAL(n, 25);
    CU_ASSERT_EQUAL(bad, 0);
    free(list);
}

static void test_sigv4_bedrock_request(void)
{
    static const char body[] = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":\"hi\"}]}]}";
    struct bw_hdr h[3] = {
        {BW_IOV("Host"), BW_IOV("bedrock-runtime.us-east-1.amazonaws.com")},
        {BW_IOV("Content-Type"), BW_IOV("application/json")},
        {BW_IOV("Authorization"), BW_IOV("AWS4-HMAC-SHA256 stale")},
    };
    struct bw_sigv4_creds c = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-1"};
    struct bw_sigv4_req r;
    struct bw_sigv4_out out, out2;
    struct bw_buf creq;
    char hash[65];

    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse";
    r.path_len = strlen(r.path);
    r.h = h;
    r.nh = 3;
    r.body = body;
    r.body_len = sizeof(body) - 1;
    r.region = "us-east-1";
    r.service = "bedrock";
    r.amz_date = "20240101T000000Z";
    r.flags = BW_SIGV4_CONTENT_SHA256;
    bw_buf_init(&creq, 0);
    CU_ASSERT_EQUAL_FATAL(bw_sigv4_sign(&r, &c, &out, &creq, NULL), 0);
    CU_ASSERT_EQUAL(sha256hex(body, sizeof(body) - 1, hash), 0);
    CU_ASSERT_STRING_EQUAL(out.content_sha256, hash);
    CU_ASSERT_STRING_EQUAL(out.amz_date, "20240101T000000Z");
    CU_ASSERT_STRING_EQUAL(out.security_token, "session-token-1");
    /* botocore signs bedrock-runtime paths encoded twice */
    CU_ASSERT(STARTS(creq.base, "POST\n/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(creq.base, "\nx-amz-security-token:session-token-1\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(creq.base, "\nx-amz-content-sha256:"));
    CU_ASSERT_PTR_NULL(strstr(creq.base, "authorization"));
    CU_ASSERT(STARTS(out.authorization,
                     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/bedrock/aws4_request, "
                     "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
                     "Signature="));
    /* deterministic, and the body is signed */
    CU_ASSERT_EQUAL(bw_sigv4_sign(&r, &c, &out2, NULL, NULL), 0);
    CU_ASSERT_STRING_EQUAL(out.signature, out2.signature);
    r.body_len--;
    CU_ASSERT_EQUAL(bw_sigv4_sign(&r, &c, &out2, NULL, NULL), 0);
    CU_ASSERT_STRING_NOT_EQUAL(out.signature, out2.signature);
    /* S3 rule: encoded once */
    bw_buf_reset(&creq);
    r.flags = BW_SIGV4_SINGLE_ENCODE;
    CU_ASSERT_EQUAL(bw_sigv4_sign(&r, &c, &out2, &creq, NULL), 0);
    CU_ASSERT(STARTS(creq.base, "POST\n/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse\n"));
    bw_buf_free(&creq);
}

static void test_sigv4_errors_and_helpers(void)
{
    struct bw_hdr h = {BW_IOV("content-type"), BW_IOV("application/json")};
    struct bw_hdr bad[2] = {{BW_IOV("host"), BW_IOV("x")}, {BW_IOV("x-a"), BW_IOV("a\r\nb")}};
    struct bw_sigv4_req r;
    struct bw_sigv4_out out;
    struct bw_sigv4_creds c;
    char buf[32];

    memset(&r, 0, sizeof(r));
    r.method = "POST";
    r.path = "/";
    r.path_len = 1;
    r.h = &h;
    r.nh = 1;
    r.region = "us-east-1";
    r.service = "bedrock";
    CU_ASSERT_EQUAL(bw_sigv4_sign(&r, &suite_creds, &out, NULL, NULL), BW_EINVAL); /* no host */
    r.h = bad;
    r.nh = 2;
    CU_ASSERT_EQUAL(bw_sigv4_sign(&r, &suite_creds, &out, NULL, NULL), BW_EINVAL);
    r.nh = 1;
    r.amz_date = "2015-08-30";
    CU_ASSERT_EQUAL(bw_sigv4_sign(&r, &suite_creds, &out, NULL, NULL), BW_EINVAL);
    r.amz_date = NULL;
    CU_ASSERT_EQUAL(bw_sigv4_sign(&r, &suite_creds, &out, NULL, NULL), 0);
    CU_ASSERT_EQUAL(strlen(out.amz_date), 16);
    r.region = "";
    CU_ASSERT_EQUAL(bw_sigv4_sign(&r, &suite_creds, &out, NULL, NULL), BW_EINVAL);

    CU_ASSERT_STRING_EQUAL(bw_sigv4_region_of_host("bedrock-runtime.eu-west-1.amazonaws.com", buf, sizeof(buf)),
                           "eu-west-1");
    CU_ASSERT_STRING_EQUAL(bw_sigv4_region_of_host("bedrock-runtime-fips.us-gov-west-1.amazonaws.com", buf, sizeof(buf)),
                           "us-gov-west-1");
    CU_ASSERT_PTR_NULL(bw_sigv4_region_of_host("localhost", buf, sizeof(buf)));
    CU_ASSERT_PTR_NULL(bw_sigv4_region_of_host("bedrock-runtime.amazonaws.com", buf, sizeof(buf)));

    setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
    setenv("AWS_SESSION_TOKEN", "", 1);
    CU_ASSERT_EQUAL(bw_sigv4_creds_from_env(&c), 0);
    CU_ASSERT_STRING_EQUAL(c.akid, "AKID");
    CU_ASSERT_PTR_NULL(c.token);
    unsetenv("AWS_SECRET_ACCESS_KEY");
    CU_ASSERT_EQUAL(bw_sigv4_creds_from_env(&c), BW_ENOTFOUND);
}

static const struct bw_test tests[] = {
    {"test_sigv4_aws_suite", test_sigv4_aws_suite},
    {"test_sigv4_botocore_bedrock", test_sigv4_botocore_bedrock},
    {"test_sigv4_bedrock_request", test_sigv4_bedrock_request},
    {"test_sigv4_errors_and_helpers", test_sigv4_errors_and_helpers},
};

BW_TEST_MAIN("sigv4", tests)
