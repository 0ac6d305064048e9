#!/bin/sh
# Installs bulwark's build, test and bench dependencies from Debian's
# packages. Called by the Makefile when pkg-config cannot find a library;
# safe to run by hand. Uses apt-get directly as root, sudo otherwise.
set -eu

PKGS="build-essential pkg-config clang libhyperscan-dev libpcre2-dev libssl-dev
libnghttp2-dev libcjson-dev libcunit1-dev node-llhttp libutf8proc-dev
libcurl4-openssl-dev
curl nghttp2-client nghttp2-proxy nghttp2-server wrk python3 openssl libclang-rt-14-dev
nodejs npm"
# Hyperscan is x86-only; elsewhere its maintained fork has the same API.
case "$(uname -m)" in
    x86_64|amd64|i?86) ;;
    *) PKGS=$(echo "$PKGS" | sed 's/libhyperscan-dev/libvectorscan-dev/') ;;
esac

# A Node.js from elsewhere (nodesource) bundles npm and conflicts with
# Debian's npm package: use what is there.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    PKGS=$(echo "$PKGS" | sed 's/nodejs npm//')
fi

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "bulwark: missing packages:$missing" >&2
    echo "bulwark: run as root or with sudo: apt-get install$missing" >&2
    exit 1
fi
echo "bulwark: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2 || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
