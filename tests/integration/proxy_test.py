#!/usr/bin/env python3
"""Integration tests of the proxy: real processes on ephemeral loopback ports.

bulwark serve and bulwark mock-llm are started on port 0 (the ports are read
from their "listening" log lines), and every case is driven by Debian's curl
over HTTP/1.1, HTTP/2 cleartext (prior knowledge) and HTTP/2 over TLS, and by
nghttp over TLS (h2o's run_with_curl idea). Cases that are about one
protocol's mechanics (pipelining, split packets, chunked bodies, h2c upgrade)
use a raw socket or the one client that exercises them. Reload under traffic
uses h2load; graceful shutdown a request in flight during SIGTERM.

Standard library only. Usage: proxy_test.py BULWARK [-k PATTERN] [-v]
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLIENTS = ["h1", "h2c", "h2", "nghttp"]
VERBOSE = False


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Resp:
    def __init__(self, status, headers, body, version=""):
        self.status = status
        self.headers = headers
        self.body = body
        self.version = version

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise Fail("not JSON: %r" % self.body[:300])

    def __repr__(self):
        return "<%s %s %r>" % (self.status, self.headers.get("x-bulwark-action"), self.body[:200])


class Proc:
    """A child process whose stderr goes to a file we can search."""

    def __init__(self, name, args, tmp, env=None):
        self.name = name
        self.log = os.path.join(tmp, name + ".log")
        self.f = open(self.log, "wb")
        self.p = subprocess.Popen(args, stdout=self.f, stderr=subprocess.STDOUT, cwd=tmp, env=env)

    def text(self):
        with open(self.log, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def listening(self, want, timeout=60):
        """Addresses of the 'listening' lines, once want of them are there."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = []
            for line in self.text().splitlines():
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                if j.get("msg") == "listening":
                    found.append(j)
            if len(found) >= want and "\"started\"" in self.text():
                return found
            if self.p.poll() is not None:
                raise Fail("%s exited with %s:\n%s" % (self.name, self.p.returncode, self.text()[-3000:]))
            time.sleep(0.05)
        raise Fail("%s did not start:\n%s" % (self.name, self.text()[-3000:]))

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.f.close()
        return self.p.returncode


def port_of(addr):
    return int(addr.rsplit(":", 1)[1])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Env:
    def __init__(self, bulwark):
        self.bulwark = bulwark
        self.tmp = tempfile.mkdtemp(prefix="bulwark-it-")
        self.procs = []
        self.n = 0

    def cleanup(self, keep):
        for p in self.procs:
            p.stop(signal.SIGKILL)
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def start_mock(self):
        self.mock = Proc("mock", [self.bulwark, "mock-llm", "--listen", "127.0.0.1:0", "--workers", "2"], self.tmp)
        self.procs.append(self.mock)
        self.mock_port = port_of(self.mock.listening(1)[0]["address"])
        self.tmock = Proc("tlsmock", [self.bulwark, "mock-llm", "--listen", "127.0.0.1:0", "--tls",
                                      os.path.join(ROOT, "conf/tls/demo.crt"), os.path.join(ROOT, "conf/tls/demo.key")],
                          self.tmp)
        self.procs.append(self.tmock)
        self.tmock_port = port_of(self.tmock.listening(1)[0]["address"])

    def config(self, name="bulwark.json", **over):
        tls = {"certificate": os.path.join(ROOT, "conf/tls/demo.crt"),
               "private_key": os.path.join(ROOT, "conf/tls/demo.key")}
        gr = os.path.join(self.tmp, "demo.json")
        if not os.path.exists(gr):
            shutil.copy(os.path.join(ROOT, "conf/guardrails/demo.json"), gr)
        mock = "http://127.0.0.1:%d" % self.mock_port
        c = {
            "listeners": [{"address": "127.0.0.1:0"}, {"address": "127.0.0.1:0", "tls": tls}],
            "admin": {"address": "127.0.0.1:0"},
            "workers": 2,
            "guardrails": [{"id": "demo", "version": "DRAFT", "file": "demo.json"},
                           {"id": "other", "version": "1", "file": os.path.join(ROOT, "tests/integration/other.json")}],
            "upstreams": [
                {"name": "mock", "url": mock, "headers": [{"name": "x-upstream-key", "value": "${BW_IT_KEY}"}]},
                {"name": "mock_h2", "url": mock, "http_version": "2"},
                {"name": "down", "url": "http://127.0.0.1:%d" % free_port(), "connect_timeout_ms": 1000},
                {"name": "slow", "url": mock, "response_timeout_ms": 700},
                {"name": "tls", "url": "https://127.0.0.1:%d" % self.tmock_port,
                 "tls": {"ca_file": os.path.join(ROOT, "conf/tls/demo.crt")}},
                {"name": "tls_unverified", "url": "https://127.0.0.1:%d" % self.tmock_port},
                {"name": "tls_h1", "url": "https://127.0.0.1:%d" % self.tmock_port, "http_version": "1.1",
                 "tls": {"verify": False}},
                {"name": "aws", "url": mock, "aws_sigv4": {"region": "us-east-1", "service": "bedrock",
                                                           "access_key_id": "AKIDEXAMPLE",
                                                           "secret_access_key": "${BW_IT_SECRET}"}},
            ],
            "routes": [
                {"name": "down", "path_prefix": "/down/", "strip_prefix": True, "upstream": "down", "guardrail": "demo"},
                {"name": "slow", "path_prefix": "/slow/", "strip_prefix": True, "upstream": "slow", "guardrail": "demo"},
                {"name": "out", "path_prefix": "/out/", "strip_prefix": True, "upstream": "mock", "guardrail": "demo",
                 "directions": ["output"]},
                {"name": "in", "path_prefix": "/in/", "strip_prefix": True, "upstream": "mock", "guardrail": "demo",
                 "directions": ["input"]},
                {"name": "gen", "path_prefix": "/gen/", "strip_prefix": True, "upstream": "mock", "guardrail": "demo",
                 "api": "generic", "generic": {"input": ["/messages/*/content"], "output": ["/choices"]}},
                {"name": "h2up", "path_prefix": "/h2up/", "strip_prefix": True, "upstream": "mock_h2",
                 "guardrail": "demo"},
                {"name": "open", "path_prefix": "/open/", "strip_prefix": True, "upstream": "mock"},
                {"name": "tls", "path_prefix": "/tls/", "strip_prefix": True, "upstream": "tls", "guardrail": "demo"},
                {"name": "tlsbad", "path_prefix": "/tlsbad/", "strip_prefix": True, "upstream": "tls_unverified",
                 "guardrail": "demo"},
                {"name": "tlsh1", "path_prefix": "/tlsh1/", "strip_prefix": True, "upstream": "tls_h1",
                 "guardrail": "demo"},
                {"name": "aws", "path_prefix": "/aws/", "strip_prefix": True, "upstream": "aws", "guardrail": "demo"},
                {"name": "main", "path_prefix": "/v1/", "upstream": "mock", "guardrail": "demo", "trace": True},
                {"name": "bedrock", "path_prefix": "/model/", "upstream": "mock", "guardrail": "demo", "trace": True,
                 "client_guardrails": ["demo"]},
            ],
            "limits": {"max_body_bytes": 65536, "max_header_bytes": 8192, "drain_timeout_ms": 5000,
                       "request_timeout_ms": 1500, "idle_timeout_ms": 4000},
            "log": {"level": "info", "access": os.path.join(self.tmp, "access.log"),
                    "audit": os.path.join(self.tmp, "audit.log")},
        }
        c.update(over)
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            json.dump(c, f, indent=1)
        return path

    def start_bulwark(self, name="bulwark", conf=None):
        conf = conf or self.config()
        env = dict(os.environ, BW_IT_KEY="sekrit-key", BW_IT_SECRET=AWS_SECRET)
        p = Proc(name, [self.bulwark, "serve", "--config", conf], self.tmp, env=env)
        self.procs.append(p)
        ls = p.listening(3)
        ports = {}
        for l in ls:
            if l["kind"] == "admin":
                ports["admin"] = port_of(l["address"])
            elif l["tls"]:
                ports["tls"] = port_of(l["address"])
            else:
                ports["plain"] = port_of(l["address"])
        return p, ports

    def file(self, data):
        self.n += 1
        path = os.path.join(self.tmp, "body%d" % self.n)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path


