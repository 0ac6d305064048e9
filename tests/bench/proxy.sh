#!/bin/sh
# Proxy benchmark: 4 KB chat-completion POSTs to bulwark's mock model, sent
# directly, through nghttpx (Debian's nghttp2-proxy, a plain reverse proxy)
# and through bulwark with the demo guardrail, in the same run:
#   h2load  HTTP/2 cleartext, 50 connections x 10 streams
#   wrk     HTTP/1.1, 50 connections
# and h2load at an evenly paced 1,000 req/s (one connection, requests 1 ms
# apart by a timing script: "paced") and one request at a time ("serial")
# for the latency a guarded exchange adds when the proxy is not saturated.
#
# Method, for a machine shared with other work (2 vCPUs here):
# - bulwark and nghttpx run with the same number of workers (WORKERS,
#   default one per core: bulwark's "workers": 0 as deployed, so that one
#   guard evaluation does not hold up every other connection; the mock
#   always has one), so neither gets more threads than the other to
#   compete for the cores with (WORKERS=1 is the setting of perf-anchors.md);
# - the saturated runs (h2c, h1) are repeated ROUNDS times, the targets
#   interleaved within each round, so a burst of outside load falls on
#   neighbouring runs of both proxies; the table shows medians, and the
#   req/s ratio is the median of the per-round ratios;
# - beside req/s, the CPU time per request of each process (utime+stime
#   from /proc): the proxy's, the mock's and the load generator's. On a
#   saturated machine req/s is set by the sum of the three, so the req/s
#   ratio is roughly (client+mock+nghttpx)/(client+mock+bulwark) (printed
#   as the "CPU-bound estimate", steadier than req/s under outside load); the
#   proxy's own CPU per request is the steadier figure, and
#   nghttpx-CPU / bulwark-CPU is the share of nghttpx's req/s bulwark
#   would serve on a core of its own.
#
# Usage: tests/bench/proxy.sh BUILD_DIR  (env: DURATION=10 seconds per run,
#     ROUNDS=3, WORKERS=$(nproc), TARGETS="direct nghttpx bulwark [plain]",
#     BENCH_RAW=FILE keeps the per-run lines, BODY=repeat|prose: the request,
#     tests/bench/mkbody.py: "repeat" (default, earlier sessions' figures)
#     repeats one paragraph, which the guard's per-word work flatters;
#     "prose" is English notes with PII to mask, as real prompts are)
# Prints req/s, p50 and p99 latency and CPU per request per target, and the ratios.
set -eu
O=${1:?usage: proxy.sh BUILD_DIR}
B=$(cd "$O" && pwd)/bulwark
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DUR=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-$(nproc)}
WARM=2
for t in h2load wrk nghttpx python3 curl /usr/bin/time; do
    command -v $t >/dev/null 2>&1 || { echo "bench: $t is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
tmp=$(mktemp -d /tmp/bulwark-bench.XXXXXX)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

. "$here/lib.sh"

BODY=${BODY:-repeat}
case $BODY in
repeat) python3 "$here/mkbody.py" "$tmp/body.json" ;;
prose) python3 "$here/mkbody.py" --prose "$tmp/body.json" ;;
*) echo "bench: BODY is repeat or prose" >&2; exit 2 ;;
esac

"$B" mock-llm --listen 127.0.0.1:0 --workers 1 >"$tmp/mock.log" 2>&1 &
pids="$pids $!"
MOCKPID=$!
MOCK=$(port_of "$tmp/mock.log" mock)

cat >"$tmp/bulwark.json" <<EOF
{"listeners": [{"address": "127.0.0.1:0"}], "workers": $WORKERS,
 "guardrails": [{"id": "demo", "version": "DRAFT", "file": "$root/conf/guardrails/demo.json"}],
 "upstreams": [{"name": "mock", "url": "http://127.0.0.1:$MOCK"}],
 "routes": [{"path_prefix": "/plain/", "strip_prefix": true, "upstream": "mock"}, {"path_prefix": "/", "upstream": "mock", "guardrail": "demo"}],
 "log": {"level": "info", "access": "off", "audit": "off"}}
