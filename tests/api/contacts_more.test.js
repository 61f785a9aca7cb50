'use strict';
// Contacts endpoints beyond the identifier lifecycle: batch get, search by
// emails, count, recent contacts, and DELETE /v3/marketing/contacts (by ids and
// delete_all_contacts), including what a deleted contact no longer shows up in.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, pollJob, upsert, assert400, assertErrorBody, assertJob, fetchJobErrors,
  findOne, getContact, sleep, UUID_RE, TIMESTAMP_RE, RESERVED_STRING_FIELDS, test,
} = require('./lib/server');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

const C = '/v3/marketing/contacts';
const UNKNOWN_ID = '0e8f4a52-6a4f-4c1e-9a57-3b2d7c9e1f00';
const UNKNOWN_ID2 = '7d1c3b2a-1111-4222-8333-944455556666';

// ------------------------------------------------------------ local helpers

let accountSeq = 0;
function freshAccount() {
  accountSeq++;
  return srv.clientFor(srv.createKey(`contacts-acct-${accountSeq}-${process.pid}`));
}

async function upsertOk(client, contacts, extra = {}) {
  const jobId = await upsert(client, contacts, extra);
  const job = await pollJob(client, jobId);
  assertJob(job, { status: 'completed', jobType: 'upsert', results: { errored_count: 0, requested_count: contacts.length } });
  return job;
}

async function idOf(client, email) {
  const c = await findOne(client, 'email', email);
  assert.ok(c, `contact ${email} expected`);
  return c.id;
}

// ContactDetails shape without assumptions about list membership.
function assertContact(c, expected = {}) {
  assert.ok(c && typeof c === 'object', `contact expected: ${JSON.stringify(c)}`);
  assert.match(c.id, UUID_RE);
  for (const f of RESERVED_STRING_FIELDS) assert.equal(typeof c[f], 'string', `${f}: ${JSON.stringify(c)}`);
  assert.ok(Array.isArray(c.alternate_emails));
  assert.ok(Array.isArray(c.list_ids));
  assert.ok(Array.isArray(c.segment_ids));
  assert.ok(c.custom_fields && typeof c.custom_fields === 'object');
  assert.match(c.created_at, TIMESTAMP_RE);
  assert.match(c.updated_at, TIMESTAMP_RE);
  assert.ok(c._metadata.self.endsWith(`/v3/marketing/contacts/${c.id}`), c._metadata.self);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(c[k], v, `contact.${k}`);
}