def parse_curl_headers(text):
    blocks = [b for b in re.split(r"\r?\n\r?\n", text) if b.strip()]
    status, headers, version = 0, {}, ""
    for b in blocks:
        lines = b.splitlines()
        m = re.match(r"HTTP/(\S+) (\d+)", lines[0])
        if not m or m.group(2) == "100":
            continue
        version, status, headers = m.group(1), int(m.group(2)), {}
        for l in lines[1:]:
            if ":" in l:
                k, v = l.split(":", 1)
                headers[k.strip().lower()] = v.strip()
    return status, headers, version


def parse_nghttp(out):
    status, headers, body = 0, {}, []
    for line in out.split("\n"):
        m = re.match(r"\[\s*\d+\.\d+\] recv \(stream_id=\d+\) (:?[^:\s]+): (.*)$", line)
        if m:
            if m.group(1) == ":status":
                status = int(m.group(2))
            else:
                headers[m.group(1).lower()] = m.group(2)
            continue
        if re.match(r"^\[\s*\d+\.\d+\] ", line) or line.startswith("          ") or \
                line.startswith("The negotiated protocol:"):
            continue
        body.append(re.sub(r"\[\s*\d+\.\d+\] (recv|send) .*$", "", line))
    return status, headers, "\n".join(body).strip("\n")


class Client:
    def __init__(self, env, ports):
        self.env = env
        self.ports = ports

    def req(self, client, path, body=None, headers=None, method=None, timeout=20):
        headers = headers or {}
        if client == "nghttp":
            args = ["nghttp", "-v", "-y", "-t", str(timeout)]
            if method:
                args += ["-H", ":method: " + method]
            for k, v in headers.items():
                args += ["-H", "%s: %s" % (k, v)]
            if body is not None:
                args += ["-d", self.env.file(body)]
            args.append("https://127.0.0.1:%d%s" % (self.ports["tls"], path))
            r = subprocess.run(args, capture_output=True, timeout=timeout + 5)
            st, hd, b = parse_nghttp(r.stdout.decode("utf-8", "replace"))
            return Resp(st, hd, b, "2")
        hf = self.env.file(b"")
        bf = self.env.file(b"")
        args = ["curl", "-s", "-S", "-o", bf, "-D", hf, "--max-time", str(timeout)]
        if client == "h1":
            args += ["--http1.1"]
            url = "http://127.0.0.1:%d%s" % (self.ports["plain"], path)
        elif client == "h2c":
            args += ["--http2-prior-knowledge"]
            url = "http://127.0.0.1:%d%s" % (self.ports["plain"], path)
        elif client == "upgrade":
            args += ["--http2"]
            url = "http://127.0.0.1:%d%s" % (self.ports["plain"], path)
        elif client == "h2":
            args += ["--http2", "-k"]
            url = "https://127.0.0.1:%d%s" % (self.ports["tls"], path)
        elif client == "h1tls":
            args += ["--http1.1", "-k"]
            url = "https://127.0.0.1:%d%s" % (self.ports["tls"], path)
        else:
            raise ValueError(client)
        if method:
            args += ["-X", method]
        for k, v in headers.items():
            args += ["-H", "%s: %s" % (k, v)]
        if body is not None:
            args += ["--data-binary", "@" + self.env.file(body)]
            if not any(k.lower() == "content-type" for k in headers):
                args += ["-H", "content-type: application/json"]
        args.append(url)
        subprocess.run(args, capture_output=True, timeout=timeout + 5)
        with open(hf, "rb") as f:
            st, hd, ver = parse_curl_headers(f.read().decode("latin-1"))
        with open(bf, "rb") as f:
            b = f.read().decode("utf-8", "replace")
        return Resp(st, hd, b, ver)

    def mock(self, path, method="GET", body=None):
        args = ["curl", "-s", "--max-time", "10", "-X", method]
        if body is not None:
            args += ["--data-binary", "@" + self.env.file(body)]
        args.append("http://127.0.0.1:%d%s" % (self.env.mock_port, path))
        out = subprocess.run(args, capture_output=True, timeout=15).stdout.decode("utf-8", "replace")
        return out

    def mock_calls(self):
        return json.loads(self.mock("/_mock/stats"))["calls"]

    def admin(self, path):
        r = subprocess.run(["curl", "-s", "-i", "--max-time", "10", "http://127.0.0.1:%d%s" % (self.ports["admin"], path)],
                           capture_output=True, timeout=15)
        text = r.stdout.decode("utf-8", "replace")
        head, _, body = text.partition("\r\n\r\n")
        m = re.match(r"HTTP/\S+ (\d+)", head)
        return int(m.group(1)) if m else 0, body


