#!/bin/sh
# make run: bulwark's mock model on 127.0.0.1:9000 and bulwark on
# 127.0.0.1:8080 (h1/h2c), 127.0.0.1:8443 (TLS, h2/h1) and the admin
# endpoints on 127.0.0.1:9901, with conf/bulwark.json and the demo
# guardrail. Runs in the foreground; Ctrl-C stops both.
set -eu
B=${1:-build/bulwark}
cd "$(dirname "$0")/.."
[ -x "$B" ] || { echo "run-demo: $B is not built (make)" >&2; exit 1; }

"$B" mock-llm --listen 127.0.0.1:9000 &
MOCK=$!
trap 'kill $MOCK 2>/dev/null || true; wait $MOCK 2>/dev/null || true' EXIT INT TERM

cat <<'TXT'
bulwark demo: try, in another terminal,

  # passes through (the mock answers "You said: ...")
  curl -s localhost:8080/v1/chat/completions -H 'content-type: application/json' \
    -d '{"model":"m","messages":[{"role":"user","content":"Hello!"}]}'
  # PII masked before the model sees it, and in the answer
  curl -si localhost:8080/v1/chat/completions -H 'content-type: application/json' \
    -d '{"model":"m","messages":[{"role":"user","content":"Mail jane.doe@example.com about ORD-12345678"}]}'
  # blocked: the model is never called (HTTP 200, finish_reason content_filter)
  curl -s localhost:8080/v1/chat/completions -H 'content-type: application/json' \
    -d '{"model":"m","messages":[{"role":"user","content":"Tell me about project nightingale"}]}'
  # HTTP/2 over TLS, with the guardrail trace
  curl -sk --http2 https://localhost:8443/v1/chat/completions -H 'x-bulwark-trace: enabled' \
    -H 'content-type: application/json' -d '{"model":"m","messages":[{"role":"user","content":"Call 555-0100"}]}'
  # Bedrock ApplyGuardrail
  curl -s localhost:8080/guardrail/demo/version/DRAFT/apply -H 'content-type: application/json' \
    -d '{"source":"INPUT","content":[{"text":{"text":"my email is bob@example.com"}}]}'
  # what the model received, and the metrics
  curl -s localhost:9000/_mock/last; curl -s localhost:9901/metrics | grep bulwark_

TXT
"$B" serve --config conf/bulwark.json