async function count(client) {
  const r = await call(client, { method: 'GET', url: `${C}/count` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ['billable_count', 'contact_count']);
  assert.equal(r.body.contact_count, r.body.billable_count, 'billable_count equals contact_count');
  return r.body.contact_count;
}

function batch(client, ids) {
  return call(client, { method: 'POST', url: `${C}/batch`, body: { ids } });
}

function searchEmails(client, emails) {
  return call(client, { method: 'POST', url: `${C}/search/emails`, body: { emails } });
}

async function deleteContacts(client, query) {
  const r = await call(client, { method: 'DELETE', url: `${C}${query}` });
  assert.equal(r.status, 202, `DELETE ${query}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body), ['job_id']);
  assert.equal(typeof r.body.job_id, 'string');
  return pollJob(client, r.body.job_id);
}

// ------------------------------------------------------------------- batch

test('POST /contacts/batch returns the contacts found; unknown ids are left out', async () => {
  const c = freshAccount();
  await upsertOk(c, [
    { email: 'b1@example.com', first_name: 'One' },
    { email: 'b2@example.com', first_name: 'Two' },
    { email: 'b3@example.com', first_name: 'Three' },
  ]);
  const id1 = await idOf(c, 'b1@example.com');
  const id3 = await idOf(c, 'b3@example.com');

  const r = await batch(c, [id1, UNKNOWN_ID, id3, 'not-even-a-uuid']);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['result']);
  assert.equal(r.body.result.length, 2, JSON.stringify(r.body));
  const byId = Object.fromEntries(r.body.result.map((x) => [x.id, x]));
  assert.deepEqual(Object.keys(byId).sort(), [id1, id3].sort());
  assertContact(byId[id1], { email: 'b1@example.com', first_name: 'One' });
  assertContact(byId[id3], { email: 'b3@example.com', first_name: 'Three' });
  assert.deepEqual(byId[id1], (await getContact(c, id1)).body, 'same representation as GET /contacts/{id}');

  const none = await batch(c, [UNKNOWN_ID, UNKNOWN_ID2]);
  assert.equal(none.status, 200, JSON.stringify(none.body));
  assert.deepEqual(none.body, { result: [] });

  // 100 ids is the maximum and is accepted.
  const hundred = [id1];
  for (let i = 1; i < 100; i++) hundred.push(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const h = await batch(c, hundred);
  assert.equal(h.status, 200, JSON.stringify(h.body));
  assert.deepEqual(h.body.result.map((x) => x.id), [id1]);
});

test('POST /contacts/batch validation: ids missing/empty/>100/not an array -> 400 ids; non-string -> ids[N]', async () => {
  const c = srv.client;
  const many = [];
  for (let i = 0; i < 101; i++) many.push(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  for (const [body, label] of [[{}, 'missing'], [{ ids: [] }, 'empty'], [{ ids: many }, '101'],
    [{ ids: 'abc' }, 'string'], [{ ids: { a: 1 } }, 'object'], [{ ids: null }, 'null']]) {
    assert400(await call(c, { method: 'POST', url: `${C}/batch`, body }), ['ids'], label);
  }
  assert400(await batch(c, [UNKNOWN_ID, 5]), ['ids[1]'], 'number');
  assert400(await batch(c, [null]), ['ids[0]'], 'null');
  assert400(await batch(c, [UNKNOWN_ID, UNKNOWN_ID2, { id: 'x' }]), ['ids[2]'], 'object');
});

// ---------------------------------------------------------- search/emails

test('POST /contacts/search/emails matches primary and alternate emails case-insensitively', async () => {
  const c = freshAccount();
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

test('batch and search/emails return all 100 of 100 existing contacts', async () => {
  const c = freshAccount();
  const contacts = [];
  for (let i = 0; i < 100; i++) contacts.push({ email: `h${String(i).padStart(3, '0')}@example.com`, alternate_emails: [`alt-h${i}@example.org`] });
  await upsertOk(c, contacts);
  const se = await searchEmails(c, contacts.map((x) => x.email.toUpperCase()));
  assert.equal(se.status, 200, JSON.stringify(se.body));
  assert.deepEqual(Object.keys(se.body.result).sort(), contacts.map((x) => x.email));
  const ids = contacts.map((x) => se.body.result[x.email].contact.id);
  assert.equal(new Set(ids).size, 100);
  const b = await batch(c, ids);
  assert.equal(b.status, 200, JSON.stringify(b.body));
  assert.deepEqual(b.body.result.map((x) => x.id).sort(), [...ids].sort());
  const alts = await searchEmails(c, contacts.map((x) => x.alternate_emails[0]));
  assert.equal(alts.status, 200);
  assert.deepEqual(contacts.map((x) => alts.body.result[x.alternate_emails[0]].contact.id), ids, 'each alternate finds its own contact');
  // All 100 in one DELETE ?ids=.
  const job = await deleteContacts(c, `?ids=${ids.join(',')}`);
  assertJob(job, { status: 'completed', jobType: 'delete', results: { requested_count: 100, deleted_count: 100, errored_count: 0 } });
  assert.equal(await count(c), 0);
  assertErrorBody(await searchEmails(c, contacts.slice(0, 10).map((x) => x.alternate_emails[0])), 404, 'alternates gone');
});

test('search/emails follows alternate_emails changes: a replaced alternate no longer matches', async () => {
  const c = freshAccount();
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
  const c = freshAccount();
  await upsertOk(c, [{ email: 'exists@example.com' }]);
  const r = await searchEmails(c, ['nobody@example.com', 'nobody2@example.com']);
  assertErrorBody(r, 404);
  const empty = freshAccount();
  assertErrorBody(await searchEmails(empty, ['exists@example.com']), 404, 'other account');
});

test('POST /contacts/search/emails validation: emails missing/empty/>100 -> 400 emails; bad address -> emails[N]', async () => {
  const c = freshAccount();
  await upsertOk(c, [{ email: 'valid@example.com' }]);
  const many = [];
  for (let i = 0; i < 101; i++) many.push(`user${i}@example.com`);
  for (const [body, label] of [[{}, 'missing'], [{ emails: [] }, 'empty'], [{ emails: many }, '101'],
    [{ emails: 'valid@example.com' }, 'string']]) {
    assert400(await call(c, { method: 'POST', url: `${C}/search/emails`, body }), ['emails'], label);
  }
  assert400(await searchEmails(c, ['valid@example.com', 'not-an-email']), ['emails[1]'], 'invalid address');
  assert400(await searchEmails(c, ['valid@example.com', 'a@b@c.com', 'valid@example.com']), ['emails[1]'], 'two @');
  assert400(await searchEmails(c, ['', 'valid@example.com']), ['emails[0]'], 'empty string');

  // Exactly 100 is accepted.
  const hundred = ['valid@example.com', ...many.slice(0, 99)];
  const ok = await searchEmails(c, hundred);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal(Object.keys(ok.body.result).length, 100);
  assert.equal(typeof ok.body.result['valid@example.com'].contact.id, 'string');
  assert.deepEqual(ok.body.result['user0@example.com'], { error: 'contact not found' });
});

// ------------------------------------------------------------------- count

test('GET /contacts/count counts the account contacts; billable_count equals contact_count', async () => {
  const c = freshAccount();
  assert.equal(await count(c), 0);
  await upsertOk(c, [{ email: 'c1@example.com' }, { email: 'c2@example.com' }, { external_id: 'c3-ext' }]);
  assert.equal(await count(c), 3);
  await upsertOk(c, [{ email: 'c1@example.com', first_name: 'Again' }]);
  assert.equal(await count(c), 3, 'an update does not add');
  const r = await call(c, { method: 'GET', url: `${C}/count` });
  assert.deepEqual(r.body, { contact_count: 3, billable_count: 3 });
});

// ------------------------------------------------------------ GET /contacts

test('GET /contacts: up to 50 most recently created/updated contacts sorted by email, contact_count is the total', async () => {
  const c = freshAccount();
  const empty = await call(c, { method: 'GET', url: C });
  assert.equal(empty.status, 200, JSON.stringify(empty.body));
  assert.deepEqual(empty.body.result, []);
  assert.equal(empty.body.contact_count, 0);

  const old = [];
  for (let i = 0; i < 10; i++) old.push({ email: `old${String(i).padStart(2, '0')}@example.com` });
  await upsertOk(c, old);
  await sleep(5);
  // Inserted in reverse alphabetical order to make the sort observable.
  const fresh = [];
  for (let i = 49; i >= 0; i--) fresh.push({ email: `new${String(i).padStart(2, '0')}@example.com` });
  await upsertOk(c, fresh);

  const r = await call(c, { method: 'GET', url: C });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.contact_count, 60);
  assert.equal(typeof r.body._metadata.self, 'string');
  assert.equal(new URL(r.body._metadata.self).pathname, C);
  assert.equal(r.body.result.length, 50);
  const emails = r.body.result.map((x) => x.email);
  assert.deepEqual(emails, fresh.map((x) => x.email).sort(), 'the 50 newest, sorted by email');
  for (const x of r.body.result) assertContact(x);

  // Updating an old contact makes it recent again.
  await sleep(5);
  await upsertOk(c, [{ email: 'old03@example.com', first_name: 'Touched' }]);
  const r2 = await call(c, { method: 'GET', url: C });
  assert.equal(r2.body.contact_count, 60);
  assert.equal(r2.body.result.length, 50);
  const emails2 = r2.body.result.map((x) => x.email);
  assert.deepEqual(emails2, [...emails2].sort(), 'sorted by email');
  assert.ok(emails2.includes('old03@example.com'), 'updated contact is among the recent ones');
  assert.equal(emails2.filter((e) => e.startsWith('old')).length, 1, 'no other old contact');
  assert.equal(r2.body.result.find((x) => x.email === 'old03@example.com').first_name, 'Touched');
});

// ---------------------------------------------------------- DELETE ?ids

test('DELETE /contacts?ids= deletes those contacts: 202, job_type delete, deleted_count', async () => {
  const c = freshAccount();
  await upsertOk(c, [{ email: 'd1@example.com' }, { email: 'd2@example.com' }, { email: 'd3@example.com' }]);
  const [d1, d2, d3] = [await idOf(c, 'd1@example.com'), await idOf(c, 'd2@example.com'), await idOf(c, 'd3@example.com')];

  const job = await deleteContacts(c, `?ids=${d1},${d3}`);
  assertJob(job, {
    status: 'completed', jobType: 'delete',
    results: { requested_count: 2, deleted_count: 2, errored_count: 0, created_count: 0, updated_count: 0 },
  });
  assert.equal((await getContact(c, d1)).status, 404);
  assert.equal((await getContact(c, d3)).status, 404);
  assert.equal((await getContact(c, d2)).status, 200);
  assert.equal(await count(c), 1);
});

test('DELETE /contacts?ids= with unknown ids: those records error, the rest are deleted', async () => {
  const c = freshAccount();
  await upsertOk(c, [{ email: 'e1@example.com' }, { email: 'e2@example.com' }]);
  const e1 = await idOf(c, 'e1@example.com');

  const job = await deleteContacts(c, `?ids=${UNKNOWN_ID},${e1},${UNKNOWN_ID2}`);
  assertJob(job, { status: 'errored', jobType: 'delete', results: { requested_count: 3, deleted_count: 1, errored_count: 2 } });
  const errs = await fetchJobErrors(c, job, srv.url);
  const got = errs.errors.map((e) => [e.index, e.identifiers.contact_id]).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(got, [[0, UNKNOWN_ID], [2, UNKNOWN_ID2]]);
  assert.equal((await getContact(c, e1)).status, 404);
  assert.equal(await count(c), 1);

  // Deleting the same contact twice: the second time it is unknown.
  const again = await deleteContacts(c, `?ids=${e1}`);
  assertJob(again, { status: 'failed', jobType: 'delete', results: { requested_count: 1, deleted_count: 0, errored_count: 1 } });
  const errs2 = await fetchJobErrors(c, again, srv.url);
  assert.deepEqual(errs2.errors.map((e) => [e.index, e.identifiers.contact_id]), [[0, e1]]);
});

test('DELETE /contacts validation: neither/both -> 400 null; malformed ids -> ids; delete_all_contacts not "true" -> delete_all_contacts', async () => {
  const c = freshAccount();
  await upsertOk(c, [{ email: 'v@example.com' }]);
  const v = await idOf(c, 'v@example.com');
  assert400(await call(c, { method: 'DELETE', url: C }), [null], 'neither');
  assert400(await call(c, { method: 'DELETE', url: `${C}?ids=${v}&delete_all_contacts=true` }), [null], 'both');
  for (const q of ['?ids=abc', `?ids=${v},nope`, '?ids=', `?ids=${v.toUpperCase()}x`]) {
    assert400(await call(c, { method: 'DELETE', url: `${C}${q}` }), ['ids'], q);
  }
  for (const q of ['?delete_all_contacts=false', '?delete_all_contacts=1', '?delete_all_contacts=yes', '?delete_all_contacts=']) {
    assert400(await call(c, { method: 'DELETE', url: `${C}${q}` }), ['delete_all_contacts'], q);
  }
  assert.equal(await count(c), 1, 'nothing deleted');
  assert.equal((await getContact(c, v)).status, 200);
});

test('a deleted contact disappears from GET, searches, batch, lists and counts', async () => {
  const c = freshAccount();
  const lr = await call(c, { method: 'POST', url: '/v3/marketing/lists', body: { name: 'gone-list' } });
  assert.equal(lr.status, 201, JSON.stringify(lr.body));
  const listId = lr.body.id;
  await upsertOk(c, [
    { email: 'gone@example.com', alternate_emails: ['gone.alt@example.com'], external_id: 'gone-ext', phone_number_id: '+14155550199' },
    { email: 'stays@example.com' },
  ], { list_ids: [listId] });
  const gone = await idOf(c, 'gone@example.com');
  const stays = await idOf(c, 'stays@example.com');

  const job = await deleteContacts(c, `?ids=${gone}`);
  assertJob(job, { status: 'completed', jobType: 'delete', results: { deleted_count: 1, errored_count: 0 } });

  assertErrorBody(await getContact(c, gone), 404, 'GET by id');
  assert.equal(await findOne(c, 'email', 'gone@example.com'), null);
  assert.equal(await findOne(c, 'external_id', 'gone-ext'), null);
  assert.equal(await findOne(c, 'phone_number_id', '+14155550199'), null);
  const se = await searchEmails(c, ['gone@example.com', 'gone.alt@example.com', 'stays@example.com']);
  assert.equal(se.status, 200, JSON.stringify(se.body));
  assert.deepEqual(se.body.result['gone@example.com'], { error: 'contact not found' });
  assert.deepEqual(se.body.result['gone.alt@example.com'], { error: 'contact not found' });
  assert.equal(se.body.result['stays@example.com'].contact.id, stays);
  assertErrorBody(await searchEmails(c, ['gone.alt@example.com']), 404, 'alternate email alone');
  assert.deepEqual((await batch(c, [gone, stays])).body.result.map((x) => x.id), [stays]);
  const lc = await call(c, { method: 'GET', url: `/v3/marketing/lists/${listId}/contacts/count` });
  assert.deepEqual(lc.body, { contact_count: 1, billable_count: 1 });
  const sample = await call(c, { method: 'GET', url: `/v3/marketing/lists/${listId}?contact_sample=true` });
  assert.equal(sample.body.contact_count, 1);
  assert.deepEqual(sample.body.contact_sample.map((x) => x.id), [stays]);
  assert.equal(await count(c), 1);
  const recent = await call(c, { method: 'GET', url: C });
  assert.deepEqual(recent.body.result.map((x) => x.id), [stays]);
  assert.equal(recent.body.contact_count, 1);

  // Its identifiers are free again: the same email creates a new contact.
  const re = await upsertOk(c, [{ email: 'gone@example.com', external_id: 'gone-ext' }]);
  assert.equal(re.results.created_count, 1, JSON.stringify(re));
  const reborn = await idOf(c, 'gone@example.com');
  assert.notEqual(reborn, gone);
  const rc = (await getContact(c, reborn)).body;
  assert.deepEqual(rc.list_ids, [], 'no membership resurrected');
  assert.deepEqual(rc.alternate_emails, [], 'no alternate emails resurrected');
});

// ------------------------------------------------- DELETE delete_all_contacts

test('DELETE /contacts?delete_all_contacts=true deletes every contact of the account', async () => {
  const c = freshAccount();
  const lr = await call(c, { method: 'POST', url: '/v3/marketing/lists', body: { name: 'survives' } });
  const contacts = [];
  for (let i = 0; i < 7; i++) contacts.push({ email: `all${i}@example.com` });
  contacts.push({ external_id: 'all-ext-only' });
  await upsertOk(c, contacts, { list_ids: [lr.body.id] });
  assert.equal(await count(c), 8);

  const job = await deleteContacts(c, '?delete_all_contacts=true');
  assertJob(job, { status: 'completed', jobType: 'delete', results: { requested_count: 8, deleted_count: 8, errored_count: 0 } });
  assert.equal(await count(c), 0);
  const recent = await call(c, { method: 'GET', url: C });
  assert.deepEqual(recent.body.result, []);
  assert.equal(recent.body.contact_count, 0);
  assert.equal(await findOne(c, 'email', 'all0@example.com'), null);
  assert.equal(await findOne(c, 'external_id', 'all-ext-only'), null);
  assertErrorBody(await searchEmails(c, ['all0@example.com', 'all6@example.com']), 404, 'search/emails after delete all');
  const list = await call(c, { method: 'GET', url: `/v3/marketing/lists/${lr.body.id}?contact_sample=true` });
  assert.equal(list.status, 200, 'the list itself survives');
  assert.equal(list.body.contact_count, 0);
  assert.deepEqual(list.body.contact_sample, []);

  // On an empty account it succeeds with nothing to delete.
  const job2 = await deleteContacts(c, '?delete_all_contacts=true');
  assertJob(job2, { status: 'completed', jobType: 'delete', results: { requested_count: 0, deleted_count: 0, errored_count: 0 } });
});

test('delete_all_contacts over more contacts than one job slice deletes them all', async () => {
  const c = freshAccount();
  const lr = await call(c, { method: 'POST', url: '/v3/marketing/lists', body: { name: 'big' } });
  const contacts = [];
  for (let i = 0; i < 2501; i++) contacts.push({ external_id: `big-${i}` });
  await upsertOk(c, contacts, { list_ids: [lr.body.id] });
  assert.equal(await count(c), 2501);
  const job = await deleteContacts(c, '?delete_all_contacts=true');
  assertJob(job, { status: 'completed', jobType: 'delete', results: { requested_count: 2501, deleted_count: 2501, errored_count: 0 } });
  assert.equal(await count(c), 0);
  const lc = await call(c, { method: 'GET', url: `/v3/marketing/lists/${lr.body.id}/contacts/count` });
  assert.deepEqual(lc.body, { contact_count: 0, billable_count: 0 });
  assert.equal(await findOne(c, 'external_id', 'big-2500'), null);
});

test('jobs apply in acceptance order: PUT, delete all, PUT leaves exactly the last PUT\'s contacts', async () => {
  const c = freshAccount();
  // Sent back to back without waiting for the jobs in between.
  const j1 = await upsert(c, [{ email: 'early1@example.com' }, { email: 'early2@example.com' }]);
  const del = await call(c, { method: 'DELETE', url: `${C}?delete_all_contacts=true` });
  assert.equal(del.status, 202, JSON.stringify(del.body));
  const j3 = await upsert(c, [{ email: 'late@example.com' }, { email: 'early1@example.com', first_name: 'Again' }]);
  const r1 = await pollJob(c, j1);
  const r2 = await pollJob(c, del.body.job_id);
  const r3 = await pollJob(c, j3);
  assertJob(r1, { status: 'completed', results: { created_count: 2 } });
  assertJob(r2, { status: 'completed', jobType: 'delete', results: { requested_count: 2, deleted_count: 2 } });
  assertJob(r3, { status: 'completed', results: { created_count: 2, updated_count: 0 } });
  assert.equal(await count(c), 2);
  assert.equal(await findOne(c, 'email', 'early2@example.com'), null);
  assert.equal((await findOne(c, 'email', 'early1@example.com')).first_name, 'Again');
  assert.ok(await findOne(c, 'email', 'late@example.com'));
});
