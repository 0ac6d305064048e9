#!/usr/bin/env python3
"""Integration tests of guarded streaming (docs/streaming.md): real processes.

bulwark serve and its mock model on ephemeral loopback ports (the helpers of
proxy_test.py), every streamed API (OpenAI chat, completions and responses,
Anthropic, Bedrock ConverseStream and InvokeModelWithResponseStream) over
HTTP/1.1, HTTP/2 cleartext and HTTP/2 over TLS with curl. The mock splits its
answer as asked (x-mock-split: N bytes per event, 1 = one character per
event) and goes wrong on request (x-mock-fault: cut, garble, crc, stall).
The client's bytes are decoded here (SSE, and AWS event-stream with its CRCs
checked) and the text, stop reason, trace and error events asserted.

Standard library only. Usage: stream_test.py BULWARK [-k PATTERN] [-v]
"""
import base64
import binascii
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_test import ROOT, Env, check, run_suite  # noqa: E402

CLIENTS = ["h1", "h2c", "h2"]
BLOCKED_OUT = "Sorry, I can't provide that information."

# (name, path, body builder, event-stream?)
APIS = [
    ("chat", "/v1/chat/completions",
     lambda t, **k: dict({"model": "m", "stream": True, "messages": [{"role": "user", "content": t}]}, **k), False),
    ("completions", "/v1/completions", lambda t, **k: dict({"model": "m", "stream": True, "prompt": t}, **k), False),
    ("responses", "/v1/responses", lambda t, **k: dict({"model": "m", "stream": True, "input": t}, **k), False),
    ("anthropic", "/v1/messages",
     lambda t, **k: dict({"model": "claude", "max_tokens": 100, "stream": True,
                          "messages": [{"role": "user", "content": t}]}, **k), False),
    ("converse", "/model/anthropic.claude-3-haiku/converse-stream",
     lambda t, **k: dict({"messages": [{"role": "user", "content": [{"text": t}]}]}, **k), True),
    ("invoke", "/model/anthropic.claude-3-haiku/invoke-with-response-stream",
     lambda t, **k: dict({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
                          "messages": [{"role": "user", "content": t}]}, **k), True),
]


class Stream:
    """A decoded streamed answer: its text, stop reason, errors, trace and raw bytes."""

    def __init__(self, status, headers, raw):
        self.status, self.headers, self.raw = status, headers, raw
        self.text, self.stop, self.errors, self.events, self.final = "", None, [], [], None

    def __repr__(self):
        return "<%s %s text=%r stop=%s errors=%s raw=%r>" % (self.status, self.headers.get("x-bulwark-action"),
                                                            self.text, self.stop, self.errors, self.raw[-300:])


def sse_events(raw):
    out = []
    for block in raw.decode("utf-8", "replace").replace("\r\n", "\n").split("\n\n"):
        name, data = "", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
        if data:
            out.append((name, "\n".join(data)))
    return out


def evs_messages(raw):
    """AWS event-stream messages: (headers, payload); both CRCs checked."""
    out, i = [], 0
    while i < len(raw):
        check(len(raw) - i >= 16, "event-stream: a truncated message at %d" % i)
        total, hlen = struct.unpack(">II", raw[i:i + 8])
        check(struct.unpack(">I", raw[i + 8:i + 12])[0] == binascii.crc32(raw[i:i + 8]), "prelude CRC at %d" % i)
        check(total >= 16 and i + total <= len(raw), "event-stream: bad length at %d" % i)
        msg = raw[i:i + total]
        check(struct.unpack(">I", msg[-4:])[0] == binascii.crc32(msg[:-4]), "message CRC at %d" % i)
        h, j = {}, 12
        while j < 12 + hlen:
            n = msg[j]
            name = msg[j + 1:j + 1 + n].decode()
            t = msg[j + 1 + n]
            j += 2 + n
            check(t == 7, "header type %d" % t)
            vl = struct.unpack(">H", msg[j:j + 2])[0]
            h[name] = msg[j + 2:j + 2 + vl].decode()
            j += 2 + vl
        out.append((h, msg[12 + hlen:-4]))
        i += total
    return out


