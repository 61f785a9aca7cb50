'use strict';
// The admin API on two nodes over one PostgreSQL database (issue 12): accounts made on
// one node work on the other, a job delay set through one node holds jobs accepted by
// either, a reset through one node is seen by both, and faults stay on their node.
//
// Needs CONTACTD_TEST_PG=<postgres:// URL of a throwaway cluster>; skipped without it.

const { after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./lib/server');
const A = require('./lib/admin');

const { call, test } = H;
const C = '/v3/marketing/contacts';
const PG = process.env.CONTACTD_TEST_PG;
const SKIP = PG ? false : 'needs PostgreSQL: set CONTACTD_TEST_PG=<postgres:// URL of a test cluster>';
const DELAY_MS = 4000;

const started = [];
after(() => H.stopAll(started.filter((s) => s.running)));

test('two nodes share accounts and settings; faults are per node', { skip: SKIP }, async () => {
  const key = H.makeTestKey();
  const n1 = await A.startAdminServer({ key });
  started.push(n1);
  const n2 = await A.startAdminServer({ key, db: n1.dbPath });
  started.push(n2);

  const acct = await A.createAccount(n1, 'shared');
  const c2 = n2.clientFor(acct.key);
  assert.equal((await call(c2, { method: 'GET', url: `${C}/count` })).status, 200);

  // A delay set through node 1 holds a job accepted by node 2 (and run by either).
  assert.equal((await A.admin(n1, 'PUT', '/accounts/shared/settings', { job_delay_ms: DELAY_MS })).status, 200);
  assert.deepEqual((await A.admin(n2, 'GET', '/accounts/shared/settings')).body, { job_delay_ms: DELAY_MS });
  const job = await H.upsert(c2, [{ email: 'mn@example.com' }]);
  assert.equal((await call(acct.client, { method: 'GET', url: `${C}/imports/${job}` })).body.status, 'pending');
  const j1 = await H.upsert(acct.client, [{ email: 'mn@example.com', first_name: 'last' }]);
  assert.equal((await call(c2, { method: 'GET', url: `${C}/imports/${j1}` })).body.status, 'pending');
  await H.pollJob(c2, j1, { timeoutMs: 30000, intervalMs: 100 });
  assert.equal((await H.pollJob(acct.client, job, { timeoutMs: 1000 })).status, 'completed');
  assert.equal((await H.findOne(c2, 'email', 'mn@example.com')).first_name, 'last');
  assert.equal((await A.admin(n2, 'PUT', '/accounts/shared/settings', { job_delay_ms: null })).status, 200);

  // A reset through node 2 is seen through node 1.
  assert.equal((await A.admin(n2, 'POST', '/accounts/shared/reset')).status, 204);
  assert.equal((await call(acct.client, { method: 'GET', url: `${C}/count` })).body.contact_count, 0);

  // Faults belong to the node they were set on.
  assert.equal((await A.admin(n1, 'POST', '/faults', { method: 'GET', path: `${C}/count`, status: 500 })).status, 201);
  assert.equal((await call(acct.client, { method: 'GET', url: `${C}/count` })).status, 500);
  assert.equal((await call(c2, { method: 'GET', url: `${C}/count` })).status, 200);
  assert.deepEqual((await A.admin(n2, 'GET', '/faults')).body.result, []);
});
