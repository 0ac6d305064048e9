// pii_compare.js: bulwark beside the redact-pii npm package (a rule-based
// PII redactor users pick today) on the same texts, in the same run:
// throughput, recall per entity type both detect (is the gold value still
// in the output?), and how many benign texts each one alters.
//
//   node pii_compare.js BULWARK GUARDRAIL SHARED_DIR CORPUS
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { SyncRedactor } = require('redact-pii');

const [bulwark, guardrail, shared, corpus] = process.argv.slice(2);
const data = path.join(shared, 'data');

// Presidio's names -> Bedrock's, for the entity types redact-pii also detects.
const MAP = {
  EMAIL_ADDRESS: 'EMAIL', PHONE_NUMBER: 'PHONE', CREDIT_CARD: 'CREDIT_DEBIT_CARD_NUMBER',
  US_SSN: 'US_SOCIAL_SECURITY_NUMBER', IP_ADDRESS: 'IP_ADDRESS', DOMAIN_NAME: 'URL',
  PERSON: 'NAME', STREET_ADDRESS: 'ADDRESS',
};

function bulwarkBatch(texts) {
  const input = texts.map((t, i) => JSON.stringify({ id: i, text: t })).join('\n') + '\n';
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bulwark, ['batch', '--guardrail', guardrail, '--source', 'INPUT'],
                      { input, maxBuffer: 1 << 30 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error('bulwark batch failed: ' + r.stderr);
  const out = r.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  return { secs, texts: out.map((o, i) => (o.outputs && o.outputs.length ? o.outputs.map((x) => x.text).join('') : texts[i])) };
}

const redactor = new SyncRedactor();
function redactAll(texts) {
  const t0 = process.hrtime.bigint();
  const out = texts.map((t) => redactor.redact(t));
  return { secs: Number(process.hrtime.bigint() - t0) / 1e9, texts: out };
}

// Recall on the synthetic PII set.
const synth = JSON.parse(fs.readFileSync(path.join(data, 'pii', 'presidio_research_synth_dev.json')));
const stexts = synth.map((r) => r.full_text);
const ours = bulwarkBatch(stexts).texts;
const theirs = redactAll(stexts).texts;
const stats = {};
synth.forEach((r, i) => {
  for (const s of r.spans) {
    const type = MAP[s.entity_type];
    if (!type) continue;
    const st = (stats[type] = stats[type] || { n: 0, ours: 0, theirs: 0 });
    st.n++;
    if (!ours[i].includes(s.entity_value)) st.ours++;
    if (!theirs[i].includes(s.entity_value)) st.theirs++;
  }
});
console.log('| entity (both detect) | gold spans | bulwark recall | redact-pii recall |');
console.log('|---|---|---|---|');
for (const [t, s] of Object.entries(stats).sort())
  console.log(`| ${t} | ${s.n} | ${(s.ours / s.n).toFixed(3)} | ${(s.theirs / s.n).toFixed(3)} |`);

// Benign texts altered.
const benign = fs.readFileSync(path.join(data, 'benign', 'halueval_general_dev.jsonl'), 'utf8')
  .trim().split('\n').map((l) => JSON.parse(l).user_query);
const bo = bulwarkBatch(benign).texts;
const ro = redactAll(benign).texts;
const altered = (o) => o.filter((t, i) => t !== benign[i]).length;
console.log(`\nbenign user queries altered (of ${benign.length}): bulwark ${altered(bo)}, redact-pii ${altered(ro)}`);

// Throughput on the same 4 MB of the corpus, each tool in its own process.
const text = fs.readFileSync(corpus, 'utf8').slice(0, 4 * 1000 * 1000);
const docs = [];
for (let i = 0; i < text.length; i += 4000) docs.push(text.slice(i, i + 4000));
const mb = Buffer.byteLength(docs.join('')) / 1e6;
const rb = redactAll(docs);
// bulwark compiles its guardrail once at start (redact-pii builds its
// redactor before the clock starts too). Its scan of 4 MB is short beside
// that start, so it reads the same documents REPS times, and the start of
// an empty batch (fastest of three, same run) is taken off.
const REPS = 16;
const many = [];
for (let r = 0; r < REPS; r++) many.push(...docs);
const bb = bulwarkBatch(many);
const b0 = Math.min(...[0, 1, 2].map(() => bulwarkBatch([]).secs));
const steady = Math.max(bb.secs - b0, 1e-3) / REPS;
const once = steady + b0; /* one 4 MB batch, start included */
console.log(`\nthroughput on ${mb.toFixed(1)} MB in 4 KB documents: redact-pii ${(mb / rb.secs).toFixed(2)} MB/s; ` +
            `bulwark batch ${(mb / steady).toFixed(1)} MB/s (JSON in and out, over ${REPS} passes; ` +
            `${(mb / once).toFixed(1)} MB/s for one pass counting its ${(b0 * 1000).toFixed(0)} ms guardrail compile); ` +
            `ratio ${(rb.secs / steady).toFixed(0)}x (${(rb.secs / once).toFixed(0)}x with the compile)`);
