'use strict';
// The admin API (issue 12): the token, accounts and keys, resets, an account's jobs,
// subusers through On-Behalf-Of and the parent's billable_breakdown.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('./lib/server');
const A = require('./lib/admin');

const { call, test } = H;
const C = '/v3/marketing/contacts';

let s;
let plain;
before(async () => {
  [s, plain] = await Promise.all([A.startAdminServer(), H.startServer()]);
});
after(() => H.stopAll([s, plain]));

test('without an admin token the whole prefix answers 404', async () => {
  for (const [m, p] of [['GET', '/accounts'], ['POST', '/reset'], ['GET', '/nothing/here'], ['DELETE', '/faults']]) {
    const r = await A.admin(plain, m, p);
    H.assertErrorBody(r, 404, `${m} ${p}`);
  }
});

test('admin requests without the right token answer 401', async () => {
  for (const token of [null, 'wrong', `${A.ADMIN_TOKEN}x`, A.ADMIN_TOKEN.slice(1)]) {
    const r = await A.admin(s, 'GET', '/accounts', undefined, token);
    H.assertErrorBody(r, 401, `token ${token}`);
  }
  // An API key is not an admin token.
  const r = await A.admin(s, 'GET', '/accounts', undefined, s.key);
  H.assertErrorBody(r, 401, 'API key');
  // Unknown admin paths are 404 for the admin too, a known path with another method 405.
  H.assertErrorBody(await A.admin(s, 'GET', '/nope'), 404);
  H.assertErrorBody(await A.admin(s, 'PATCH', '/accounts'), 405);
});

test('accounts: create, list, duplicate, bad names and parents', async () => {
  const name = A.uniqueName('acct');
  const acct = await A.createAccount(s, name);
  assert.equal(acct.name, name);
  assert.match(acct.key, H.KEY_RE);
  const count = await call(acct.client, { method: 'GET', url: `${C}/count` });
  assert.equal(count.status, 200);
  assert.equal(count.body.contact_count, 0);
  assert.equal(count.body.billable_breakdown, undefined, 'no breakdown without subusers');

  const list = await A.admin(s, 'GET', '/accounts');
  assert.equal(list.status, 200);
  const row = list.body.result.find((a) => a.name === name);
  assert.deepEqual(Object.keys(row).sort(), ['created_at', 'name', 'parent']);
  assert.equal(row.parent, null);
  H.assertTimestamp(row.created_at, 'created_at');

  H.assertErrorBody(await A.admin(s, 'POST', '/accounts', { name }), 409, 'duplicate');
  H.assert400(await A.admin(s, 'POST', '/accounts', {}), ['name']);
  H.assert400(await A.admin(s, 'POST', '/accounts', { name: 'a/b' }), ['name']);
  H.assert400(await A.admin(s, 'POST', '/accounts', { name: 'x'.repeat(65) }), ['name']);
  H.assert400(await A.admin(s, 'POST', '/accounts', { name: 'ok', extra: 1 }), ['extra']);
  H.assert400(await A.admin(s, 'POST', '/accounts', { name: A.uniqueName('p'), parent: 'no-such' }), ['parent']);
  H.assert400(await A.admin(s, 'POST', '/accounts', { name: A.uniqueName('p'), parent: 7 }), ['parent']);
  H.assertErrorBody(await H.raw(s.url, { method: 'POST', path: '/_contactd/accounts', headers: { Authorization: `Bearer ${A.ADMIN_TOKEN}` }, body: '{' }), 400);
  const sub = await A.createAccount(s, A.uniqueName('sub'), name);
  H.assert400(await A.admin(s, 'POST', '/accounts', { name: A.uniqueName('subsub'), parent: sub.name }), ['parent']);
});

