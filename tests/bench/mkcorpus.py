#!/usr/bin/env python3
"""Builds the benchmark corpus from ../shared/data: chat queries and answers,
tweets, jailbreak prompts and the synthetic PII texts, interleaved, to a
target size (default 64 MB). Usage: mkcorpus.py SHARED_DIR OUT [MB]"""
import csv, json, os, sys

shared, out = sys.argv[1], sys.argv[2]
target = int(sys.argv[3]) * 1000 * 1000 if len(sys.argv) > 3 else 64 * 1000 * 1000
d = os.path.join(shared, "data")
texts = []
with open(os.path.join(d, "benign", "halueval_general_dev.jsonl")) as f:
    for line in f:
        r = json.loads(line)
        texts.append(r["user_query"])
        texts.append(r["chatgpt_response"])
with open(os.path.join(d, "toxicity", "davidson_dev.csv"), newline="") as f:
    for r in csv.DictReader(f):
        texts.append(r.get("tweet", ""))
for r in json.load(open(os.path.join(d, "pii", "presidio_research_synth_dev.json"))):
    texts.append(r["full_text"])
for r in json.load(open(os.path.join(d, "prompt_attack", "jailbreak_inthewild_dev.json"))):
    texts.append(r if isinstance(r, str) else r.get("prompt", json.dumps(r)))
texts = [t for t in texts if t]
size, i = 0, 0
with open(out, "w", encoding="utf-8") as f:
    while size < target:
        t = texts[i % len(texts)] + "\n"
        f.write(t)
        size += len(t.encode("utf-8"))
        i += 1
print(f"{out}: {size / 1e6:.1f} MB from {len(texts)} texts")