EOF
"$B" serve --config "$tmp/bulwark.json" >"$tmp/bulwark.log" 2>&1 &
BWPID=$!
pids="$pids $!"
BW=$(port_of "$tmp/bulwark.log" proxy)

NX=$(free_port)
nghttpx --frontend="127.0.0.1,$NX;no-tls" --backend="127.0.0.1,$MOCK" --workers="$WORKERS" --no-via \
    --accesslog-file=/dev/null --errorlog-file="$tmp/nghttpx.log" --backend-keep-alive-timeout=60s \
    --backend-connections-per-host=1024 --conf=/dev/null &
NXPID=$!
pids="$pids $!"
i=0
until curl -s -o /dev/null "http://127.0.0.1:$NX/" || [ $i -gt 50 ]; do sleep 0.1; i=$((i + 1)); done

# the answer must be the mock's, through every target
for p in "$MOCK" "$NX" "$BW"; do
    curl -s -H 'content-type: application/json' --data-binary @"$tmp/body.json" \
        "http://127.0.0.1:$p/v1/chat/completions" | grep -q '"finish_reason":"stop"' ||
        { echo "bench: no answer through port $p" >&2; exit 1; }
done

cpu() { # PID...: CPU seconds used so far by these processes, their threads and children (nghttpx's workers)
    python3 - "$@" <<'PY'
import os, sys
tck = os.sysconf("SC_CLK_TCK")
total = 0
for p in sys.argv[1:]:
    for q in [p] + os.popen("pgrep -P %s" % p).read().split():
        try:
            f = open("/proc/%s/stat" % q).read().rsplit(")", 1)[1].split()
            total += int(f[11]) + int(f[12])
        except OSError:
            pass
print("%.2f" % (total / tck))
PY
}
pid_of() {
    case $1 in direct) echo $MOCKPID ;; nghttpx) echo $NXPID ;; *) echo $BWPID ;; esac
}
us() { # CPU-SECONDS-BEFORE AFTER REQUESTS: microseconds per request
    python3 -c "print('%.1f' % (1e6 * ($2 - $1) / max(1, $3)))"
}
client_cpu() { # /usr/bin/time's output: user+system seconds of the load generator
    awk 'NF == 2 {s = $1 + $2} END {print s + 0}' "$1"
}
# A saturated run prints: proto target req/s p50 p99 errors proxy-us mock-us client-us round
h2() { # NAME PORT ROUND
    c0=$(cpu $(pid_of $1))
    m0=$(cpu $MOCKPID)
    /usr/bin/time -f '%U %S' -o "$tmp/time" \
        h2load -D "$DUR" --warm-up-time="$WARM" -t 1 -c 50 -m 10 -d "$tmp/body.json" \
        -H 'content-type: application/json' --log-file="$tmp/h2-$1.log" \
        "http://127.0.0.1:$2/v1/chat/completions" >"$tmp/h2-$1.out" 2>&1
    c1=$(cpu $(pid_of $1))
    m1=$(cpu $MOCKPID)
    rps=$(grep -o 'finished in [0-9.]*s, [0-9.]* req/s' "$tmp/h2-$1.out" | awk '{print $4}')
    failed=$(grep -o '[0-9]* failed' "$tmp/h2-$1.out" | head -1 | awk '{print $1}')
    # CPU covers the warm-up too: count its requests at the measured rate
    n=$(python3 -c "print(int(${rps:-0} * ($DUR + $WARM)))")
    set -- "$1" $(python3 "$here/pct.py" "$tmp/h2-$1.log") "$3"
    [ "$1" = direct ] && m=- || m=$(us $m0 $m1 $n)
    echo "h2c $1 ${rps:-0} $2 $3 ${failed:-?} $(us $c0 $c1 $n) $m $(us 0 $(client_cpu "$tmp/time") $n) $5"
}
h1() { # NAME PORT ROUND
    c0=$(cpu $(pid_of $1))
    m0=$(cpu $MOCKPID)
    BODY="$tmp/body.json" /usr/bin/time -f '%U %S' -o "$tmp/time" \
        wrk -t 1 -c 50 -d "${DUR}s" --latency -s "$here/post.lua" \
        "http://127.0.0.1:$2/v1/chat/completions" >"$tmp/h1-$1.out" 2>&1
    c1=$(cpu $(pid_of $1))
    m1=$(cpu $MOCKPID)
    n=$(awk '/requests in/ {print $1}' "$tmp/h1-$1.out")
    rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/h1-$1.out")
    p50=$(awk '$1 == "50%" {print $2}' "$tmp/h1-$1.out")
    p99=$(awk '$1 == "99%" {print $2}' "$tmp/h1-$1.out")
    errs=$(grep -c 'Non-2xx\|Socket errors' "$tmp/h1-$1.out" || true)
    [ "$1" = direct ] && m=- || m=$(us $m0 $m1 ${n:-1})
    echo "h1 $1 ${rps:-0} $(python3 -c "
def ms(v):
    for u, f in (('us', 1e-3), ('ms', 1.0), ('s', 1e3)):
        if v.endswith(u): return float(v[:-len(u)]) * f
    return float('nan')
print('%.3f %.3f' % (ms('$p50'), ms('$p99')))") $errs $(us $c0 $c1 ${n:-1}) $m $(us 0 $(client_cpu "$tmp/time") ${n:-1}) $3"
}

