'use strict';
// The admin API (issue 12): job delays (slow jobs, as on SendGrid), injected faults and
// the request journal.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./lib/server');
const A = require('./lib/admin');

const { call, test } = H;
const C = '/v3/marketing/contacts';
// Long enough that a status read right after the 202 always comes before it ends.
const DELAY_MS = 4000;

let s;
before(async () => { s = await A.startAdminServer(); });
after(() => H.stopAll([s]));

test('settings: validation, global and per account', async () => {
  const g = await A.admin(s, 'GET', '/settings');
  assert.deepEqual(g.body, { job_delay_ms: 0 });
  H.assert400(await A.admin(s, 'PUT', '/settings', {}), ['job_delay_ms']);
  H.assert400(await A.admin(s, 'PUT', '/settings', { job_delay_ms: -1 }), ['job_delay_ms']);
  H.assert400(await A.admin(s, 'PUT', '/settings', { job_delay_ms: 'x' }), ['job_delay_ms']);
  H.assert400(await A.admin(s, 'PUT', '/settings', { job_delay_ms: null }), ['job_delay_ms']);
  H.assert400(await A.admin(s, 'PUT', '/settings', { job_delay_ms: 1, other: 2 }), ['other']);
  H.assert400(await A.admin(s, 'PUT', '/settings', { job_delay_ms: 86400001 }), ['job_delay_ms']);
  const a = await A.createAccount(s, A.uniqueName('set'));
  assert.deepEqual((await A.admin(s, 'GET', `/accounts/${a.name}/settings`)).body, { job_delay_ms: null });
  const put = await A.admin(s, 'PUT', `/accounts/${a.name}/settings`, { job_delay_ms: 5 });
  assert.equal(put.status, 200);
  assert.deepEqual(put.body, { job_delay_ms: 5 });
  assert.deepEqual((await A.admin(s, 'GET', `/accounts/${a.name}/settings`)).body, { job_delay_ms: 5 });
  assert.deepEqual((await A.admin(s, 'PUT', `/accounts/${a.name}/settings`, { job_delay_ms: null })).body, { job_delay_ms: null });
  H.assertErrorBody(await A.admin(s, 'PUT', '/accounts/no-such/settings', { job_delay_ms: 1 }), 404);
});

test('a job accepted under job_delay_ms is pending after its 202, then completes; jobs keep their order', async () => {
  const a = await A.createAccount(s, A.uniqueName('slow'));
  const other = await A.createAccount(s, A.uniqueName('fast'));
  assert.equal((await A.admin(s, 'PUT', `/accounts/${a.name}/settings`, { job_delay_ms: DELAY_MS })).status, 200);
  const first = await H.upsert(a.client, [{ email: 'slow@example.com', first_name: 'one' }]);
  const second = await H.upsert(a.client, [{ email: 'slow@example.com', first_name: 'two' }]);
  const exp = await call(a.client, { method: 'POST', url: `${C}/exports`, body: {} });
  assert.equal(exp.status, 202);
  const st = await call(a.client, { method: 'GET', url: `${C}/imports/${first}` });
  assert.equal(st.body.status, 'pending');
  assert.ok(!('finished_at' in st.body), 'a pending job has no finished_at');
  const ex = await call(a.client, { method: 'GET', url: `${C}/exports/${exp.body.id}` });
  assert.equal(ex.body.status, 'pending');
  const pending = await A.admin(s, 'GET', `/accounts/${a.name}/jobs?status=pending`);
  assert.equal(pending.body.result.length, 3);
  // Another account without a delay is not held up by this one.
  await H.upsertOk(other.client, [{ email: 'fast@example.com' }]);

  await H.pollJob(a.client, second, { timeoutMs: 30000, intervalMs: 100 });
  const one = await H.pollJob(a.client, first, { timeoutMs: 1000 });
  assert.equal(one.status, 'completed');
  const found = await H.findOne(a.client, 'email', 'slow@example.com');
  assert.equal(found.first_name, 'two', 'the later job ran last');
  // Applied no earlier than the delay after acceptance.
  assert.ok(Date.parse(one.finished_at) - Date.parse(one.started_at) >= DELAY_MS - 1000,
    `finished ${one.finished_at} vs accepted ${one.started_at}`);
  await A.admin(s, 'PUT', `/accounts/${a.name}/settings`, { job_delay_ms: null });
});

test('a global job_delay_ms holds every account that has none of its own', async () => {
  const a = await A.createAccount(s, A.uniqueName('global'));
  assert.equal((await A.admin(s, 'PUT', '/settings', { job_delay_ms: DELAY_MS })).status, 200);
  try {
    const job = await H.upsert(a.client, [{ email: 'g@example.com' }]);
    assert.equal((await call(a.client, { method: 'GET', url: `${C}/imports/${job}` })).body.status, 'pending');
    await H.pollJob(a.client, job, { timeoutMs: 30000, intervalMs: 100 });
  } finally {
    await A.admin(s, 'PUT', '/settings', { job_delay_ms: 0 });
  }
});

