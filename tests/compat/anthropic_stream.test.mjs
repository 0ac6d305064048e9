// The official `@anthropic-ai/sdk`, streamed messages: `stream: true` (the
// raw events) and the messages.stream() helper. Prompt-side cases on the
// prompt-only route, and (unless BW_COMPAT_STREAM=0) on the route that
// guards answers (masked and blocked answers, the trace on message_stop).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import {env, transports, P, BLOCKED_INPUT, BLOCKED_OUTPUT, observed, assertModelSawMasked, finding} from './lib.mjs';

const [h1, , h2] = transports;
const routes = [
    {name: 'prompt-only route', base: `${env.http}/in`, sdk: h1.sdk, output: false},
    {name: 'prompt-only route, tls h2', base: `${env.https}/in`, sdk: h2.sdk, output: false},
];
if (env.stream)
    routes.push({name: 'guarded route', base: env.http, sdk: h1.sdk, output: true},
        {name: 'guarded route, tls', base: env.https, sdk: {}, output: true},
        {name: 'guarded route, tls h2', base: env.https, sdk: h2.sdk, output: true});

const client = r => new Anthropic({baseURL: r.base, apiKey: 'sk-ant-compat', maxRetries: 0, timeout: 20000,
    defaultHeaders: {'x-bulwark-trace': 'enabled'}, ...r.sdk});
const params = content => ({model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{role: 'user', content}]});

// `stream: true`: every event, the text, the stop reason, the trace on message_stop.
async function collect(c, content) {
    const {data: stream, response} = await c.messages.create({...params(content), stream: true}).withResponse();
    const out = {response, events: [], text: '', stop_reason: null, stop_sequence: undefined, trace: null};
    for await (const ev of stream) {
        out.events.push(ev);
        if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') out.text += ev.delta.text;
        if (ev.type === 'message_delta') {
            out.stop_reason = ev.delta.stop_reason;
            out.stop_sequence = ev.delta.stop_sequence;
        }
        if (ev.type === 'message_stop') out.trace = ev.bulwark_trace ?? null;
    }
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    const types = out.events.map(e => e.type);
    assert.equal(types[0], 'message_start');
    assert.equal(types.at(-1), 'message_stop');
    assert.ok(types.includes('content_block_start') && types.includes('content_block_stop') && types.includes('message_delta'),
        `the events: ${types.join(' ')}`);
    return out;
}

// The helper: the text events and the final message it accumulates.
async function helper(c, content) {
    const s = c.messages.stream(params(content));
    let text = '';
    s.on('text', d => { text += d; });
    const msg = await s.finalMessage();
    return {text, msg};
}

for (const r of routes) {
    const c = client(r);

    test(`messages stream: pass-through answer [${r.name}]`, async () => {
        const [s, calls] = await observed(() => collect(c, P.plain));
        assert.equal(calls, 1);
        assert.equal(s.response.headers.get('x-bulwark-action'), 'NONE');
        assert.equal(s.text, `You said: ${P.plain}`);
        assert.equal(s.stop_reason, 'end_turn');
        assert.match(s.events[0].message.id, /^msg_/);
        if (r.output) assert.equal(s.trace?.action, 'NONE');
    });

    test(`messages stream: PII in the prompt masked before the model [${r.name}]`, async () => {
        const [s, calls, last] = await observed(() => collect(c, P.masked));
        assertModelSawMasked(calls, last);
        assert.equal(s.response.headers.get('x-bulwark-action'), 'INTERVENED');
        assert.equal(s.text, `You said: ${P.maskedSeen}`);
        assert.equal(s.stop_reason, 'end_turn');
    });

    test(`messages stream: blocked prompt, guardrail_intervened, the model is not called [${r.name}]`, async () => {
        const [s, calls] = await observed(() => collect(c, P.blocked));
        assert.equal(calls, 0);
        assert.equal(s.response.status, 200);
        assert.equal(s.response.headers.get('x-bulwark-action'), 'INTERVENED');
        assert.equal(s.text, BLOCKED_INPUT);
        assert.equal(s.stop_reason, 'guardrail_intervened');
        assert.equal(s.stop_sequence, null);
        finding(s.trace.input.wordPolicy.customWords, {match: 'project nightingale', action: 'BLOCKED'});
    });

    test(`messages.stream() helper: pass-through and blocked prompt [${r.name}]`, async () => {
        let {text, msg} = await helper(c, P.plain);
        assert.equal(text, `You said: ${P.plain}`);
        assert.deepEqual(msg.content, [{type: 'text', text: `You said: ${P.plain}`}]);
        assert.equal(msg.stop_reason, 'end_turn');
        ({text, msg} = await helper(c, P.blocked));
        assert.equal(text, BLOCKED_INPUT);
        assert.equal(msg.type, 'message');
        assert.equal(msg.role, 'assistant');
        assert.deepEqual(msg.content, [{type: 'text', text: BLOCKED_INPUT}]);
        assert.equal(msg.stop_reason, 'guardrail_intervened');
        assert.equal(msg.stop_sequence, null);
    });

    if (!r.output) continue;

    test(`messages stream: PII in the answer masked across events [${r.name}]`, async () => {
        const [s, calls, last] = await observed(() => collect(c, P.answerMasked));
        assert.equal(calls, 1);
        assert.ok(last.includes(P.answerMaskedRaw));
        assert.equal(s.text, P.answerMaskedOut);
        assert.equal(s.stop_reason, 'end_turn');
        for (const ev of s.events)
            if (ev.type === 'content_block_delta') assert.ok(!/\d{3}/.test(ev.delta.text), `no digits in a delta: ${ev.delta.text}`);
        assert.equal(s.trace.action, 'INTERVENED');
        finding(s.trace.output.sensitiveInformationPolicy.piiEntities, {type: 'PHONE', action: 'ANONYMIZED'});
    });

    test(`messages stream: blocked answer, guardrail_intervened, trace on message_stop [${r.name}]`, async () => {
        const [s, calls] = await observed(() => collect(c, P.answerBlocked));
        assert.equal(calls, 1);
        assert.ok(s.text.endsWith(BLOCKED_OUTPUT), s.text);
        const before = s.text.slice(0, -BLOCKED_OUTPUT.length);
        assert.ok(P.answerBlocked.slice('REPLY: '.length).startsWith(before), `only checked text went out before: "${before}"`);
        assert.ok(!s.text.includes(P.answerBlockedRaw));
        assert.equal(s.stop_reason, 'guardrail_intervened');
        assert.equal(s.stop_sequence, null);
        assert.equal(s.trace.actionReason, 'Guardrail blocked.');
        finding(s.trace.output.wordPolicy.customWords, {match: 'lifetime guarantee', action: 'BLOCKED'});
    });

    test(`messages.stream() helper: masked and blocked answers [${r.name}]`, async () => {
        let {text, msg} = await helper(c, P.answerMasked);
        assert.equal(text, P.answerMaskedOut);
        assert.deepEqual(msg.content, [{type: 'text', text: P.answerMaskedOut}]);
        ({text, msg} = await helper(c, P.answerBlocked));
        assert.ok(text.endsWith(BLOCKED_OUTPUT));
        assert.equal(msg.content.length, 1);
        assert.equal(msg.content[0].text, text);
        assert.equal(msg.stop_reason, 'guardrail_intervened');
    });
}