def chat(text, **extra):
    b = {"model": "mock-1", "messages": [{"role": "user", "content": text}]}
    b.update(extra)
    return json.dumps(b)


BLOCKED_IN = "Sorry, I can't help with that request."
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def sigv4_ok(method, path, headers, body, secret, region, service):
    """Recomputes an AWS SigV4 signature from what the upstream received."""
    import hashlib
    import hmac
    auth = headers["authorization"]
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                 r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
    if not m or m.group(3) != region or m.group(4) != service:
        return False
    signed = m.group(5).split(";")
    creq = "\n".join([method, path, "", "".join("%s:%s\n" % (h, headers[h].strip()) for h in signed),
                      m.group(5), hashlib.sha256(body).hexdigest()])
    date = headers["x-amz-date"]
    scope = "%s/%s/%s/aws4_request" % (m.group(2), region, service)
    sts = "\n".join(["AWS4-HMAC-SHA256", date, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (m.group(2), region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest() == m.group(6)

# ---------------------------------------------------------------- cases over every client


def t_pass_through(c, cl):
    body = chat("Hello there, how are you today?")
    r = c.req(cl, "/v1/chat/completions", body)
    check(r.status == 200, "status %s" % r)
    check(r.headers.get("x-bulwark-action") == "NONE", "action %s" % r.headers)
    direct = c.mock("/v1/chat/completions", "POST", body)
    check(json.loads(r.body)["choices"] == json.loads(direct)["choices"], "answer changed: %r vs %r" % (r.body, direct))
    check(r.headers.get("x-bulwark-request-id"), "no request id")


def t_plain_route_get(c, cl):
    r = c.req(cl, "/open/_mock/stats")
    check(r.status == 200 and "calls" in r.json(), "GET through a plain route: %s" % r)
    check(r.headers.get("x-bulwark-action") == "NONE", "action %s" % r.headers)


def t_blocked_before_model(c, cl):
    before = c.mock_calls()
    r = c.req(cl, "/v1/chat/completions", chat("tell me everything about Project Nightingale"))
    check(r.status == 200, "status %s" % r)
    check(r.headers.get("x-bulwark-action") == "INTERVENED", "action %s" % r.headers)
    j = r.json()
    check(j["choices"][0]["finish_reason"] == "content_filter", "finish_reason %r" % j)
    check(j["choices"][0]["message"]["content"] == BLOCKED_IN, "message %r" % j)
    check(c.mock_calls() == before, "the model was called")


def t_masked_input(c, cl):
    r = c.req(cl, "/v1/chat/completions", chat("please ship order ORD-12345678 to jane.doe@example.com today"))
    check(r.status == 200, "status %s" % r)
    check(r.headers.get("x-bulwark-action") == "INTERVENED", "action %s" % r.headers)
    last = c.mock("/_mock/last")
    check("ORD-12345678" not in last and "{order_id}" in last, "the model saw %r" % last)
    check("jane.doe@example.com" not in last and "{EMAIL}" in last, "the model saw %r" % last)
    check("ORD-12345678" not in r.body and "jane.doe" not in r.body, "answer %r" % r.body)


def t_masked_output(c, cl):
    r = c.req(cl, "/out/v1/chat/completions", chat("REPLY: your order is ORD-87654321, write to bob@example.org"))
    check(r.status == 200, "status %s" % r)
    check("ORD-87654321" in c.mock("/_mock/last"), "input should not be guarded on this route")
    check(r.headers.get("x-bulwark-action") == "INTERVENED", "action %s" % r.headers)
    content = r.json()["choices"][0]["message"]["content"]
    check("ORD-87654321" not in content and "{order_id}" in content, "answer %r" % content)
    check("bob@example.org" not in content and "{EMAIL}" in content, "answer %r" % content)


def t_streamed(c, cl):
    r = c.req(cl, "/in/v1/chat/completions", chat("stream to jane.doe@example.com please", stream=True))
    check(r.status == 200, "status %s" % r)
    check(r.headers.get("content-type", "").startswith("text/event-stream"), "content-type %s" % r.headers)
    check("data: " in r.body and "[DONE]" in r.body, "not SSE: %r" % r.body[:200])
    check("{EMAIL}" in c.mock("/_mock/last"), "the prompt was not masked")
    check(r.headers.get("x-bulwark-action") == "INTERVENED", "action %s" % r.headers)
    # an output-guarded route guards the stream (tests/integration/stream_test.py has the rest)
    r = c.req(cl, "/v1/chat/completions", chat("REPLY: mail bob@example.org", stream=True))
    check(r.status == 200 and "[DONE]" in r.body, "a streamed answer on an output-guarded route: %s" % r)
    check("bob@example.org" not in r.body and "{EMAIL}" in r.body, "not masked: %r" % r.body[-500:])


def t_stream_paced(c, cl):
    """A streamed answer keeps its pace through bulwark: the first event long before the last."""
    hdrs = ["content-type: application/json", "x-mock-delay-ms: 250", "x-mock-tokens: 6"]
    body = chat("pace me", stream=True)
    if cl == "nghttp":
        # nghttp -v stamps every frame it receives: the answer's DATA frames must spread over the delays
        args = ["nghttp", "-v", "-y", "-t", "30", "-d", c.env.file(body)]
        for h in hdrs:
            args += ["-H", h]
        r = subprocess.run(args + ["https://127.0.0.1:%d/in/v1/chat/completions" % c.ports["tls"]],
                           capture_output=True, timeout=35)
        out = r.stdout.decode("utf-8", "replace")
        st = parse_nghttp(out)[0]
        check(st == 200, "status %s" % st)
        t = [float(m) for m in re.findall(r"^\[\s*([0-9.]+)\] recv DATA frame", out, re.M)]
        check(len(t) >= 2 and t[-1] - t[0] > 0.8, "not streamed: DATA frames at %s" % t)
        return
    args = {"h1": ["--http1.1", "http://127.0.0.1:%d" % c.ports["plain"]],
            "h2c": ["--http2-prior-knowledge", "http://127.0.0.1:%d" % c.ports["plain"]],
            "h2": ["--http2", "-k", "https://127.0.0.1:%d" % c.ports["tls"]]}[cl]
    r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_starttransfer} %{time_total}",
                        "-H", hdrs[0], "-H", hdrs[1], "-H", hdrs[2], "--data-binary", body] + args[:-1] +
                       [args[-1] + "/in/v1/chat/completions"], capture_output=True, timeout=30)
    st, first, total = r.stdout.decode().split()
    check(st == "200", "status %s" % st)
    check(float(total) - float(first) > 0.8, "not streamed: first byte %ss, end %ss" % (first, total))


