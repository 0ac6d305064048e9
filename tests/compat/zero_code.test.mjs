// "Without changing a line of the app": each SDK constructed with no
// options at all, pointed at bulwark by the environment variables it reads
// itself (OPENAI_BASE_URL, ANTHROPIC_BASE_URL, AWS_ENDPOINT_URL_BEDROCK_RUNTIME),
// over TLS trusted through NODE_EXTRA_CA_CERTS.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import {BedrockRuntimeClient, ConverseCommand} from '@aws-sdk/client-bedrock-runtime';
import {env, P, BLOCKED_INPUT, observed, assertModelSawMasked} from './lib.mjs';

// The variables are set for the whole case: SDKs may read them lazily (the AWS SDK on the first send).
async function withEnv(vars, fn) {
    const old = Object.fromEntries(Object.keys(vars).map(k => [k, process.env[k]]));
    Object.assign(process.env, vars);
    try {
        return await fn();
    } finally {
        for (const [k, v] of Object.entries(old)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
}

test('openai: new OpenAI() with OPENAI_BASE_URL', () => withEnv({OPENAI_BASE_URL: `${env.https}/v1`}, async () => {
    const c = new OpenAI();
    const [r, calls, last] = await observed(() => c.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: P.masked}]}));
    assertModelSawMasked(calls, last);
    assert.equal(r.choices[0].message.content, `You said: ${P.maskedSeen}`);
    const b = await c.chat.completions.create({model: 'gpt-4o', messages: [{role: 'user', content: P.blocked}]});
    assert.equal(b.choices[0].finish_reason, 'content_filter');
}));

test('anthropic: new Anthropic() with ANTHROPIC_BASE_URL', () => withEnv({ANTHROPIC_BASE_URL: env.https}, async () => {
    const c = new Anthropic();
    const [r, calls, last] = await observed(() => c.messages.create({model: 'claude-sonnet-4-5', max_tokens: 64,
        messages: [{role: 'user', content: P.masked}]}));
    assertModelSawMasked(calls, last);
    assert.equal(r.content[0].text, `You said: ${P.maskedSeen}`);
    const b = await c.messages.create({model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{role: 'user', content: P.blocked}]});
    assert.equal(b.stop_reason, 'guardrail_intervened');
}));

test('bedrock: new BedrockRuntimeClient() with AWS_ENDPOINT_URL_BEDROCK_RUNTIME', () => withEnv({AWS_ENDPOINT_URL_BEDROCK_RUNTIME: env.https}, async () => {
    const c = new BedrockRuntimeClient();
    try {
        const r = await c.send(new ConverseCommand({modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
            messages: [{role: 'user', content: [{text: P.blocked}]}],
            guardrailConfig: {guardrailIdentifier: 'compat', guardrailVersion: 'DRAFT'}}));
        assert.equal(r.stopReason, 'guardrail_intervened');
        assert.deepEqual(r.output.message.content, [{text: BLOCKED_INPUT}]);
    } finally {
        c.destroy();
    }
}));
