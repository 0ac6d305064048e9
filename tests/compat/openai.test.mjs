// The official `openai` package against bulwark: chat completions, not
// streamed (the streamed ones are in openai_stream.test.mjs). Every answer
// is the SDK's parsed object; the mock shows what the model was sent.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {transports, P, BLOCKED_INPUT, BLOCKED_OUTPUT, observed, exchanged, assertModelSawMasked, finding, assertAssessmentMeta} from './lib.mjs';

// What an application changes: the base URL (and it asks for the trace).
const client = t => new OpenAI({
    baseURL: `${t.base}/v1`, apiKey: 'sk-compat', maxRetries: 0, timeout: 20000,
    defaultHeaders: {'x-bulwark-trace': 'enabled'}, ...t.sdk,
});

const ask = (c, content, extra = {}) =>
    c.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content}], ...extra}).withResponse();

for (const t of transports) {
    const c = client(t);

    test(`chat: pass-through answer [${t.name}]`, async () => {
        const [[{data, response}, log], calls, last] = await observed(() => exchanged(() => ask(c, P.plain)));
        assert.equal(log.proto, t.proto);
        assert.equal(log.api, 'openai-chat');
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('x-bulwark-action'), 'NONE');
        assert.equal(calls, 1);
        assert.equal(JSON.parse(last).messages[0].content, P.plain);
        assert.equal(data.object, 'chat.completion');
        assert.match(data.id, /^chatcmpl-/);
        assert.equal(data.model, 'gpt-4o');
        assert.equal(data.choices.length, 1);
        assert.equal(data.choices[0].message.role, 'assistant');
        assert.equal(data.choices[0].message.content, `You said: ${P.plain}`);
        assert.equal(data.choices[0].finish_reason, 'stop');
        assert.equal(typeof data.usage.total_tokens, 'number');
        assert.equal(data.bulwark_trace.action, 'NONE');
    });

    test(`chat: PII in the prompt is masked before the model [${t.name}]`, async () => {
        const [{data, response}, calls, last] = await observed(() => ask(c, P.masked));
        assertModelSawMasked(calls, last);
        assert.equal(response.headers.get('x-bulwark-action'), 'INTERVENED');
        assert.equal(data.choices[0].message.content, `You said: ${P.maskedSeen}`);
        assert.equal(data.choices[0].finish_reason, 'stop');
        const tr = data.bulwark_trace;
        assert.equal(tr.action, 'INTERVENED');
        assert.equal(tr.actionReason, 'Guardrail masked.');
        assert.equal(tr.guardrailId, 'compat');
        assertAssessmentMeta(tr.input);
        finding(tr.input.sensitiveInformationPolicy.piiEntities,
            {type: 'EMAIL', match: 'jane.doe@example.com', action: 'ANONYMIZED', detected: true});
        finding(tr.input.sensitiveInformationPolicy.regexes, {name: 'order_id', match: 'ORD-12345678', action: 'ANONYMIZED'});
    });

    test(`chat: PII in the answer is masked [${t.name}]`, async () => {
        const [{data, response}, calls, last] = await observed(() => ask(c, P.answerMasked));
        assert.equal(calls, 1);
        assert.ok(last.includes(P.answerMaskedRaw), 'PHONE is not masked in prompts: the model got it');
        assert.equal(response.headers.get('x-bulwark-action'), 'INTERVENED');
        assert.equal(data.choices[0].message.content, P.answerMaskedOut);
        assert.equal(data.choices[0].finish_reason, 'stop');
        assert.ok(!JSON.stringify(data.choices).includes(P.answerMaskedRaw), 'the raw number is not in the answer');
        finding(data.bulwark_trace.input.sensitiveInformationPolicy.piiEntities, {type: 'PHONE', action: 'NONE'});
        finding(data.bulwark_trace.output.sensitiveInformationPolicy.piiEntities, {type: 'PHONE', action: 'ANONYMIZED'});
    });

    test(`chat: blocked prompt, finish_reason content_filter, the model is not called [${t.name}]`, async () => {
        const [{data, response}, calls] = await observed(() => ask(c, P.blocked, {n: 2}));
        assert.equal(calls, 0, 'a blocked prompt never reaches the model');
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('x-bulwark-action'), 'INTERVENED');
        assert.equal(data.object, 'chat.completion');
        assert.match(data.id, /^chatcmpl-/);
        assert.equal(data.choices.length, 2, 'one choice per n');
        for (const [i, ch] of data.choices.entries()) {
            assert.equal(ch.index, i);
            assert.equal(ch.message.role, 'assistant');
            assert.equal(ch.message.content, BLOCKED_INPUT);
            assert.equal(ch.finish_reason, 'content_filter');
        }
        assert.equal(data.usage.total_tokens, 0);
        assert.equal(data.bulwark_trace.actionReason, 'Guardrail blocked.');
        finding(data.bulwark_trace.input.wordPolicy.customWords, {match: 'project nightingale', action: 'BLOCKED'});
        assert.equal(data.bulwark_trace.output, null);
    });

    test(`chat: blocked answer, finish_reason content_filter [${t.name}]`, async () => {
        const [{data, response}, calls] = await observed(() => ask(c, P.answerBlocked));
        assert.equal(calls, 1);
        assert.equal(response.headers.get('x-bulwark-action'), 'INTERVENED');
        assert.equal(data.choices[0].message.content, BLOCKED_OUTPUT);
        assert.equal(data.choices[0].finish_reason, 'content_filter');
        assert.match(data.id, /^chatcmpl-mock/, "the upstream's id is kept");
        assert.ok(data.usage.completion_tokens > 0, "the upstream's usage is kept");
        assert.equal(data.bulwark_trace.input.wordPolicy, undefined, 'the word is not checked in prompts');
        finding(data.bulwark_trace.output.wordPolicy.customWords, {match: 'lifetime guarantee', action: 'BLOCKED'});
        assert.ok(!JSON.stringify(data.choices).includes('blender'), 'the blocked answer is not echoed');
    });
}

