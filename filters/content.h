/*
 * content.h: content filters: HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT
 * and PROMPT_ATTACK, each text scored NONE/LOW/MEDIUM/HIGH per category.
 */
#ifndef BW_CONTENT_H
#define BW_CONTENT_H

#include "filters/module.h"

/* Categories in the order of Bedrock's enum. */
enum bw_cat {
    BW_CAT_SEXUAL = 0,
    BW_CAT_VIOLENCE,
    BW_CAT_HATE,
    BW_CAT_INSULTS,
    BW_CAT_MISCONDUCT,
    BW_CAT_PROMPT_ATTACK,
    BW_CAT__N
};

enum bw_tier { BW_TIER_CLASSIC = 0, BW_TIER_STANDARD };

struct bw_content_item {
    int type;            /* enum bw_cat */
    uint8_t strength[2]; /* enum bw_conf as strength, per direction */
    uint8_t modalities[2]; /* bit 0 TEXT, bit 1 IMAGE, per direction */
    struct bw_actcfg ac;
};

struct bw_content_conf {
    struct bw_content_item items[BW_CAT__N];
    size_t n;
    int tier;
};

extern const struct bw_module_ops bw_content_module;

const char *bw_cat_name(int cat);
int bw_cat_from_name(const char *name);
const char *bw_conf_name(int conf);
int bw_conf_from_name(const char *name);

#endif