def decode(api, st):
    """Fills st.text, st.stop, st.errors, st.final (the last event's JSON) from st.raw."""
    if api in ("converse", "invoke"):
        for h, payload in evs_messages(st.raw):
            if h.get(":message-type") == "exception":
                st.errors.append(h.get(":exception-type", "?"))
                continue
            j = json.loads(payload) if payload else {}
            ev = h.get(":event-type")
            st.events.append(ev)
            if api == "converse":
                if ev == "contentBlockDelta":
                    st.text += j["delta"].get("text", "")
                elif ev == "messageStop":
                    st.stop = j.get("stopReason")
                st.final = j
            else:
                j = json.loads(base64.b64decode(j["bytes"]))
                if j.get("type") == "content_block_delta":
                    st.text += j["delta"].get("text", "")
                elif j.get("type") == "message_delta":
                    st.stop = j["delta"].get("stop_reason")
                st.final = j
        return st
    for name, data in sse_events(st.raw):
        if data == "[DONE]":
            st.events.append("[DONE]")
            continue
        j = json.loads(data)
        st.events.append(name or j.get("object") or j.get("type"))
        if "error" in j and (api != "responses" or name == "error"):
            st.errors.append(j["error"] if api != "responses" else j)
            continue
        if api == "anthropic" and j.get("type") == "error":
            st.errors.append(j["error"])
            continue
        st.final = j
        if api == "chat":
            for c in j.get("choices", []):
                st.text += c.get("delta", {}).get("content") or ""
                st.stop = c.get("finish_reason") or st.stop
        elif api == "completions":
            for c in j.get("choices", []):
                st.text += c.get("text") or ""
                st.stop = c.get("finish_reason") or st.stop
        elif api == "responses":
            if name == "response.output_text.delta":
                st.text += j["delta"]
            elif name in ("response.completed", "response.incomplete"):
                st.stop = (j["response"].get("incomplete_details") or {}).get("reason") or j["response"]["status"]
            elif name == "error":
                st.errors.append(j)
        elif api == "anthropic":
            if j.get("type") == "content_block_delta":
                st.text += j["delta"].get("text", "")
            elif j.get("type") == "message_delta":
                st.stop = j["delta"].get("stop_reason")
    return st


def parse_head(text):
    blocks = [b for b in re.split(r"\r?\n\r?\n", text) if b.strip()]
    status, headers = 0, {}
    for b in blocks:
        lines = b.splitlines()
        m = re.match(r"HTTP/(\S+) (\d+)", lines[0])
        if not m or m.group(2) == "100":
            continue
        status, headers = int(m.group(2)), {}
        for l in lines[1:]:
            if ":" in l:
                k, v = l.split(":", 1)
                headers[k.strip().lower()] = v.strip()
    return status, headers


class C:
    def __init__(self, env, ports):
        self.env, self.ports = env, ports

    def url(self, cl, path):
        if cl == "h2":
            return ["--http2", "-k", "https://127.0.0.1:%d%s" % (self.ports["tls"], path)]
        return ["--http1.1" if cl == "h1" else "--http2-prior-knowledge", "http://127.0.0.1:%d%s" % (self.ports["plain"],
                                                                                                    path)]

    def stream(self, cl, api, prefix, text, headers=None, timeout=20, **extra):
        name, path, body, _ = [a for a in APIS if a[0] == api][0]
        hf, bf = self.env.file(b""), self.env.file(b"")
        args = ["curl", "-s", "-N", "-o", bf, "-D", hf, "--max-time", str(timeout), "-H", "content-type: application/json",
                "--data-binary", "@" + self.env.file(json.dumps(body(text, **extra)))]
        for k, v in (headers or {}).items():
            args += ["-H", "%s: %s" % (k, v)]
        args += self.url(cl, prefix + path)
        subprocess.run(args, capture_output=True, timeout=timeout + 5)
        with open(hf, "rb") as f:
            st, hd = parse_head(f.read().decode("latin-1"))
        with open(bf, "rb") as f:
            raw = f.read()
        s = Stream(st, hd, raw)
        if st == 200:
            decode(api, s)
        return s

    def metrics(self):
        r = subprocess.run(["curl", "-s", "--max-time", "10", "http://127.0.0.1:%d/metrics" % self.ports["admin"]],
                           capture_output=True, timeout=15)
        m = {}
        for line in r.stdout.decode().splitlines():
            mm = re.match(r'bulwark_guarded_streams_total\{end="(\w+)"\} (\d+)', line)
            if mm:
                m[mm.group(1)] = int(mm.group(2))
            mm = re.match(r'bulwark_stream_events_total\{direction="(\w+)"\} (\d+)', line)
            if mm:
                m["events_" + mm.group(1)] = int(mm.group(2))
            mm = re.match(r"bulwark_queued_response_bytes (\d+)", line)
            if mm:
                m["queued"] = int(mm.group(1))
            mm = re.match(r"bulwark_open_streams (\d+)", line)
            if mm:
                m["open"] = int(mm.group(1))
        return m

    def mock_cancelled(self):
        r = subprocess.run(["curl", "-s", "--max-time", "10", "http://127.0.0.1:%d/_mock/stats" % self.env.mock_port],
                           capture_output=True, timeout=15)
        return json.loads(r.stdout.decode())["cancelled"]


