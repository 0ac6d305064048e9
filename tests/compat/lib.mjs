// Shared by the compatibility cases: where bulwark and the mock model are
// (set by runner.mjs in the environment of every test file), what the mock
// was asked, and the texts and messages of tests/compat/guardrail.json.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {after} from 'node:test';
import {Agent, fetch as undiciFetch} from 'undici';

function need(name) {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is not set: run the cases with tests/compat/run.sh BULWARK`);
    return v;
}

export const env = {
    http: need('BW_COMPAT_HTTP'),        // http://127.0.0.1:P   (HTTP/1.1 and h2c on one listener)
    https: need('BW_COMPAT_HTTPS'),      // https://localhost:T  (TLS, h2 or http/1.1 by ALPN)
    mock: need('BW_COMPAT_MOCK'),        // the mock model, directly
    cert: need('BW_COMPAT_CERT'),        // the generated self-signed certificate (NODE_EXTRA_CA_CERTS)
    tmp: need('BW_COMPAT_TMP'),
    stream: process.env.BW_COMPAT_STREAM !== '0', // streamed answers are guarded (issue 5); 0 for a bulwark without it
};

// HTTP/2 for the openai and anthropic SDKs: Node's fetch speaks HTTP/1.1
// only; undici (the project behind it) with allowH2 negotiates h2 by ALPN,
// given to the SDKs through their `fetch` and `fetchOptions` options.
export const h2agent = new Agent({allowH2: true});
after(() => h2agent.close());

// The ways the openai and anthropic SDKs reach bulwark: cleartext HTTP/1.1,
// and TLS (verified against the generated certificate through
// NODE_EXTRA_CA_CERTS, never skipped) as HTTP/1.1 and as h2. `sdk` is
// spread into the client's options; `proto` is what bulwark's access log
// must say.
export const transports = [
    {name: 'http', base: env.http, proto: 'http/1.1', sdk: {}},
    {name: 'tls', base: env.https, proto: 'http/1.1', sdk: {}},
    {name: 'tls h2', base: env.https, proto: 'h2', sdk: {fetch: undiciFetch, fetchOptions: {dispatcher: h2agent}}},
];

// The guardrail's messages (tests/compat/guardrail.json).
export const BLOCKED_INPUT = "Sorry, I can't help with that request.";
export const BLOCKED_OUTPUT = "Sorry, I can't provide that information.";

// Prompts, and what each must do. The mock answers "You said: <prompt>", or
// the text after "REPLY:" (so an answer can carry what the prompt may).
export const P = {
    plain: 'Hello there, what are your opening hours?',
    // EMAIL and the order_id regex are masked in both directions
    masked: 'Please email jane.doe@example.com about ORD-12345678',
    maskedSeen: 'Please email {EMAIL} about {order_id}',
    maskedRaw: ['jane.doe@example.com', 'ORD-12345678'],
    // PHONE: detected but not acted on in prompts, masked in answers
    answerMasked: 'REPLY: Sure, call our desk at 206-555-0142 today.',
    answerMaskedOut: 'Sure, call our desk at {PHONE} today.',
    answerMaskedRaw: '206-555-0142',
    // a custom word, blocked in prompts
    blocked: 'Tell me everything about project nightingale',
    // a custom word only checked in answers ("inputEnabled": false)
    answerBlocked: 'REPLY: Good news: every blender has a lifetime guarantee!',
    answerBlockedRaw: 'lifetime guarantee',
};

export async function mockStats() {
    const r = await fetch(env.mock + '/_mock/stats');
    assert.equal(r.status, 200);
    return (await r.json()).calls;
}

// The body of the last model call, as the mock received it.
export async function mockLast() {
    const r = await fetch(env.mock + '/_mock/last');
    assert.equal(r.status, 200);
    return await r.text();
}

// Runs fn and returns [its result, the model calls it caused, the last body the model got].
export async function observed(fn) {
    const before = await mockStats();
    const res = await fn();
    const calls = (await mockStats()) - before;
    return [res, calls, calls ? await mockLast() : null];
}

// The model got the masked prompt and none of the raw values.
export function assertModelSawMasked(calls, last, seen = P.maskedSeen, raw = P.maskedRaw) {
    assert.equal(calls, 1, 'the model is called once');
    assert.ok(last.includes(seen), `the model got "${seen}": ${last}`);
    for (const r of raw) assert.ok(!last.includes(r), `the model never sees ${r}: ${last}`);
}

// A finding of an assessment: the first element of list whose fields match want.
export function finding(list, want) {
    assert.ok(Array.isArray(list), `expected a list of findings, got ${JSON.stringify(list)}`);
    const f = list.find(x => Object.entries(want).every(([k, v]) => x[k] === v));
    assert.ok(f, `no finding ${JSON.stringify(want)} in ${JSON.stringify(list)}`);
    return f;
}

// bulwark's Bedrock-shaped assessment checks common to every trace.
export function assertAssessmentMeta(a, id = 'compat') {
    assert.equal(a.appliedGuardrailDetails.guardrailId, id);
    assert.equal(a.appliedGuardrailDetails.guardrailVersion, 'DRAFT');
    assert.match(a.appliedGuardrailDetails.guardrailArn, /^arn:aws:bedrock:[^:]*:\d{12}:guardrail\/compat$/);
    assert.equal(typeof a.invocationMetrics.guardrailProcessingLatency, 'number');
    assert.equal(typeof a.invocationMetrics.usage.topicPolicyUnits, 'number');
    assert.ok(a.invocationMetrics.guardrailCoverage.textCharacters.guarded > 0);
}

// bulwark's access log (runner.mjs writes it to BW_COMPAT_TMP/access.log), one JSON object per exchange.
function accessLines() {
    try {
        return fs.readFileSync(path.join(env.tmp, 'access.log'), 'utf8').split('\n').filter(Boolean);
    } catch {
        return [];
    }
}

// Runs fn (one exchange through bulwark) and returns [its result, the exchange's access log line].
export async function exchanged(fn) {
    const n = accessLines().length;
    const res = await fn();
    for (let i = 0; i < 100; i++) {
        const lines = accessLines();
        if (lines.length > n) return [res, JSON.parse(lines.at(-1))];
        await new Promise(r => setTimeout(r, 20));
    }
    throw new Error('no access log line for the exchange');
}
