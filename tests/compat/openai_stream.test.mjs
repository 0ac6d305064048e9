// The official `openai` package, streamed chat completions (`stream: true`
// and the chat.completions.stream() helper). The prompt-side cases run on a
// route that guards prompts only (its answers stream through as they come);
// unless BW_COMPAT_STREAM=0 every case also runs on the route that guards both
// directions (the streaming output guard, issue 5), where masked and blocked
// answers and the trace chunk are checked too.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
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

const client = r => new OpenAI({baseURL: `${r.base}/v1`, apiKey: 'sk-compat', maxRetries: 0, timeout: 20000,
    defaultHeaders: {'x-bulwark-trace': 'enabled'}, ...r.sdk});

// Reads a whole stream: the text of choice 0, the finish reasons, the usage, the trace chunk, every chunk.
async function collect(c, content, extra = {}) {
    const {data: stream, response} = await c.chat.completions.create({model: 'gpt-4o', stream: true,
        stream_options: {include_usage: true}, messages: [{role: 'user', content}], ...extra}).withResponse();
    const out = {response, chunks: [], text: '', texts: [], finish: [], usage: null, trace: null};
    for await (const ch of stream) {
        out.chunks.push(ch);
        assert.equal(ch.object, 'chat.completion.chunk');
        assert.match(ch.id, /^chatcmpl-/);
        if (ch.bulwark_trace) {
            assert.deepEqual(ch.choices, [], 'the trace chunk has no choices');
            out.trace = ch.bulwark_trace;
        }
        if (ch.usage) out.usage = ch.usage;
        for (const choice of ch.choices) {
            if (choice.delta?.content) out.texts[choice.index] = (out.texts[choice.index] ?? '') + choice.delta.content;
            if (choice.finish_reason) out.finish.push(choice.finish_reason);
        }
    }
    assert.equal(response.headers.get('content-type'), 'text/event-stream');
    out.text = out.texts[0] ?? '';
    return out;
}

