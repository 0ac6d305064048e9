#!/bin/sh
# The compatibility suite: the official OpenAI, Anthropic and Bedrock SDKs
# (versions pinned by package-lock.json, installed here with npm ci) and
# curl / nghttp against bulwark and its mock model on ephemeral loopback
# ports. Usage: run.sh BULWARK [FILE_SUBSTRING...]
# BW_COMPAT_STREAM=0 leaves out the streamed cases whose answer is guarded
# (for a bulwark without the streaming output guard of issue 5).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BULWARK [FILE_SUBSTRING...]" >&2; exit 2; }
bulwark=$1
shift
case $bulwark in /*) ;; *) bulwark=$(pwd)/$bulwark ;; esac
[ -x "$bulwark" ] || { echo "compat: $bulwark is not an executable" >&2; exit 1; }
for tool in node npm curl nghttp openssl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "compat: $tool is missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "compat: node $(node --version) is too old, the SDKs need 20 or newer" >&2; exit 1; }

# node_modules is installed from the lockfile, and again whenever the lockfile changes
stamp=$here/node_modules/.bulwark-lock
want=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "compat: npm ci (SDK versions from tests/compat/package-lock.json)"
    if ! (cd "$here" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error); then
        echo "compat: npm ci failed: the npm registry (or a cache with the locked versions) is needed once" >&2
        exit 1
    fi
    echo "$want" >"$stamp"
fi
exec node "$here/runner.mjs" "$bulwark" "$@"
