#!/bin/sh
# findings_check.sh: proves a speed change changed no finding. Dumps every
# finding of the default, demo and full (all policies, grounding included)
# guardrails over a fixed set of texts (tests/bench/findings_dump.c) and
# compares it byte for byte with the dump of a baseline commit.
#
#   tests/bench/findings_check.sh [BUILD_DIR] [BASE_COMMIT]
#
# The baseline dump is cached in BUILD_DIR/bench/findings.<commit>; when it
# is missing, BASE_COMMIT (default: the commit before the engine speed work)
# is built in a temporary worktree and dumped. Needs BUILD_DIR/bench/corpus.txt
# (tests/bench/run.sh makes it).
set -eu
O=${1:-build}
BASE=${2:-256cd9f}
B=$O/bench
mkdir -p "$B"
B=$(cd "$B" && pwd)
TOP=$(pwd)
libs=$(pkg-config --libs libhs libpcre2-8 libcjson libutf8proc)
GR="conf/guardrails/default.json conf/guardrails/demo.json tests/data/guardrails/create_full.json"
TX="$B/corpus.txt $TOP/tests/bench/data/prompt4k.txt $TOP/tests/data/pii/benign_queries.txt $TOP/tests/data/pii/presidio_cases.jsonl
    $TOP/tests/data/pii/stdnum_vectors.tsv $TOP/tests/data/cls/train_small.jsonl $TOP/tests/data/badinput/blns.txt"
[ -f "$B/corpus.txt" ] || { echo "findings_check: $B/corpus.txt missing (run tests/bench/run.sh first)" >&2; exit 2; }

dump() { # $1 source tree, $2 libbulwark.a, $3 output
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -I"$1" "$TOP/tests/bench/findings_dump.c" "$2" $libs -lpthread -lm -o "$B/findings_dump.$$"
    (cd "$1" && "$B/findings_dump.$$" $GR -- $TX) >"$3"
    rm -f "$B/findings_dump.$$"
}

base=$(git rev-parse --short "$BASE")
# the baseline is keyed by the dump's source and this script too: a dump
# that covers more texts needs a new baseline, made from BASE again
key=$(cat "$TOP/tests/bench/findings_dump.c" "$0" | cksum | cut -d' ' -f1)
ref=$B/findings.$base.$key
if [ ! -s "$ref" ]; then
    tmp=$(mktemp -d)
    trap 'git worktree remove --force "$tmp/src" 2>/dev/null; rm -rf "$tmp"' EXIT
    git worktree add -q --detach "$tmp/src" "$base"
    (cd "$tmp/src" && make -j2 O=build >/dev/null)
    dump "$tmp/src" "$tmp/src/build/libbulwark.a" "$ref"
fi
dump . "$O/libbulwark.a" "$B/findings.now"
# the dump names each text file by its path: compare by base name, so a
# baseline dumped in another checkout or worktree still compares
for f in "$ref" "$B/findings.now"; do sed 's|^# .*/|# |' "$f" >"$f.cmp"; done
if cmp -s "$ref.cmp" "$B/findings.now.cmp"; then
    echo "findings_check: identical to $base ($(grep -c '^  b' "$ref") findings, $(grep -c '^[0-9]' "$ref") applies)"
else
    echo "findings_check: DIFFERENT from $base:" >&2
    diff "$ref.cmp" "$B/findings.now.cmp" | head -40 >&2
    exit 1
fi