test('chat: a guardrail that blocks is not an SDK error: no retry, no exception (denied topic, SSN)', async () => {
    const c = new OpenAI({baseURL: `${transports[0].base}/v1`, apiKey: 'sk-compat', maxRetries: 2});
    for (const content of ['Should I move my retirement savings into gold or index funds?', 'My SSN is 536-22-1234']) {
        const [r, calls] = await observed(() => c.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content}]}));
        assert.equal(calls, 0);
        assert.equal(r.choices[0].finish_reason, 'content_filter');
        assert.equal(r.choices[0].message.content, BLOCKED_INPUT);
        assert.equal(r.bulwark_trace, undefined, 'no trace unless asked');
    }
});

test('chat: a malformed request is the SDK\'s BadRequestError', async () => {
    const c = new OpenAI({baseURL: `${transports[0].base}/v1`, apiKey: 'sk-compat', maxRetries: 0});
    await assert.rejects(
        c.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: [{type: 'text', text: 5}]}]}),
        e => e instanceof OpenAI.BadRequestError && e.status === 400 && e.type === 'invalid_request_error' &&
            /text/.test(e.message));
});

// The Responses API: the SDK's output_text reads the blocked message.
for (const t of transports) {
    const c = client(t);
    const respond = input => c.responses.create({model: 'gpt-4o', input}).withResponse();

    test(`responses: masked prompt, pass-through status [${t.name}]`, async () => {
        const [{data}, calls, last] = await observed(() => respond(P.masked));
        assertModelSawMasked(calls, last);
        assert.equal(data.object, 'response');
        assert.equal(data.status, 'completed');
        assert.equal(data.output_text, `You said: ${P.maskedSeen}`);
    });

    test(`responses: blocked prompt and blocked answer, status incomplete, reason content_filter [${t.name}]`, async () => {
        let [{data, response}, calls] = await observed(() => respond(P.blocked));
        assert.equal(calls, 0);
        assert.equal(response.headers.get('x-bulwark-action'), 'INTERVENED');
        assert.match(data.id, /^resp_/);
        assert.equal(data.status, 'incomplete');
        assert.equal(data.incomplete_details.reason, 'content_filter');
        assert.equal(data.output_text, BLOCKED_INPUT);
        assert.equal(data.output[0].type, 'message');
        assert.equal(data.output[0].role, 'assistant');
        [{data}, calls] = await observed(() => respond(P.answerBlocked));
        assert.equal(calls, 1);
        assert.equal(data.status, 'incomplete');
        assert.equal(data.incomplete_details.reason, 'content_filter');
        assert.equal(data.output_text, BLOCKED_OUTPUT);
        assert.ok(!JSON.stringify(data.output).includes(P.answerBlockedRaw));
    });
}
