#!/bin/sh
# Retrains the content models shipped in conf/models/ from the shared data,
# reproducibly: the same data, binary and seed give the same bytes.
#
#   scripts/train-models.sh BULWARK_BIN SHARED_DIR     (make models)
#
# BULWARK_BIN must be built from this tree: its embedded lexicons
# (conf/lexicons/content/) are the models' dense features. The lexicon
# derived from the Surge list is regenerated separately, before building:
#   python3 scripts/derive-surge.py SHARED_DIR/data/wordlists/surge_profanity_en.csv \
#       > conf/lexicons/content/surge_en.txt
# Figures of the new models: BULWARK_BIN eval --data SHARED_DIR/data
set -eu
BIN=$1
DATA=$2/data
OUT=${OUT:-conf/models}
SEED=${SEED:-1}
FEAT="--features word1,word2 --bits 16 --seed $SEED"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# train split rows only (policies/eval_cls.h)
"$BIN" eval --data "$DATA" --export "$tmp"

# HATE and INSULTS: Davidson (+ benign queries and answers as negatives)
for c in insults hate; do
    C=$(echo $c | tr a-z A-Z)
    "$BIN" train --category "$C" --in "$tmp/$c.jsonl" --out "$OUT/$c.bwm" $FEAT \
        --low fpr:0.10 --medium fpr:0.03 --high fpr:0.005
done
# PROMPT_ATTACK: jailbreaks against user queries, answers, tweets and harmful
# questions; thresholds calibrated on the user queries (eval_cls.c)
"$BIN" train --category PROMPT_ATTACK --in "$tmp/prompt_attack.jsonl" --out "$OUT/prompt_attack.bwm" $FEAT \
    --low fpr:0.05 --medium fpr:0.01 --high fpr:0.002
