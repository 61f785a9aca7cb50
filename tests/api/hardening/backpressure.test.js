'use strict';
// Backpressure (issue 15): the job backlog (pending jobs and the records they still have
// to apply) is on /metrics and in the log, and past --max-backlog every endpoint that
// submits a job answers 429 in SendGrid's shape instead of accepting work that would
// wait; once the writer caught up, writes are accepted again.
//
// The writer is held back by the global job delay (the admin API's settings): a job
// accepted under it stays pending for HOLD_MS, long enough for the refusals below to be
// checked many times over (the test checks that the backlog was still there after them).

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const H = require('../lib/server.js');
const A = require('../lib/admin.js');

const C = '/v3/marketing/contacts';
const HOLD_MS = 12000;

async function metrics(s) {
  const r = await H.must(s.url, { path: '/metrics' });
  const get = (name) => {
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(r.text);
    assert.ok(m, `${name} on /metrics:\n${r.text}`);
    return Number(m[1]);
  };
  return {
    jobs: get('contactd_job_backlog_jobs'),
    records: get('contactd_job_backlog_records'),
    refused: get('contactd_backlog_refused_total'),
  };
}

function assertTooMany(r, label) {
  H.assertSgError(r, 429, label);
  assert.deepEqual(r.body.errors, [{ field: null, message: 'too many requests', help: null }], label);
  assert.equal(r.headers['x-ratelimit-remaining'], '0', `${label}: ${JSON.stringify(r.headers)}`);
  assert.match(r.headers['x-ratelimit-limit'] || '', /^\d+$/, label);
  assert.match(r.headers['x-ratelimit-reset'] || '', /^\d+$/, label);
}

H.test('--max-backlog 5: writes past the backlog get 429 with SendGrid\'s body and headers, /metrics and the log show it, and once drained writes are accepted', { timeout: 120000 }, async () => {
  const s = await A.startAdminServer({ extraArgs: ['--max-backlog', '5'] });
  try {
    const key = s.key;
    const put = (contacts) => H.must(s.url, { method: 'PUT', path: C, key, body: { contacts } });
    const listed = await H.must(s.url, { method: 'POST', path: '/v3/marketing/lists', key, body: { name: 'held' } });
    assert.equal(listed.status, 201, listed.text);
    const list = listed.body.id;
    assert.equal((await A.admin(s, 'PUT', '/settings', { job_delay_ms: HOLD_MS })).status, 200);

    // 2 + 2 records pending: under 5, accepted; the third upsert (1 record) makes 5.
    const accepted = [];
    for (const contacts of [
      [{ email: 'a1@bp.test' }, { email: 'a2@bp.test' }],
      [{ email: 'b1@bp.test' }, { email: 'b2@bp.test' }],
      [{ email: 'c1@bp.test' }],
    ]) {
      const r = await put(contacts);
      assert.equal(r.status, 202, r.text);
      accepted.push(r.body.job_id);
    }
    let m = await metrics(s);
    assert.deepEqual([m.jobs, m.records], [3, 5], 'the backlog on /metrics');

    // Every endpoint that submits a job is refused; nothing it asked for is kept.
    const writes = [
      ['PUT', C, { contacts: [{ email: 'refused@bp.test' }] }],
      ['DELETE', `${C}?ids=${crypto.randomUUID()}`],
      ['DELETE', `${C}?delete_all_contacts=true`],
      ['POST', `${C}/exports`, {}],
      ['DELETE', `${C}/${crypto.randomUUID()}/identifiers`, { identifier_type: 'EMAIL', identifier_value: 'a1@bp.test' }],
      ['DELETE', `/v3/marketing/lists/${list}/contacts?contact_ids=${crypto.randomUUID()}`],
      ['DELETE', `/v3/marketing/lists/${list}?delete_contacts=true`],
      ['PUT', `${C}/imports`, { file_type: 'csv', field_mappings: ['_rf0_T'] }],
    ];
    for (const [method, path, body] of writes)
      assertTooMany(await H.must(s.url, { method, path, key, body }), `${method} ${path}`);
    m = await metrics(s);
    assert.equal(m.refused, writes.length);
    assert.deepEqual([m.jobs, m.records], [3, 5], 'refused writes add nothing to the backlog');
    // Reads, and writes that are not jobs, go on.
    assert.equal((await H.must(s.url, { path: `${C}/count`, key })).status, 200);
    const other = await H.must(s.url, { method: 'POST', path: '/v3/marketing/lists', key, body: { name: 'still' } });
    assert.equal(other.status, 201, other.text);
    assert.match(s.logs(), /backlog.*full/, 'a log line says the backlog is full');

    // The writer catches up: the backlog drains to 0 and writes are accepted again.
    assert.equal((await A.admin(s, 'PUT', '/settings', { job_delay_ms: 0 })).status, 200);
    m = await metrics(s);
    assert.deepEqual([m.jobs, m.records], [3, 5], 'the held jobs were pending through every check');
    for (const id of accepted) assert.equal((await H.waitJob(s.url, key, id)).status, 'completed');
    const deadline = Date.now() + 20000;
    while ((m = await metrics(s)).records !== 0) {
      assert.ok(Date.now() < deadline, `backlog still ${JSON.stringify(m)}`);
      await H.sleep(20);
    }
    assert.equal(m.jobs, 0);
    const again = await put([{ email: 'again@bp.test' }]);
    assert.equal(again.status, 202, again.text);
    assert.equal((await H.waitJob(s.url, key, again.body.job_id)).status, 'completed');
    const refusedLater = await H.rawSearchEmails(s.url, key, ['refused@bp.test']);
    assert.equal(refusedLater.status, 404, 'a refused upsert is never applied');
    assert.match(s.logs(), /backlog.*normal/, 'a log line says the backlog is back to normal');
  } finally {
    await s.stop();
  }
});

