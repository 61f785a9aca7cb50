'use strict';
// GET /v3/marketing/contacts (recent contacts), GET /contacts/count and
// DELETE /v3/marketing/contacts (by ids and delete_all_contacts), including what a
// deleted contact no longer shows up in.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, pollJob, upsert, findOne, assert400, assertErrorBody, assertJob,
  fetchJobErrors, getContact, sleep, freshAccount, upsertOk, idOf, contactsBatch: batch,
  searchEmails, assertContact, test,
} = require('./lib/server');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

const C = '/v3/marketing/contacts';
const UNKNOWN_ID = '0e8f4a52-6a4f-4c1e-9a57-3b2d7c9e1f00';
const UNKNOWN_ID2 = '7d1c3b2a-1111-4222-8333-944455556666';
const account = () => freshAccount(srv, 'contacts');

// ------------------------------------------------------------ local helpers

async function count(client) {
  const r = await call(client, { method: 'GET', url: `${C}/count` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ['billable_count', 'contact_count']);
  // billable_count also counts the contacts deleted this month (see fidelity.test.js)
  assert.ok(r.body.billable_count >= r.body.contact_count, `billable_count >= contact_count: ${JSON.stringify(r.body)}`);
  return r.body.contact_count;
}

async function deleteContacts(client, query) {
  const r = await call(client, { method: 'DELETE', url: `${C}${query}` });
  assert.equal(r.status, 202, `DELETE ${query}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body), ['job_id']);
  assert.equal(typeof r.body.job_id, 'string');
  return pollJob(client, r.body.job_id);
}

// ------------------------------------------------------------------- 100 at once

test('batch and search/emails return all 100 of 100 existing contacts', async () => {
  const c = account();
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

// ------------------------------------------------------------------- count

test('GET /contacts/count counts the account contacts; billable_count equals contact_count while nothing is deleted', async () => {
  const c = account();
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
  const c = account();
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
  const c = account();
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
  const c = account();
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
  const c = account();
  await upsertOk(c, [{ email: 'v@example.com' }]);
  const v = await idOf(c, 'v@example.com');
  assert400(await call(c, { method: 'DELETE', url: C }), [null], 'neither');
  assert400(await call(c, { method: 'DELETE', url: `${C}?ids=${v}&delete_all_contacts=true` }), [null], 'both');
  for (const q of ['?ids=abc', `?ids=${v},nope`, '?ids=', `?ids=${v.toUpperCase()}x`]) {
    assert400(await call(c, { method: 'DELETE', url: `${C}${q}` }), ['ids'], q);
  }
  // false (any case, or 0) is the same as leaving it out
  assert400(await call(c, { method: 'DELETE', url: `${C}?delete_all_contacts=False` }), [null], 'false');
  for (const q of ['?delete_all_contacts=yes', '?delete_all_contacts=', '?delete_all_contacts=2']) {
    assert400(await call(c, { method: 'DELETE', url: `${C}${q}` }), ['delete_all_contacts'], q);
  }
  assert.equal(await count(c), 1, 'nothing deleted');
  assert.equal((await getContact(c, v)).status, 200);
});

test('a deleted contact disappears from GET, searches, batch, lists and counts', async () => {
  const c = account();
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
  const c = account();
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
  const c = account();
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
  const c = account();
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
