#!/usr/bin/env python3
"""Writes the benchmark's request: a 4,098-byte OpenAI chat-completion POST
whose answer from bulwark's mock model (the text after "REPLY:") is about
1 KB, the sizes of reference/perf-anchors.md. Usage: mkbody.py OUT.json"""
import json
import sys

filler = ("The quarterly planning meeting covered logistics, hiring plans, and the migration of our billing "
          "service to the new cluster. Please summarise the main decisions and open questions for the team. ")
reply = ("Here is a short summary of the meeting: the billing migration starts next month, two hires are "
         "planned for the platform team, and the open questions concern the budget for observability tooling. ")
text = (filler * 40)[:3000] + " REPLY: " + (reply * 6)[:900]
body = {"model": "mock-1", "messages": [{"role": "system", "content": "You are a helpful assistant."},
                                        {"role": "user", "content": text}], "max_tokens": 256, "user": ""}
body["user"] = "u" * (4098 - len(json.dumps(body)))
with open(sys.argv[1], "w") as f:
    f.write(json.dumps(body))
