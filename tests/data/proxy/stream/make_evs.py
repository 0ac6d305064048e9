#!/usr/bin/env python3
"""Writes the Bedrock event-stream fixtures (*.evs) with Python's own zlib
CRC-32 and struct packing, independently of proxy/evstream.c, so the C
decoder is checked against a second implementation of the framing.
Shapes follow the Bedrock runtime API reference (ConverseStream events,
InvokeModelWithResponseStream chunk{bytes}). Run from this directory."""
import base64, json, struct, zlib

def header(name, value):
    n = name.encode()
    v = value.encode()
    return struct.pack("!B", len(n)) + n + b"\x07" + struct.pack("!H", len(v)) + v

def message(headers, payload):
    hb = b"".join(header(k, v) for k, v in headers)
    total = 16 + len(hb) + len(payload)
    prelude = struct.pack("!II", total, len(hb))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    body = prelude + hb + payload
    return body + struct.pack("!I", zlib.crc32(body))

def event(kind, obj):
    return message([(":event-type", kind), (":content-type", "application/json"), (":message-type", "event")],
                   json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode())

def exception(kind, msg):
    return message([(":exception-type", kind), (":content-type", "application/json"), (":message-type", "exception")],
                   json.dumps({"message": msg}).encode())

P = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0"
converse = b"".join([
    event("messageStart", {"p": P[:10], "role": "assistant"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Contact "}, "p": P[:4]}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "jane.doe@example.com caf\u00e9"}, "p": P[:7]}),
    event("contentBlockStop", {"contentBlockIndex": 0, "p": P[:20]}),
    event("contentBlockStart", {"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_1", "name": "lookup"}}}),
    event("contentBlockDelta", {"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"q\": \"x\"}"}}}),
    event("contentBlockStop", {"contentBlockIndex": 1}),
    event("messageStop", {"stopReason": "end_turn", "p": P[:3]}),
    event("metadata", {"usage": {"inputTokens": 12, "outputTokens": 9, "totalTokens": 21},
                       "metrics": {"latencyMs": 321}, "p": P[:12]}),
])
open("converse.evs", "wb").write(converse)

def chunk(obj):
    return event("chunk", {"bytes": base64.b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode(),
                           "p": P[:6]})

invoke_anthropic = b"".join([
    chunk({"type": "message_start", "message": {"id": "msg_bdrk_01", "type": "message", "role": "assistant",
           "model": "claude-3-5-sonnet-20240620", "content": [], "stop_reason": None, "stop_sequence": None,
           "usage": {"input_tokens": 14, "output_tokens": 1}}}),
    chunk({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    chunk({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}),
    chunk({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " world"}}),
    chunk({"type": "content_block_stop", "index": 0}),
    chunk({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
           "usage": {"output_tokens": 3}}),
    chunk({"type": "message_stop", "amazon-bedrock-invocationMetrics": {"inputTokenCount": 14, "outputTokenCount": 3,
           "invocationLatency": 400, "firstByteLatency": 200}}),
])
open("invoke_anthropic.evs", "wb").write(invoke_anthropic)

invoke_titan = b"".join([
    chunk({"outputText": "Hello", "index": 0, "totalOutputTextTokenCount": None, "completionReason": None,
           "inputTextTokenCount": 5}),
    chunk({"outputText": " there.", "index": 0, "totalOutputTextTokenCount": 3, "completionReason": "FINISH",
           "inputTextTokenCount": None, "amazon-bedrock-invocationMetrics": {"inputTokenCount": 5,
           "outputTokenCount": 3, "invocationLatency": 300, "firstByteLatency": 100}}),
])
open("invoke_titan.evs", "wb").write(invoke_titan)

invoke_llama = b"".join([
    chunk({"generation": "Hi", "prompt_token_count": 7, "generation_token_count": 1, "stop_reason": None}),
    chunk({"generation": " friend", "prompt_token_count": None, "generation_token_count": 2, "stop_reason": "stop",
           "amazon-bedrock-invocationMetrics": {"inputTokenCount": 7, "outputTokenCount": 2,
                                                "invocationLatency": 200, "firstByteLatency": 90}}),
])
open("invoke_llama.evs", "wb").write(invoke_llama)

converse_error = b"".join([
    event("messageStart", {"role": "assistant"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Par"}}),
    exception("modelStreamErrorException", "The model stream failed."),
])
open("converse_error.evs", "wb").write(converse_error)
