#!/bin/sh
# Writes build/config.mk: compiler and linker flags of every dependency,
# found with pkg-config. Installs what is missing first (install-deps.sh).
set -eu
here=$(dirname "$0")
PKGS="libhs libpcre2-8 libcjson libutf8proc libnghttp2 openssl libcurl"
LLHTTP=/usr/share/llhttp
ok=1
pkg-config --exists $PKGS 2>/dev/null || ok=0
[ -f "$LLHTTP/llhttp.c" ] || ok=0
pkg-config --exists cunit 2>/dev/null || ok=0
if [ $ok = 0 ]; then
    "$here/install-deps.sh" >&2
fi
for p in $PKGS cunit; do
    pkg-config --exists "$p" || { echo "bulwark: pkg-config cannot find $p after install" >&2; exit 1; }
done
echo "DEP_CFLAGS := $(pkg-config --cflags $PKGS)"
echo "DEP_LIBS := $(pkg-config --libs $PKGS) -lpthread -lm"
echo "CUNIT_CFLAGS := $(pkg-config --cflags cunit)"
echo "CUNIT_LIBS := $(pkg-config --libs cunit)"
echo "LLHTTP_DIR := $LLHTTP"
echo "LLHTTP_INC := /usr/share/include/llhttp"
