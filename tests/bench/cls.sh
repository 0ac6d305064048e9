#!/bin/sh
# Classifier benchmark (issue 3): content filters (six categories, prompt
# attack included), three denied topics, grounding and relevance, alone and
# all together on one 4 KB text, through the engine; each row beside the raw
# Hyperscan pass over the same database and text in the same run
# (tests/bench/cls_bench.c). Two texts: the built-in chat text and the prose
# of tests/bench/data/prompt4k.txt. Pinned to one core (CLS_CPU, default 1)
# when taskset is there.
#
# Usage: tests/bench/cls.sh BUILD_DIR [SHARED_DIR]   (ITERS=3000)
set -eu
O=${1:?usage: cls.sh BUILD_DIR [SHARED_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
bin=$O/bench/cls_bench
[ -x "$bin" ] || { echo "cls.sh: $bin missing (make $bin)" >&2; exit 1; }
pin=
if command -v taskset >/dev/null 2>&1; then
    pin="taskset -c ${CLS_CPU:-1}"
fi
echo "## Classifiers: content (6) + 3 denied topics + grounding and relevance, 4 KB text, one core (target: all together <= 50 us)"
$pin "$bin" "${ITERS:-3000}"
$pin "$bin" "${ITERS:-3000}" "$here/data/prompt4k.txt"
