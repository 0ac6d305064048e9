#!/bin/sh
# make eval: detector quality on ../shared/data. PII per entity type
# (tests/bench/pii_eval.c), then the classifier policies (bulwark eval).
# Usage: eval.sh BULWARK SHARED_DIR
set -eu
B=$1
SHARED=$2
O=$(dirname "$B")
libs=$(pkg-config --libs libhs libpcre2-8 libcjson libutf8proc)
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -I. tests/bench/pii_eval.c "$O/libbulwark.a" $libs -lpthread -lm -o "$O/pii_eval"
echo "## PII (presidio-research synthetic dev set, Presidio recogniser cases, python-stdnum vectors)"
"$O/pii_eval" "$SHARED"
echo
echo "## Classifier policies"
"$B" eval --data "$SHARED/data"
