#!/bin/sh
# CLI tests: apply, batch and check as scripts and CI use them (exit codes,
# one-line errors, the Bedrock response shape, bad input of every kind).
# Usage: tests/cli/run.sh BULWARK
set -u
B=$1
G=tests/data/cli/words.json
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $1"; }
chk() { python3 tests/cli/check.py "$1"; }

# 1. clean text: NONE, no outputs, exit 0
out=$("$B" apply --guardrail $G "a perfectly normal sentence") && echo "$out" | chk 'r["action"]=="NONE" and r["outputs"]==[] and "actionReason" not in r and r["guardrailCoverage"]["textCharacters"]=={"guarded":27,"total":27}' && ok || ko "clean text"

# 2. profanity blocks with the input message and a managed-list finding
out=$("$B" apply --guardrail $G "you are an asshole") && echo "$out" | chk 'r["action"]=="GUARDRAIL_INTERVENED" and r["actionReason"]=="Guardrail blocked." and r["outputs"]==[{"text":"Blocked input."}] and r["assessments"][0]["wordPolicy"]["managedWordLists"]==[{"match":"asshole","type":"PROFANITY","action":"BLOCKED","detected":True}]' && ok || ko "profanity"

# 3. regex masking
out=$("$B" apply --guardrail $G "ship ORD-12345678 today") && echo "$out" | chk 'r["actionReason"]=="Guardrail masked." and r["outputs"]==[{"text":"ship {order_id} today"}] and r["assessments"][0]["sensitiveInformationPolicy"]["regexes"][0]=={"name":"order_id","match":"ORD-12345678","regex":"ORD-[0-9]{8}","action":"ANONYMIZED","detected":True}' && ok || ko "regex mask"

# 4. detect-only word (inputAction NONE): reported, not intervened
out=$("$B" apply --guardrail $G "we use AcmeCorp tools") && echo "$out" | chk 'r["action"]=="NONE" and r["assessments"][0]["wordPolicy"]["customWords"]==[{"match":"AcmeCorp","action":"NONE","detected":True}]' && ok || ko "detect only"

# 5. request file, OUTPUT, FULL, qualifiers: per-direction action, outputs aligned with content
out=$("$B" apply --guardrail $G tests/data/cli/request_output_full.json) && echo "$out" | chk 'r["action"]=="GUARDRAIL_INTERVENED" and len(r["outputs"])==3 and r["outputs"][2]["text"]=="Your order {order_id} and {secret} are here." and r["guardrailCoverage"]["textCharacters"]["guarded"]==49' && ok || ko "request file OUTPUT FULL"

# 6. stdin and flags override the request
out=$(printf '{"content":[{"text":{"text":"SECRET-ABCD"}}]}' | "$B" apply --guardrail $G --source OUTPUT -) && echo "$out" | chk 'r["actionReason"]=="Guardrail masked."' && ok || ko "stdin + --source"
out=$(printf '{"content":[{"text":{"text":"SECRET-ABCD"}}]}' | "$B" apply --guardrail $G -) && echo "$out" | chk 'r["actionReason"]=="Guardrail blocked."' && ok || ko "default source INPUT"

# 7. errors: exit 2 and exactly one line on stderr
for args in "--guardrail tests/data/bad_config/unknown_key.json x" "--guardrail /nonexistent.json x" "--guardrail $G --source SIDEWAYS x" "x"; do
    # shellcheck disable=SC2086
    "$B" apply $args >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -s "$T/out" ]; then ok; else ko "apply $args: rc=$rc, $(wc -l <"$T/err") lines"; fi
done
for body in '{"source":"INPUT","content":[]}' '{"source":"INPUT","content":[{"text":{"text":"x"}}],"extra":1}' '{"source":"INPUT"' '{"source":"INPUT","content":[{"text":{"text":"a\u0000b"}}]}'; do
    printf '%s' "$body" | "$B" apply --guardrail $G - >"$T/out" 2>"$T/err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ]; then ok; else ko "apply bad body $body: rc=$rc"; fi
done
printf 'caf\303 bad utf8' >"$T/bad.txt"
"$B" apply --guardrail $G "$T/bad.txt" >/dev/null 2>"$T/err"
if [ $? -eq 2 ] && grep -q "invalid UTF-8 at byte 3" "$T/err"; then ok; else ko "invalid UTF-8"; fi