def normal_stop(api, stop):
    return stop in {"chat": ["stop"], "completions": ["stop"], "responses": ["completed"],
                    "anthropic": ["end_turn"], "converse": ["end_turn"], "invoke": ["end_turn"]}[api]


def blocked_stop(api, stop):
    return stop in (["content_filter"] if api in ("chat", "completions", "responses") else ["guardrail_intervened"])


# ---------------------------------------------------------------- cases over every client


def t_stream_pass_through(c, cl):
    """An answer with nothing to act on arrives unchanged, whatever the upstream's split."""
    text = "Hello there. The weather is fine today, see you soon!"
    for api, *_ in APIS:
        for split in ("", "1", "7"):
            s = c.stream(cl, api, "/s", "REPLY: " + text, headers={"x-mock-split": split} if split else None)
            check(s.status == 200, "%s: %r" % (api, s))
            check(s.headers.get("x-bulwark-action") == "NONE", "%s: action %s" % (api, s.headers))
            check(s.text == text and not s.errors, "%s split %s: %r" % (api, split, s))
            check(normal_stop(api, s.stop), "%s: stop %r" % (api, s.stop))


def t_stream_masked_split(c, cl):
    """PII split across events (one character per event, 3 bytes per event) is masked; the value never leaves."""
    for api, *_ in APIS:
        for split in ("1", "3"):
            s = c.stream(cl, api, "/s", "REPLY: Mail jane.doe@example.com or pay with 4111 1111 1111 1111 today.",
                         headers={"x-mock-split": split})
            check(s.status == 200, "%s: %r" % (api, s))
            check(s.text == "Mail {EMAIL} or pay with {CREDIT_DEBIT_CARD_NUMBER} today.", "%s split %s: %r" % (api, split, s))
            check(b"jane.doe" not in s.raw and b"1111 1111" not in s.raw, "%s: the value left" % api)
            check(normal_stop(api, s.stop), "%s: stop %r" % (api, s.stop))


def t_stream_blocked_mid_stream(c, cl):
    """A listed phrase mid-stream: forwarding stops, the blocked message ends the text, the stop reason and trace
    follow, the stream closes properly and the upstream request is cancelled."""
    for api, *_ in APIS:
        answer = "REPLY: Sure. The code is project nightingale. " + "More words follow. " * 30
        cancelled = c.mock_cancelled()
        t0 = time.time()
        s = c.stream(cl, api, "/s", answer, headers={"x-mock-split": "4", "x-mock-delay-ms": "20"})
        check(s.status == 200, "%s: %r" % (api, s))
        # the mock would take 3 s to say it all: the stream ended at the block, the upstream was cancelled
        check(time.time() - t0 < 2.5, "%s: the blocked stream took %.1fs" % (api, time.time() - t0))
        deadline = time.time() + 5
        while c.mock_cancelled() <= cancelled:
            check(time.time() < deadline, "%s: the upstream request was not cancelled" % api)
            time.sleep(0.05)
        check(s.text == "Sure. " + BLOCKED_OUT, "%s: text %r" % (api, s.text))
        check(b"nightingale" not in s.raw and b"More words" not in s.raw, "%s: the phrase left: %r" % (api, s.raw))
        check(blocked_stop(api, s.stop), "%s: stop %r" % (api, s.stop))
        # with the trace asked for (the trace itself names the match, as Bedrock's does)
        s = c.stream(cl, api, "/s", answer, headers={"x-mock-split": "4", "x-bulwark-trace": "enabled"})
        check(s.text == "Sure. " + BLOCKED_OUT, "%s: text %r" % (api, s.text))
        check(blocked_stop(api, s.stop), "%s: stop %r" % (api, s.stop))
        check(not s.errors, "%s: errors %r" % (api, s.errors))
        fin = json.dumps(s.final)
        check("INTERVENED" in fin or "guardrail_intervened" in fin or "wordPolicy" in fin, "%s: no trace in %s" % (api, fin))
        if api == "invoke":
            check(s.final.get("amazon-bedrock-guardrailAction") == "INTERVENED", "invoke: %r" % s.final)
        if api == "converse":
            check("wordPolicy" in json.dumps(s.final.get("trace", {})), "converse trace %r" % s.final)


