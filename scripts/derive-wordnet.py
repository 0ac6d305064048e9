#!/usr/bin/env python3
"""Derives conf/lexicons/topics/related.txt from WordNet 3.0 (Debian package
wordnet-base, /usr/share/wordnet; WordNet licence, Princeton University), for
the denied-topics scorer (filters/topics.c). One line per single-word lemma:

    WORD <TAB> LATERAL <TAB> BROADER

LATERAL: synonyms, derivationally related forms and pertainyms (medical ->
medicine), the words that mean about the same; BROADER: hypernyms up to four
levels up, and topic domains (appendicitis -> inflammation, symptom;
shoplifting -> larceny, felony, crime; schizophrenia -> psychosis, illness),
single words only (a multiword hypernym gives its head noun: mental_illness
-> illness). Concepts so broad they say nothing (more than 2,000 words under
them, or within five levels of the root) are left out.
With "common" first, writes instead the 2,000 most frequent lemmas by
WordNet's sense-tagged corpus counts (cntlist.rev), the words too ordinary to
tell one topic from another (conf/lexicons/topics/common.txt).
Usage: derive-wordnet.py [common] [WORDNET_DIR] > conf/lexicons/topics/related.txt"""
import collections, sys

args = sys.argv[1:]
common = bool(args) and args[0] == 'common'
if common:
    args = args[1:]
D = (args[0] if args else '/usr/share/wordnet') + '/'
if common:
    cnt = collections.Counter()
    for line in open(D + 'cntlist.rev', encoding='latin-1'):
        key, _, n = line.split()
        lemma = key.split('%')[0].lower()
        if lemma.isalpha():
            cnt[lemma] += int(n)
    print('# Derived from WordNet 3.0 cntlist.rev (Princeton University; WordNet licence,')
    print('# conf/lexicons/topics/WORDNET-LICENSE) by scripts/derive-wordnet.py common:')
    print('# the 2,000 lemmas most often tagged in its corpus. Do not edit.')
    for w, _ in sorted(cnt.items(), key=lambda x: (-x[1], x[0]))[:2000]:
        print(w)
    sys.exit(0)
syn = {}
for pos, f in (('n', 'data.noun'), ('v', 'data.verb'), ('a', 'data.adj')):
    for line in open(D + f, encoding='latin-1'):
        if line.startswith('  '):
            continue
        parts = line.split(' | ')[0].split()
        off, ss, wc = parts[0], parts[2], int(parts[3], 16)
        words = [parts[4 + 2 * i].lower() for i in range(wc)]
        words = [w.split('(')[0] for w in words]
        i = 4 + 2 * wc
        pc = int(parts[i]); i += 1
        ptrs = []
        for k in range(pc):
            sym, po, pp, st = parts[i:i + 4]; i += 4
            ptrs.append((sym, 'a' if pp == 's' else pp, po, st))
        syn[('a' if ss in 'as' else ss, off)] = (words, ptrs)

idx = collections.defaultdict(list)
for pos, f in (('n', 'index.noun'), ('v', 'index.verb'), ('a', 'index.adj')):
    for line in open(D + f, encoding='latin-1'):
        if line.startswith('  '):
            continue
        p = line.split()
        sc = int(p[2])
        idx[p[0]] += [(pos, o) for o in p[-sc:]]

def hypers(k):
    return [(pp, po) for sym, pp, po, st in syn[k][1] if sym in ('@', '@i')]

# depth of each synset from the root, and the size of what lies under it
depth = {}
def get_depth(k, seen=()):
    if k in depth:
        return depth[k]
    hs = hypers(k)
    d = 0 if not hs else 1 + min(get_depth(h) for h in hs if h not in seen)
    depth[k] = d
    return d
sys.setrecursionlimit(10000)
under = collections.Counter()
for k in syn:
    get_depth(k)
    fr, seen = [k], set()
    for _ in range(4):
        nf = []
        for x in fr:
            for h in hypers(x):
                if h not in seen:
                    seen.add(h); nf.append(h)
        fr = nf
    for h in seen:
        under[h] += len(syn[k][0])

def name(w):
    # a multiword lemma stands for its head noun
    return w.split('_')[-1] if '_' in w else w

def ok_word(w):
    return w.isalpha() and len(w) >= 3

out = {}
for lemma, keys in idx.items():
    if not ok_word(lemma):
        continue
    lat, brd = set(), set()
    for k in keys[:2]:  # the two most common senses
        words, ptrs = syn[k]
        lat.update(w for w in words if ok_word(w))
        for sym, pp, po, st in ptrs:
            t = (pp, po)
            if t not in syn:
                continue
            if sym in ('+', '\\') and (st == '0000' or True):
                lat.update(w for w in syn[t][0] if ok_word(w))
            elif sym == ';c':
                brd.update(name(w) for w in syn[t][0][:1])
        fr = [k]
        for _ in range(4):
            nf = []
            for x in fr:
                for h in hypers(x):
                    nf.append(h)
                    if depth[h] >= 6 and under[h] <= 2000:
                        brd.add(name(syn[h][0][0]))
            fr = nf
    lat.discard(lemma)
    brd = {b for b in brd if ok_word(b) and b != lemma}
    if lat or brd:
        out[lemma] = (sorted(lat), sorted(brd - lat))

print('# Derived from WordNet 3.0 (Princeton University; WordNet licence, see')
print('# conf/lexicons/topics/WORDNET-LICENSE) by scripts/derive-wordnet.py. Do not edit.')
print('# WORD<TAB>LATERAL (same meaning)<TAB>BROADER (hypernyms, domains)')
for w in sorted(out):
    lat, brd = out[w]
    print('%s\t%s\t%s' % (w, ' '.join(lat[:8]), ' '.join(brd)))