lat() { # NAME PORT: latency at an unsaturated, evenly paced 1,000 req/s
    # h2load --rps fires every client's requests on the same tick, so 10
    # clients x 100 req/s arrive as bursts of 10 and measure the queue a
    # burst makes (the mock alone showed p50 0.65 ms that way, 0.12 ms paced);
    # a timing script spaces the requests of one client 1 ms apart instead
    python3 -c "
import sys
for i in range(int(sys.argv[1]) * 1000): print('%d.000\\thttp://127.0.0.1:%s/v1/chat/completions' % (i, sys.argv[2]))
" "$DUR" "$2" >"$tmp/lat-$1.script"
    h2load --timing-script-file="$tmp/lat-$1.script" -t 1 -c 1 -m 10 -d "$tmp/body.json" \
        -H 'content-type: application/json' --log-file="$tmp/lat-$1.log" >"$tmp/lat-$1.out" 2>&1
    rps=$(grep -o 'finished in [0-9.]*s, [0-9.]* req/s' "$tmp/lat-$1.out" | awk '{print $4}')
    set -- "$1" $(python3 "$here/pct.py" "$tmp/lat-$1.log")
    echo "paced $1 ${rps:-0} $2 $3 0 - - - 1"
}

serial() { # NAME PORT: one request at a time on one connection: latency without queueing
    h2load -D "$DUR" --warm-up-time=1 -t 1 -c 1 -m 1 -d "$tmp/body.json" \
        -H 'content-type: application/json' --log-file="$tmp/ser-$1.log" \
        "http://127.0.0.1:$2/v1/chat/completions" >"$tmp/ser-$1.out" 2>&1
    rps=$(grep -o 'finished in [0-9.]*s, [0-9.]* req/s' "$tmp/ser-$1.out" | awk '{print $4}')
    set -- "$1" $(python3 "$here/pct.py" "$tmp/ser-$1.log")
    echo "serial $1 ${rps:-0} $2 $3 0 - - - 1"
}