def t_stream_async(c, cl):
    """Asynchronous mode (route stream_mode async): text goes out as it comes, the stream is cut at a finding."""
    for api, *_ in APIS:
        s = c.stream(cl, api, "/a", "REPLY: Sure. The code is project nightingale and more.", headers={"x-mock-split": "2"})
        check(s.status == 200, "%s: %r" % (api, s))
        check(s.text.startswith("Sure. The code is ") and s.text.endswith(BLOCKED_OUT) and "nightingale" not in s.text,
              "%s: text %r" % (api, s.text))
        check(blocked_stop(api, s.stop), "%s: stop %r" % (api, s.stop))
        s = c.stream(cl, api, "/a", "REPLY: Nothing to see here.", headers={"x-mock-split": "2"})
        check(s.text == "Nothing to see here." and normal_stop(api, s.stop), "%s: %r" % (api, s))


def t_stream_bedrock_async_mode(c, cl):
    """Bedrock's streamProcessingMode: async on a guardrail that masks is a 400 in Bedrock's shape; on one that
    only blocks, the answer is processed asynchronously."""
    cfg = {"guardrailIdentifier": "demo", "guardrailVersion": "DRAFT", "streamProcessingMode": "async"}
    s = c.stream(cl, "converse", "/s", "REPLY: hi", guardrailConfig=cfg)
    check(s.status == 400 and b"asynchronous" in s.raw, "converse async on a masking guardrail: %r" % s)
    s = c.stream(cl, "invoke", "/s", "REPLY: hi",
                 headers={"x-amzn-bedrock-guardrailidentifier": "demo", "x-amzn-bedrock-guardrailversion": "DRAFT"},
                 **{"amazon-bedrock-guardrailConfig": {"streamProcessingMode": "ASYNCHRONOUS"}})
    check(s.status == 400 and b"asynchronous" in s.raw, "invoke async on a masking guardrail: %r" % s)
    cfg["guardrailIdentifier"] = "strict"
    s = c.stream(cl, "converse", "/b", "REPLY: Sure. The code is project nightingale and more.", guardrailConfig=cfg,
                 headers={"x-mock-split": "2"})
    check(s.status == 200 and s.text.startswith("Sure. The code is ") and s.text.endswith(BLOCKED_OUT),
          "converse async: %r" % s)
    # the stricter mode asked for on a route that streams asynchronously: honoured, nothing unchecked goes out
    # (asynchronously, the word "project" goes out before the phrase is complete; synchronously it is held)
    answer = "REPLY: Sure. The code is project nightingale and more."
    s = c.stream(cl, "converse", "/a", answer, headers={"x-mock-split": "2"},
                 guardrailConfig={"guardrailIdentifier": "strict", "guardrailVersion": "DRAFT"})
    check(s.status == 200 and s.text == "Sure. The code is project " + BLOCKED_OUT, "converse on an async route: %r" % s)
    s = c.stream(cl, "converse", "/a", answer, headers={"x-mock-split": "2"},
                 guardrailConfig={"guardrailIdentifier": "strict", "guardrailVersion": "DRAFT",
                                  "streamProcessingMode": "sync"})
    check(s.status == 200 and s.text == "Sure. The code is " + BLOCKED_OUT, "converse sync on an async route: %r" % s)
    s = c.stream(cl, "invoke", "/a", answer,
                 headers={"x-mock-split": "2", "x-amzn-bedrock-guardrailidentifier": "strict",
                          "x-amzn-bedrock-guardrailversion": "DRAFT"},
                 **{"amazon-bedrock-guardrailConfig": {"streamProcessingMode": "SYNCHRONOUS"}})
    check(s.status == 200 and s.text == "Sure. The code is " + BLOCKED_OUT, "invoke sync on an async route: %r" % s)


