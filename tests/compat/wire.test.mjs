// The raw wire: curl (HTTP/2 cleartext by prior knowledge, HTTP/2 over TLS
// verified against the generated certificate) and nghttp (h2c and TLS) for a
// plain, a masked and a blocked request; status, headers and body asserted.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFile} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import {env, P, BLOCKED_INPUT, observed, assertModelSawMasked} from './lib.mjs';

let seq = 0;
const tmpFile = (data) => {
    const f = path.join(env.tmp, `wire-${process.pid}-${seq++}`);
    fs.writeFileSync(f, data);
    return f;
};

function run(cmd, args, extraEnv = {}) {
    return new Promise((resolve, reject) => {
        execFile(cmd, args, {timeout: 20000, env: {...process.env, ...extraEnv}, maxBuffer: 1 << 24},
            (err, stdout, stderr) => (err && err.code !== 0 && typeof err.code !== 'undefined')
                ? reject(new Error(`${cmd} ${args.join(' ')} failed (${err.code}): ${stderr}`))
                : err ? reject(err) : resolve({stdout, stderr}));
    });
}

// -> {status, headers (lower-case names), body, version, stderr}
async function curl(mode, urlPath, body, headers = {}) {
    const hf = tmpFile(''), bf = tmpFile('');
    const args = ['-sS', '-o', bf, '-D', hf, '-w', '%{http_version} %{ssl_verify_result}', '--max-time', '15',
        '--data-binary', '@' + tmpFile(body), '-H', 'content-type: application/json'];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    if (mode === 'h2c') args.push('--http2-prior-knowledge', env.http + urlPath);
    else args.push('--http2', '--cacert', env.cert, env.https + urlPath);
    const {stdout, stderr} = await run('curl', args);
    const [version, verify] = stdout.trim().split(' ');
    if (mode === 'h2') assert.equal(verify, '0', 'the certificate is verified');
    const lines = fs.readFileSync(hf, 'utf8').split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const h = {};
    for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        if (i > 0) h[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    return {status, headers: h, body: fs.readFileSync(bf, 'utf8'), version, stderr};
}

// nghttp -v prints frames; response headers are "recv (stream_id=N) name: value" lines
async function nghttp(mode, urlPath, body, headers = {}) {
    const args = ['-v', '-t', '15', '-H', ':method: POST', '-H', 'content-type: application/json', '-d', tmpFile(body)];
    for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`);
    // nghttp checks DNS names only (not IP addresses): the certificate also names localhost
    args.push((mode === 'h2c' ? env.http : env.https.replace('127.0.0.1', 'localhost')) + urlPath);
    // OpenSSL's default CA file is the generated certificate: nghttp verifies it and would warn if it failed
    const {stdout, stderr} = await run('nghttp', args, {SSL_CERT_FILE: env.cert});
    if (mode === 'tls') assert.ok(!/verif/i.test(stderr + stdout.split('\n').filter(l => /certificate/i.test(l)).join('')),
        `certificate verification: ${stderr}`);
    let status = 0;
    const h = {}, bodyLines = [];
    for (const line of stdout.split('\n')) {
        const m = line.match(/^\[\s*\d+\.\d+\] recv \(stream_id=\d+\) (:?[^:\s]+): (.*)$/);
        if (m) {
            if (m[1] === ':status') status = Number(m[2]);
            else h[m[1].toLowerCase()] = m[2];
            continue;
        }
        if (/^\[\s*\d+\.\d+\] /.test(line) || line.startsWith('          ') || line.startsWith('The negotiated protocol:')) continue;
        bodyLines.push(line.replace(/\[\s*\d+\.\d+\] (recv|send) .*$/, ''));
    }
    if (mode === 'tls') assert.match(stdout, /The negotiated protocol: h2/);
    return {status, headers: h, body: bodyLines.join('\n').replace(/^\n+|\n+$/g, ''), version: '2', stderr};
}

const chat = content => JSON.stringify({model: 'gpt-4o', messages: [{role: 'user', content}]});

const CLIENTS = [
    ['curl --http2-prior-knowledge', (...a) => curl('h2c', ...a)],
    ['curl --http2 (TLS)', (...a) => curl('h2', ...a)],
    ['nghttp (h2c)', (...a) => nghttp('h2c', ...a)],
    ['nghttp (TLS)', (...a) => nghttp('tls', ...a)],
];

for (const [name, req] of CLIENTS) {
    const json = r => {
        try {
            return JSON.parse(r.body);
        } catch {
            assert.fail(`not JSON: ${r.body.slice(0, 500)}`);
        }
    };
    const common = r => {
        assert.equal(r.version, '2');
        assert.equal(r.status, 200);
        assert.equal(r.headers['content-type'], 'application/json');
        assert.match(r.headers['x-bulwark-request-id'] ?? '', /^[0-9a-zA-Z._:-]{1,64}$/);
        assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body), 'content-length is the body length');
    };

    test(`${name}: plain`, async () => {
        const [r, calls] = await observed(() => req('/v1/chat/completions', chat(P.plain), {'x-request-id': 'compat-wire-1'}));
        common(r);
        assert.equal(calls, 1);
        assert.equal(r.headers['x-bulwark-action'], 'NONE');
        assert.equal(r.headers['x-bulwark-request-id'], 'compat-wire-1');
        const b = json(r);
        assert.equal(b.choices[0].message.content, `You said: ${P.plain}`);
        assert.equal(b.choices[0].finish_reason, 'stop');
    });

    test(`${name}: masked`, async () => {
        const [r, calls, last] = await observed(() => req('/v1/chat/completions', chat(P.masked), {'x-bulwark-trace': 'enabled'}));
        common(r);
        assertModelSawMasked(calls, last);
        assert.equal(r.headers['x-bulwark-action'], 'INTERVENED');
        const b = json(r);
        assert.equal(b.choices[0].message.content, `You said: ${P.maskedSeen}`);
        assert.equal(b.bulwark_trace.input.sensitiveInformationPolicy.piiEntities[0].type, 'EMAIL');
    });

    test(`${name}: blocked`, async () => {
        const [r, calls] = await observed(() => req('/v1/chat/completions', chat(P.blocked)));
        common(r);
        assert.equal(calls, 0);
        assert.equal(r.headers['x-bulwark-action'], 'INTERVENED');
        const b = json(r);
        assert.equal(b.choices[0].message.content, BLOCKED_INPUT);
        assert.equal(b.choices[0].finish_reason, 'content_filter');
    });

    test(`${name}: Bedrock error header and body`, async () => {
        const r = await req('/guardrail/nope/version/DRAFT/apply', JSON.stringify({source: 'INPUT', content: [{text: {text: 'hi'}}]}));
        assert.equal(r.status, 404);
        assert.equal(r.headers['x-amzn-errortype'], 'ResourceNotFoundException');
        assert.match(json(r).message, /nope/);
    });
}

test('TLS: the certificate is not trusted by default (the SDK cases verify it through NODE_EXTRA_CA_CERTS)', async () => {
    const u = new URL(env.https);
    const err = await new Promise(resolve => {
        const s = tls.connect({host: u.hostname, port: Number(u.port), ca: tls.rootCertificates, ALPNProtocols: ['h2']},
            () => { s.end(); resolve(null); });
        s.on('error', resolve);
    });
    assert.ok(err, 'a client without the generated certificate must refuse the connection');
    assert.match(err.code, /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    // and with it, the connection is verified and negotiates h2
    const proto = await new Promise((resolve, reject) => {
        const s = tls.connect({host: u.hostname, port: Number(u.port), ca: fs.readFileSync(env.cert), ALPNProtocols: ['h2', 'http/1.1']},
            () => { const p = s.alpnProtocol; s.end(); resolve(p); });
        s.on('error', reject);
    });
    assert.equal(proto, 'h2');
});
