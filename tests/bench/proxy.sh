#!/bin/sh
# Proxy benchmark: 4 KB chat-completion POSTs to bulwark's mock model, sent
# directly, through nghttpx (Debian's nghttp2-proxy, a plain reverse proxy)
# and through bulwark with the demo guardrail, in the same run:
#   h2load  HTTP/2 cleartext, 50 connections x 10 streams
#   wrk     HTTP/1.1, 50 connections
# One worker each for bulwark, nghttpx and the mock (perf-anchors.md), so the
# ratio bulwark/nghttpx compares like with like on a shared machine.
#
# and h2load at a fixed 1,000 req/s (10 connections, 1 stream each) and one
# request at a time ("serial") for the latency a guarded exchange adds when
# the proxy is not saturated.
#
# Usage: tests/bench/proxy.sh BUILD_DIR  (env: DURATION=10 seconds per run,
#                                         TARGETS="direct nghttpx bulwark [plain]")
# Prints req/s, p50 and p99 latency per target and the ratios.
set -eu
O=${1:?usage: proxy.sh BUILD_DIR}
B=$(cd "$O" && pwd)/bulwark
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
DUR=${DURATION:-10}
WARM=2
for t in h2load wrk nghttpx python3 curl; do
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

port_of() { # LOGFILE KIND: the port of the first "listening" line of KIND
    i=0
    while [ $i -lt 300 ]; do
        p=$(grep -o "\"listening\",\"address\":\"[0-9.]*:[0-9]*\",\"kind\":\"$2\"" "$1" 2>/dev/null |
            head -1 | sed 's/.*:\([0-9]*\)",.*/\1/')
        if [ -n "$p" ] && grep -q '"started"' "$1"; then echo "$p"; return; fi
        sleep 0.1
        i=$((i + 1))
    done
    echo "bench: $1 did not start" >&2
    cat "$1" >&2
    exit 1
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

python3 "$here/mkbody.py" "$tmp/body.json"

"$B" mock-llm --listen 127.0.0.1:0 --workers 1 >"$tmp/mock.log" 2>&1 &
pids="$pids $!"
MOCKPID=$!
MOCK=$(port_of "$tmp/mock.log" mock)

cat >"$tmp/bulwark.json" <<EOF
{"listeners": [{"address": "127.0.0.1:0"}], "workers": 1,
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
nghttpx --frontend="127.0.0.1,$NX;no-tls" --backend="127.0.0.1,$MOCK" --workers=1 --no-via \
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

cpu() { # PID: CPU seconds used so far by the process and its threads (all nghttpx processes for nghttpx)
    python3 - "$@" <<'PY'
import os, sys
tck = os.sysconf("SC_CLK_TCK")
pids = sys.argv[1:]
total = 0
for p in pids:
    for q in [p] + [c for c in os.popen("pgrep -P %s" % p).read().split()]:
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
h2() { # NAME PORT
    c0=$(cpu $(pid_of $1))
    h2load -D "$DUR" --warm-up-time="$WARM" -t 1 -c 50 -m 10 -d "$tmp/body.json" \
        -H 'content-type: application/json' --log-file="$tmp/h2-$1.log" \
        "http://127.0.0.1:$2/v1/chat/completions" >"$tmp/h2-$1.out" 2>&1
    rps=$(grep -o 'finished in [0-9.]*s, [0-9.]* req/s' "$tmp/h2-$1.out" | awk '{print $4}')
    failed=$(grep -o '[0-9]* failed' "$tmp/h2-$1.out" | head -1 | awk '{print $1}')
    c1=$(cpu $(pid_of $1))
    set -- "$1" $(python3 "$here/pct.py" "$tmp/h2-$1.log")
    echo "h2c $1 ${rps:-0} $2 $3 ${failed:-?} $(python3 -c "print('%.1f' % (1e6 * ($c1 - $c0) / max(1, $4)))")"
}
h1() { # NAME PORT
    c0=$(cpu $(pid_of $1))
    BODY="$tmp/body.json" wrk -t 1 -c 50 -d "${DUR}s" --latency -s "$here/post.lua" \
        "http://127.0.0.1:$2/v1/chat/completions" >"$tmp/h1-$1.out" 2>&1
    c1=$(cpu $(pid_of $1))
    n=$(awk '/requests in/ {print $1}' "$tmp/h1-$1.out")
    rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/h1-$1.out")
    p50=$(awk '$1 == "50%" {print $2}' "$tmp/h1-$1.out")
    p99=$(awk '$1 == "99%" {print $2}' "$tmp/h1-$1.out")
    errs=$(grep -c 'Non-2xx\|Socket errors' "$tmp/h1-$1.out" || true)
    echo "h1 $1 ${rps:-0} $(python3 -c "
import sys
def ms(v):
    for u, f in (('us', 1e-3), ('ms', 1.0), ('s', 1e3)):
        if v.endswith(u): return float(v[:-len(u)]) * f
    return float('nan')
print('%.3f %.3f' % (ms('$p50'), ms('$p99')))") $errs $(python3 -c "print('%.1f' % (1e6 * ($c1 - $c0) / max(1, ${n:-1})))")"
}

lat() { # NAME PORT: latency at a fixed, unsaturated rate (10 clients x 100 req/s)
    h2load -D "$DUR" --warm-up-time=1 -t 1 -c 10 -m 1 --rps=100 -d "$tmp/body.json" \
        -H 'content-type: application/json' --log-file="$tmp/lat-$1.log" \
        "http://127.0.0.1:$2/v1/chat/completions" >"$tmp/lat-$1.out" 2>&1
    set -- "$1" $(python3 "$here/pct.py" "$tmp/lat-$1.log")
    echo "rate1k $1 1000 $2 $3 0 0"
}

serial() { # NAME PORT: one request at a time on one connection: latency without queueing
    h2load -D "$DUR" --warm-up-time=1 -t 1 -c 1 -m 1 -d "$tmp/body.json" \
        -H 'content-type: application/json' --log-file="$tmp/ser-$1.log" \
        "http://127.0.0.1:$2/v1/chat/completions" >"$tmp/ser-$1.out" 2>&1
    rps=$(grep -o 'finished in [0-9.]*s, [0-9.]* req/s' "$tmp/ser-$1.out" | awk '{print $4}')
    set -- "$1" $(python3 "$here/pct.py" "$tmp/ser-$1.log")
    echo "serial $1 ${rps:-0} $2 $3 0 0"
}

{
    for t in ${TARGETS:-direct nghttpx bulwark}; do
        case $t in direct) p=$MOCK ;; nghttpx) p=$NX ;; bulwark) p=$BW ;; plain) p="$BW/plain" ;; esac
        h2 $t $p
        h1 $t $p
        lat $t $p
        serial $t $p
    done
} >"$tmp/results"

