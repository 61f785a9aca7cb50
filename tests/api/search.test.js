'use strict';
// POST /v3/marketing/contacts/search/identifiers/{identifier_type}

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, raw, upsertAndWait, searchIds, assert400, assertErrorBody, assertContactShape,
  assertJob, errorFields, test,
} = require('./lib/server');

let srv;
const SALLY = {
  email: 'sally@example.com', phone_number_id: '+14155550001', external_id: 'ext-sally', anonymous_id: 'anon-sally',
  first_name: 'Sally',
};
const BOB = { email: 'bob@example.com', first_name: 'Bob' };
const CARL = { external_id: 'ext-carl', phone_number_id: '+4915112345678' };

before(async () => {
  srv = await startServer();
  const job = await upsertAndWait(srv.client, [SALLY, BOB, CARL]);
  assertJob(job, { status: 'completed', results: { created_count: 3 } });
});
after(async () => { if (srv) await srv.stop(); });

test('search by email returns the contact keyed by the address', async () => {
  const r = await searchIds(srv.client, 'email', ['sally@example.com']);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['result']);
  assert.deepEqual(Object.keys(r.body.result), ['sally@example.com']);
  assert.deepEqual(Object.keys(r.body.result['sally@example.com']), ['contact']);
  assertContactShape(r.body.result['sally@example.com'].contact, srv.url, SALLY);
});

test('search by each identifier type', async () => {
  const sally = (await searchIds(srv.client, 'email', ['sally@example.com'])).body.result['sally@example.com'].contact;
  for (const [type, value] of [['phone_number_id', '+14155550001'], ['external_id', 'ext-sally'], ['anonymous_id', 'anon-sally']]) {
    const r = await searchIds(srv.client, type, [value]);
    assert.equal(r.status, 200, `${type}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(Object.keys(r.body.result), [value]);
    assert.equal(r.body.result[value].contact.id, sally.id);
    assertContactShape(r.body.result[value].contact, srv.url, SALLY);
  }
  const carl = await searchIds(srv.client, 'phone_number_id', ['+4915112345678']);
  assert.equal(carl.status, 200);
  assertContactShape(carl.body.result['+4915112345678'].contact, srv.url, { ...CARL, email: '' });
});

test('several identifiers: found ones carry the contact, others "contact not found"', async () => {
  const r = await searchIds(srv.client, 'email', ['sally@example.com', 'nobody@example.com', 'bob@example.com']);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body.result).sort(), ['bob@example.com', 'nobody@example.com', 'sally@example.com']);
  assert.deepEqual(r.body.result['nobody@example.com'], { error: 'contact not found' });
  assertContactShape(r.body.result['bob@example.com'].contact, srv.url, BOB);
  assertContactShape(r.body.result['sally@example.com'].contact, srv.url, SALLY);
  assert.notEqual(r.body.result['bob@example.com'].contact.id, r.body.result['sally@example.com'].contact.id);

  const r2 = await searchIds(srv.client, 'external_id', ['ext-carl', 'ext-nobody']);
  assert.equal(r2.status, 200);
  assert.deepEqual(r2.body.result['ext-nobody'], { error: 'contact not found' });
  assert.ok(r2.body.result['ext-carl'].contact);
});

test('email search is case-insensitive and keyed by the lower-case address', async () => {
  const r = await searchIds(srv.client, 'email', ['SALLY@Example.COM', 'Nobody@Example.com']);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body.result).sort(), ['nobody@example.com', 'sally@example.com']);
  assert.equal(r.body.result['sally@example.com'].contact.email, 'sally@example.com');
  assert.deepEqual(r.body.result['nobody@example.com'], { error: 'contact not found' });
});

test('no match at all answers 404 with errors[]', async () => {
  assertErrorBody(await searchIds(srv.client, 'email', ['nobody@example.com']), 404, 'email');
  assertErrorBody(await searchIds(srv.client, 'email', ['nobody@example.com', 'noone@example.com']), 404, 'emails');
  assertErrorBody(await searchIds(srv.client, 'phone_number_id', ['+19999999999']), 404, 'phone');
  assertErrorBody(await searchIds(srv.client, 'external_id', ['no-such-ext']), 404, 'external_id');
  assertErrorBody(await searchIds(srv.client, 'anonymous_id', ['no-such-anon']), 404, 'anonymous_id');
  // A value of another type does not match: Sally's email is not an external id.
  assertErrorBody(await searchIds(srv.client, 'external_id', ['sally@example.com']), 404, 'cross-type');
  assertErrorBody(await searchIds(srv.client, 'anonymous_id', ['ext-sally']), 404, 'cross-type 2');
});

test('an invalid identifier_type answers 400 on field "identifier_type"', async () => {
  for (const t of ['foo', 'contact_id', 'phone', 'emails', 'id']) {
    assert400(await searchIds(srv.client, t, ['sally@example.com']), ['identifier_type'], t);
  }
});

test('identifiers missing, empty, too many or not an array answer 400 on field "identifiers"', async () => {
  const call = (body) => raw(srv.url, {
    method: 'POST', path: '/v3/marketing/contacts/search/identifiers/email', body,
    headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json' },
  });
  for (const body of [{}, { identifiers: [] }, { identifiers: 'sally@example.com' }, { identifiers: null }, { identifiers: { a: 1 } }]) {
    const r = await call(body);
    assert400(r, ['identifiers'], JSON.stringify(body));
  }
  const many = [];
  for (let i = 0; i < 101; i++) many.push(`many${i}@example.com`);
  assert400(await searchIds(srv.client, 'email', many), ['identifiers'], '101 identifiers');
  // 100 is allowed (none match: 404; one matches: 200).
  assertErrorBody(await searchIds(srv.client, 'email', many.slice(0, 100)), 404, '100 identifiers');
  const hundred = [...many.slice(0, 99), 'bob@example.com'];
  const ok = await searchIds(srv.client, 'email', hundred);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(Object.keys(ok.body.result).length, 100);
});

test('identifiers that are not strings answer 400 on identifiers[N]', async () => {
  assert400(await searchIds(srv.client, 'email', [5]), ['identifiers[0]']);
  assert400(await searchIds(srv.client, 'email', ['sally@example.com', 7]), ['identifiers[1]']);
  assert400(await searchIds(srv.client, 'external_id', ['ext-sally', null, { x: 1 }]), ['identifiers[1]', 'identifiers[2]']);
});

test('invalid emails and phone numbers answer 400 on identifiers[N]', async () => {
  const r = await searchIds(srv.client, 'email', ['sally@example.com', 'not-an-email']);
  assert400(r, ['identifiers[1]']);
  assert400(await searchIds(srv.client, 'email', ['bad@', 'bob@example.com', '@bad']), ['identifiers[0]', 'identifiers[2]']);
  assert400(await searchIds(srv.client, 'phone_number_id', ['14155550001']), ['identifiers[0]']);
  assert400(await searchIds(srv.client, 'phone_number_id', ['+14155550001', '+0123', 'abc']), ['identifiers[1]', 'identifiers[2]']);
});

test('a malformed body answers 400 "invalid JSON"', async () => {
  const r = await raw(srv.url, {
    method: 'POST', path: '/v3/marketing/contacts/search/identifiers/email', body: '{"identifiers": ["a@b.com"',
    headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json' },
  });
  assert.equal(r.status, 400, r.text);
  assert.deepEqual(errorFields(r.body), [null]);
  assert.equal(r.body.errors[0].message, 'invalid JSON');
});