for (const r of routes) {
    const c = client(r);

    test(`chat stream: pass-through answer [${r.name}]`, async () => {
        const [s, calls] = await observed(() => collect(c, P.plain));
        assert.equal(calls, 1);
        assert.equal(s.response.headers.get('x-bulwark-action'), 'NONE');
        assert.equal(s.text, `You said: ${P.plain}`);
        assert.deepEqual(s.finish, ['stop']);
        assert.ok(s.chunks.length > 3, 'the answer came in several chunks');
        assert.equal(s.chunks[0].choices[0].delta.role, 'assistant');
        assert.equal(typeof s.usage?.total_tokens, 'number', 'include_usage: the usage chunk');
        if (r.output) assert.equal(s.trace?.action, 'NONE');
    });

    test(`chat stream: PII in the prompt masked before the model [${r.name}]`, async () => {
        const [s, calls, last] = await observed(() => collect(c, P.masked));
        assertModelSawMasked(calls, last);
        assert.equal(s.response.headers.get('x-bulwark-action'), 'INTERVENED');
        assert.equal(s.text, `You said: ${P.maskedSeen}`);
        assert.deepEqual(s.finish, ['stop']);
    });

    test(`chat stream: blocked prompt, content_filter, the model is not called [${r.name}]`, async () => {
        const [s, calls] = await observed(() => collect(c, P.blocked, {n: 2}));
        assert.equal(calls, 0);
        assert.equal(s.response.status, 200);
        assert.equal(s.response.headers.get('x-bulwark-action'), 'INTERVENED');
        assert.deepEqual(s.texts, [BLOCKED_INPUT, BLOCKED_INPUT], 'the message in each of the n choices');
        assert.deepEqual(s.finish, ['content_filter', 'content_filter']);
        assert.ok(s.usage, 'include_usage: the usage chunk');
        finding(s.trace.input.wordPolicy.customWords, {match: 'project nightingale', action: 'BLOCKED'});
    });

    test(`chat.completions.stream() helper: blocked prompt [${r.name}]`, async () => {
        const stream = c.chat.completions.stream({model: 'gpt-4o', messages: [{role: 'user', content: P.blocked}]});
        let deltas = '';
        stream.on('content', d => { deltas += d; });
        const done = await stream.finalChatCompletion();
        assert.equal(deltas, BLOCKED_INPUT);
        assert.equal(done.choices[0].message.content, BLOCKED_INPUT);
        assert.equal(done.choices[0].finish_reason, 'content_filter');
    });

    test(`responses stream: masked and blocked prompts, response.incomplete [${r.name}]`, async () => {
        const read = async input => {
            const stream = await c.responses.create({model: 'gpt-4o', input, stream: true});
            const out = {types: [], text: '', final: null};
            for await (const ev of stream) {
                out.types.push(ev.type);
                if (ev.type === 'response.output_text.delta') out.text += ev.delta;
                if (ev.type === 'response.completed' || ev.type === 'response.incomplete') out.final = ev.response;
            }
            return out;
        };
        let [s, calls, last] = await observed(() => read(P.masked));
        assertModelSawMasked(calls, last);
        assert.equal(s.text, `You said: ${P.maskedSeen}`);
        assert.equal(s.types.at(-1), 'response.completed');
        assert.equal(s.final.output[0].content[0].text, `You said: ${P.maskedSeen}`, 'response.completed holds the text sent');
        [s, calls] = await observed(() => read(P.blocked));
        assert.equal(calls, 0);
        assert.equal(s.types[0], 'response.created');
        assert.equal(s.types.at(-1), 'response.incomplete');
        assert.equal(s.text, BLOCKED_INPUT);
        assert.equal(s.final.status, 'incomplete');
        assert.equal(s.final.incomplete_details.reason, 'content_filter');
        assert.equal(s.final.output[0].content[0].text, BLOCKED_INPUT);
    });

    if (!r.output) continue;

    test(`responses stream: blocked answer, response.incomplete [${r.name}]`, async () => {
        const stream = c.responses.stream({model: 'gpt-4o', input: P.answerBlocked});
        const final = await stream.finalResponse();
        assert.equal(final.status, 'incomplete');
        assert.equal(final.incomplete_details.reason, 'content_filter');
        assert.ok(final.output_text.endsWith(BLOCKED_OUTPUT), final.output_text);
        assert.ok(!final.output_text.includes(P.answerBlockedRaw));
    });

    test(`chat stream: PII in the answer masked across chunks [${r.name}]`, async () => {
        const [s, calls, last] = await observed(() => collect(c, P.answerMasked));
        assert.equal(calls, 1);
        assert.ok(last.includes(P.answerMaskedRaw));
        // the header goes out before the answer is known: it is the prompt's verdict (docs/streaming.md)
        assert.equal(s.response.headers.get('x-bulwark-action'), 'NONE');
        assert.equal(s.trace.action, 'INTERVENED');
        assert.equal(s.text, P.answerMaskedOut);
        assert.deepEqual(s.finish, ['stop']);
        for (const ch of s.chunks)
            for (const choice of ch.choices)
                assert.ok(!(choice.delta?.content ?? '').match(/\d{3}/), `no digits of the number in a delta: ${choice.delta?.content}`);
        finding(s.trace.output.sensitiveInformationPolicy.piiEntities, {type: 'PHONE', action: 'ANONYMIZED'});
    });

    test(`chat stream: blocked answer, content_filter, the trace chunk before [DONE] [${r.name}]`, async () => {
        const [s, calls] = await observed(() => collect(c, P.answerBlocked));
        assert.equal(calls, 1);
        assert.ok(s.text.endsWith(BLOCKED_OUTPUT), `the blocked message ends the text: ${s.text}`);
        const before = s.text.slice(0, -BLOCKED_OUTPUT.length);
        assert.ok(P.answerBlocked.slice('REPLY: '.length).startsWith(before), `only checked text went out before: "${before}"`);
        assert.ok(!s.text.includes(P.answerBlockedRaw));
        assert.deepEqual(s.finish, ['content_filter']);
        assert.equal(s.trace.action, 'INTERVENED');
        assert.equal(s.trace.actionReason, 'Guardrail blocked.');
        finding(s.trace.output.wordPolicy.customWords, {match: 'lifetime guarantee', action: 'BLOCKED'});
        assert.equal(s.chunks.at(-1).bulwark_trace?.action, 'INTERVENED', 'the trace chunk is the last before [DONE]');
    });

    test(`chat.completions.stream() helper: masked and blocked answers [${r.name}]`, async () => {
        let done = await c.chat.completions.stream({model: 'gpt-4o', messages: [{role: 'user', content: P.answerMasked}]})
            .finalChatCompletion();
        assert.equal(done.choices[0].message.content, P.answerMaskedOut);
        done = await c.chat.completions.stream({model: 'gpt-4o', messages: [{role: 'user', content: P.answerBlocked}]})
            .finalChatCompletion();
        assert.ok(done.choices[0].message.content.endsWith(BLOCKED_OUTPUT));
        assert.equal(done.choices[0].finish_reason, 'content_filter');
    });
}