H.test('the default --max-backlog leaves ordinary bursts alone', async () => {
  const s = await H.startServer();
  try {
    const rs = await Promise.all([...Array(20).keys()].map((i) =>
      H.must(s.url, { method: 'PUT', path: C, key: s.key, body: { contacts: [{ email: `d${i}@bp.test` }] } })));
    for (const r of rs) assert.equal(r.status, 202, r.text);
  } finally {
    await s.stop();
  }
});

const PG = process.env.CONTACTD_TEST_PG;

H.test('two PostgreSQL nodes: a backlog accepted through one is refused by the other once its poll has counted the shared queue', {
  skip: PG ? false : 'needs PostgreSQL: set CONTACTD_TEST_PG=<postgres:// URL of a test cluster>',
  timeout: 120000,
}, async () => {
  const key = H.makeTestKey();
  const n1 = await A.startAdminServer({ key, extraArgs: ['--max-backlog', '2'] });
  let n2;
  try {
    n2 = await A.startAdminServer({ key, db: n1.dbPath, extraArgs: ['--max-backlog', '2'] });
    const put = (s, email) => H.must(s.url, { method: 'PUT', path: C, key, body: { contacts: [{ email }, { email: `b.${email}` }] } });
    assert.equal((await A.admin(n1, 'PUT', '/settings', { job_delay_ms: HOLD_MS })).status, 200);
    const held = await put(n1, 'n1@bp.test');
    assert.equal(held.status, 202, held.text);
    // Node 2 accepted nothing itself: only its recount of the shared queue can tell it.
    let m;
    const deadline = Date.now() + 20000;
    while ((m = await metrics(n2)).records !== 2) {
      assert.ok(Date.now() < deadline, `node 2 never counted node 1's job: ${JSON.stringify(m)}`);
      await H.sleep(20);
    }
    assertTooMany(await put(n2, 'n2@bp.test'), 'a write to node 2');
    assert.equal((await H.waitJob(n1.url, key, held.body.job_id, 60000)).status, 'completed');
    while ((m = await metrics(n2)).records !== 0) {
      assert.ok(Date.now() < deadline + 60000, `node 2's backlog stays ${JSON.stringify(m)}`);
      await H.sleep(20);
    }
    const again = await put(n2, 'n2@bp.test');
    assert.equal(again.status, 202, again.text);
  } finally {
    await H.stopAll([n1, n2]);
  }
});