test('keys: create full and read keys, delete them; unknown accounts and keys are 404', async () => {
  const acct = await A.createAccount(s, A.uniqueName('keys'));
  const full = await A.admin(s, 'POST', `/accounts/${acct.name}/keys`, { scopes: 'full' });
  assert.equal(full.status, 201);
  assert.match(full.body.key, H.KEY_RE);
  assert.equal(full.body.id, H.keyId(full.body.key));
  const read = await A.admin(s, 'POST', `/accounts/${acct.name}/keys`, { scopes: 'read' });
  assert.equal(read.status, 201);
  const rc = s.clientFor(read.body.key);
  assert.equal((await call(rc, { method: 'GET', url: `${C}/count` })).status, 200);
  H.assertErrorBody(await call(rc, { method: 'POST', url: '/v3/marketing/lists', body: { name: 'x' } }), 403);
  assert.equal((await call(s.clientFor(full.body.key), { method: 'POST', url: '/v3/marketing/lists', body: { name: 'x' } })).status, 201);

  H.assert400(await A.admin(s, 'POST', `/accounts/${acct.name}/keys`, { scopes: 'admin' }), ['scopes']);
  H.assert400(await A.admin(s, 'POST', `/accounts/${acct.name}/keys`, { scope: 'full' }), ['scope']);
  H.assertErrorBody(await A.admin(s, 'POST', '/accounts/no-such/keys', { scopes: 'full' }), 404);

  const del = await A.admin(s, 'DELETE', `/accounts/${acct.name}/keys/${full.body.id}`);
  assert.equal(del.status, 204);
  H.assertErrorBody(await A.admin(s, 'DELETE', `/accounts/${acct.name}/keys/${full.body.id}`), 404);
  // Another account's key cannot be deleted through this one.
  const other = await A.createAccount(s, A.uniqueName('other'));
  H.assertErrorBody(await A.admin(s, 'DELETE', `/accounts/${other.name}/keys/${read.body.id}`), 404);
  // The deleted key stops working (the key cache holds a key for at most a second).
  let status;
  for (let i = 0; i < 50; i++) {
    status = (await call(s.clientFor(full.body.key), { method: 'GET', url: `${C}/count` })).status;
    if (status === 401) break;
    await H.sleep(100);
  }
  assert.equal(status, 401);
});

test('reset removes every list, field, contact and job of one account only, and keeps its keys', async () => {
  const a = await A.createAccount(s, A.uniqueName('reset-a'));
  const b = await A.createAccount(s, A.uniqueName('reset-b'));
  for (const acct of [a, b]) {
    const list = await H.createList(acct.client, 'L');
    await H.createField(acct.client, 'nick', 'Text');
    await H.upsertOk(acct.client, [{ email: 'r@example.com' }], { list_ids: [list.id] });
  }
  const r = await A.admin(s, 'POST', `/accounts/${a.name}/reset`);
  assert.equal(r.status, 204);
  assert.equal(r.text, '');
  const cnt = await call(a.client, { method: 'GET', url: `${C}/count` });
  assert.equal(cnt.body.contact_count, 0);
  assert.deepEqual((await call(a.client, { method: 'GET', url: '/v3/marketing/lists' })).body.result, []);
  assert.deepEqual((await call(a.client, { method: 'GET', url: '/v3/marketing/field_definitions' })).body.custom_fields, []);
  assert.deepEqual((await A.admin(s, 'GET', `/accounts/${a.name}/jobs`)).body.result, []);
  // b is untouched
  assert.equal((await call(b.client, { method: 'GET', url: `${C}/count` })).body.contact_count, 1);
  assert.equal((await call(b.client, { method: 'GET', url: '/v3/marketing/lists' })).body.result.length, 1);
  // custom field ids start again after a reset
  const f = await H.createField(a.client, 'nick', 'Text');
  assert.equal(f.id, 'e1_T');
  H.assertErrorBody(await A.admin(s, 'POST', '/accounts/no-such/reset'), 404);
});

test('POST /_contactd/reset empties every account', async () => {
  const srv = await A.startAdminServer();
  try {
    const a = await A.createAccount(srv, 'one');
    await H.upsertOk(a.client, [{ email: 'x@example.com' }]);
    await H.upsertOk(srv.client, [{ email: 'y@example.com' }]);
    assert.equal((await A.admin(srv, 'POST', '/reset')).status, 204);
    for (const c of [a.client, srv.client]) {
      assert.equal((await call(c, { method: 'GET', url: `${C}/count` })).body.contact_count, 0);
    }
    // the keys still work, and the accounts are all there
    assert.equal((await A.admin(srv, 'GET', '/accounts')).body.result.length, 2);
  } finally {
    await srv.stop();
  }
});

test('delete an account with all its data: its keys stop working, its name is free again', async () => {
  const name = A.uniqueName('gone');
  const a = await A.createAccount(s, name);
  await H.upsertOk(a.client, [{ email: 'd@example.com' }]);
  assert.equal((await A.admin(s, 'DELETE', `/accounts/${name}`)).status, 204);
  H.assertErrorBody(await A.admin(s, 'DELETE', `/accounts/${name}`), 404);
  assert.ok(!(await A.admin(s, 'GET', '/accounts')).body.result.some((x) => x.name === name));
  const again = await A.createAccount(s, name);
  let n;
  for (let i = 0; i < 50; i++) {
    const r = await call(a.client, { method: 'GET', url: `${C}/count` });
    n = r.status;
    if (n === 401) break;
    await H.sleep(100);
  }
  assert.equal(n, 401);
  assert.equal((await call(again.client, { method: 'GET', url: `${C}/count` })).body.contact_count, 0);
});

