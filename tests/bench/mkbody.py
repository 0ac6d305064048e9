#!/usr/bin/env python3
"""Writes the proxy benchmark's request: a 4,098-byte OpenAI chat-completion
POST whose answer from bulwark's mock model (the text after "REPLY:") is
about 1 KB, the sizes of reference/perf-anchors.md.

Usage: mkbody.py [--prose] OUT.json

Default ("repeat"): one 200-byte paragraph repeated, the body of every
earlier session's figures. It flatters the guard: a text that repeats its
words costs the scorers, which work per distinct word, far less than prose.
--prose: the prompt of the engine benchmark (tests/bench/data/prompt4k.txt:
English notes of support calls, with the names, e-mail addresses and
phone numbers the demo guardrail masks on the way in) and an answer of
different prose, as a chatbot's traffic is."""
import json
import os
import sys

args = [a for a in sys.argv[1:] if a != "--prose"]
prose = "--prose" in sys.argv[1:]
if prose:
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "data", "prompt4k.txt"), encoding="utf-8") as f:
        notes = f.read()
    # whole words: the prompt's first 3,000 bytes, the answer the notes' last part (not in the prompt)
    text = notes[:3000].rsplit(" ", 1)[0]
    reply = notes[len(text) + 1:].split(" ", 1)[1][:900].rsplit(" ", 1)[0]
    text += " REPLY: " + reply
else:
    filler = ("The quarterly planning meeting covered logistics, hiring plans, and the migration of our billing "
              "service to the new cluster. Please summarise the main decisions and open questions for the team. ")
    reply = ("Here is a short summary of the meeting: the billing migration starts next month, two hires are "
             "planned for the platform team, and the open questions concern the budget for observability tooling. ")
    text = (filler * 40)[:3000] + " REPLY: " + (reply * 6)[:900]
body = {"model": "mock-1", "messages": [{"role": "system", "content": "You are a helpful assistant."},
                                        {"role": "user", "content": text}], "max_tokens": 256, "user": ""}
body["user"] = "u" * (4098 - len(json.dumps(body)))
with open(args[0], "w") as f:
    f.write(json.dumps(body))
