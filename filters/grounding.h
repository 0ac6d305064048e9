/*
 * grounding.h: contextual grounding: GROUNDING (is the answer supported by
 * the source?) and RELEVANCE (does it answer the query?), scores in [0,1],
 * detected when the score is below the threshold. Output only.
 */
#ifndef BW_GROUNDING_H
#define BW_GROUNDING_H

#include "filters/module.h"

enum bw_ground { BW_GROUND_GROUNDING = 0, BW_GROUND_RELEVANCE, BW_GROUND__N };

struct bw_grounding_item {
    int type; /* enum bw_ground */
    double threshold;
    uint8_t action; /* enum bw_action */
    uint8_t enabled;
};

struct bw_grounding_conf {
    struct bw_grounding_item items[BW_GROUND__N];
    size_t n;
};

extern const struct bw_module_ops bw_grounding_module;

#endif
