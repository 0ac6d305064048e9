#!/usr/bin/env python3
"""Assertions on bulwark's JSON output for tests/cli/run.sh.
Usage: check.py EXPR < json   (EXPR is a Python expression over `r`, the parsed JSON;
or `lines:N:EXPR` to parse N JSON lines on stdin into the list `rs`)."""
import json, sys

expr = sys.argv[1]
data = sys.stdin.read()
if expr.startswith("lines:"):
    n, cond = expr[6:].split(":", 1)
    rs = [json.loads(l) for l in data.splitlines()]
    ok = len(rs) == int(n) and eval(cond, {"rs": rs})
else:
    r = json.loads(data)
    ok = eval(expr, {"r": r})
if not ok:
    sys.stderr.write("check failed: %s\n%s\n" % (expr, data[:2000]))
    sys.exit(1)
