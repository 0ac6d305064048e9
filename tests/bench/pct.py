#!/usr/bin/env python3
"""Percentiles of an h2load --log-file (start time, status, duration in
microseconds, tab-separated). Usage: pct.py LOG -> "p50_ms p99_ms n" """
import sys

d = []
with open(sys.argv[1]) as f:
    for line in f:
        p = line.split()
        if len(p) >= 3 and p[1].startswith("2"):
            d.append(int(p[2]))
d.sort()
if not d:
    print("nan nan 0")
else:
    q = lambda x: d[min(len(d) - 1, int(x * len(d)))] / 1000.0
    print("%.3f %.3f %d" % (q(0.50), q(0.99), len(d)))
