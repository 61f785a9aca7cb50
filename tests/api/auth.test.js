'use strict';
// Authentication, key management through the CLI, and account isolation.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, raw, newClient, pollJob, upsertAndWait, searchIds, findOne, getContact,
  deleteIdentifier, assertErrorBody, assertJob, assertContactShape, fetchJobErrors, randomSecret,
  keyId, KEY_RE, test,
} = require('./lib/server');

const AUTH_REQUIRED = 'authorization required';
const INVALID_GRANT = 'The provided authorization grant is invalid, expired, or revoked';

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

const FAKE_ID = '0e8f4a52-6a4f-4c1e-9a57-3b2d7c9e1f00';
const ENDPOINTS = [
  { method: 'PUT', path: '/v3/marketing/contacts', body: { contacts: [{ email: 'auth@example.com' }] } },
  { method: 'GET', path: `/v3/marketing/contacts/${FAKE_ID}` },
  { method: 'GET', path: `/v3/marketing/contacts/imports/${FAKE_ID}` },
  // (errors_url needs no key: its token is the credential, see fidelity.test.js)
  { method: 'POST', path: '/v3/marketing/contacts/search/identifiers/email', body: { identifiers: ['auth@example.com'] } },
  { method: 'DELETE', path: `/v3/marketing/contacts/${FAKE_ID}/identifiers`, body: { identifier_type: 'EMAIL', identifier_value: 'auth@example.com' } },
];

function assert401(r, message, label) {
  assert.equal(r.status, 401, `${label}: ${r.status} ${r.text}`);
  assert.ok(r.body && Array.isArray(r.body.errors) && r.body.errors.length >= 1, `${label}: ${r.text}`);
  assert.equal(r.body.errors[0].message, message, `${label}: ${r.text}`);
}

test('GET /healthz answers 200 without a key', async () => {
  const r = await raw(srv.url, { path: '/healthz' });
  assert.equal(r.status, 200, r.text);
});

test('every /v3/ endpoint without Authorization answers 401 "authorization required"', async () => {
  for (const e of ENDPOINTS) {
    const headers = e.body ? { 'Content-Type': 'application/json' } : {};
    assert401(await raw(srv.url, { method: e.method, path: e.path, body: e.body, headers }), AUTH_REQUIRED, `${e.method} ${e.path}`);
  }
  // Nothing was written.
  assert.equal(await findOne(srv.client, 'email', 'auth@example.com'), null);
});

test('a malformed Authorization header answers 401 "authorization required"', async () => {
  const bad = [
    'Basic dXNlcjpwYXNzd29yZA==',
    'Bearer',
    'Bearer ',
    `Token ${srv.key}`,
    srv.key,
    `Bearer${srv.key}`,
  ];
  for (const h of bad) {
    for (const e of ENDPOINTS.slice(0, 2)) {
      const headers = { Authorization: h, ...(e.body ? { 'Content-Type': 'application/json' } : {}) };
      assert401(await raw(srv.url, { method: e.method, path: e.path, body: e.body, headers }), AUTH_REQUIRED, `${JSON.stringify(h)} ${e.method} ${e.path}`);
    }
  }
});