python3 - "$tmp/results" "$DUR" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    proto, name, rps, p50, p99, errs, cpu = line.split()
    rows[(proto, name)] = (float(rps), float(p50), float(p99), errs, float(cpu))
print("proxy benchmark: 4,098-byte chat POSTs, ~1 KB answers, %ss per run, one worker per server" % sys.argv[2])
print("%-5s %-8s %10s %9s %9s %12s  %s" % ("proto", "target", "req/s", "p50 ms", "p99 ms", "CPU-us/req", "errors"))
for (proto, name), (rps, p50, p99, errs, cpu) in rows.items():
    print("%-5s %-8s %10.0f %9.3f %9.3f %12.1f  %s" % (proto, name, rps, p50, p99, cpu, errs))
for proto in ("h2c", "h1", "rate1k", "serial"):
    if (proto, "bulwark") not in rows or (proto, "nghttpx") not in rows or (proto, "direct") not in rows:
        continue
    b, n, d = rows[(proto, "bulwark")], rows[(proto, "nghttpx")], rows[(proto, "direct")]
    print("%s: bulwark/nghttpx req/s %.0f%% (target >= 70%%), CPU per request %.2fx; p99 bulwark - nghttpx "
          "%+.3f ms, bulwark - direct %+.3f ms (target <= 1 ms unsaturated)" % (proto, 100 * b[0] / n[0], b[4] / max(n[4], 0.1),
                                                                     b[2] - n[2], b[2] - d[2]))
EOF
