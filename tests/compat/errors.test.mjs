// Errors through the SDKs: the ones bulwark makes itself (an upstream that
// refuses connections: 502 in each API's error shape) and the model's own
// (429 from the mock, passed on as it came) must become each SDK's own error
// classes, not parse failures. And the client's credentials reach the model.
import {test, after} from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import {
    BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand, ModelErrorException, ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import {env, P, mockLast} from './lib.mjs';

const down = `${env.http}/down`; // runner.mjs: a route to a port nothing listens on
const oa = (base, headers = {}) => new OpenAI({baseURL: `${base}/v1`, apiKey: 'sk-compat', maxRetries: 0, defaultHeaders: headers});
const an = (base, headers = {}) => new Anthropic({baseURL: base, apiKey: 'sk-ant-compat', maxRetries: 0, defaultHeaders: headers});
const br = base => new BedrockRuntimeClient({endpoint: base, region: 'us-east-1', maxAttempts: 1,
    credentials: {accessKeyId: 'AKIDCOMPATEXAMPLE', secretAccessKey: 'compat-secret'}});
const brDown = br(down);
after(() => brDown.destroy());

const chat = {model: 'gpt-4o', messages: [{role: 'user', content: P.plain}]};
const msg = {model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{role: 'user', content: P.plain}]};
const conv = {modelId: 'anthropic.claude-3-haiku-20240307-v1:0', messages: [{role: 'user', content: [{text: P.plain}]}],
    guardrailConfig: {guardrailIdentifier: 'compat', guardrailVersion: 'DRAFT'}};

test('upstream down: openai InternalServerError 502 (plain and streamed)', async () => {
    for (const stream of [false, true])
        await assert.rejects(oa(down).chat.completions.create({...chat, stream}),
            e => e instanceof OpenAI.InternalServerError && e.status === 502 && e.type === 'server_error' && /bulwark|upstream/i.test(e.message));
});

test('upstream down: anthropic InternalServerError 502, error.type api_error (plain and streamed)', async () => {
    for (const stream of [false, true])
        await assert.rejects(an(down).messages.create({...msg, stream}),
            e => e instanceof Anthropic.InternalServerError && e.status === 502 && e.error?.error?.type === 'api_error');
});

test('upstream down: Bedrock ModelErrorException 502 (Converse and ConverseStream)', async () => {
    await assert.rejects(brDown.send(new ConverseCommand(conv)),
        e => e instanceof ModelErrorException && e.$metadata.httpStatusCode === 502);
    await assert.rejects(brDown.send(new ConverseStreamCommand(conv)),
        e => e instanceof ModelErrorException && e.$metadata.httpStatusCode === 502);
});

test('the model\'s own 429 is passed on: RateLimitError, ThrottlingException', async () => {
    await assert.rejects(oa(env.http, {'x-mock-status': '429'}).chat.completions.create(chat),
        e => e instanceof OpenAI.RateLimitError && e.status === 429);
    await assert.rejects(an(env.http, {'x-mock-status': '429'}).messages.create(msg),
        e => e instanceof Anthropic.RateLimitError && e.status === 429);
    const c = br(env.http);
    c.middlewareStack.add(next => args => {
        args.request.headers['x-mock-status'] = '429';
        return next(args);
    }, {step: 'build'});
    try {
        // the SDK names the class from x-amzn-ErrorType: bulwark passes the model's error as it came
        await assert.rejects(c.send(new ConverseCommand(conv)),
            e => e instanceof ThrottlingException && e.$metadata.httpStatusCode === 429 && e.message === 'mock error requested');
    } finally {
        c.destroy();
    }
});

test('the SDKs\' credentials reach the model (Authorization, x-api-key, anthropic-version); bulwark\'s own headers do not', async () => {
    const headers = async () => (await fetch(`${env.mock}/_mock/headers`)).json();
    await oa(env.http, {'x-bulwark-trace': 'enabled'}).chat.completions.create(chat);
    let h = await headers();
    assert.equal(h.authorization, 'Bearer sk-compat');
    assert.equal(h['x-bulwark-trace'], undefined, 'x-bulwark-* is not sent upstream');
    await an(env.http).messages.create(msg);
    h = await headers();
    // @anthropic-ai/sdk 1.x sends its key as a bearer token (older versions: x-api-key)
    assert.ok(h.authorization === 'Bearer sk-ant-compat' || h['x-api-key'] === 'sk-ant-compat', JSON.stringify(h));
    assert.match(h['anthropic-version'], /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(JSON.parse(await mockLast()).max_tokens === 16);
    // the guardrail bulwark applied itself is not named to the model again; the SigV4 headers pass
    const c = br(env.http);
    try {
        await c.send(new InvokeModelCommand({modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
            guardrailIdentifier: 'compat', guardrailVersion: 'DRAFT', trace: 'ENABLED', contentType: 'application/json',
            body: JSON.stringify({anthropic_version: 'bedrock-2023-05-31', max_tokens: 16, messages: [{role: 'user', content: P.plain}]})}));
    } finally {
        c.destroy();
    }
    h = await headers();
    for (const k of ['x-amzn-bedrock-guardrailidentifier', 'x-amzn-bedrock-guardrailversion', 'x-amzn-bedrock-trace'])
        assert.equal(h[k], undefined, `${k} is not sent upstream`);
    assert.match(h.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDCOMPATEXAMPLE\//);
});
