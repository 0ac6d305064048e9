/* Tests of policies/registry.c: lookups, sharing unchanged guardrails on reload, the published slot. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>

#include "policies/registry.h"
#include "tests/unit/testutil.h"

static char path[256];

static void write_guardrail(const char *word)
{
    FILE *f = fopen(path, "w");

    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f, "{\"name\":\"t\",\"blockedInputMessaging\":\"no\",\"blockedOutputsMessaging\":\"no\","
               "\"wordPolicyConfig\":{\"wordsConfig\":[{\"text\":\"%s\"}]}}",
            word);
    fclose(f);
}

static int setup(void)
{
    snprintf(path, sizeof(path), "/tmp/bw-registry-%d.json", (int)getpid());
    return 0;
}

static void test_registry_lookup(void)
{
    struct bw_registry *r;
    struct bw_errs e;

    setup();
    write_guardrail("apple");
    bw_errs_init(&e, NULL);
    CU_ASSERT_EQUAL_FATAL(bw_registry_new(&r), 0);
    CU_ASSERT_EQUAL_FATAL(bw_registry_load(r, "abc", "DRAFT", path, NULL, &e), 0);
    CU_ASSERT_EQUAL_FATAL(bw_registry_load(r, "abc", "2", path, NULL, &e), 0);
    CU_ASSERT_EQUAL(bw_registry_load(r, "abc", "2", path, NULL, &e), BW_EINVAL);
    CU_ASSERT_EQUAL(bw_registry_count(r), 2);
    CU_ASSERT_PTR_NOT_NULL(bw_registry_get(r, "abc", "DRAFT"));
    CU_ASSERT_PTR_EQUAL(bw_registry_get(r, "abc", NULL), bw_registry_get(r, "abc", "DRAFT"));
    CU_ASSERT_PTR_EQUAL(bw_registry_get(r, "abc", ""), bw_registry_get(r, "abc", "DRAFT"));
    CU_ASSERT_PTR_EQUAL(bw_registry_get(r, "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc", "2"),
                        bw_registry_at(r, 1));
    CU_ASSERT_PTR_NULL(bw_registry_get(r, "arn:aws:bedrock:us-east-1:123456789012:agent/abc", "2"));
    CU_ASSERT_PTR_NULL(bw_registry_get(r, "abc", "3"));
    CU_ASSERT_PTR_NULL(bw_registry_get(r, "ab", "DRAFT"));
    CU_ASSERT_STRING_EQUAL(bw_registry_at(r, 1)->version, "2");
    CU_ASSERT_EQUAL(bw_registry_load(r, "bad", "1", "/no/such/file.json", NULL, &e) != 0, 1);
    CU_ASSERT(e.n > 0);
    bw_registry_unref(r);
    bw_errs_free(&e);
    unlink(path);
}

static void test_registry_reload_shares_unchanged(void)
{
    struct bw_registry *a, *b, *c;
    struct bw_errs e;
    struct utimbuf ut;

    setup();
    write_guardrail("apple");
    bw_errs_init(&e, NULL);
    bw_registry_new(&a);
    CU_ASSERT_EQUAL_FATAL(bw_registry_load(a, "g", "DRAFT", path, NULL, &e), 0);
    bw_registry_new(&b);
    CU_ASSERT_EQUAL_FATAL(bw_registry_load(b, "g", "DRAFT", path, a, &e), 0);
    CU_ASSERT_PTR_EQUAL(bw_registry_get(a, "g", NULL), bw_registry_get(b, "g", NULL));
    /* a changed file is compiled again */
    write_guardrail("banana");
    ut.actime = ut.modtime = time(NULL) + 10;
    utime(path, &ut);
    bw_registry_new(&c);
    CU_ASSERT_EQUAL_FATAL(bw_registry_load(c, "g", "DRAFT", path, b, &e), 0);
    CU_ASSERT_PTR_NOT_EQUAL(bw_registry_get(c, "g", NULL), bw_registry_get(b, "g", NULL));
    /* the shared guardrail outlives the registry that compiled it */
    bw_registry_unref(a);
    CU_ASSERT_STRING_EQUAL(bw_registry_get(b, "g", NULL)->id, "g");
    bw_registry_unref(b);
    bw_registry_unref(c);
    bw_errs_free(&e);
    unlink(path);
}

static void test_registry_slot(void)
{
    struct bw_registry_slot s;
    struct bw_registry *a, *b, *got;

    CU_ASSERT_EQUAL_FATAL(bw_registry_slot_init(&s), 0);
    CU_ASSERT_PTR_NULL(bw_registry_slot_acquire(&s));
    bw_registry_new(&a);
    bw_registry_slot_swap(&s, a);
    got = bw_registry_slot_acquire(&s);
    CU_ASSERT_PTR_EQUAL(got, a);
    bw_registry_new(&b);
    bw_registry_slot_swap(&s, b); /* a lives on through got */
    CU_ASSERT_EQUAL(bw_registry_count(got), 0);
    bw_registry_unref(got);
    got = bw_registry_slot_acquire(&s);
    CU_ASSERT_PTR_EQUAL(got, b);
    bw_registry_unref(got);
    bw_registry_slot_free(&s);
}

static const struct bw_test tests[] = {
    {"test_registry_lookup", test_registry_lookup},
    {"test_registry_reload_shares_unchanged", test_registry_reload_shares_unchanged},
    {"test_registry_slot", test_registry_slot},
};

BW_TEST_MAIN("registry", tests)
