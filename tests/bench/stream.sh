#!/bin/sh
# Streaming benchmark (issue 5, item 7): N concurrent streamed chat
# completions (OpenAI SSE, "stream": true) of T tokens each, one event every
# GAP_MS per stream, in one run through:
#   direct    the client straight to the origin (the floor)
#   nghttpx   Debian's nghttpx as a plain reverse proxy (the reference)
#   plain     bulwark, route without a guardrail
#   guarded   bulwark, conf/guardrails/demo.json on the route (output guarded)
#   patterns  bulwark, conf/guardrails/default.json on the route
#   input     bulwark, demo.json on input only (optional: TARGETS=... input)
# The origin is stream_bench --origin: it stamps each token with its send
# time, so the client measures per-event latency exactly (docs/streaming-bench.md).
# Each target runs in a fresh proxy process (one worker, HTTP/1.1 to the
# origin, like tests/bench/proxy.sh), so idle and open-stream memory are its own.
#
# Usage: tests/bench/stream.sh BUILD_DIR [SHARED_DIR]
#   BUILD_DIR/bulwark is the binary measured; BUILD_DIR/bench/stream_bench is
#   used if present, else stream_bench is compiled into a temporary directory.
# Knobs (env): STREAMS=1000 TOKENS=500 GAP_MS=30 ROUNDS=1 PROTOS="h1 h2c"
#   TARGETS="direct nghttpx plain guarded patterns" RAMP_MS=1000 PER_CONN=100
#   SENTENCE=12 (tokens per sentence) QUICK=1 (STREAMS=100 TOKENS=100)
#   SB_FLUSH_MS=N (h2c client: send WINDOW_UPDATEs every N ms, a client N ms away)
#   KEEP=DIR (keep the raw result lines in DIR/stream-results.txt and one line per
#   stream of each run in DIR/streams-TARGET-PROTO-ROUND.txt)
set -eu
O=${1:?usage: stream.sh BUILD_DIR [SHARED_DIR]}
O=$(cd "$O" && pwd)
B=$O/bulwark
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ "${QUICK:-0}" = 1 ]; then
    STREAMS=${STREAMS:-100}
    TOKENS=${TOKENS:-100}
fi
STREAMS=${STREAMS:-1000}
TOKENS=${TOKENS:-500}
GAP_MS=${GAP_MS:-30}
ROUNDS=${ROUNDS:-1}
PROTOS=${PROTOS:-h1 h2c}
TARGETS=${TARGETS:-direct nghttpx plain guarded patterns}
RAMP_MS=${RAMP_MS:-1000}
PER_CONN=${PER_CONN:-100}
SENTENCE=${SENTENCE:-12}

for t in nghttpx python3 curl; do
    command -v $t >/dev/null 2>&1 || { echo "stream bench: $t is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
[ -x "$B" ] || { echo "stream bench: no $B" >&2; exit 1; }
need=$((STREAMS * 2 + 64))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $need ]; then
    ulimit -n $need 2>/dev/null || { echo "stream bench: ulimit -n is below $need" >&2; exit 1; }
fi