port_for() {
    case $1 in direct) echo $MOCK ;; nghttpx) echo $NX ;; bulwark) echo $BW ;; plain) echo "$BW/plain" ;; esac
}
{
    r=1
    while [ $r -le "$ROUNDS" ]; do
        for t in ${TARGETS:-direct nghttpx bulwark}; do
            h2 $t $(port_for $t) $r
            h1 $t $(port_for $t) $r
        done
        r=$((r + 1))
    done
    for t in ${TARGETS:-direct nghttpx bulwark}; do
        lat $t $(port_for $t)
        serial $t $(port_for $t)
    done
} >"$tmp/results"
[ -z "${BENCH_RAW:-}" ] || cp "$tmp/results" "$BENCH_RAW"

python3 - "$tmp/results" "$DUR" "$ROUNDS" "$WORKERS" "$BODY" <<'EOF'
import sys, statistics
rows, per = {}, {}
for line in open(sys.argv[1]):
    proto, name, rps, p50, p99, errs, cpu, mock, client, rnd = line.split()
    f = lambda v: float(v) if v != "-" else None
    rows.setdefault((proto, name), []).append((float(rps), float(p50), float(p99), errs, f(cpu), f(mock), f(client)))
    per[(proto, name, rnd)] = float(rps)
def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None
def fmt(v):
    return "%.1f" % v if v is not None else "-"
print("proxy benchmark: 4,098-byte chat POSTs (%s body), ~1 KB answers, %ss per run, %s rounds (medians), "
      "%s worker(s) per proxy, 1 for the mock" % (sys.argv[5], sys.argv[2], sys.argv[3], sys.argv[4]))
print("%-6s %-8s %9s %9s %9s %9s %8s %9s  %s" % ("proto", "target", "req/s", "p50 ms", "p99 ms", "proxy us",
                                               "mock us", "client us", "errors"))
m = {}
for (proto, name), v in rows.items():
    r = [med([x[i] for x in v]) for i in (0, 1, 2)] + [",".join(x[3] for x in v)] + \
        [med([x[i] for x in v]) for i in (4, 5, 6)]
    m[(proto, name)] = r
    print("%-6s %-8s %9.0f %9.3f %9.3f %9s %8s %9s  %s" % (proto, name, r[0], r[1], r[2], fmt(r[4]), fmt(r[5]),
                                                         fmt(r[6]), r[3]))
print("(proxy/mock/client us: CPU microseconds per request of that process; the direct row's proxy is the mock)")
for proto in ("h2c", "h1", "paced", "serial"):
    if (proto, "bulwark") not in m or (proto, "nghttpx") not in m:
        continue
    b, n, d = m[(proto, "bulwark")], m[(proto, "nghttpx")], m.get((proto, "direct"))
    ratios = [per[k] / per[(p, "nghttpx", r)] for k in per for (p, t, r) in [k]
              if p == proto and t == "bulwark" and per.get((p, "nghttpx", r))]
    line = "%s: bulwark/nghttpx req/s %.0f%% (target >= 70%%)" % (proto, 100 * statistics.median(ratios))
    if len(ratios) > 1:
        line += " [rounds: %s]" % " ".join("%.0f%%" % (100 * x) for x in ratios)
    if b[4] is not None and n[4]:
        line += "; proxy CPU per request %.1f vs %.1f us (%.2fx: on a core each, bulwark would serve %.0f%%)" % (
            b[4], n[4], b[4] / n[4], 100 * n[4] / b[4])
    if None not in (b[4], b[5], b[6], n[4], n[5], n[6]):
        # what the CPU costs alone predict on a saturated machine (outside load aside)
        line += "; CPU-bound estimate %.0f%%" % (100 * (n[4] + n[5] + n[6]) / (b[4] + b[5] + b[6]))
    line += "; p50 %+.3f ms, p99 %+.3f ms over nghttpx" % (b[1] - n[1], b[2] - n[2])
    if d:
        line += ", p99 %+.3f ms over direct" % (b[2] - d[2])
    print(line)
EOF
