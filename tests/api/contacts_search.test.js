'use strict';
// POST /v3/marketing/contacts/search/identifiers/{identifier_type} and
// POST /v3/marketing/contacts/search/emails (primary and alternate emails).

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, raw, call, upsertAndWait, upsertOk, searchIds, searchEmails, getContact, idOf,
  freshAccount, assert400, assertErrorBody, assertContact, assertContactShape, assertJob,
  errorFields, test,
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
  // digits alone are the number with its '+' (see fidelity.test.js); a leading 0 is no number
  assert400(await searchIds(srv.client, 'phone_number_id', ['04155550001']), ['identifiers[0]']);
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

// ---------------------------------------------------------- search/emails

const C = '/v3/marketing/contacts';
const account = () => freshAccount(srv, 'contacts-search');

test('POST /contacts/search/emails matches primary and alternate emails case-insensitively', async () => {
  const c = account();
  await upsertOk(c, [
    { email: 'Sally@Example.com', alternate_emails: ['sally.alt@Work.example.org'], first_name: 'Sally' },
    { email: 'bob@example.com', first_name: 'Bob' },
  ]);
  const sallyId = await idOf(c, 'sally@example.com');
  const bobId = await idOf(c, 'bob@example.com');

  const r = await searchEmails(c, ['SALLY@example.COM', 'Sally.Alt@work.example.org', 'bob@example.com', 'Ghost@Example.com']);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['result']);
  assert.deepEqual(Object.keys(r.body.result).sort(),
    ['bob@example.com', 'ghost@example.com', 'sally.alt@work.example.org', 'sally@example.com']);
  assert.deepEqual(Object.keys(r.body.result['sally@example.com']), ['contact']);
  assertContact(r.body.result['sally@example.com'].contact,
    { id: sallyId, email: 'sally@example.com', alternate_emails: ['sally.alt@work.example.org'], first_name: 'Sally' });
  assert.equal(r.body.result['sally.alt@work.example.org'].contact.id, sallyId, 'found through the alternate email');
  assert.equal(r.body.result['bob@example.com'].contact.id, bobId);
  assert.deepEqual(r.body.result['ghost@example.com'], { error: 'contact not found' });
});

test('search/emails follows alternate_emails changes: a replaced alternate no longer matches', async () => {
  const c = account();
  await upsertOk(c, [{ email: 'owner@example.com', alternate_emails: ['first.alt@example.com'] }]);
  const id = await idOf(c, 'owner@example.com');
  await upsertOk(c, [{ email: 'owner@example.com', alternate_emails: ['second.alt@example.com'] }]);
  const now = (await getContact(c, id)).body.alternate_emails;
  const r = await searchEmails(c, ['first.alt@example.com', 'second.alt@example.com']);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const e of ['first.alt@example.com', 'second.alt@example.com']) {
    if (now.includes(e)) assert.equal(r.body.result[e].contact.id, id, `${e} is an alternate: must match`);
    else assert.deepEqual(r.body.result[e], { error: 'contact not found' }, `${e} is not an alternate any more: ${JSON.stringify(now)}`);
  }
  assert.ok(now.includes('second.alt@example.com'));
});

test('POST /contacts/search/emails: 404 when nothing matches', async () => {
  const c = account();
  await upsertOk(c, [{ email: 'exists@example.com' }]);
  const r = await searchEmails(c, ['nobody@example.com', 'nobody2@example.com']);
  assertErrorBody(r, 404);
  const empty = account();
  assertErrorBody(await searchEmails(empty, ['exists@example.com']), 404, 'other account');
});

test('POST /contacts/search/emails validation: emails missing/empty/>100 -> 400 emails; bad address -> emails[N]', async () => {
  const c = account();
  await upsertOk(c, [{ email: 'valid@example.com' }]);
  const many = [];
  for (let i = 0; i < 101; i++) many.push(`user${i}@example.com`);
  for (const [body, label] of [[{}, 'missing'], [{ emails: [] }, 'empty'], [{ emails: many }, '101'],
    [{ emails: 'valid@example.com' }, 'string']]) {
    assert400(await call(c, { method: 'POST', url: `${C}/search/emails`, body }), ['emails'], label);
  }
  assert400(await searchEmails(c, ['valid@example.com', 'not-an-email']), ['emails[1]'], 'invalid address');
  assert400(await searchEmails(c, ['valid@example.com', 'a@b@c.com', 'valid@example.com']), ['emails[1]'], 'two @');
  // "Empty strings are excluded from the search" (SendGrid's document)
  const skipped = await searchEmails(c, ['', 'valid@example.com']);
  assert.equal(skipped.status, 200, JSON.stringify(skipped.body));
  assert.deepEqual(Object.keys(skipped.body.result), ['valid@example.com']);

  // Exactly 100 is accepted.
  const hundred = ['valid@example.com', ...many.slice(0, 99)];
  const ok = await searchEmails(c, hundred);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(Object.keys(ok.body.result).length, 100);
  assert.equal(typeof ok.body.result['valid@example.com'].contact.id, 'string');
  assert.deepEqual(ok.body.result['user0@example.com'], { error: 'contact not found' });
});