[ -z "${KEEP:-}" ] || mkdir -p "$KEEP"
tmp=$(mktemp -d /tmp/bulwark-sbench.XXXXXX)
pids=""
proxy_pids=""
cleanup() {
    for p in $proxy_pids $pids; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SB=$O/bench/stream_bench
if [ ! -x "$SB" ]; then
    SB=$tmp/stream_bench
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -w -I/usr/share/include/llhttp -o "$SB" "$here/stream_bench.c" \
        /usr/share/llhttp/llhttp.c /usr/share/llhttp/api.c /usr/share/llhttp/http.c \
        $(pkg-config --cflags --libs libnghttp2) ||
        { echo "stream bench: cannot build stream_bench" >&2; exit 1; }
fi

# the guard alone: hold-back in events and CPU per event, same tokens as the origin's
SG=$O/bench/stream_guard
if [ "${GUARD:-1}" = 1 ] && [ ! -x "$SG" ] && [ -f "$O/libbulwark.a" ]; then
    src=$root
    [ -f "$O/../policies/stream.h" ] && src=$(cd "$O/.." && pwd) # the headers of the library measured
    SG=$tmp/stream_guard
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -w -I"$src" -o "$SG" "$here/stream_guard.c" "$O/libbulwark.a" \
        $(pkg-config --libs libhs libpcre2-8 libcjson libutf8proc) -lpthread -lm 2>"$tmp/sg.err" || SG=""
fi

. "$here/lib.sh"

"$SB" --origin --listen 127.0.0.1:0 --tokens "$TOKENS" --gap-ms "$GAP_MS" --sentence "$SENTENCE" \
    >"$tmp/origin.log" 2>&1 &
ORIGIN_PID=$!
pids="$pids $ORIGIN_PID"
i=0
until grep -qs '^listening' "$tmp/origin.log" || [ $i -gt 100 ]; do sleep 0.05; i=$((i + 1)); done
ORIGIN=$(awk '/^listening/ {print $2}' "$tmp/origin.log")
[ -n "$ORIGIN" ] || { echo "stream bench: the origin did not start" >&2; cat "$tmp/origin.log" >&2; exit 1; }

cat >"$tmp/bulwark.json" <<EOF
{"listeners": [{"address": "127.0.0.1:0"}], "workers": 1,
 "guardrails": [{"id": "demo", "version": "DRAFT", "file": "$root/conf/guardrails/demo.json"},
                {"id": "default", "version": "DRAFT", "file": "$root/conf/guardrails/default.json"}],
 "upstreams": [{"name": "origin", "url": "http://127.0.0.1:$ORIGIN"}],
 "routes": [{"path_prefix": "/plain/", "strip_prefix": true, "upstream": "origin"},
            {"path_prefix": "/guarded/", "strip_prefix": true, "upstream": "origin", "guardrail": "demo"},
            {"path_prefix": "/patterns/", "strip_prefix": true, "upstream": "origin", "guardrail": "default"},
            {"path_prefix": "/input/", "strip_prefix": true, "upstream": "origin", "guardrail": "demo",
             "directions": ["input"]}],
 "log": {"level": "info", "access": "off", "audit": "off"}}
EOF

# start_proxy TARGET: sets PORT, PREFIX and PROXY (the pids whose CPU and memory count)
start_proxy() {
    PREFIX=""
    case $1 in
    direct)
        PORT=$ORIGIN
        PROXY=$ORIGIN_PID
        ;;
    nghttpx)
        PORT=$(free_port)
        nghttpx --frontend="127.0.0.1,$PORT;no-tls" --backend="127.0.0.1,$ORIGIN" --workers=1 --no-via \
            --accesslog-file=/dev/null --errorlog-file="$tmp/nghttpx.log" --backend-keep-alive-timeout=60s \
            --backend-connections-per-host=$((STREAMS + 64)) --conf=/dev/null 2>"$tmp/nghttpx.err" &
        proxy_pids=$!
        i=0
        until curl -s -o /dev/null "http://127.0.0.1:$PORT/" || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done
        PROXY="$proxy_pids $(pgrep -P "$proxy_pids" | tr '\n' ' ')"
        ;;
    *)
        "$B" serve --config "$tmp/bulwark.json" >"$tmp/bulwark.log" 2>&1 &
        proxy_pids=$!
        PORT=$(port_of "$tmp/bulwark.log" proxy)
        PROXY=$proxy_pids
        PREFIX=/$1
        ;;
    esac
}
stop_proxy() {
    for p in $proxy_pids; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    proxy_pids=""
}

