#!/bin/sh
# Builds and runs fuzz_h1, the libFuzzer target of the HTTP/1.1 request
# path, linked with the proxy's sources and llhttp (clang, ASan+UBSan).
#   tests/fuzz/fuzz_h1.sh [BUILD_DIR] [SECONDS]   default build, 60 s
# The seed corpus is tests/fuzz/corpus/fuzz_h1; new inputs go to
# BUILD_DIR/fuzz-proxy/corpus-fuzz_h1 (merge interesting ones back with
# -merge=1); a crash leaves crash-* files there to add as regression seeds.
set -eu
O=${1:-build}
SECS=${2:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ -f "$O/libbulwark.a" ] || make O="$O" all
mkdir -p "$O/fuzz-proxy"
CFLAGS="-DBW_FUZZ_PROXY -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -I. \
-I/usr/share/include/llhttp $(pkg-config --cflags libhs libcjson libnghttp2 openssl libcurl)"
LIBS="$O/libbulwark.a $(pkg-config --libs libhs libpcre2-8 libcjson libutf8proc libnghttp2 openssl libcurl) -lpthread -lm"
# the proxy without its command line: libFuzzer brings main()
SRC=$(ls proxy/*.c | grep -v -e '/main\.c$' -e '/cli_')
for t in h1; do
    echo "  FUZZ    fuzz_$t"
    # shellcheck disable=SC2086
    clang $CFLAGS -o "$O/fuzz-proxy/fuzz_$t" "tests/fuzz/fuzz_$t.c" $SRC /usr/share/llhttp/llhttp.c \
        /usr/share/llhttp/api.c /usr/share/llhttp/http.c $LIBS
    mkdir -p "$O/fuzz-proxy/corpus-fuzz_$t"
    (cd "$O/fuzz-proxy" && ./fuzz_$t -max_total_time="$SECS" -max_len=8192 -timeout=10 \
        "corpus-fuzz_$t" "$root/tests/fuzz/corpus/fuzz_$t" 2>&1 | tail -3)
done
