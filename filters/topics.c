/* topics.c: placeholder, replaced below. */
#include "filters/topics.h"
const struct bw_module_ops bw_topics_module = {.name = "topics", .policy = BW_POL_TOPIC};