# probe TARGET PROTO: one short stream; prints nothing when it streams, else why not
probe() {
    h2=""
    [ "$2" = h2c ] && h2=--http2-prior-knowledge
    curl -sN -m 10 $h2 -o "$tmp/probe.out" -w '%{http_code}' -H 'content-type: application/json' \
        -H 'x-mock-tokens: 3' -H 'x-mock-delay-ms: 1' \
        --data '{"model":"bench","stream":true,"messages":[{"role":"user","content":"Tell me a story."}]}' \
        "http://127.0.0.1:$PORT$PREFIX/v1/chat/completions" >"$tmp/probe.code" 2>/dev/null || true
    code=$(cat "$tmp/probe.code")
    if [ "$code" = 200 ] && grep -q 'data: \[DONE\]' "$tmp/probe.out"; then
        return 0
    fi
    printf 'HTTP %s %s' "${code:-000}" "$(tr -d '\n\r' <"$tmp/probe.out" | tr ' ' '_' | cut -c1-150)"
}

run_one() { # TARGET PROTO ROUND
    start_proxy "$1"
    why=$(probe "$1" "$2")
    if [ -n "$why" ]; then
        echo "result label=$1 proto=$2 round=$3 unavailable=1 err=$why" >>"$tmp/results"
        echo "  $2 $1: unavailable ($why)" | cut -c1-160 >&2
        stop_proxy
        return
    fi
    pidargs=""
    for p in $PROXY; do pidargs="$pidargs --pid $p"; done
    # shellcheck disable=SC2086
    line=$("$SB" --connect "127.0.0.1:$PORT" --path "$PREFIX/v1/chat/completions" --proto "$2" \
        --streams "$STREAMS" --tokens "$TOKENS" --gap-ms "$GAP_MS" --ramp-ms "$RAMP_MS" \
        --per-conn "$PER_CONN" --label "$1" $pidargs ${KEEP:+--dump "$KEEP/streams-$1-$2-$3.txt"}) || true
    [ -n "$line" ] || line="result label=$1 proto=$2 unavailable=1 err=stream_bench_failed"
    echo "$line round=$3" >>"$tmp/results"
    echo "  round $3: $(echo "$line" | tr ' ' '\n' |
        grep -E '^(proto|label|ok|failed|ttft_p99_us|ev_p99_us|rel_p99_us|cpu_us_per_event|rss_kb_per_stream)=' |
        tr '\n' ' ')" >&2
    stop_proxy
}

echo "## Streaming: $STREAMS streams x $TOKENS tokens, an event every $GAP_MS ms per stream ($PROTOS), $ROUNDS round(s)"
: >"$tmp/results"
r=1
while [ $r -le "$ROUNDS" ]; do
    for proto in $PROTOS; do
        for t in $TARGETS; do
            run_one "$t" "$proto" "$r"
        done
    done
    r=$((r + 1))
done
if [ -n "${KEEP:-}" ]; then
    cp "$tmp/results" "$KEEP/stream-results.txt"
fi

if [ "${GUARD:-1}" = 1 ] && [ -n "$SG" ] && [ -x "$SG" ]; then
    for g in demo default; do
        "$SG" --guardrail "$root/conf/guardrails/$g.json" --tokens "$TOKENS" --sentence "$SENTENCE" --gap-ms "$GAP_MS" \
            --text "$here/data/prompt4k.txt" 2>>"$tmp/sg.err" >>"$tmp/guard" ||
            "$SG" --guardrail "$root/conf/guardrails/$g.json" --tokens "$TOKENS" --sentence "$SENTENCE" \
                --text "$here/data/prompt4k.txt" 2>>"$tmp/sg.err" >>"$tmp/guard" || true # a stream_guard before --gap-ms
    done
    if ! grep -q '^guard ' "$tmp/guard" 2>/dev/null; then
        echo "stream bench: the guard-alone table is unavailable: $(grep -v masked "$tmp/sg.err" | head -1)" >&2
    fi
fi
python3 - "$tmp/results" "$STREAMS" "$TOKENS" "$GAP_MS" "$ROUNDS" "$tmp/guard" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    head, _, err = line.rstrip("\n").partition(" err=")
    kv = dict(p.split("=", 1) for p in head.split()[1:] if "=" in p)
    kv["err"] = err.rsplit(" round=", 1)[0].replace("_", " ")
    rows.setdefault((kv["proto"], kv["label"]), []).append(kv)
