#!/usr/bin/env python3
"""Golden ApplyGuardrail responses: `bulwark apply` on every DIR/*.req.json
with DIR/guardrail.json must give DIR/*.resp.json exactly (parsed JSON,
key order included), the only field set aside being each assessment's
invocationMetrics.guardrailProcessingLatency (a time), compared as 0.
Usage: golden.py BULWARK DIR [--update]   (--update rewrites the .resp.json
files: read their diff before committing them). Prints one line per case
that differs and exits 1 if any does."""
import glob, json, os, subprocess, sys


def normalise(r):
    for a in r.get("assessments", []):
        m = a.get("invocationMetrics")
        if isinstance(m, dict) and "guardrailProcessingLatency" in m:
            m["guardrailProcessingLatency"] = 0
    return r


def main():
    bulwark, d = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    cases = sorted(glob.glob(os.path.join(d, "*.req.json")))
    if not cases:
        print("golden: no cases in %s" % d)
        return 1
    bad = 0
    for req in cases:
        name = os.path.basename(req)[:-len(".req.json")]
        want_path = os.path.join(d, name + ".resp.json")
        p = subprocess.run([bulwark, "apply", "--guardrail", os.path.join(d, "guardrail.json"), req],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            print("FAIL golden %s: exit %d: %s" % (name, p.returncode, p.stderr.strip()))
            bad += 1
            continue
        got = normalise(json.loads(p.stdout))
        text = json.dumps(got, indent=2, ensure_ascii=False) + "\n"
        if update:
            with open(want_path, "w") as f:
                f.write(text)
            continue
        try:
            with open(want_path) as f:
                want = f.read()
        except OSError as e:
            print("FAIL golden %s: %s" % (name, e))
            bad += 1
            continue
        if text != want:
            import difflib
            diff = "".join(difflib.unified_diff(want.splitlines(True), text.splitlines(True),
                                                want_path, "bulwark apply", n=2))
            print("FAIL golden %s: the response differs\n%s" % (name, diff[:3000]))
            bad += 1
    print("golden: %d of %d responses as expected" % (len(cases) - bad, len(cases)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