def t_malformed_json(c, cl):
    before = c.mock_calls()
    r = c.req(cl, "/v1/chat/completions", '{"model": "m", "messages": [')
    check(r.status == 400, "status %s" % r)
    check("message" in r.json().get("error", {}), "error shape %r" % r.body)
    check(c.mock_calls() == before, "the model was called")


def t_body_too_large(c, cl):
    r = c.req(cl, "/v1/chat/completions", chat("x" * 100000))
    check(r.status == 413, "status %s" % r)
    check("error" in r.json(), "body %r" % r.body)


def t_json_tree_too_large(c, cl):
    # under max_body_bytes, but 30,000 tiny values make a tree of ~2 MB, over the
    # request's memory cap (4 x max_body_bytes + 4 x max_header_bytes + 1 MiB)
    before = c.mock_calls()
    body = chat("hi")[:-1] + ',"x":[' + ",".join(["0"] * 30000) + "]}"
    check(len(body) < 65536, "body of %d bytes" % len(body))
    r = c.req(cl, "/v1/chat/completions", body)
    check(r.status == 413, "status %s" % r)
    check("memory" in r.json().get("error", {}).get("message", ""), "body %r" % r.body)
    check(c.mock_calls() == before, "the model was called")
    # the same values, fewer of them: accepted
    r = c.req(cl, "/v1/chat/completions", chat("hi")[:-1] + ',"x":[' + ",".join(["0"] * 3000) + "]}")
    check(r.status == 200, "status %s" % r)


def t_headers_too_large(c, cl):
    r = c.req(cl, "/v1/chat/completions", chat("hi"), headers={"x-big": "y" * 9000})
    check(r.status == 431, "status %s" % r)


def t_unknown_route(c, cl):
    r = c.req(cl, "/nope/v1/chat/completions", chat("hi"))
    check(r.status == 404, "status %s" % r)
    check("error" in r.json(), "body %r" % r.body)


def t_upstream_down(c, cl):
    r = c.req(cl, "/down/v1/chat/completions", chat("hello"))
    check(r.status == 502, "status %s" % r)
    check("message" in r.json().get("error", {}), "error shape %r" % r.body)


def t_upstream_slow(c, cl):
    t0 = time.time()
    r = c.req(cl, "/slow/v1/chat/completions", chat("hello"), headers={"x-mock-delay-ms": "3000"})
    check(r.status == 504, "status %s" % r)
    check(time.time() - t0 < 2.5, "took %.1fs" % (time.time() - t0))


def t_upstream_h2(c, cl):
    r = c.req(cl, "/h2up/v1/chat/completions", chat("over h2c to the model"))
    check(r.status == 200 and "over h2c" in r.body, "status %s" % r)


def t_upstream_tls(c, cl):
    r = c.req(cl, "/tls/v1/chat/completions", chat("over TLS to the model, jane.doe@example.com"))
    check(r.status == 200 and "over TLS" in r.body and "{EMAIL}" in r.body, "verified h2 upstream: %s" % r)
    r = c.req(cl, "/tlsh1/v1/chat/completions", chat("over TLS, HTTP/1.1"))
    check(r.status == 200 and "HTTP/1.1" in r.body, "unverified HTTP/1.1 upstream: %s" % r)
    r = c.req(cl, "/tlsbad/v1/chat/completions", chat("no CA for this one"))
    check(r.status == 502, "an upstream certificate nobody vouches for must fail: %s" % r)