def t_stream_h2_upstream(c, cl):
    """The same over an HTTP/2 upstream (libcurl): masked across events, blocked with the upstream cancelled."""
    for api, *_ in APIS:
        s = c.stream(cl, api, "/h2s", "REPLY: Mail jane.doe@example.com today.", headers={"x-mock-split": "2"})
        check(s.status == 200 and s.text == "Mail {EMAIL} today." and normal_stop(api, s.stop), "%s: %r" % (api, s))
        cancelled = c.mock_cancelled()
        s = c.stream(cl, api, "/h2s", "REPLY: Sure. The code is project nightingale. " + "More words follow. " * 30,
                     headers={"x-mock-split": "4", "x-mock-delay-ms": "20"})
        check(s.text == "Sure. " + BLOCKED_OUT and blocked_stop(api, s.stop), "%s: %r" % (api, s))
        deadline = time.time() + 5
        while c.mock_cancelled() <= cancelled:
            check(time.time() < deadline, "%s: the HTTP/2 upstream stream was not cancelled" % api)
            time.sleep(0.05)


def t_stream_two_guardrails(c, cl):
    """The route's guardrail and one the client names: both guard the stream, the route's first."""
    hdr = {"x-amzn-bedrock-guardrailidentifier": "other", "x-amzn-bedrock-guardrailversion": "1", "x-mock-split": "3"}
    cfg = {"guardrailIdentifier": "other", "guardrailVersion": "1"}
    for api in ("converse", "invoke"):
        extra = {"guardrailConfig": cfg} if api == "converse" else {}
        h = {"x-mock-split": "3"} if api == "converse" else hdr
        s = c.stream(cl, api, "/s", "REPLY: Mail jane.doe@example.com now. Fine.", headers=h, **extra)
        check(s.status == 200 and s.text == "Mail {EMAIL} now. Fine." and normal_stop(api, s.stop), "%s: %r" % (api, s))
        s = c.stream(cl, api, "/s", "REPLY: Mail jane.doe@example.com about the forbidden fruit now. More.", headers=h,
                     **extra)
        check(s.text == "Mail {EMAIL} about the Blocked by the other guardrail." and blocked_stop(api, s.stop),
              "%s: %r" % (api, s))
        check(b"forbidden" not in s.raw and b"jane.doe" not in s.raw, "%s: %r" % (api, s.raw))


def t_stream_no_output_policies(c, cl):
    """A guardrail with nothing to check in answers: the stream passes, with the trace when asked for."""
    for api, *_ in APIS:
        s = c.stream(cl, api, "/io", "REPLY: Mail jane@example.com now.", headers={"x-mock-split": "3"})
        check(s.status == 200 and s.text == "Mail jane@example.com now." and normal_stop(api, s.stop), "%s: %r" % (api, s))
        s = c.stream(cl, api, "/io", "REPLY: Mail jane@example.com now.",
                     headers={"x-mock-split": "3", "x-bulwark-trace": "enabled"})
        check(s.status == 200 and s.text == "Mail jane@example.com now." and normal_stop(api, s.stop), "%s: %r" % (api, s))
        if api in ("chat", "completions", "responses", "anthropic"):
            check(b"bulwark_trace" in s.raw, "%s: no trace: %r" % (api, s.raw[-400:]))


def fault_case(c, cl, api, fault, want_end, extra_headers=None, prefix="/s", max_text=None):
    before = c.metrics()
    h = {} if extra_headers else {"x-mock-split": "3"}
    if fault:
        h["x-mock-fault"] = fault
    h.update(extra_headers or {})
    s = c.stream(cl, api, prefix, "REPLY: one two three four five six seven eight nine ten eleven twelve.", headers=h)
    check(s.status == 200, "%s %s: %r" % (api, fault, s))
    check(s.errors, "%s %s: no error event: %r" % (api, fault, s))
    if max_text is None:
        check("twelve" not in s.text, "%s %s: text after the fault: %r" % (api, fault, s.text))
    else:
        check(len(s.text) <= max_text, "%s: %d bytes of text over the limit" % (api, len(s.text)))
    deadline = time.time() + 5
    while c.metrics().get(want_end, 0) <= before.get(want_end, 0):
        check(time.time() < deadline, "%s %s: metric %s did not move: %r" % (api, fault, want_end, c.metrics()))
        time.sleep(0.05)
    return s


