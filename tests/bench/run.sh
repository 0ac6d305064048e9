#!/bin/sh
# make bench: every benchmark, each figure beside a reference measured in
# the same run (raw Hyperscan on the same database, redact-pii on the same
# texts, nghttpx on the same load). Usage: run.sh BUILD_DIR SHARED_DIR
set -eu
O=$1
SHARED=$2
B=$O/bench
mkdir -p "$B"
[ -x "$B/engine_bench" ] || { echo "bench: $B/engine_bench missing (make bench builds it)" >&2; exit 1; }
if [ ! -f "$B/corpus.txt" ]; then
    python3 tests/bench/mkcorpus.py "$SHARED" "$B/corpus.txt" 64
fi

echo "## Engine: default guardrail (profanity + 31 PII types + 5 regexes), INPUT"
"$B/engine_bench" --guardrail conf/guardrails/default.json --prompt tests/bench/data/prompt4k.txt --corpus "$B/corpus.txt"

echo
echo "## Engine: demo guardrail, INPUT"
"$B/engine_bench" --guardrail conf/guardrails/demo.json --prompt tests/bench/data/prompt4k.txt --iters 10000

if command -v npm >/dev/null 2>&1; then
    echo
    echo "## PII beside redact-pii (npm), same texts"
    if [ ! -d "$B/node_modules/redact-pii" ]; then
        (cd "$B" && { [ -f package.json ] || npm init -y >/dev/null; } &&
            npm install --no-audit --no-fund redact-pii@3.4.0 >/dev/null 2>&1) || echo "(npm install redact-pii failed: skipped)"
    fi
    if [ -d "$B/node_modules/redact-pii" ]; then
        NODE_PATH="$B/node_modules" node tests/bench/pii_compare.js "$O/bulwark" conf/guardrails/default.json "$SHARED" "$B/corpus.txt"
    fi
fi

for extra in tests/bench/cls.sh tests/bench/stream.sh tests/bench/proxy.sh; do
    if [ -x "$extra" ]; then
        echo
        "$extra" "$O" "$SHARED"
    fi
done
