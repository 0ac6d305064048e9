/*
 * topics.h: denied topics: a text is scored against each topic from its
 * name, definition and examples (and, as bulwark's extension, phrases).
 */
#ifndef BW_TOPICS_H
#define BW_TOPICS_H

#include "filters/module.h"

struct bw_topic_item {
    const char *name;
    const char *definition;
    const char *const *examples;
    size_t nexamples;
    const char *const *phrases; /* extension: extra trigger phrases */
    size_t nphrases;
    struct bw_actcfg ac;
};

struct bw_topics_conf {
    const struct bw_topic_item *items;
    size_t n;
    int tier;
};

extern const struct bw_module_ops bw_topics_module;

#endif