def t_sigv4_resign(c, cl):
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                       "messages": [{"role": "user", "content": "write to jane.doe@example.com"}]})
    r = c.req(cl, "/aws/model/anthropic.claude-3-haiku/invoke", body,
              headers={"authorization": "AWS4-HMAC-SHA256 Credential=client/stale", "x-amz-date": "20000101T000000Z"})
    check(r.status == 200, "status %s" % r)
    h = json.loads(c.mock("/_mock/headers"))
    last = c.mock("/_mock/last").encode()
    check(b"{EMAIL}" in last, "the masked body was not sent: %r" % last[:200])
    check(h.get("authorization", "").startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"), "auth %r" % h)
    check(h.get("x-amz-date") != "20000101T000000Z", "the client's signature date went through")
    check(sigv4_ok("POST", "/model/anthropic.claude-3-haiku/invoke", h, last, AWS_SECRET, "us-east-1", "bedrock"),
          "the signature does not verify: %r" % h)


def t_apply_endpoint(c, cl):
    body = json.dumps({"source": "INPUT", "content": [{"text": {"text": "my order ORD-12345678 is late"}}]})
    r = c.req(cl, "/guardrail/demo/version/DRAFT/apply", body)
    check(r.status == 200, "status %s" % r)
    j = r.json()
    check(j["action"] == "GUARDRAIL_INTERVENED", "action %r" % j)
    check("{order_id}" in j["outputs"][0]["text"], "outputs %r" % j)
    r = c.req(cl, "/guardrail/nosuch/version/1/apply", body)
    check(r.status == 404, "unknown: %s" % r)
    check(r.headers.get("x-amzn-errortype", "").startswith("ResourceNotFoundException"), "errortype %s" % r.headers)
    check("message" in r.json(), "body %r" % r.body)
    r = c.req(cl, "/guardrail/demo/version/DRAFT/apply", '{"source": "SIDEWAYS", "content": []}')
    check(r.status == 400, "bad body: %s" % r)
    check(r.headers.get("x-amzn-errortype", "").startswith("ValidationException"), "errortype %s" % r.headers)


def t_forwarded_headers(c, cl):
    r = c.req(cl, "/v1/chat/completions", chat("headers please"),
              headers={"x-forwarded-for": "203.0.113.7", "x-bulwark-evil": "1", "proxy-authorization": "Basic Zm9v"})
    check(r.status == 200, "status %s" % r)
    h = json.loads(c.mock("/_mock/headers"))
    check(h.get("x-forwarded-for") == "203.0.113.7, 127.0.0.1", "x-forwarded-for %r" % h.get("x-forwarded-for"))
    check("for=127.0.0.1" in h.get("forwarded", ""), "forwarded %r" % h.get("forwarded"))
    check(h.get("x-upstream-key") == "sekrit-key", "configured upstream header %r" % h)
    check("x-bulwark-evil" not in h and "proxy-authorization" not in h, "leaked %r" % h)
    check(h.get("x-request-id") == r.headers.get("x-bulwark-request-id"), "request id %r" % h)


CASES = [t_pass_through, t_plain_route_get, t_blocked_before_model, t_masked_input, t_masked_output, t_streamed,
         t_stream_paced,
         t_malformed_json, t_body_too_large, t_json_tree_too_large, t_headers_too_large, t_unknown_route, t_upstream_down,
         t_upstream_slow, t_upstream_h2, t_upstream_tls, t_sigv4_resign, t_apply_endpoint, t_forwarded_headers]

# ---------------------------------------------------------------- API shapes (need the adapters)


def shapes(c, cl):
    """Blocked answers in each API's own shape, and its 400 for a malformed body."""
    bad = "Project Nightingale details"
    cases = [
        ("/v1/completions", json.dumps({"model": "m", "prompt": bad}),
         lambda j: j["choices"][0]["finish_reason"] == "content_filter"),
        ("/v1/responses", json.dumps({"model": "m", "input": bad}),
         lambda j: j.get("status") == "incomplete" or "content_filter" in json.dumps(j)),
        ("/v1/messages", json.dumps({"model": "claude", "max_tokens": 10, "messages": [{"role": "user", "content": bad}]}),
         lambda j: j["stop_reason"] == "guardrail_intervened"),
        ("/model/anthropic.claude-3-haiku/invoke",
         json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                     "messages": [{"role": "user", "content": bad}]}),
         lambda j: j.get("amazon-bedrock-guardrailAction") == "INTERVENED"),
        ("/model/anthropic.claude-3-haiku/converse",
         json.dumps({"messages": [{"role": "user", "content": [{"text": bad}]}]}),
         lambda j: j["stopReason"] == "guardrail_intervened"),
    ]
    for path, body, ok in cases:
        before = c.mock_calls()
        r = c.req(cl, path, body)
        check(r.status == 200, "%s: status %s" % (path, r))
        check(r.headers.get("x-bulwark-action") == "INTERVENED", "%s: action %s" % (path, r.headers))
        check(ok(r.json()), "%s: shape %r" % (path, r.body))
        check(c.mock_calls() == before, "%s: the model was called" % path)
        r = c.req(cl, path, "{broken")
        check(r.status == 400, "%s malformed: %s" % (path, r))


def t_api_shapes(c, cl):
    shapes(c, cl)


def t_masked_every_api(c, cl):
    pii = "write to jane.doe@example.com"
    cases = [
        ("/v1/completions", {"model": "m", "prompt": pii}),
        ("/v1/responses", {"model": "m", "input": pii}),
        ("/v1/messages", {"model": "claude", "max_tokens": 10, "messages": [{"role": "user", "content": pii}]}),
        ("/model/anthropic.claude-3-haiku/invoke", {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                                                    "messages": [{"role": "user", "content": pii}]}),
        ("/model/amazon.nova-lite-v1/converse", {"messages": [{"role": "user", "content": [{"text": pii}]}]}),
        ("/gen/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": pii}]}),
    ]
    for path, body in cases:
        r = c.req(cl, path, json.dumps(body))
        check(r.status == 200, "%s: status %s" % (path, r))
        last = c.mock("/_mock/last")
        check("jane.doe@example.com" not in last and "{EMAIL}" in last, "%s: the model saw %r" % (path, last))
        check("jane.doe" not in r.body and "{EMAIL}" in r.body, "%s: answer %r" % (path, r.body[:300]))
        check(r.headers.get("x-bulwark-action") == "INTERVENED", "%s: action %s" % (path, r.headers))