# 8. batch: one line out per line in, ids copied, errors per line, order kept
printf '%s\n' '{"id":1,"text":"hello"}' '' '{"id":"b","text":"an asshole"}' 'not json' '{"id":[3],"content":[{"text":{"text":"ORD-12345678"}}]}' '{"id":4,"txt":"typo"}' '{"text":"no id","grounding_source":"src","query":"q"}' >"$T/in"
"$B" batch --guardrail $G --source INPUT <"$T/in" >"$T/out" 2>"$T/err" && chk 'lines:7:rs[0]["id"]==1 and rs[0]["action"]=="NONE" and rs[1]=={"error":"empty line"} and rs[2]["id"]=="b" and rs[2]["action"]=="GUARDRAIL_INTERVENED" and "error" in rs[3] and rs[4]["id"]==[3] and rs[4]["outputs"][0]["text"]=="{order_id}" and rs[5]["id"]==4 and "txt" in rs[5]["error"] and "id" not in rs[6] and rs[6]["action"]=="NONE"' <"$T/out" && ok || ko "batch lines"

# 9. the Big List of Naughty Strings: every line answered, nothing crashes
n=$(wc -l <tests/data/badinput/blns.txt)
python3 -c 'import json,sys
for i,l in enumerate(open("tests/data/badinput/blns.txt",encoding="utf-8",errors="replace")):
    print(json.dumps({"id":i,"text":l.rstrip("\n")}))' >"$T/blns.jsonl"
"$B" batch --guardrail conf/guardrails/demo.json --source INPUT <"$T/blns.jsonl" >"$T/out" 2>"$T/err"
rc=$?
got=$(wc -l <"$T/out")
if [ $rc -eq 0 ] && [ "$got" -eq "$n" ] && python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/out"; then ok; else ko "blns: rc=$rc, $got of $n lines"; fi
# the same strings as raw request bodies and raw text: answers or clean errors, never a crash
crashes=0
while IFS= read -r line; do
    printf '%s' "$line" | "$B" apply --guardrail tests/data/cli/regex_only.json - >/dev/null 2>&1
    [ $? -le 2 ] || crashes=$((crashes + 1))
done <tests/data/badinput/blns.txt
[ $crashes -eq 0 ] && ok || ko "blns raw: $crashes crashes"

# 10. 10 MB of text, with a value to mask at the very end
python3 -c 'import sys; sys.stdout.write("lorem ipsum dolor sit amet " * 388000 + "ORD-12345678")' >"$T/big.txt"
out=$("$B" apply --guardrail $G "$T/big.txt") && echo "$out" | chk 'r["actionReason"]=="Guardrail masked." and r["outputs"][0]["text"].endswith("{order_id}")' && ok || ko "10 MB text"

# 11. NUL bytes in plain text are scanned, not a terminator
printf 'abc\000 ORD-12345678' >"$T/nul.txt"
out=$("$B" apply --guardrail $G "$T/nul.txt") && echo "$out" | chk 'r["outputs"][0]["text"]=="abc\u0000 {order_id}"' && ok || ko "NUL bytes"

# 12. check: every error of every file, exit 2; good files ok
"$B" check conf/guardrails/demo.json conf/guardrails/default.json $G >"$T/out" 2>"$T/err" && [ "$(grep -c ': ok$' "$T/out")" -eq 3 ] && ok || ko "check good"
"$B" check $G tests/data/bad_config/unknown_key.json >"$T/out" 2>"$T/err"
if [ $? -eq 2 ] && [ "$(wc -l <"$T/err")" -ge 3 ] && grep -q "did you mean blockedOutputsMessaging" "$T/err"; then ok; else ko "check bad"; fi

# 13. help and unknown commands
"$B" --help >/dev/null && ok || ko "--help"
"$B" frobnicate >/dev/null 2>&1; [ $? -eq 2 ] && ok || ko "unknown command"

# 14. golden ApplyGuardrail responses for every policy type, INTERVENTIONS and FULL
#     (tests/data/cli/golden: the demo guardrail plus contextual grounding)
python3 tests/cli/golden.py "$B" tests/data/cli/golden && ok || ko "golden responses"

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
