/*
 * pii.h: the sensitive information policy: the 31 PII entity recognisers
 * and custom regexes. Both are policy modules of the scanning core.
 */
#ifndef BW_PII_H
#define BW_PII_H

#include "filters/module.h"
#include "pii/entities.h"

struct bw_pii_item {
    int type; /* enum bw_pii_type */
    struct bw_actcfg ac;
};

struct bw_pii_conf {
    const struct bw_pii_item *items;
    size_t n;
};

struct bw_regex_item {
    const char *name;
    const char *description;
    const char *pattern;
    struct bw_actcfg ac;
};

struct bw_regex_conf {
    const struct bw_regex_item *items;
    size_t n;
};

extern const struct bw_module_ops bw_pii_module;
extern const struct bw_module_ops bw_regex_module;

#endif
