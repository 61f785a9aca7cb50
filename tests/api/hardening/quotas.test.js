'use strict';
// Export quotas and disk use per account (issue 14). Past --max-exports live exports, or
// once an account's exports keep --max-export-mb, POST /contacts/exports answers 429 as
// the rate limiter does (SendGrid's error body, X-RateLimit-* headers with the moment the
// oldest export expires); other accounts are not affected, and an expired export frees
// its place. /metrics shows each account's stored export bytes and pending job bodies.
// Runs on SQLite and, with CONTACTD_TEST_PG, on PostgreSQL.

const assert = require('node:assert/strict');
const H = require('../lib/server.js');

const EXPORTS = '/v3/marketing/contacts/exports';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let seq = 0;
function account(s) {
  seq++;
  const name = `quota-${seq}-${process.pid}`;
  return { name, client: s.clientFor(s.createKey(name)) };
}

function postExport(client) {
  return H.call(client, { method: 'POST', url: EXPORTS, body: {} });
}

const waitReady = (client, id) => H.waitExport(client, id);

function assertQuota429(r, limit, label) {
  assert.equal(r.status, 429, `${label}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.ok(H.isSgError(r.body), `${label}: not SendGrid's error shape: ${JSON.stringify(r.body)}`);
  assert.equal(r.headers['x-ratelimit-limit'], String(limit), label);
  assert.equal(r.headers['x-ratelimit-remaining'], '0', label);
  const reset = Number(r.headers['x-ratelimit-reset']);
  assert.ok(reset >= Math.floor(Date.now() / 1000), `${label}: X-RateLimit-Reset ${reset} is in the past`);
  return reset;
}

async function metric(s, name, acct) {
  const r = await H.must(s.url, { path: '/metrics' });
  assert.equal(r.status, 200);
  const line = r.text.split('\n').find((l) => l.startsWith(`${name}{account="${acct}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

H.test('--max-exports: the next live export of an account is a 429 with the rate-limit headers; others are not affected; an expired one frees its place', async () => {
  const s = await H.startServer({ extraArgs: ['--max-exports', '2', '--export-ttl', '3'] });
  try {
    const a = account(s);
    const b = account(s);
    await H.upsertOk(a.client, [{ email: 'q1@quota.test' }]);
    const ids = [];
    for (let i = 0; i < 2; i++) {
      const r = await postExport(a.client);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      ids.push(r.body.id);
    }
    const refused = await postExport(a.client);
    const reset = assertQuota429(refused, 2, 'third export');
    assert.match(refused.body.errors[0].message, /too many exports/);
    // The exports are there, as they were.
    const list = await H.call(a.client, { method: 'GET', url: EXPORTS });
    assert.deepEqual(list.body.result.map((e) => e.id), ids);
    // Another account has quotas of its own.
    assert.equal((await postExport(b.client)).status, 202);
    // Once the oldest expires (3 s), its place is free: the Reset header said when.
    let again;
    for (let i = 0; i < 200; i++) {
      again = await postExport(a.client);
      if (again.status !== 429) break;
      await sleep(50);
    }
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.ok(Date.now() / 1000 >= reset - 1, 'accepted before the reset the 429 announced');
  } finally {
    await s.stop();
  }
});

H.test('--max-export-mb: no new export once an account\'s exports keep that much; /metrics shows the bytes per account', async () => {
  const s = await H.startServer({ extraArgs: ['--max-export-mb', '1', '--max-exports', '0'] });
  try {
    const a = account(s);
    const b = account(s);
    const contacts = Array.from({ length: 5000 }, (_, i) => ({
      email: `big${i}@quota.test`, first_name: `${'f'.repeat(40)}${i}`, last_name: 'l'.repeat(50), city: 'c'.repeat(50),
    }));
    await H.upsertOk(a.client, contacts);
    assert.equal(await metric(s, 'contactd_account_export_bytes', a.name), undefined, 'no exports yet: no line');
    const first = await postExport(a.client);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const ready = await waitReady(a.client, first.body.id);
    assert.equal(ready.status, 'ready');
    assert.equal(ready.urls.length, 1);
    // The stored bytes are the file's, plain: the metric says exactly that.
    const plainUrl = ready.urls[0].replace('.csv.gz?', '.csv?');
    const file = await H.call(a.client, { method: 'GET', url: plainUrl });
    assert.equal(file.status, 200);
    const size = Buffer.byteLength(file.body, 'utf8');
    assert.ok(size > 1 << 20, `the export holds ${size} bytes, more than 1 MB`);
    assert.equal(await metric(s, 'contactd_account_export_bytes', a.name), size);

    const refused = await postExport(a.client);
    assertQuota429(refused, 1, 'export past the byte quota');
    assert.match(refused.body.errors[0].message, /export storage quota reached: .* keep \d+ bytes of the 1048576/);
    // Another account is not affected.
    assert.equal((await postExport(b.client)).status, 202);
  } finally {
    await s.stop();
  }
});

H.test('/metrics: a pending job\'s body counts for its account until the job has run', async () => {
  const s = await H.startServer({ extraArgs: ['--job-delay', '1500'] });
  try {
    const a = account(s);
    const body = { contacts: Array.from({ length: 20 }, (_, i) => ({ email: `p${i}@quota.test` })) };
    const r = await H.call(a.client, { method: 'PUT', url: '/v3/marketing/contacts', body });
    assert.equal(r.status, 202);
    const pending = await metric(s, 'contactd_account_job_payload_bytes', a.name);
    assert.ok(pending > 0, `payload bytes while pending: ${pending}`);
    const job = await H.pollJob(a.client, r.body.job_id, { timeoutMs: 20000 });
    assert.equal(job.status, 'completed');
    assert.equal(await metric(s, 'contactd_account_job_payload_bytes', a.name), undefined, 'gone once the job ran');
  } finally {
    await s.stop();
  }
});