test('jobs of an account, newest first, with kinds, statuses and counts; filters and limits', async () => {
  const a = await A.createAccount(s, A.uniqueName('jobs'));
  await H.upsertOk(a.client, [{ email: 'j1@example.com' }, { email: 'j2@example.com' }]);
  const del = await call(a.client, { method: 'DELETE', url: `${C}?delete_all_contacts=true` });
  await H.pollJob(a.client, del.body.job_id);
  const r = await A.admin(s, 'GET', `/accounts/${a.name}/jobs`);
  assert.equal(r.status, 200);
  assert.equal(r.body.result.length, 2);
  const [d, u] = r.body.result;
  assert.equal(d.id, del.body.job_id);
  assert.equal(d.kind, 'delete_contacts');
  assert.equal(u.kind, 'upsert');
  assert.equal(u.status, 'completed');
  assert.equal(u.requested_count, 2);
  assert.equal(u.created_count, 2);
  for (const k of ['updated_count', 'deleted_count', 'errored_count']) assert.equal(typeof u[k], 'number');
  H.assertTimestamp(u.accepted_at, 'accepted_at');
  H.assertTimestamp(u.finished_at, 'finished_at');
  assert.equal((await A.admin(s, 'GET', `/accounts/${a.name}/jobs?limit=1`)).body.result.length, 1);
  assert.equal((await A.admin(s, 'GET', `/accounts/${a.name}/jobs?status=pending`)).body.result.length, 0);
  assert.equal((await A.admin(s, 'GET', `/accounts/${a.name}/jobs?status=completed`)).body.result.length, 2);
  H.assert400(await A.admin(s, 'GET', `/accounts/${a.name}/jobs?status=running`), ['status']);
  H.assert400(await A.admin(s, 'GET', `/accounts/${a.name}/jobs?limit=0`), ['limit']);
  H.assert400(await A.admin(s, 'GET', `/accounts/${a.name}/jobs?limit=abc`), ['limit']);
  H.assertErrorBody(await A.admin(s, 'GET', '/accounts/no-such/jobs'), 404);
});

test('On-Behalf-Of: a parent acts as its subuser, and nobody else can', async () => {
  const parent = await A.createAccount(s, A.uniqueName('parent'));
  const sub = await A.createAccount(s, A.uniqueName('sub'), parent.name);
  const stranger = await A.createAccount(s, A.uniqueName('stranger'));
  const obo = (name) => ({ 'On-Behalf-Of': name });

  // The parent writes into the subuser's account.
  const put = await call(parent.client, { method: 'PUT', url: C, headers: obo(sub.name), body: { contacts: [{ email: 'obo@example.com' }] } });
  assert.equal(put.status, 202);
  await H.pollJob(sub.client, put.body.job_id);
  assert.equal((await call(sub.client, { method: 'GET', url: `${C}/count` })).body.contact_count, 1);
  const pc = await call(parent.client, { method: 'GET', url: `${C}/count` });
  assert.equal(pc.body.contact_count, 0, 'the write did not land in the parent');
  assert.deepEqual(pc.body.billable_breakdown, { total: 1, breakdown: { [sub.name]: 1 } });
  // The parent's view through the header is the subuser's.
  assert.equal((await call(parent.client, { method: 'GET', url: `${C}/count`, headers: obo(sub.name) })).body.contact_count, 1);
  // Refusals, as SendGrid refuses a bad On-Behalf-Of: 401.
  for (const [client, name, label] of [
    [stranger.client, sub.name, 'not the parent'],
    [sub.client, parent.name, 'a subuser for its parent'],
    [parent.client, 'no-such-account', 'unknown account'],
    [parent.client, parent.name, 'itself'],
  ]) {
    H.assertErrorBody(await call(client, { method: 'GET', url: `${C}/count`, headers: obo(name) }), 401, label);
  }
  // The subuser's own key does not see the parent's data the other way round.
  await H.upsertOk(parent.client, [{ email: 'p@example.com' }]);
  assert.equal((await call(sub.client, { method: 'GET', url: `${C}/count` })).body.contact_count, 1);
});

test('contactd account create|list|delete on the database', async () => {
  const name = A.uniqueName('cli');
  const { execFileSync } = require('node:child_process');
  const run = (...args) => execFileSync(H.BIN, ['account', ...args, '--db', s.dbPath], { encoding: 'utf8' });
  const key = run('create', name).trim();
  assert.match(key, H.KEY_RE);
  assert.equal((await call(s.clientFor(key), { method: 'GET', url: `${C}/count` })).status, 200);
  assert.match(run('list'), new RegExp(name));
  run('reset', name);
  run('delete', name);
  assert.doesNotMatch(run('list'), new RegExp(`^${name} `, 'm'));
});
