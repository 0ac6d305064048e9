/*
 * exchange.h: the guarded exchange, the handler of the proxy listeners.
 *
 *   route -> adapter parse -> INPUT guardrail -> (blocked: answer in the
 *   API's shape, upstream not called) -> request rewritten when masked ->
 *   upstream -> answer parsed -> OUTPUT guardrail -> masked / blocked /
 *   trace -> client
 *
 * plus POST /guardrail/{id}/version/{version}/apply, answered like
 * Bedrock's ApplyGuardrail from the configured guardrails.
 *
 * Every answer carries x-bulwark-action: NONE|INTERVENED and
 * x-bulwark-request-id; every exchange writes one access-log line, every
 * finding acted on one audit line (never the matched text).
 */
#ifndef BW_PX_EXCHANGE_H
#define BW_PX_EXCHANGE_H

#include "proxy/msg.h"

extern const struct bw_px_handler bw_px_exchange_handler;

/* Parses "/guardrail/{id}/version/{v}/apply" (id and v URL-decoded into buffers). 0 when it is one. */
int bw_px_apply_path(const char *path, size_t len, char *id, size_t idlen, char *ver, size_t verlen);

#endif