streams, tokens, gap, rounds = sys.argv[2:6]

def med(key, runs):
    v = [float(r[key]) for r in runs if key in r and float(r[key]) >= 0]
    return statistics.median(v) if v else float("nan")

def fig(proto, name):
    runs = [r for r in rows.get((proto, name), []) if "unavailable" not in r]
    if not runs:
        return None
    f = {k: med(k, runs) for k in ("ttft_p50_us", "ttft_p99_us", "ttftn_p99_us", "ev_p50_us", "ev_p99_us", "rel_p50_us",
                                    "rel_p99_us", "cpu_us_per_event", "rss_kb_per_stream", "ok", "failed")}
    f["streams"] = int(runs[0]["streams"])
    f["err"] = next((r["err"] for r in runs if r["err"] != "-"), "")
    return f

protos = sorted({p for p, _ in rows}, key=lambda p: (p != "h1", p))
names = ["direct", "nghttpx", "plain", "guarded", "patterns", "input"]
bw = ["plain", "guarded", "patterns", "input"]
print("streaming benchmark: %s streams x %s tokens, one event every %s ms per stream; median of %s round(s);"
      " one worker per proxy, HTTP/1.1 to the origin" % (streams, tokens, gap, rounds))
print()
print("added vs nghttpx in the same run (bulwark - nghttpx; targets: TTFT p99 <= 1 ms, event p99 <= 100 us,"
      " memory <= 64 KB/stream)")
print("%-5s %-9s %9s %9s %9s %9s %9s %9s %9s %8s %9s  %s" % ("proto", "target", "TTFT p50", "TTFT p99",
      "net p99", "event p50", "event p99", "rel p50", "rel p99", "CPU x", "KB/strm", "targets"))
print("%-5s %-9s %9s %9s %9s %9s %9s %9s %9s %8s %9s" % ("", "", "ms", "ms", "ms", "us", "us", "us", "us", "", ""))
SAT_US = 1000  # an unloaded loopback proxy forwards an event in well under 1 ms
for proto in protos:
    n = fig(proto, "nghttpx")
    d0 = fig(proto, "direct")
    sat = any(x is not None and x["ev_p50_us"] > SAT_US for x in (n, d0))
    for name in bw + ["nghttpx"]:
        if (proto, name) not in rows:
            continue
        f = fig(proto, name)
        if name == "nghttpx":  # what a plain proxy adds over the floor, for scale
            d = fig(proto, "direct")
            if f is None or d is None:
                continue
            ref, label = d, "nghttpx-direct"
        else:
            ref, label = n, name
        if f is None:
            err = next((r["err"] for r in rows[(proto, name)]), "")
            print("%-5s %-9s unavailable: %s" % (proto, name, err[:110]))
            continue
        if ref is None:
            print("%-5s %-9s no reference" % (proto, name))
            continue
        dt50 = (f["ttft_p50_us"] - ref["ttft_p50_us"]) / 1000
        dt99 = (f["ttft_p99_us"] - ref["ttft_p99_us"]) / 1000
        dn99 = (f["ttftn_p99_us"] - ref["ttft_p99_us"]) / 1000
        de50 = f["ev_p50_us"] - ref["ev_p50_us"]
        de99 = f["ev_p99_us"] - ref["ev_p99_us"]
        dr50 = f["rel_p50_us"] - ref["rel_p50_us"]
        dr99 = f["rel_p99_us"] - ref["rel_p99_us"]
        cpux = f["cpu_us_per_event"] / ref["cpu_us_per_event"] if ref["cpu_us_per_event"] > 0 else float("nan")
        kb = f["rss_kb_per_stream"]
        ok = []
        if name != "nghttpx":
            if sat:
                ok.append("latency n/a (reference saturated)")
            else:
                ok.append("TTFT %s" % ("ok" if dt99 <= 1.0 else "MISS"))
                if dt99 > 1.0 and dn99 <= 1.0:
                    ok[-1] += " (net ok)"
                ok.append("event %s" % ("ok" if de99 <= 100 else "MISS"))
                if de99 > 100:
                    ok[-1] += " (release %s)" % ("ok" if dr99 <= 100 else "MISS")
            ok.append("mem %s" % ("ok" if kb <= 64 else "MISS"))
        if f["failed"] > 0:
            ok.append("%d failed: %s" % (f["failed"], f["err"][:60]))
        print("%-5s %-9s %+9.3f %+9.3f %+9.3f %+9.0f %+9.0f %+9.0f %+9.0f %7.2fx %9.1f  %s" % (
            proto, label if name != "nghttpx" else "nghttpx*", dt50, dt99, dn99, de50, de99, dr50, dr99, cpux, kb,
            ", ".join(ok)))
