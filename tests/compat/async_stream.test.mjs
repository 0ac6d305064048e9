// Asynchronous streaming (route stream_mode "async", a guardrail that only
// blocks): text is forwarded as it comes and checked beside it; on a finding
// the stream is cut and ended with the blocked message. What went out stays
// out; each SDK must still parse the cut stream and its stop reason.
import {test, after} from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import {BedrockRuntimeClient, ConverseStreamCommand} from '@aws-sdk/client-bedrock-runtime';
import {env, BLOCKED_OUTPUT, finding, observed} from './lib.mjs';

const base = `${env.http}/async`;
const ANSWER = 'Thanks for asking. Every blender has a lifetime guarantee, and more text follows here.';
const PROMPT = `REPLY: ${ANSWER}`;

// Async: the text before the finding went out, word by word, past the last sentence end
function assertCut(text) {
    assert.ok(text.endsWith(BLOCKED_OUTPUT), text);
    const before = text.slice(0, -BLOCKED_OUTPUT.length);
    assert.ok(ANSWER.startsWith(before), `what went out is the answer's start: "${before}"`);
    assert.ok(before.includes('Every blender'), `async forwards text before the sentence ends: "${before}"`);
    assert.ok(!text.includes('guarantee'), 'the finding itself did not go out');
}

if (env.stream) {
    test('openai stream, async route: cut at the finding, content_filter, trace', async () => {
        const c = new OpenAI({baseURL: `${base}/v1`, apiKey: 'sk-compat', maxRetries: 0, defaultHeaders: {'x-bulwark-trace': 'enabled'}});
        const [stream, calls] = await observed(async () => {
            const s = await c.chat.completions.create({model: 'gpt-4o', stream: true, messages: [{role: 'user', content: PROMPT}]});
            const out = {text: '', finish: [], trace: null};
            for await (const ch of s) {
                if (ch.bulwark_trace) out.trace = ch.bulwark_trace;
                for (const x of ch.choices) {
                    out.text += x.delta?.content ?? '';
                    if (x.finish_reason) out.finish.push(x.finish_reason);
                }
            }
            return out;
        });
        assert.equal(calls, 1);
        assertCut(stream.text);
        assert.deepEqual(stream.finish, ['content_filter']);
        finding(stream.trace.output.wordPolicy.customWords, {match: 'lifetime guarantee', action: 'BLOCKED'});
    });

    test('anthropic messages.stream(), async route: cut at the finding, guardrail_intervened', async () => {
        const c = new Anthropic({baseURL: base, apiKey: 'sk-ant-compat', maxRetries: 0});
        const s = c.messages.stream({model: 'claude-sonnet-4-5', max_tokens: 256, messages: [{role: 'user', content: PROMPT}]});
        let text = '';
        s.on('text', d => { text += d; });
        const msg = await s.finalMessage();
        assertCut(text);
        assert.equal(msg.content[0].text, text);
        assert.equal(msg.stop_reason, 'guardrail_intervened');
    });

    const br = new BedrockRuntimeClient({endpoint: base, region: 'us-east-1', maxAttempts: 1,
        credentials: {accessKeyId: 'AKIDCOMPATEXAMPLE', secretAccessKey: 'compat-secret'}});
    after(() => br.destroy());

    test('Bedrock ConverseStream, async route: cut at the finding, guardrail_intervened', async () => {
        const r = await br.send(new ConverseStreamCommand({modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
            messages: [{role: 'user', content: [{text: PROMPT}]}]}));
        let text = '', stop = null, last = null;
        for await (const ev of r.stream) {
            if (ev.contentBlockDelta) text += ev.contentBlockDelta.delta.text ?? '';
            if (ev.messageStop) stop = ev.messageStop.stopReason;
            last = Object.keys(ev).find(k => ev[k] !== undefined);
        }
        assertCut(text);
        assert.equal(stop, 'guardrail_intervened');
        assert.equal(last, 'metadata');
    });
}
