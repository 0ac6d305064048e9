/* grounding.c: placeholder, replaced below. */
#include "filters/grounding.h"
const struct bw_module_ops bw_grounding_module = {.name = "grounding", .policy = BW_POL_GROUNDING};