def t_trace(c, cl):
    r = c.req(cl, "/v1/chat/completions", chat("my order ORD-12345678"), headers={"x-bulwark-trace": "enabled"})
    check(r.status == 200, "status %s" % r)
    check("sensitiveInformationPolicy" in r.body, "trace %r" % r.body)


def t_client_guardrail(c, cl):
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                       "messages": [{"role": "user", "content": "hello"}]})
    r = c.req(cl, "/model/anthropic.claude-3-haiku/invoke", body,
              headers={"x-amzn-bedrock-guardrailidentifier": "other", "x-amzn-bedrock-guardrailversion": "1"})
    check(r.status == 403, "a guardrail the route does not allow: %s" % r)
    r = c.req(cl, "/model/anthropic.claude-3-haiku/invoke", body,
              headers={"x-amzn-bedrock-guardrailidentifier": "demo", "x-amzn-bedrock-guardrailversion": "DRAFT"})
    check(r.status == 200, "an allowed one: %s" % r)
    check(r.json().get("amazon-bedrock-guardrailAction") == "NONE", "guardrailAction %r" % r.body)
    check("x-amzn-bedrock-guardrailidentifier" not in json.loads(c.mock("/_mock/headers")), "header forwarded")


ADAPTER_CASES = [t_api_shapes, t_masked_every_api, t_trace, t_client_guardrail]

# ---------------------------------------------------------------- one-protocol mechanics


def raw(c, data, chunks=None, delay=0.0, read_until=None, timeout=5):
    s = socket.create_connection(("127.0.0.1", c.ports["plain"]), timeout=timeout)
    try:
        if chunks:
            for i in range(0, len(data), chunks):
                s.sendall(data[i:i + chunks])
                time.sleep(delay)
        else:
            s.sendall(data)
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            if not b:
                break
            out += b
            if read_until and read_until(out):
                break
        return out
    finally:
        s.close()


def http1(path, body, extra=""):
    b = body.encode()
    return ("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n"
            % (path, extra, len(b))).encode() + b


def t_pipelining(c):
    data = http1("/v1/chat/completions", chat("first")) + http1("/v1/chat/completions", chat("second")) + \
        http1("/v1/chat/completions", chat("third"), "Connection: close\r\n")
    out = raw(c, data).decode("utf-8", "replace")
    i1, i2, i3 = out.find("You said: first"), out.find("You said: second"), out.find("You said: third")
    check(out.count("HTTP/1.1 200") == 3, "3 answers: %r" % out[:500])
    check(0 <= i1 < i2 < i3, "in order: %d %d %d" % (i1, i2, i3))


def t_split_packets(c):
    data = http1("/v1/chat/completions", chat("split across many packets"), "Connection: close\r\n")
    out = raw(c, data, chunks=7, delay=0.002).decode("utf-8", "replace")
    check(out.startswith("HTTP/1.1 200") and "split across many packets" in out, "answer %r" % out[:300])


def t_chunked_request(c):
    body = chat("chunked body")
    b = body.encode()
    data = ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            "%x\r\n" % 10).encode() + b[:10] + b"\r\n" + ("%x\r\n" % (len(b) - 10)).encode() + b[10:] + b"\r\n0\r\n\r\n"
    out = raw(c, data).decode("utf-8", "replace")
    check(out.startswith("HTTP/1.1 200") and "chunked body" in out, "answer %r" % out[:300])
    check(c.mock("/_mock/last") == body, "the model got %r" % c.mock("/_mock/last"))


def t_slow_request(c):
    """A request that trickles in is cut after request_timeout_ms (slow-loris); an idle one after idle_timeout_ms."""
    s = socket.create_connection(("127.0.0.1", c.ports["plain"]), timeout=6)
    t0 = time.time()
    s.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
    closed = False
    try:
        while time.time() - t0 < 5:
            s.sendall(b"X-A: b\r\n")
            time.sleep(0.2)
    except OSError:
        closed = True
    if not closed:
        s.settimeout(1)
        try:
            closed = s.recv(100) == b""
        except OSError:
            closed = True
    s.close()
    check(closed, "a slow request was not cut")
    check(time.time() - t0 < 4, "cut after %.1fs" % (time.time() - t0))
    s = socket.create_connection(("127.0.0.1", c.ports["plain"]), timeout=8)
    t0 = time.time()
    s.sendall(http1("/v1/chat/completions", chat("then idle")))
    got = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
    s.close()
    check(b"then idle" in got, "no answer before the idle close")
    check(3.5 < time.time() - t0 < 7, "idle keep-alive closed after %.1fs" % (time.time() - t0))


def t_expect_continue(c):
    r = c.req("h1", "/v1/chat/completions", chat("expecting"), headers={"Expect": "100-continue"})
    check(r.status == 200 and "expecting" in r.body, "status %s" % r)


