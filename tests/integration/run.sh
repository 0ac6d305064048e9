#!/bin/sh
# Integration tests of the proxy (tests/integration/proxy_test.py): bulwark
# and its mock model as real processes on ephemeral loopback ports, driven
# by curl, nghttp and h2load; then guarded streaming (stream_test.py).
# Usage: run.sh BULWARK [-k PATTERN] [-v]
set -eu
here=$(dirname "$0")
for tool in curl nghttp h2load python3; do
    command -v "$tool" >/dev/null 2>&1 || { echo "integration: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
rc=0
python3 "$here/proxy_test.py" "$@" || rc=1
python3 "$here/stream_test.py" "$@" || rc=1
exit $rc
