# Shell helpers shared by the benchmark scripts (sourced, not run).

port_of() { # LOGFILE KIND: the port of the first "listening" line of KIND in bulwark's log, once it has started
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

free_port() { # a loopback port nobody listens on now
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