def t_bad_request_line(c):
    out = raw(c, b"GARBAGE\r\n\r\n").decode("utf-8", "replace")
    check(out.startswith("HTTP/1.1 400"), "answer %r" % out[:200])
    out = raw(c, b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").decode()
    check(out.startswith("HTTP/1.1 400"), "smuggling shape accepted: %r" % out[:200])


def t_h2c_upgrade(c):
    r = c.req("upgrade", "/v1/chat/completions", chat("upgraded"))
    check(r.status == 200 and "upgraded" in r.body, "status %s" % r)
    r = c.req("upgrade", "/open/_mock/stats")
    check(r.status == 200 and r.version == "2", "GET with upgrade: %s %s" % (r.version, r))


def t_h1_tls(c):
    r = c.req("h1tls", "/v1/chat/completions", chat("hello over TLS"))
    check(r.status == 200 and r.version == "1.1", "status %s %s" % (r.version, r))


def t_keepalive_many(c):
    urls = []
    for i in range(20):
        urls += ["-H", "content-type: application/json", "--data-binary", chat("n%d" % i),
                 "http://127.0.0.1:%d/v1/chat/completions" % c.ports["plain"]]
        if i != 19:
            urls.append("--next")
    r = subprocess.run(["curl", "-s", "-v", "--http1.1"] + urls, capture_output=True, timeout=30)
    err = r.stderr.decode("utf-8", "replace")
    check(err.count("Re-using existing connection") >= 19, "keep-alive not reused")
    check(r.stdout.decode().count("You said: n") == 20, "answers %r" % r.stdout[:200])


def t_stream_slow_reader(c):
    """A large streamed answer to a client that reads slowly arrives whole (the upstream is paused, not dropped)."""
    import hashlib
    body = c.env.file(json.dumps({"model": "m", "stream": True,
                                  "messages": [{"role": "user", "content": "REPLY: " + "word " * 50}]}))
    base = ["curl", "-s", "-H", "content-type: application/json", "-H", "x-mock-tokens: 12000",
            "--data-binary", "@" + body]
    want = hashlib.md5(subprocess.run(base + ["http://127.0.0.1:%d/v1/chat/completions" % c.env.mock_port],
                                      capture_output=True, timeout=30).stdout).hexdigest()
    for v in ["--http1.1", "--http2-prior-knowledge"]:
        out = subprocess.run(base + [v, "--limit-rate", "3M",
                                     "http://127.0.0.1:%d/in/v1/chat/completions" % c.ports["plain"]],
                             capture_output=True, timeout=60).stdout
        check(len(out) > 2000000, "%s: only %d bytes" % (v, len(out)))
        check(hashlib.md5(out).hexdigest() == want, "%s: the stream differs from the model's" % v)


def t_admin(c):
    st, body = c.admin("/healthz")
    check(st == 200, "healthz %s" % st)
    st, body = c.admin("/readyz")
    check(st == 200, "readyz %s" % st)
    st, body = c.admin("/metrics")
    check(st == 200, "metrics %s" % st)
    for m in ['bulwark_requests_total{route="main",status="200",action="NONE"}',
              'bulwark_requests_total{route="main",status="200",action="INTERVENED"}',
              'bulwark_interventions_total{direction="INPUT"', 'bulwark_upstream_failures_total{route="down"',
              "bulwark_guardrail_input_seconds_bucket", "bulwark_upstream_seconds_count", "bulwark_open_connections"]:
        check(m in body, "metrics lack %s" % m)


def t_logs(c):
    time.sleep(0.3)  # lines are flushed after each loop iteration
    with open(os.path.join(c.env.tmp, "access.log")) as f:
        acc = [json.loads(l) for l in f if l.strip()]
    with open(os.path.join(c.env.tmp, "audit.log")) as f:
        aud = [json.loads(l) for l in f if l.strip()]
    check(any(a["status"] == 413 for a in acc), "no 413 in the access log")
    check(any(a.get("input") == "BLOCKED" for a in acc), "no blocked exchange in the access log")
    for secret in ["ORD-12345678", "ORD-87654321", "jane.doe@example.com", "bob@example.org"]:
        check(all(secret not in json.dumps(a) for a in aud + acc), "a matched value reached a log: %s" % secret)
    check(any(a["policy"] == "regexPolicy" and a["action"] == "ANONYMIZED" and "offset" in a for a in aud),
          "no masking in the audit log")


def t_check_config(c):
    good = c.env.config("good.json")
    r = subprocess.run([c.env.bulwark, "check", "--config", good], capture_output=True,
                       env=dict(os.environ, BW_IT_KEY="k", BW_IT_SECRET="s"))
    check(r.returncode == 0, "check good: %r" % r.stderr)
    bad = os.path.join(c.env.tmp, "bad.json")
    with open(bad, "w") as f:
        json.dump({"listeners": [{"address": "nowhere"}], "upstreams": [{"name": "u", "url": "ftp://x"}],
                   "routes": [{"upstream": "mok", "guardrail": "demo", "colour": 1}], "workers": -1}, f)
    r = subprocess.run([c.env.bulwark, "check", "--config", bad], capture_output=True)
    err = r.stderr.decode()
    check(r.returncode == 2, "check bad exit %d" % r.returncode)
    for want in ["bad.json: listeners[0].address:", "bad.json: upstreams[0].url:", "bad.json: routes[0].colour: unknown key",
                 "bad.json: routes[0].upstream: unknown upstream \"mok\"", "bad.json: routes[0].guardrail: unknown guardrail",
                 "bad.json: workers:"]:
        check(want in err, "missing %r in:\n%s" % (want, err))
    with open(bad, "w") as f:
        f.write('{"listeners": [\n  {"address": "127.0.0.1:1"},,\n]}')
    r = subprocess.run([c.env.bulwark, "check", "--config", bad], capture_output=True)
    check(r.returncode == 2 and re.search(r"bad.json:2:\d+: ", r.stderr.decode()), "syntax: %r" % r.stderr)


MECHANICS = [t_pipelining, t_split_packets, t_chunked_request, t_slow_request, t_expect_continue, t_bad_request_line,
             t_h2c_upgrade, t_h1_tls, t_keepalive_many, t_stream_slow_reader, t_admin, t_logs, t_check_config]

# ---------------------------------------------------------------- process life


def h2load_loop(args, out, stop):
    """Runs h2load again and again until stop is set, so traffic spans every reload."""
    while not stop.is_set():
        out.append(subprocess.run(["h2load"] + args, capture_output=True, timeout=120).stdout.decode())


def t_reload_under_traffic(env, c, proc):
    body = env.file(chat("reload me"))
    results = []
    stop = threading.Event()
    url = "http://127.0.0.1:%d/v1/chat/completions" % c.ports["plain"]
    hdr = ["-H", "content-type: application/json", "-d", body]
    threads = [
        threading.Thread(target=h2load_loop, args=(["-n", "800", "-c", "8", "-m", "4"] + hdr + [url], results, stop)),
        threading.Thread(target=h2load_loop, args=(["--h1", "-n", "400", "-c", "8"] + hdr + [url], results, stop)),
    ]
    for t in threads:
        t.start()
    conf = os.path.join(env.tmp, "bulwark.json")
    gr = os.path.join(env.tmp, "demo.json")

    def reload_and_wait(n):
        proc.p.send_signal(signal.SIGHUP)
        deadline = time.time() + 30
        while proc.text().count("configuration reloaded") + proc.text().count("reload rejected (") < n:
            check(time.time() < deadline, "reload %d did not finish" % n)
            time.sleep(0.02)

    try:
        time.sleep(0.3)
        reload_and_wait(1)                      # same files: guardrails shared, nothing compiled
        os.utime(gr, (time.time() + 5, time.time() + 5))
        reload_and_wait(2)                      # a changed guardrail file is compiled again
        with open(conf) as f:
            j = json.load(f)
        j["routes"][[r["name"] for r in j["routes"]].index("main")]["trace"] = False
        with open(conf, "w") as f:
            json.dump(j, f)
        reload_and_wait(3)                      # a changed route
        with open(conf, "w") as f:              # a broken configuration is refused and the old one stays
            f.write("{ broken")
        reload_and_wait(4)
    finally:
        stop.set()  # a failed check must not leave the traffic running for ever
    for t in threads:
        t.join()
    for out in results:
        m = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored",
                      out)
        check(m, "h2load said %r" % out[-800:])
        check(m.group(1) == m.group(3) and m.group(4) == "0" and m.group(5) == "0", "lost requests: %s" % m.group(0))
        check(re.search(r"status codes: (\d+) 2xx", out).group(1) == m.group(1), "non-2xx: %r" % out[-500:])
    time.sleep(0.5)
    log = proc.text()
    check(log.count("configuration reloaded") == 3, "reloads: %d" % log.count("configuration reloaded"))
    check("reload rejected" in log, "the broken configuration was not reported")
    r = c.req("h1", "/v1/chat/completions", chat("still alive"))
    check(r.status == 200, "after the reloads: %s" % r)


