#!/bin/sh
# Runs every unit test binary given; fails when any fails. Run from the
# repository root (tests read tests/data/...).
set -u
O=$1
shift
fail=0
n=0
for t in "$@"; do
    n=$((n + 1))
    if ! out=$("$t" 2>&1); then
        echo "FAIL $t"
        echo "$out" | sed 's/^/    /'
        fail=$((fail + 1))
    else
        printf '  ok   %s\n' "${t#$O/tests/unit/}"
    fi
done
echo "unit: $((n - fail))/$n test files passed"
[ $fail -eq 0 ]
