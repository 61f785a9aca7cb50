'use strict';
// Account isolation for lists, custom fields and the contacts endpoints: a
// second account (its own key from `contactd key create`) never sees or changes
// the first account's data, and names are per account.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, pollJob, upsert, assert400, assertErrorBody, assertJob, fetchJobErrors,
  findOne, getContact, test,
  upsertOk, createList, createField, freshAccount: newAccount,
} = require('./lib/server');

const LISTS = '/v3/marketing/lists';
const FD = '/v3/marketing/field_definitions';
const C = '/v3/marketing/contacts';

let srv;
let A; // the server's own key's account
let B; // a second account
// A's data, created in before().
const a = {};

function freshAccount() {
  return newAccount(srv, 'iso');
}

async function countOf(client) {
  const r = await call(client, { method: 'GET', url: `${C}/count` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

// Everything A can see about its own data, to compare before and after B acts.
async function snapshotA() {
  const list = await call(A, { method: 'GET', url: `${LISTS}/${a.list.id}?contact_sample=true` });
  assert.equal(list.status, 200, `A's list must still exist: ${JSON.stringify(list.body)}`);
  const lists = await call(A, { method: 'GET', url: `${LISTS}?page_size=1000` });
  const fields = await call(A, { method: 'GET', url: FD });
  const c1 = await getContact(A, a.c1);
  const c2 = await getContact(A, a.c2);
  assert.equal(c1.status, 200, "A's contact 1 must still exist");
  assert.equal(c2.status, 200, "A's contact 2 must still exist");
  return {
    list: { name: list.body.name, contact_count: list.body.contact_count, sample: list.body.contact_sample.map((x) => x.id).sort() },
    lists: lists.body.result.map((l) => [l.id, l.name, l.contact_count]),
    fields: fields.body.custom_fields,
    c1: c1.body,
    c2: c2.body,
    count: await countOf(A),
  };
}

let baseline;

before(async () => {
  srv = await startServer();
  A = srv.client;
  B = srv.clientFor(srv.createKey('isolation-b'));

  a.list = await createList(A, 'Shared Name');
  a.field = await createField(A, 'shared_field', 'Number');
  a.textField = await createField(A, 'a_only_text', 'Text');
  await upsertOk(A, [
    { email: 'alice@a.example', alternate_emails: ['alice.alt@a.example'], external_id: 'a-ext-1', custom_fields: { shared_field: 7, a_only_text: 'secret' } },
    { email: 'arthur@a.example', first_name: 'Arthur' },
  ], { list_ids: [a.list.id] });
  a.c1 = (await findOne(A, 'email', 'alice@a.example')).id;
  a.c2 = (await findOne(A, 'email', 'arthur@a.example')).id;
  baseline = await snapshotA();
  assert.equal(baseline.list.contact_count, 2);
  assert.deepEqual(baseline.c1.custom_fields, { shared_field: 7, a_only_text: 'secret' });
  assert.deepEqual(baseline.count, { contact_count: 2, billable_count: 2 });
});
after(async () => { if (srv) await srv.stop(); });

// ------------------------------------------------------------------- lists

test("B cannot see A's lists: GET /lists, GET /lists/{id}, sample, count -> 404", async () => {
  const all = await call(B, { method: 'GET', url: LISTS });
  assert.equal(all.status, 200, JSON.stringify(all.body));
  assert.ok(!all.body.result.some((l) => l.id === a.list.id), `A's list leaked: ${JSON.stringify(all.body)}`);
  assert.ok(!all.body.result.some((l) => l.name === 'Shared Name' && l.id === a.list.id));

  assertErrorBody(await call(B, { method: 'GET', url: `${LISTS}/${a.list.id}` }), 404, 'GET');
  assertErrorBody(await call(B, { method: 'GET', url: `${LISTS}/${a.list.id}?contact_sample=true` }), 404, 'GET sample');
  assertErrorBody(await call(B, { method: 'GET', url: `${LISTS}/${a.list.id}/contacts/count` }), 404, 'count');
});

test("B cannot change A's lists: PATCH, DELETE, DELETE ?delete_contacts, remove contacts -> 404", async () => {
  assertErrorBody(await call(B, { method: 'PATCH', url: `${LISTS}/${a.list.id}`, body: { name: 'hijacked' } }), 404, 'PATCH');
  assertErrorBody(await call(B, { method: 'DELETE', url: `${LISTS}/${a.list.id}/contacts?contact_ids=${a.c1},${a.c2}` }), 404, 'remove contacts');
  assertErrorBody(await call(B, { method: 'DELETE', url: `${LISTS}/${a.list.id}?delete_contacts=true` }), 404, 'DELETE with contacts');
  assertErrorBody(await call(B, { method: 'DELETE', url: `${LISTS}/${a.list.id}` }), 404, 'DELETE');
  assert.deepEqual(await snapshotA(), baseline, "A's data unchanged");
});

test("B cannot add contacts to A's list through upsert list_ids", async () => {
  const r = await call(B, {
    method: 'PUT', url: C, body: { list_ids: [a.list.id], contacts: [{ email: 'intruder@b.example' }] },
  });
  assert400(r, ['list_ids'], "A's list id");
  assert.equal(await findOne(B, 'email', 'intruder@b.example'), null);
  assert.deepEqual(await snapshotA(), baseline);
});

test('list names are per account: B may use A\'s list name; each sees only its own', async () => {
  const c = freshAccount();
  const mine = await createList(c, 'Shared Name');
  assert.notEqual(mine.id, a.list.id);
  await upsertOk(c, [{ email: 'carol@c.example' }], { list_ids: [mine.id] });
  const own = await call(c, { method: 'GET', url: LISTS });
  assert.deepEqual(own.body.result.map((l) => [l.id, l.name, l.contact_count]), [[mine.id, 'Shared Name', 1]]);
  assert.equal(own.body._metadata.count, 1);
  const sample = await call(c, { method: 'GET', url: `${LISTS}/${mine.id}?contact_sample=true` });
  assert.deepEqual(sample.body.contact_sample.map((x) => x.email), ['carol@c.example']);
  // A's view is unchanged, and A cannot see the other list either.
  assert.deepEqual(await snapshotA(), baseline);
  assertErrorBody(await call(A, { method: 'GET', url: `${LISTS}/${mine.id}` }), 404, "A reading the other account's list");
  // Renaming the other account's list to a name A uses is fine too.
  await createList(A, 'A second list');
  const ren = await call(c, { method: 'PATCH', url: `${LISTS}/${mine.id}`, body: { name: 'A second list' } });
  assert.equal(ren.status, 200, JSON.stringify(ren.body));
  const cleanup = (await call(A, { method: 'GET', url: LISTS })).body.result.find((l) => l.name === 'A second list');
  assert.equal((await call(A, { method: 'DELETE', url: `${LISTS}/${cleanup.id}` })).status, 204);
  assert.equal((await call(c, { method: 'GET', url: `${LISTS}/${mine.id}` })).body.name, 'A second list');
});

// ------------------------------------------------------------------ fields

test("A's custom field ids are unknown to B: GET lists none, PATCH/DELETE 404, upsert 400", async () => {
  const c = freshAccount(); // no fields of its own, so ids cannot coincide
  const fields = await call(c, { method: 'GET', url: FD });
  assert.equal(fields.status, 200);
  assert.deepEqual(fields.body.custom_fields, [], `A's fields leaked: ${JSON.stringify(fields.body.custom_fields)}`);

  assertErrorBody(await call(c, { method: 'PATCH', url: `${FD}/${a.field.id}`, body: { name: 'stolen' } }), 404, 'PATCH');
  assertErrorBody(await call(c, { method: 'DELETE', url: `${FD}/${a.field.id}` }), 404, 'DELETE');

  for (const key of [a.field.id, 'shared_field', a.textField.id]) {
    const r = await call(c, { method: 'PUT', url: C, body: { contacts: [{ email: 'x@c.example', custom_fields: { [key]: key === a.textField.id ? 'v' : 1 } }] } });
    assert400(r, ['custom_fields'], `key ${key}`);
    assert.equal(r.body.errors[0].message, `invalid custom field ids supplied - ${key}`);
  }
  assert.equal(await findOne(c, 'email', 'x@c.example'), null);
  assert.deepEqual(await snapshotA(), baseline);
});

test('field names are per account: another account may create A\'s field names', async () => {
  const c = freshAccount();
  const f = await createField(c, 'shared_field', 'Text');
  const g = await createField(c, 'A_ONLY_TEXT', 'Date');
  assert.equal(f.field_type, 'Text');
  await upsertOk(c, [{ email: 'alice@a.example', custom_fields: { shared_field: 'theirs', a_only_text: '2020-01-02' } }]);
  const theirs = await findOne(c, 'email', 'alice@a.example');
  assert.notEqual(theirs.id, a.c1, 'same email, separate contact');
  assert.deepEqual(theirs.custom_fields, { shared_field: 'theirs', A_ONLY_TEXT: '2020-01-02T00:00:00Z' });
  const list = await call(c, { method: 'GET', url: FD });
  assert.deepEqual(list.body.custom_fields.map((x) => [x.id, x.name, x.field_type]),
    [[f.id, 'shared_field', 'Text'], [g.id, 'A_ONLY_TEXT', 'Date']]);

  // Renaming and deleting its own fields leaves A's fields and values alone.
  const ren = await call(c, { method: 'PATCH', url: `${FD}/${f.id}`, body: { name: 'renamed_there' } });
  assert.equal(ren.status, 200, JSON.stringify(ren.body));
  assert.equal((await call(c, { method: 'DELETE', url: `${FD}/${g.id}` })).status, 204);
  assert.deepEqual(await snapshotA(), baseline);
});

// ---------------------------------------------------------------- contacts

test("B cannot read A's contacts: GET by id, batch, search/emails, identifiers, count, recent list", async () => {
  assertErrorBody(await getContact(B, a.c1), 404, 'GET by id');
  const b = await call(B, { method: 'POST', url: `${C}/batch`, body: { ids: [a.c1, a.c2] } });
  assert.equal(b.status, 200, JSON.stringify(b.body));
  assert.deepEqual(b.body, { result: [] });
  assertErrorBody(await call(B, { method: 'POST', url: `${C}/search/emails`, body: { emails: ['alice@a.example', 'alice.alt@a.example', 'arthur@a.example'] } }), 404, 'search/emails');
  assert.equal(await findOne(B, 'email', 'alice@a.example'), null);
  assert.equal(await findOne(B, 'external_id', 'a-ext-1'), null);
  assert.deepEqual(await countOf(B), { contact_count: 0, billable_count: 0 });
  const recent = await call(B, { method: 'GET', url: C });
  assert.equal(recent.status, 200);
  assert.deepEqual(recent.body.result, []);
  assert.equal(recent.body.contact_count, 0);
});

test("B's own list with A's list name has an empty sample and count", async () => {
  const mine = await createList(B, 'Shared Name');
  const s = await call(B, { method: 'GET', url: `${LISTS}/${mine.id}?contact_sample=true` });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.contact_count, 0);
  assert.deepEqual(s.body.contact_sample, []);
  const cnt = await call(B, { method: 'GET', url: `${LISTS}/${mine.id}/contacts/count` });
  assert.deepEqual(cnt.body, { contact_count: 0, billable_count: 0 });
  // Removing A's contacts from B's list: they are not members (errored), A unaffected.
  const rm = await call(B, { method: 'DELETE', url: `${LISTS}/${mine.id}/contacts?contact_ids=${a.c1}` });
  assert.equal(rm.status, 202, JSON.stringify(rm.body));
  const job = await pollJob(B, rm.body.job_id);
  assert.ok(['errored', 'failed'].includes(job.status), JSON.stringify(job));
  assert.equal(job.results.deleted_count, 0);
  assert.equal(job.results.errored_count, 1);
  assert.equal((await call(B, { method: 'DELETE', url: `${LISTS}/${mine.id}` })).status, 204);
  assert.deepEqual(await snapshotA(), baseline);
});

test("B's DELETE /contacts?ids=<A's ids> errors every id; A's contacts remain", async () => {
  const r = await call(B, { method: 'DELETE', url: `${C}?ids=${a.c1},${a.c2}` });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const job = await pollJob(B, r.body.job_id);
  assertJob(job, { status: 'failed', jobType: 'delete', results: { requested_count: 2, deleted_count: 0, errored_count: 2 } });
  const errs = await fetchJobErrors(B, job, srv.url);
  assert.deepEqual(errs.errors.map((e) => [e.index, e.identifiers.contact_id]).sort((x, y) => x[0] - y[0]), [[0, a.c1], [1, a.c2]]);
  // The job belongs to B only.
  assertErrorBody(await call(A, { method: 'GET', url: `${C}/imports/${r.body.job_id}` }), 404, "A reading B's job");
  assert.deepEqual(await snapshotA(), baseline);
});

test("B's delete_all_contacts deletes only B's contacts", async () => {
  await upsertOk(B, [{ email: 'alice@a.example', first_name: 'B-Alice' }, { email: 'bert@b.example' }]);
  const bAlice = await findOne(B, 'email', 'alice@a.example');
  assert.notEqual(bAlice.id, a.c1);
  assert.equal(bAlice.first_name, 'B-Alice');
  assert.deepEqual(await countOf(B), { contact_count: 2, billable_count: 2 });

  const r = await call(B, { method: 'DELETE', url: `${C}?delete_all_contacts=true` });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const job = await pollJob(B, r.body.job_id);
  assertJob(job, { status: 'completed', jobType: 'delete', results: { requested_count: 2, deleted_count: 2, errored_count: 0 } });
  // deleted this month: still billable this month
  assert.deepEqual(await countOf(B), { contact_count: 0, billable_count: 2 });
  assert.equal(await findOne(B, 'email', 'alice@a.example'), null);

  const now = await snapshotA();
  assert.deepEqual(now, baseline, "A's contacts, list and fields are intact");
  assert.equal((await findOne(A, 'email', 'alice@a.example')).id, a.c1);
});

test("a list's delete_contacts job in one account leaves the other account's same-email contact", async () => {
  const c = freshAccount();
  const l = await createList(c, 'Shared Name');
  await upsertOk(c, [{ email: 'alice@a.example' }, { email: 'arthur@a.example' }], { list_ids: [l.id] });
  const r = await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}?delete_contacts=true` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const job = await pollJob(c, r.body.job_id);
  assert.equal(job.results.deleted_count, 2, JSON.stringify(job));
  assert.deepEqual(await countOf(c), { contact_count: 0, billable_count: 2 });
  assert.deepEqual(await snapshotA(), baseline);
});
