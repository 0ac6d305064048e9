// The official `@aws-sdk/client-bedrock-runtime`, streamed:
// ConverseStreamCommand with guardrailConfig (trace enabled) and
// InvokeModelWithResponseStreamCommand with the guardrail headers, the SDK
// decoding bulwark's AWS event-stream. Prompt-side cases on the prompt-only
// route, and (unless BW_COMPAT_STREAM=0) on the route that guards
// answers (masked and blocked answers, the trace in the final event).
import {test, after} from 'node:test';
import assert from 'node:assert/strict';
import {
    BedrockRuntimeClient, ConverseStreamCommand, InvokeModelWithResponseStreamCommand, ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import {NodeHttpHandler} from '@smithy/node-http-handler';
import {env, P, BLOCKED_INPUT, BLOCKED_OUTPUT, observed, assertModelSawMasked, finding, assertAssessmentMeta} from './lib.mjs';

// bedrock-runtime's default handler is HTTP/2 (h2c on http://); NodeHttpHandler is HTTP/1.1
const bedrock = (endpoint, h1 = false) => new BedrockRuntimeClient({
    endpoint, region: 'us-east-1', maxAttempts: 1,
    credentials: {accessKeyId: 'AKIDCOMPATEXAMPLE', secretAccessKey: 'compat-secret'},
    ...(h1 ? {requestHandler: new NodeHttpHandler({requestTimeout: 20000})} : {}),
});

const routes = [
    {name: 'prompt-only route, h2c', c: bedrock(`${env.http}/in`), output: false},
    {name: 'prompt-only route, h1', c: bedrock(`${env.http}/in`, true), output: false},
];
if (env.stream)
    routes.push(
        {name: 'guarded, h2c', c: bedrock(env.http), output: true},
        {name: 'guarded, h1', c: bedrock(env.http, true), output: true},
        {name: 'guarded, tls h2', c: bedrock(env.https), output: true});
after(() => routes.forEach(r => r.c.destroy()));

const GR = {guardrailIdentifier: 'compat', guardrailVersion: 'DRAFT'};
const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';

// Every ConverseStream event, the text, the stop reason, the metadata event.
async function converse(c, text) {
    const r = await c.send(new ConverseStreamCommand({modelId: CLAUDE, messages: [{role: 'user', content: [{text}]}],
        guardrailConfig: {...GR, trace: 'enabled'}}));
    assert.equal(r.$metadata.httpStatusCode, 200);
    const out = {events: [], text: '', stopReason: null, metadata: null};
    for await (const ev of r.stream) {
        const [kind] = Object.keys(ev).filter(k => ev[k] !== undefined && k !== '$unknown');
        assert.ok(kind, `an event the SDK knows: ${JSON.stringify(ev)}`);
        out.events.push(kind);
        if (kind === 'contentBlockDelta') out.text += ev.contentBlockDelta.delta.text ?? '';
        if (kind === 'messageStop') out.stopReason = ev.messageStop.stopReason;
        if (kind === 'metadata') out.metadata = ev.metadata;
    }
    assert.equal(out.events[0], 'messageStart');
    assert.equal(out.events.at(-1), 'metadata', `metadata is the last event: ${out.events.join(' ')}`);
    assert.ok(out.events.includes('contentBlockStop') && out.events.includes('messageStop'), out.events.join(' '));
    assert.equal(typeof out.metadata.usage.inputTokens, 'number');
    assert.equal(typeof out.metadata.metrics.latencyMs, 'number');
    return out;
}

// Every InvokeModelWithResponseStream chunk (Anthropic messages body), decoded.
async function invoke(c, content) {
    const r = await c.send(new InvokeModelWithResponseStreamCommand({modelId: CLAUDE, ...GR, trace: 'ENABLED',
        contentType: 'application/json', accept: 'application/json',
        body: new TextEncoder().encode(JSON.stringify({anthropic_version: 'bedrock-2023-05-31', max_tokens: 256,
            messages: [{role: 'user', content}]}))}));
    assert.equal(r.$metadata.httpStatusCode, 200);
    const out = {chunks: [], text: '', stop_reason: null, last: null};
    for await (const ev of r.body) {
        assert.ok(ev.chunk, `a chunk event: ${JSON.stringify(ev)}`);
        const j = JSON.parse(new TextDecoder().decode(ev.chunk.bytes));
        out.chunks.push(j);
        if (j.type === 'content_block_delta') out.text += j.delta.text;
        if (j.type === 'message_delta') out.stop_reason = j.delta.stop_reason;
    }
    out.last = out.chunks.at(-1);
    assert.equal(out.chunks[0].type, 'message_start');
    assert.equal(out.last.type, 'message_stop');
    return out;
}

for (const r of routes) {
    const {c} = r;

    test(`ConverseStream: pass-through answer [${r.name}]`, async () => {
        const [s, calls] = await observed(() => converse(c, P.plain));
        assert.equal(calls, 1);
        assert.equal(s.text, `You said: ${P.plain}`);
        assert.equal(s.stopReason, 'end_turn');
        if (r.output) assertAssessmentMeta(s.metadata.trace.guardrail.inputAssessment.compat);
    });

    test(`ConverseStream: PII in the prompt masked before the model [${r.name}]`, async () => {
        const [s, calls, last] = await observed(() => converse(c, P.masked));
        assertModelSawMasked(calls, last);
        assert.equal(s.text, `You said: ${P.maskedSeen}`);
        assert.equal(s.stopReason, 'end_turn');
    });

    test(`ConverseStream: blocked prompt, guardrail_intervened, trace in metadata [${r.name}]`, async () => {
        const [s, calls] = await observed(() => converse(c, P.blocked));
        assert.equal(calls, 0);
        assert.equal(s.text, BLOCKED_INPUT);
        assert.equal(s.stopReason, 'guardrail_intervened');
        const g = s.metadata.trace.guardrail;
        assert.equal(g.actionReason, 'Guardrail blocked.');
        finding(g.inputAssessment.compat.wordPolicy.customWords, {match: 'project nightingale', action: 'BLOCKED'});
    });

    test(`InvokeModelWithResponseStream: masked and blocked prompts [${r.name}]`, async () => {
        let [s, calls, last] = await observed(() => invoke(c, P.masked));
        assertModelSawMasked(calls, last);
        assert.equal(s.text, `You said: ${P.maskedSeen}`);
        assert.equal(s.stop_reason, 'end_turn');
        [s, calls] = await observed(() => invoke(c, P.blocked));
        assert.equal(calls, 0);
        assert.equal(s.text, BLOCKED_INPUT);
        assert.equal(s.stop_reason, 'guardrail_intervened');
        assert.equal(s.last['amazon-bedrock-guardrailAction'], 'INTERVENED');
        finding(s.last['amazon-bedrock-trace'].guardrail.input.compat.wordPolicy.customWords, {match: 'project nightingale'});
    });

    if (!r.output) continue;

    test(`ConverseStream: PII in the answer masked across events [${r.name}]`, async () => {
        const s = await converse(c, P.answerMasked);
        assert.equal(s.text, P.answerMaskedOut);
        const g = s.metadata.trace.guardrail;
        finding(g.outputAssessments.compat[0].sensitiveInformationPolicy.piiEntities, {type: 'PHONE', action: 'ANONYMIZED'});
    });

    test(`ConverseStream: blocked answer, guardrail_intervened, trace in metadata [${r.name}]`, async () => {
        const [s, calls] = await observed(() => converse(c, P.answerBlocked));
        assert.equal(calls, 1);
        assert.ok(s.text.endsWith(BLOCKED_OUTPUT), s.text);
        assert.ok(!s.text.includes(P.answerBlockedRaw));
        assert.equal(s.stopReason, 'guardrail_intervened');
        const g = s.metadata.trace.guardrail;
        assert.equal(g.actionReason, 'Guardrail blocked.');
        assertAssessmentMeta(g.inputAssessment.compat);
        finding(g.outputAssessments.compat[0].wordPolicy.customWords, {match: 'lifetime guarantee', action: 'BLOCKED'});
    });

    test(`InvokeModelWithResponseStream: masked and blocked answers, action and trace on the last chunk [${r.name}]`, async () => {
        let s = await invoke(c, P.answerMasked);
        assert.equal(s.text, P.answerMaskedOut);
        assert.equal(s.last['amazon-bedrock-guardrailAction'], 'INTERVENED');
        assert.ok(s.last['amazon-bedrock-invocationMetrics'], "the model's own last chunk, with its metrics");
        s = await invoke(c, P.answerBlocked);
        assert.ok(s.text.endsWith(BLOCKED_OUTPUT), s.text);
        assert.equal(s.stop_reason, 'guardrail_intervened');
        assert.equal(s.last['amazon-bedrock-guardrailAction'], 'INTERVENED');
        finding(s.last['amazon-bedrock-trace'].guardrail.outputs[0].compat.wordPolicy.customWords, {match: 'lifetime guarantee'});
    });

    test(`ConverseStream: grounding source and query, the ungrounded answer is stopped [${r.name}]`, async () => {
        const res = await c.send(new ConverseStreamCommand({modelId: CLAUDE, guardrailConfig: {...GR, trace: 'enabled'},
            messages: [{role: 'user', content: [
                {guardContent: {text: {text: 'Paris is the capital of France.', qualifiers: ['grounding_source']}}},
                {guardContent: {text: {text: 'What is the capital of France?', qualifiers: ['query']}}},
                {text: 'REPLY: The capital of France is Berlin.'}]}]}));
        let text = '', stop = null, meta = null;
        for await (const ev of res.stream) {
            if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text ?? '';
            if (ev.messageStop) stop = ev.messageStop.stopReason;
            if (ev.metadata) meta = ev.metadata;
        }
        assert.equal(text, BLOCKED_OUTPUT, 'the unsupported sentence never goes out');
        assert.equal(stop, 'guardrail_intervened');
        finding(meta.trace.guardrail.outputAssessments.compat[0].contextualGroundingPolicy.filters,
            {type: 'GROUNDING', action: 'BLOCKED'});
    });

    test(`ConverseStream: streamProcessingMode async with a masking guardrail is ValidationException [${r.name}]`, async () => {
        // masking is impossible when text is forwarded before it is checked (as in Bedrock)
        await assert.rejects(c.send(new ConverseStreamCommand({modelId: CLAUDE, messages: [{role: 'user', content: [{text: P.plain}]}],
            guardrailConfig: {...GR, streamProcessingMode: 'async'}})),
        e => e instanceof ValidationException && e.$metadata.httpStatusCode === 400);
    });
}