print("(net: TTFT less the first token's hold; rel: release latency, the event latency less the hold;"
      " nghttpx* row: nghttpx - direct, what a plain proxy adds over the floor; KB/strm is the target's own)")
print()
print("measured (client side; CPU and memory of the proxy process, or of the origin for direct)")
print("%-5s %-9s %9s %9s %9s %9s %9s %9s %9s %9s %9s" % ("proto", "target", "ok", "TTFT p50", "TTFT p99",
      "event p50", "event p99", "rel p50", "rel p99", "CPU us/ev", "KB/strm"))
for proto in protos:
    for name in names:
        if (proto, name) not in rows:
            continue
        f = fig(proto, name)
        if f is None:
            err = next((r["err"] for r in rows[(proto, name)]), "")
            print("%-5s %-9s %9s  %s" % (proto, name, "-", err[:110]))
            continue
        print("%-5s %-9s %9s %9.3f %9.3f %9.0f %9.0f %9.0f %9.0f %9.2f %9.1f" % (
            proto, name, "%d/%d" % (f["ok"], f["streams"]), f["ttft_p50_us"] / 1000, f["ttft_p99_us"] / 1000,
            f["ev_p50_us"], f["ev_p99_us"], f["rel_p50_us"], f["rel_p99_us"], f["cpu_us_per_event"],
            f["rss_kb_per_stream"]))
for proto in protos:
    for name in ("direct", "nghttpx"):
        d = fig(proto, name)
        if d and d["ev_p50_us"] > SAT_US:
            print("note: %s %s event p50 %.0f us is over %d us: the machine is saturated or shared, latencies"
                  " are mostly CPU queueing; the latency verdicts are withheld (raise GAP_MS or lower STREAMS)"
                  % (proto, name, d["ev_p50_us"], SAT_US))
try:
    guard = [l.split() for l in open(sys.argv[6]) if l.startswith("guard ")]
except OSError:
    guard = []
if guard:
    print()
    print("the output guard alone (policies/stream.h, one core, no I/O), fed one token per event:"
          " hold = events a token waits before release;")
    print("inherent added latency = hold x %s ms in synchronous mode; feed = CPU per event" % gap)
    print("%-13s %-8s %9s %9s %9s %9s %9s %9s %9s" % ("guardrail", "answer", "feed p50", "feed p99", "us/event",
          "hold p50", "hold p99", "+ms p50", "+ms p99"))
    for g in guard:
        # guard NAME ANSWER N p50 p99 max finish perev hold50 hold99 holdmax holdmean
        print("%-13s %-8s %9s %9s %9s %9s %9s %9.0f %9.0f" % (g[1], g[2], g[4], g[5], g[8], g[9], g[10],
              int(g[9]) * float(gap), int(g[10]) * float(gap)))
    print("(stamps: the benchmark's tokens; english: words of tests/bench/data/prompt4k.txt"
          " without digits; holds are approximate where the guard masked a name)")
EOF