def t_graceful_shutdown(env, c, proc):
    out = {}

    def slow():
        out["r"] = c.req("h2c", "/v1/chat/completions", chat("in flight"), headers={"x-mock-delay-ms": "1500"})

    idle = socket.create_connection(("127.0.0.1", c.ports["plain"]))
    idle.sendall(http1("/v1/chat/completions", chat("idle keep-alive")))
    time.sleep(0.3)
    idle.recv(65536)
    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.4)
    t0 = time.time()
    proc.p.send_signal(signal.SIGTERM)
    time.sleep(0.2)
    st, _ = c.admin("/readyz")
    check(st == 503, "readyz while draining: %s" % st)
    idle.settimeout(3)
    check(idle.recv(65536) == b"", "the idle keep-alive connection was not closed")
    t.join()
    r = out["r"]
    check(r.status == 200 and "in flight" in r.body, "the request in flight: %s" % r)
    rc = proc.p.wait(10)
    check(rc == 0, "exit status %s" % rc)
    check(time.time() - t0 < 5, "drain took %.1fs" % (time.time() - t0))
    check("stopped" in proc.text(), "no stop line")


# ---------------------------------------------------------------- runner


def run_suite(label, minutes, body):
    """The runner of the integration suites: arguments BULWARK [-k PATTERN] [-v],
    a watchdog, a line per failure, a summary line; body(env, run)
    starts what it needs and calls run(name, fn, *args) per case."""
    global VERBOSE
    args = sys.argv[1:]
    pattern = None
    if "-k" in args:
        i = args.index("-k")
        pattern = args[i + 1]
        del args[i:i + 2]
    if "-v" in args:
        VERBOSE = True
        args.remove("-v")
    if len(args) != 1:
        print(sys.modules["__main__"].__doc__)
        return 2
    env = Env(os.path.abspath(args[0]))
    count = {"passed": 0, "failed": 0}

    def watchdog(signum, frame):
        print("  FAIL the %s suite ran over %d minutes; stopping (logs kept in %s)" % (label, minutes, env.tmp),
              flush=True)
        env.cleanup(keep=True)
        os._exit(1)

    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(minutes * 60)

    def run(name, fn, *a):
        if pattern and pattern not in name:
            return
        t0 = time.time()
        try:
            fn(*a)
            count["passed"] += 1
            if VERBOSE:
                print("  ok   %s (%.2fs)" % (name, time.time() - t0))
        except Exception as e:  # noqa: BLE001 - every failure is reported, the run goes on
            count["failed"] += 1
            print("  FAIL %s: %s" % (name, e))

    t_start = time.time()
    try:
        body(env, run)
    except Fail as e:
        count["failed"] += 1
        print("  FAIL setup: %s" % e)
    finally:
        env.cleanup(keep=count["failed"] > 0)
    print("%s: %d passed, %d failed in %.1fs%s" % (
        label, count["passed"], count["failed"], time.time() - t_start,
        (" (logs kept in %s)" % env.tmp) if count["failed"] else ""))
    return 1 if count["failed"] else 0


def main():
    def body(env, run):
        env.start_mock()
        proc, ports = env.start_bulwark()
        c = Client(env, ports)
        for fn in CASES + ADAPTER_CASES:
            for cl in CLIENTS:
                run("%s[%s]" % (fn.__name__, cl), fn, c, cl)
        for fn in MECHANICS:
            run(fn.__name__, fn, c)
        run("t_reload_under_traffic", t_reload_under_traffic, env, c, proc)
        run("t_graceful_shutdown", t_graceful_shutdown, env, c, proc)

    return run_suite("integration", 15, body)


if __name__ == "__main__":
    sys.exit(main())