test('an unknown key answers 401 "invalid, expired, or revoked" (through the official client)', async () => {
  const unknown = newClient(srv.url, `SG.nosuchkey01.${randomSecret(43)}`);
  const r = await call(unknown, { method: 'POST', url: '/v3/marketing/contacts/search/identifiers/email', body: { identifiers: ['a@example.com'] } });
  assert.equal(r.status, 401, JSON.stringify(r.body));
  assert.equal(r.body.errors[0].message, INVALID_GRANT);

  // The right key id with a wrong secret.
  const wrongSecret = newClient(srv.url, `SG.${keyId(srv.key)}.${randomSecret(43)}`);
  for (const e of ENDPOINTS) {
    const res = await call(wrongSecret, { method: e.method, url: e.path, body: e.body });
    assert.equal(res.status, 401, `${e.method} ${e.path}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.errors[0].message, INVALID_GRANT);
  }
  // A truncated secret.
  const truncated = newClient(srv.url, srv.key.slice(0, -1));
  const t = await call(truncated, { method: 'GET', url: `/v3/marketing/contacts/${FAKE_ID}` });
  assert.equal(t.status, 401);
  assert.equal(t.body.errors[0].message, INVALID_GRANT);

  assert.equal(await findOne(srv.client, 'email', 'auth@example.com'), null);
});

test('the configured key works', async () => {
  const r = await call(srv.client, { method: 'GET', url: `/v3/marketing/contacts/${FAKE_ID}` });
  assert.equal(r.status, 404, JSON.stringify(r.body));
});

test('key create / list / revoke through the CLI while the server runs', async () => {
  const key = srv.createKey('revoker');
  assert.match(key, KEY_RE);
  const id = keyId(key);
  assert.ok(srv.listKeys().split('\n').some((l) => l.includes(id)), `key list shows ${id}:\n${srv.listKeys()}`);

  const c = newClient(srv.url, key);
  const job = await upsertAndWait(c, [{ email: 'revoker@example.com' }]);
  assertJob(job, { status: 'completed', results: { created_count: 1 } });
  assert.ok(await findOne(c, 'email', 'revoker@example.com'));

  srv.revokeKey(id);
  // Key rows are cached for one second (README): the revocation must bite within that,
  // give or take scheduling; poll for up to 3 s and fail if it never does.
  let r;
  const deadline = Date.now() + 3000;
  do {
    r = await searchIds(c, 'email', ['revoker@example.com']);
    if (r.status === 401) break;
    await new Promise((res) => setTimeout(res, 100));
  } while (Date.now() < deadline);
  assert.equal(r.status, 401, JSON.stringify(r.body));
  assert.equal(r.body.errors[0].message, INVALID_GRANT);
  const put = await call(c, { method: 'PUT', url: '/v3/marketing/contacts', body: { contacts: [{ email: 'revoked@example.com' }] } });
  assert.equal(put.status, 401);
  assert.equal(put.body.errors[0].message, INVALID_GRANT);

  // The server's own key is unaffected, and a second key of the same account
  // still sees the account's data.
  const again = srv.createKey('revoker');
  assert.notEqual(again, key);
  assert.ok(await findOne(newClient(srv.url, again), 'email', 'revoker@example.com'), 'same account, new key');
  const mine = await call(srv.client, { method: 'GET', url: `/v3/marketing/contacts/${FAKE_ID}` });
  assert.equal(mine.status, 404);
});

test('accounts are isolated: contacts, jobs, error files and identifier deletion', async () => {
  const a = srv.client;
  const bKey = srv.createKey('b');
  const b = newClient(srv.url, bKey);

  // A: a contact, and a job with a per-record error.
  const created = await upsertAndWait(a, [{ email: 'shared@example.com', external_id: 'a-ext', first_name: 'Alice' }]);
  assertJob(created, { status: 'completed', results: { created_count: 1 } });
  const alice = await findOne(a, 'email', 'shared@example.com');
  assert.ok(alice);
  const errored = await upsertAndWait(a, [{ email: 'shared@example.com', first_name: 'Nope' }]);
  assertJob(errored, { status: 'failed', results: { errored_count: 1 } });
  await fetchJobErrors(a, errored, srv.url); // A can read it

  // B sees nothing of A.
  assertErrorBody(await getContact(b, alice.id), 404, 'B GET A contact');
  assertErrorBody(await searchIds(b, 'email', ['shared@example.com']), 404, 'B search email');
  assertErrorBody(await searchIds(b, 'external_id', ['a-ext']), 404, 'B search external_id');
  assertErrorBody(await call(b, { method: 'GET', url: `/v3/marketing/contacts/imports/${created.id}` }), 404, 'B GET A job');
  assertErrorBody(await call(b, { method: 'GET', url: `/v3/marketing/contacts/imports/${errored.id}` }), 404, 'B GET A errored job');
  // errors_url is a capability URL (like SendGrid's pre-signed ones): its token, not a key,
  // grants it; without the token, or with B's key and any other token, it is 404.
  const bare = errored.results.errors_url.replace(/\?.*$/, '');
  assertErrorBody(await call(b, { method: 'GET', url: bare }), 404, 'B GET A errors_url without token');
  assertErrorBody(await call(b, { method: 'GET', url: `${bare}?token=${'A'.repeat(32)}` }), 404, 'B GET A errors_url, wrong token');
  assertErrorBody(await deleteIdentifier(b, alice.id, 'EXTERNALID', 'a-ext'), 404, 'B delete A identifier');

  // B's upsert of the same email creates B's own contact.
  const bJob = await upsertAndWait(b, [{ email: 'shared@example.com', first_name: 'Bob' }]);
  assertJob(bJob, { status: 'completed', results: { created_count: 1, updated_count: 0, errored_count: 0 } });
  const bobs = await findOne(b, 'email', 'shared@example.com');
  assert.ok(bobs);
  assert.notEqual(bobs.id, alice.id);
  assertContactShape(bobs, srv.url, { first_name: 'Bob', external_id: '' });

  // A's contact is untouched, and A cannot see B's contact or job.
  const aliceNow = await getContact(a, alice.id);
  assertContactShape(aliceNow.body, srv.url, { email: 'shared@example.com', external_id: 'a-ext', first_name: 'Alice' });
  assertErrorBody(await getContact(a, bobs.id), 404, 'A GET B contact');
  assertErrorBody(await call(a, { method: 'GET', url: `/v3/marketing/contacts/imports/${bJob.id}` }), 404, 'A GET B job');
  assert.equal((await findOne(a, 'email', 'shared@example.com')).id, alice.id);

  // B cannot remove A's email either; A's contact keeps its identifiers.
  const del = await deleteIdentifier(b, alice.id, 'EMAIL', 'shared@example.com');
  assertErrorBody(del, 404, 'B delete A email');
  const aliceEnd = await getContact(a, alice.id);
  assertContactShape(aliceEnd.body, srv.url, { email: 'shared@example.com', external_id: 'a-ext' });
});