def t_stream_faults(c, cl):
    """Upstream cut mid-event, a malformed event, a CRC mismatch: the API's error event and a metric."""
    for api, _, _, evs in APIS:
        s = c.stream(cl, api, "/s", "REPLY: hi", headers={"x-mock-status": "429"})
        check(s.status == 429 and b"rror" in s.raw, "%s: the upstream's own error passes as it is: %r" % (api, s))
        fault_case(c, cl, api, "cut", "cut")
        fault_case(c, cl, api, "garble", "malformed")
        if evs:
            s = fault_case(c, cl, api, "crc", "malformed")
            check(s.errors[0] in ("internalServerException", "modelStreamErrorException", "serviceUnavailableException"),
                  "%s crc: %r" % (api, s.errors))


def t_stream_idle_and_long(c, cl):
    """An upstream that goes idle past its idle timeout, and an answer over max_stream_bytes."""
    for api, *_ in APIS:
        fault_case(c, cl, api, "stall", "idle_timeout", prefix="/idle")
        fault_case(c, cl, api, None, "too_long", extra_headers={"x-mock-tokens": "3000"}, max_text=4000)


# ---------------------------------------------------------------- one-off cases


def t_stream_client_gone(c):
    """A client that goes away mid-stream: the upstream request is cancelled, the metric moves, nothing stays open."""
    before = c.metrics()
    cancelled = c.mock_cancelled()
    for cl in CLIENTS:
        c.stream(cl, "chat", "/s", "REPLY: " + "slow words here. " * 40, timeout=1, headers={"x-mock-delay-ms": "100"})
    deadline = time.time() + 5
    while c.mock_cancelled() < cancelled + len(CLIENTS):
        check(time.time() < deadline, "the upstream requests were not all cancelled")
        time.sleep(0.1)
    deadline = time.time() + 5
    while c.metrics().get("client_gone", 0) < before.get("client_gone", 0) + len(CLIENTS):
        check(time.time() < deadline, "client_gone did not move: %r -> %r" % (before, c.metrics()))
        time.sleep(0.1)
    deadline = time.time() + 5
    while c.metrics().get("open", 1) > 1:  # the scrape itself is not counted: admin is its own listener
        check(time.time() < deadline, "streams left open: %r" % c.metrics())
        time.sleep(0.1)


