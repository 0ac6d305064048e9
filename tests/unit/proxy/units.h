/*
 * units.h: the proxy sources the unit tests compile in (h2o style): the
 * test executables link only build/libbulwark.a, the engine. Each adapter
 * names its statics with its own prefix so they can share one unit.
 */
#ifndef BW_TEST_UNITS_H
#define BW_TEST_UNITS_H

#include "proxy/adapter.c"
#include "proxy/adapt_openai.c"
#include "proxy/adapt_anthropic.c"
#include "proxy/adapt_bedrock.c"
#include "proxy/adapt_generic.c"

#endif
