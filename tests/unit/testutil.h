/*
 * testutil.h: the little every CUnit test file shares. A test file defines
 * its tests and one table, then BW_TEST_MAIN(suite, table): each file is its
 * own executable, so files can be added without touching a central list.
 * The runner exits non-zero when any assertion fails.
 */
#ifndef BW_TESTUTIL_H
#define BW_TESTUTIL_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bw_test {
    const char *name;
    void (*fn)(void);
};

/* Reads a whole file from tests/data (path relative to the repository root). */
static inline char *bw_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = '\0';
    if (len)
        *len = (size_t)n;
    fclose(f);
    return buf;
}

#define BW_TEST_MAIN(suite_name, table)                                                                            \
    int main(void)                                                                                                 \
    {                                                                                                              \
        CU_pSuite s;                                                                                               \
        size_t i;                                                                                                  \
        unsigned fails;                                                                                            \
        if (CU_initialize_registry() != CUE_SUCCESS)                                                               \
            return 2;                                                                                              \
        s = CU_add_suite(suite_name, NULL, NULL);                                                                  \
        for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)                                                     \
            CU_add_test(s, table[i].name, table[i].fn);                                                            \
        CU_basic_set_mode(getenv("BW_TEST_VERBOSE") ? CU_BRM_VERBOSE : CU_BRM_NORMAL);                             \
        CU_basic_run_tests();                                                                                      \
        fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();                                     \
        CU_cleanup_registry();                                                                                     \
        return fails ? 1 : 0;                                                                                      \
    }

#endif
