/*
 * limits.h: every cap on an owned, growable thing, in one place (curl's
 * dynbuf rule). Going over a cap returns BW_ELIMIT, which fails closed.
 */
#ifndef BW_LIMITS_H
#define BW_LIMITS_H

/* One text block given to apply(); Bedrock's InvokeModel body cap is 25 MB. */
#define BW_MAX_TEXT_BYTES (32u * 1024 * 1024)
/* Content blocks in one ApplyGuardrail request. */
#define BW_MAX_BLOCKS 4096
/* Findings of one evaluation, all policies together. */
#define BW_MAX_FINDINGS (1u << 20)
/* Patterns in one compiled database (both the guardrail's and the lexicons'). */
#define BW_MAX_PATTERNS (1u << 20)
/* Policy modules in one guardrail direction. */
#define BW_MAX_MODULES 16
/* A guardrail or proxy configuration file. */
#define BW_MAX_CONFIG_BYTES (64u * 1024 * 1024)
/* JSON nesting depth accepted in configuration and requests. */
#define BW_MAX_JSON_DEPTH 64
/* Errors collected from one configuration file before giving up. */
#define BW_MAX_CONFIG_ERRORS 200
/* One request or response body held by the proxy. */
#define BW_MAX_BODY_BYTES (64u * 1024 * 1024)
/*
 * Words of one block kept for the scorers to share (bw_eval_words): about
 * 80 bytes each, so 1.3 MB per worker at most; a longer block is tokenised
 * by each scorer on its own instead.
 */
#define BW_MAX_TOKLIST 16384u
/* PCRE2 limits for user regexes that Hyperscan cannot take. */
#define BW_PCRE2_MATCH_LIMIT 1000000u
#define BW_PCRE2_DEPTH_LIMIT 10000u

#endif