def h2_frame(ftype, flags, sid, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def hpack_literal(headers):
    """HPACK literal header fields without indexing, new names, no Huffman coding (RFC 7541 6.2.2)."""
    out = b""
    for k, v in headers:
        k, v = k.encode(), v.encode()
        assert len(k) < 127 and len(v) < 127
        out += b"\x00" + bytes([len(k)]) + k + bytes([len(v)]) + v
    return out


def t_stream_h2_unread(c):
    """A client that opens 50 streams with a zero flow-control window and reads nothing: bulwark stops reading
    the upstreams once the connection holds its budget (4 MiB, plus what each stream read before it paused),
    instead of queueing 1 MiB and more per stream (52 MB here before); the queue drains when the client goes."""
    n = 50
    body = json.dumps(APIS[0][2]("REPLY: " + "Words that nobody reads. " * 4)).encode()
    s = socket.create_connection(("127.0.0.1", c.ports["plain"]), timeout=10)
    try:
        out = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + h2_frame(4, 0, 0, struct.pack(">HI", 4, 0))
        for i in range(n):
            sid = 2 * i + 1
            hdrs = hpack_literal([(":method", "POST"), (":scheme", "http"), (":authority", "127.0.0.1"),
                                  (":path", "/b/v1/chat/completions"), ("content-type", "application/json"),
                                  ("x-mock-tokens", "8000")])
            out += h2_frame(1, 4, sid, hdrs) + h2_frame(0, 1, sid, body)
        s.sendall(out)
        peak, last, steady, deadline = 0, -1, 0, time.time() + 8
        while time.time() < deadline and steady < 10:  # until the queue holds still for a second
            q = c.metrics().get("queued", 0)
            peak, steady, last = max(peak, q), steady + 1 if q == last and q else 0, q
            time.sleep(0.1)
        check(peak >= 3 * 1024 * 1024, "the answers did not queue at all: %d bytes" % peak)
        check(peak <= 16 * 1024 * 1024, "queued %d bytes for one connection that reads nothing" % peak)
    finally:
        s.close()
    deadline = time.time() + 10
    while c.metrics().get("queued", 0) or c.metrics().get("open", 1) > 1:
        check(time.time() < deadline, "the queues did not drain when the client went: %r" % c.metrics())
        time.sleep(0.1)
    r = c.stream("h2c", "chat", "/b", "REPLY: Still here.")
    check(r.status == 200 and r.text == "Still here.", "after: %r" % r)


def t_stream_h2_many_paced(c):
    """Many guarded streams sharing one h2c connection, each paced by the upstream: every stream's events come
    as they are made (one DATA frame each, spread over the answer), not queued in bulwark and sent in bursts
    (docs/streaming-bench.md, "guarded h2c streams ... come out in bursts")."""
    check(shutil.which("nghttp") is not None, "nghttp (nghttp2-client) is missing: scripts/install-deps.sh installs it")
    n, tokens, gap = 60, 40, 25
    body = c.env.file(json.dumps(APIS[0][2]("REPLY: " + "Paced words go out one by one. " * 20)))
    # -W 16: the connection window of RFC 9113 (65,535 bytes), shared by all the streams, as most clients keep it
    r = subprocess.run(["nghttp", "-v", "-n", "-W", "16", "-w", "16", "-m", str(n), "-t", "30",
                        "-H", "content-type: application/json", "-H", "x-mock-tokens: %d" % tokens,
                        "-H", "x-mock-delay-ms: %d" % gap, "-d", body,
                        "http://127.0.0.1:%d/s/v1/chat/completions" % c.ports["plain"]],
                       capture_output=True, timeout=60)
    frames = {}
    for m in re.finditer(rb"\[\s*([0-9.]+)\] recv DATA frame <length=(\d+), flags=0x[0-9a-f]+, stream_id=(\d+)>",
                         r.stdout):
        if int(m.group(2)):
            frames.setdefault(int(m.group(3)), []).append(float(m.group(1)))
    check(len(frames) == n, "%d of %d streams answered: %r" % (len(frames), n, r.stderr[-500:]))
    want = tokens * gap / 1000.0
    for sid, ts in sorted(frames.items()):
        # about one frame per event when the machine keeps up (a loaded machine under ASan coalesces a few: 12 of
        # 40 seen); a stream held back comes in one to three large frames at its end
        check(len(ts) >= tokens // 5, "stream %d: %d DATA frames for %d events (bursts)" % (sid, len(ts), tokens))
        check(ts[-1] - ts[0] >= want / 2, "stream %d: its events came within %.3fs, paced over %.2fs"
              % (sid, ts[-1] - ts[0], want))


def t_stream_metrics(c):
    """Streams end in the metrics by how they ended (one passed and one blocked here, so the case stands alone)."""
    t_stream_pass_through(c, "h1")
    t_stream_blocked_mid_stream(c, "h1")
    m = c.metrics()
    check(m.get("done", 0) > 0 and m.get("blocked", 0) > 0, "stream ends %r" % m)
    check(m.get("events_upstream", 0) > m.get("done", 0) and m.get("events_client", 0) > 0, "events %r" % m)


def t_stream_audit(c):
    """Answers blocked and masked mid-stream are audited, without the matched values."""
    t_stream_masked_split(c, "h1")
    t_stream_blocked_mid_stream(c, "h1")
    with open(os.path.join(c.env.tmp, "audit.log")) as f:
        lines = [json.loads(l) for l in f if '"OUTPUT"' in l]
    check(any(l["policy"] == "wordPolicy" and l["action"] == "BLOCKED" for l in lines), "no OUTPUT block audited")
    check(any(l.get("finding") == "EMAIL" for l in lines), "no OUTPUT mask audited")
    with open(os.path.join(c.env.tmp, "audit.log")) as f:
        text = f.read()
    check("jane.doe" not in text and "nightingale" not in text and "4111" not in text, "a matched value in the audit log")


def t_stream_async_anonymize_refused(c):
    """A route in asynchronous mode whose guardrail masks answers is refused at load, with file and JSON path."""
    conf = c.env.config("async_bad.json", routes=[
        {"name": "x", "path_prefix": "/", "upstream": "mock", "guardrail": "demo", "stream_mode": "async"}])
    r = subprocess.run([c.env.bulwark, "check", "--config", conf], capture_output=True,
                       env=dict(os.environ, BW_IT_KEY="k", BW_IT_SECRET="s"))
    err = r.stderr.decode()
    check(r.returncode != 0 and "routes[0].stream_mode" in err and "ANONYMIZE" in err, "async + ANONYMIZE: %r" % err)
    conf = c.env.config("async_bad2.json", routes=[
        {"name": "x", "path_prefix": "/", "upstream": "mock", "guardrail": "demo", "stream_mode": "sometimes"}])
    r = subprocess.run([c.env.bulwark, "check", "--config", conf], capture_output=True,
                       env=dict(os.environ, BW_IT_KEY="k", BW_IT_SECRET="s"))
    check(r.returncode != 0 and "routes[0].stream_mode" in r.stderr.decode(), "bad stream_mode: %r" % r.stderr)


# ---------------------------------------------------------------- runner


def config(env):
    strict = os.path.join(env.tmp, "strict.json")
    shutil.copy(os.path.join(ROOT, "tests/data/proxy/stream/strict.json"), strict)
    path = env.config("stream.json")
    with open(path) as f:
        c = json.load(f)
    c["guardrails"].append({"id": "strict", "version": "DRAFT", "file": strict})
    c["guardrails"].append({"id": "inonly", "version": "DRAFT",
                            "file": os.path.join(ROOT, "tests/data/proxy/stream/input_only.json")})
    mock = "http://127.0.0.1:%d" % env.mock_port
    c["upstreams"].append({"name": "mock_idle", "url": mock, "idle_timeout_ms": 700})
    c["routes"] = [
        {"name": "s", "path_prefix": "/s/", "strip_prefix": True, "upstream": "mock", "guardrail": "demo",
         "directions": ["output"], "trace": True, "client_guardrails": ["demo", "strict", "other"]},
        {"name": "a", "path_prefix": "/a/", "strip_prefix": True, "upstream": "mock", "guardrail": "strict",
         "directions": ["output"], "trace": True, "stream_mode": "async"},
        {"name": "b", "path_prefix": "/b/", "strip_prefix": True, "upstream": "mock", "directions": ["output"],
         "client_guardrails": ["strict"]},
        {"name": "io", "path_prefix": "/io/", "strip_prefix": True, "upstream": "mock", "guardrail": "inonly",
         "trace": True},
        {"name": "h2s", "path_prefix": "/h2s/", "strip_prefix": True, "upstream": "mock_h2", "guardrail": "demo",
         "directions": ["output"]},
        {"name": "idle", "path_prefix": "/idle/", "strip_prefix": True, "upstream": "mock_idle", "guardrail": "demo",
         "directions": ["output"]},
    ]
    c["limits"]["max_stream_bytes"] = 4000
    with open(path, "w") as f:
        json.dump(c, f, indent=1)
    return path


CASES = [t_stream_pass_through, t_stream_masked_split, t_stream_blocked_mid_stream, t_stream_h2_upstream,
         t_stream_two_guardrails, t_stream_no_output_policies, t_stream_async,
         t_stream_bedrock_async_mode, t_stream_faults, t_stream_idle_and_long]
ONCE = [t_stream_client_gone, t_stream_h2_many_paced, t_stream_h2_unread, t_stream_metrics, t_stream_audit, t_stream_async_anonymize_refused]


def clean_exit(proc):
    """SIGTERM: bulwark drains and exits 0; under ASan, nothing leaked (LeakSanitizer reports at exit)."""
    rc = proc.stop(signal.SIGTERM, timeout=15)
    log = proc.text()
    check("Sanitizer" not in log and "runtime error" not in log, "sanitizer report:\n%s" % log[-3000:])
    check(rc == 0, "exit status %s:\n%s" % (rc, log[-2000:]))


def main():
    def body(env, run):
        env.start_mock()
        proc, ports = env.start_bulwark("bulwark_stream", config(env))
        c = C(env, ports)
        for fn in CASES:
            for cl in CLIENTS:
                run("%s[%s]" % (fn.__name__, cl), fn, c, cl)
        for fn in ONCE:
            run(fn.__name__, fn, c)
        run("t_stream_clean_exit", clean_exit, proc)

    return run_suite("streaming", 10, body)


if __name__ == "__main__":
    sys.exit(main())