test('a fault fires exactly `times` times, with no side effect, then requests go through', async () => {
  const a = await A.createAccount(s, A.uniqueName('fault'));
  const f = await A.admin(s, 'POST', '/faults', { method: 'PUT', path: C, status: 429, times: 2 });
  assert.equal(f.status, 201);
  assert.equal(typeof f.body.id, 'string');
  const statuses = [];
  for (let i = 0; i < 4; i++) {
    const r = await call(a.client, { method: 'PUT', url: C, body: { contacts: [{ email: `f${i}@example.com` }] } });
    statuses.push(r.status);
    if (r.status === 429) {
      assert.deepEqual(r.body, { errors: [{ field: null, message: 'too many requests', help: null }] });
      assert.equal(r.headers['x-ratelimit-remaining'], '0');
      assert.match(r.headers['x-ratelimit-limit'], /^\d+$/);
      assert.match(r.headers['x-ratelimit-reset'], /^\d+$/);
    } else {
      await H.pollJob(a.client, r.body.job_id);
    }
  }
  assert.deepEqual(statuses, [429, 429, 202, 202]);
  assert.equal((await call(a.client, { method: 'GET', url: `${C}/count` })).body.contact_count, 2, 'faulted requests had no effect');
  const list = await A.admin(s, 'GET', '/faults');
  const mine = list.body.result.find((x) => x.id === f.body.id);
  assert.equal(mine.fired, 2);
  assert.equal(mine.times, 2);
  assert.equal((await A.admin(s, 'DELETE', `/faults/${f.body.id}`)).status, 204);
  H.assertErrorBody(await A.admin(s, 'DELETE', `/faults/${f.body.id}`), 404);
});

test('faults: prefixes, one account only, 5xx bodies, delays; validation; clearing', async () => {
  const a = await A.createAccount(s, A.uniqueName('fa'));
  const b = await A.createAccount(s, A.uniqueName('fb'));
  const f = await A.admin(s, 'POST', '/faults', { method: '*', path: '/v3/marketing/lists*', status: 503, account: a.name });
  assert.equal(f.status, 201);
  const r = await call(a.client, { method: 'GET', url: '/v3/marketing/lists' });
  assert.equal(r.status, 503);
  assert.deepEqual(r.body, { errors: [{ field: null, message: 'service unavailable', help: null }] });
  assert.equal((await call(a.client, { method: 'POST', url: '/v3/marketing/lists', body: { name: 'n' } })).status, 503);
  assert.equal((await call(b.client, { method: 'GET', url: '/v3/marketing/lists' })).status, 200, 'another account');
  assert.equal((await call(a.client, { method: 'GET', url: `${C}/count` })).status, 200, 'another path');
  // A delay alone slows a request down and lets it through.
  const d = await A.admin(s, 'POST', '/faults', { method: 'GET', path: `${C}/count`, delay_ms: 200, times: 1 });
  assert.equal(d.status, 201);
  const t0 = Date.now();
  assert.equal((await call(b.client, { method: 'GET', url: `${C}/count` })).status, 200);
  assert.ok(Date.now() - t0 >= 150, "the delay held the request");

  H.assert400(await A.admin(s, 'POST', '/faults', { method: 'GET', path: '/v3/x' }), ['status']);
  H.assert400(await A.admin(s, 'POST', '/faults', { method: 'GET', path: '/elsewhere', status: 500 }), ['path']);
  H.assert400(await A.admin(s, 'POST', '/faults', { method: 'TRACE', path: '/v3/x', status: 500 }), ['method']);
  H.assert400(await A.admin(s, 'POST', '/faults', { method: 'GET', path: '/v3/x', status: 200 }), ['status']);
  H.assert400(await A.admin(s, 'POST', '/faults', { method: 'GET', path: '/v3/x', status: 500, probability: 0 }), ['probability']);
  H.assert400(await A.admin(s, 'POST', '/faults', { method: 'GET', path: '/v3/x', status: 500, times: 0 }), ['times']);
  H.assert400(await A.admin(s, 'POST', '/faults', { method: 'GET', path: '/v3/x', status: 500, color: 1 }), ['color']);
  H.assertErrorBody(await A.admin(s, 'POST', '/faults', { method: 'GET', path: '/v3/x', status: 500, account: 'no-such' }), 404);

  assert.equal((await A.admin(s, 'DELETE', '/faults')).status, 204);
  assert.deepEqual((await A.admin(s, 'GET', '/faults')).body.result, []);
  assert.equal((await call(a.client, { method: 'GET', url: '/v3/marketing/lists' })).status, 200);
});

test('the request journal lists recent requests, newest first, without bodies or keys', async () => {
  const a = await A.createAccount(s, A.uniqueName('journal'));
  await call(a.client, { method: 'GET', url: '/v3/marketing/lists?page_size=5' });
  await call(a.client, { method: 'GET', url: `${C}/count` });
  // A request is journaled once its answer is sent, which can be just after the client has
  // it: wait until both are there.
  let r, mine = [];
  for (let i = 0; i < 100 && mine.length < 2; i++) {
    if (i) await H.sleep(20);
    r = await A.admin(s, 'GET', '/requests?limit=50');
    assert.equal(r.status, 200);
    mine = r.body.result.filter((e) => e.account === a.name);
  }
  const times = r.body.result.map((e) => Date.parse(e.time));
  assert.ok(times.every((t, i) => i === 0 || t <= times[i - 1]), 'newest first');
  assert.deepEqual(mine.map((e) => e.path).sort(), [`${C}/count`, '/v3/marketing/lists?page_size=5'].sort());
  const count = mine.find((e) => e.path === `${C}/count`);
  assert.equal(count.method, 'GET');
  assert.equal(count.status, 200);
  assert.equal(typeof count.duration_ms, 'number');
  assert.match(count.request_id, /^[0-9a-f-]{36}$/);
  H.assertTimestamp(count.time, 'time');
  assert.equal((await A.admin(s, 'GET', '/requests?limit=2')).body.result.length, 2);
  assert.ok(!JSON.stringify(r.body).includes(a.key.split('.')[2]), 'no key secrets');
  H.assert400(await A.admin(s, 'GET', '/requests?limit=0'), ['limit']);
  const all = await A.admin(s, 'GET', '/requests');
  assert.ok(all.body.result.length > 2 && all.body.result.length <= 100);
});
