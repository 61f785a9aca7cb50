'use strict';
// /v3/marketing/lists: create, read (with paging and contact samples), rename,
// delete (with and without its contacts), remove contacts from a list, count,
// and list membership through PUT /v3/marketing/contacts {list_ids}.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, pollJob, upsert, assert400, assertErrorBody, assertJob, fetchJobErrors,
  getContact, findOne, sleep, UUID_RE, test,
  createList, freshAccount: newAccount,
} = require('./lib/server');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

const LISTS = '/v3/marketing/lists';
const UNKNOWN_ID = '0e8f4a52-6a4f-4c1e-9a57-3b2d7c9e1f00';

// ------------------------------------------------------------ local helpers

function freshAccount() {
  return newAccount(srv, 'lists');
}

async function getList(client, id, query = '') {
  return call(client, { method: 'GET', url: `${LISTS}/${id}${query}` });
}

// PUT contacts with list_ids and wait for the job to complete cleanly.
async function upsertToLists(client, contacts, listIds) {
  const jobId = await upsert(client, contacts, { list_ids: listIds });
  const job = await pollJob(client, jobId);
  assertJob(job, { status: 'completed', jobType: 'upsert', results: { errored_count: 0, requested_count: contacts.length } });
  return job;
}

async function contactByEmail(client, email) {
  const c = await findOne(client, 'email', email);
  assert.ok(c, `contact ${email} expected to exist`);
  return c;
}

function assertListShape(l, { name, contactCount } = {}) {
  assert.ok(l && typeof l === 'object', `list object expected: ${JSON.stringify(l)}`);
  assert.equal(typeof l.id, 'string');
  assert.match(l.id, UUID_RE, `list id not a UUID: ${l.id}`);
  assert.equal(typeof l.name, 'string');
  assert.equal(typeof l.contact_count, 'number');
  assert.ok(l._metadata && typeof l._metadata.self === 'string', `_metadata.self expected: ${JSON.stringify(l)}`);
  assert.match(l._metadata.self, /^https?:\/\//, `_metadata.self must be a URL: ${l._metadata.self}`);
  assert.ok(new URL(l._metadata.self).pathname === `/v3/marketing/lists/${l.id}`, `_metadata.self: ${l._metadata.self}`);
  if (name !== undefined) assert.equal(l.name, name, 'list name');
  if (contactCount !== undefined) assert.equal(l.contact_count, contactCount, `contact_count of ${l.name}`);
}

async function allLists(client) {
  const r = await call(client, { method: 'GET', url: `${LISTS}?page_size=1000` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.result;
}

function pageTokenOf(url) {
  const u = new URL(url, srv.url);
  const t = u.searchParams.get('page_token');
  assert.ok(t !== null, `page_token expected in ${url}`);
  return t;
}

async function listCount(client, id) {
  const r = await call(client, { method: 'GET', url: `${LISTS}/${id}/contacts/count` });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

// ------------------------------------------------------------------- create

test('POST /lists creates a list: 201 with id, name, contact_count 0 and _metadata.self', async () => {
  const c = srv.client;
  const r = await call(c, { method: 'POST', url: LISTS, body: { name: 'Newsletter' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ['_metadata', 'contact_count', 'id', 'name']);
  assertListShape(r.body, { name: 'Newsletter', contactCount: 0 });

  const got = await getList(c, r.body.id);
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assertListShape(got.body, { name: 'Newsletter', contactCount: 0 });
  assert.equal(got.body.id, r.body.id);
  assert.equal(got.body.contact_sample, undefined, 'no contact_sample without ?contact_sample=true');

  const other = await createList(c, 'Newsletter 2');
  assert.notEqual(other.id, r.body.id, 'each list gets its own id');
});

test('POST /lists validates name: missing, non-string, empty, >100 chars -> 400 field name', async () => {
  const c = freshAccount();
  const bad = [
    [{}, 'missing'],
    [{ name: 42 }, 'number'],
    [{ name: null }, 'null'],
    [{ name: ['a'] }, 'array'],
    [{ name: '' }, 'empty'],
    [{ name: 'x'.repeat(101) }, '101 chars'],
  ];
  for (const [body, label] of bad) {
    assert400(await call(c, { method: 'POST', url: LISTS, body }), ['name'], label);
  }
  assert.deepEqual(await allLists(c), [], 'no list was created by invalid requests');

  // Exactly 100 characters is fine.
  const long = await createList(c, 'y'.repeat(100));
  assertListShape(long, { name: 'y'.repeat(100), contactCount: 0 });
});

test('POST /lists with an unknown body key: the key is ignored, as SendGrid ignores it', async () => {
  const c = freshAccount();
  const r = await call(c, { method: 'POST', url: LISTS, body: { name: 'Extra', colour: 'red' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.ok(!('colour' in r.body));
  assert.deepEqual((await allLists(c)).map((l) => l.name), ['Extra']);
});

test('POST /lists with a duplicate name in the same account -> 400 field name', async () => {
  const c = freshAccount();
  const first = await createList(c, 'VIP');
  assert400(await call(c, { method: 'POST', url: LISTS, body: { name: 'VIP' } }), ['name'], 'duplicate');
  const lists = await allLists(c);
  assert.deepEqual(lists.map((l) => l.id), [first.id], 'still exactly one list');
});

test('a list name becomes available again after the list is deleted', async () => {
  const c = freshAccount();
  const first = await createList(c, 'Recycled');
  const del = await call(c, { method: 'DELETE', url: `${LISTS}/${first.id}` });
  assert.equal(del.status, 204, JSON.stringify(del.body));
  const again = await createList(c, 'Recycled');
  assert.notEqual(again.id, first.id);
});

// ------------------------------------------------------------- GET /lists

test('GET /lists pages through lists in creation order, following next and prev tokens', async () => {
  const c = freshAccount();
  const created = [];
  // Created back to back, as a client would: creation order must hold even
  // for lists created within the same millisecond.
  for (let i = 0; i < 25; i++) created.push(await createList(c, `page-list-${String(i).padStart(2, '0')}`));
  const ids = created.map((l) => l.id);

  // Page 1.
  const p1 = await call(c, { method: 'GET', url: `${LISTS}?page_size=10` });
  assert.equal(p1.status, 200, JSON.stringify(p1.body));
  assert.deepEqual(Object.keys(p1.body).sort(), ['_metadata', 'result']);
  assert.equal(p1.body._metadata.count, 25, 'count is the total number of lists');
  assert.equal(typeof p1.body._metadata.self, 'string');
  assert.equal(new URL(p1.body._metadata.self, srv.url).pathname, LISTS);
  assert.equal(p1.body.result.length, 10);
  for (const l of p1.body.result) assertListShape(l, { contactCount: 0 });
  assert.deepEqual(p1.body.result.map((l) => l.id), ids.slice(0, 10), 'page 1 in creation order');
  assert.equal(p1.body._metadata.prev, undefined, 'no prev on the first page');
  assert.equal(typeof p1.body._metadata.next, 'string', `next expected: ${JSON.stringify(p1.body._metadata)}`);
  assert.equal(new URL(p1.body._metadata.next, srv.url).searchParams.get('page_size'), '10');

  // Page 2 through next.
  const t2 = pageTokenOf(p1.body._metadata.next);
  const p2 = await call(c, { method: 'GET', url: `${LISTS}?page_size=10&page_token=${encodeURIComponent(t2)}` });
  assert.equal(p2.status, 200, JSON.stringify(p2.body));
  assert.equal(p2.body._metadata.count, 25);
  assert.deepEqual(p2.body.result.map((l) => l.id), ids.slice(10, 20), 'page 2 in creation order');
  assert.equal(typeof p2.body._metadata.prev, 'string', `prev expected on page 2: ${JSON.stringify(p2.body._metadata)}`);
  assert.equal(typeof p2.body._metadata.next, 'string', `next expected on page 2: ${JSON.stringify(p2.body._metadata)}`);

  // Page 3 (last, partial).
  const t3 = pageTokenOf(p2.body._metadata.next);
  const p3 = await call(c, { method: 'GET', url: `${LISTS}?page_size=10&page_token=${encodeURIComponent(t3)}` });
  assert.equal(p3.status, 200, JSON.stringify(p3.body));
  assert.deepEqual(p3.body.result.map((l) => l.id), ids.slice(20), 'last page');
  assert.equal(p3.body._metadata.next, undefined, 'no next on the last page');
  assert.equal(typeof p3.body._metadata.prev, 'string');

  // Back from page 3 to page 2 through prev.
  const tb = pageTokenOf(p3.body._metadata.prev);
  const back = await call(c, { method: 'GET', url: `${LISTS}?page_size=10&page_token=${encodeURIComponent(tb)}` });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  assert.deepEqual(back.body.result.map((l) => l.id), ids.slice(10, 20), 'prev of page 3 is page 2');

  // Default page size is 100: all 25 in one page, no next.
  const all = await call(c, { method: 'GET', url: LISTS });
  assert.equal(all.status, 200, JSON.stringify(all.body));
  assert.deepEqual(all.body.result.map((l) => l.id), ids);
  assert.deepEqual(all.body.result.map((l) => l.name), created.map((l) => l.name));
  assert.equal(all.body._metadata.count, 25);
  assert.equal(all.body._metadata.next, undefined);
  assert.equal(all.body._metadata.prev, undefined);
});

test('GET /lists with page_size=1 walks every list once', async () => {
  const c = freshAccount();
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push((await createList(c, `walk-${i}`)).id);
  const seen = [];
  let url = `${LISTS}?page_size=1`;
  for (let guard = 0; guard < 10 && url; guard++) {
    const r = await call(c, { method: 'GET', url });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.result.length, 1);
    assert.equal(r.body._metadata.count, 4);
    seen.push(r.body.result[0].id);
    url = r.body._metadata.next
      ? `${LISTS}?page_size=1&page_token=${encodeURIComponent(pageTokenOf(r.body._metadata.next))}`
      : null;
  }
  assert.deepEqual(seen, ids);
});

test('GET /lists of an account without lists: empty result, count 0', async () => {
  const c = freshAccount();
  const r = await call(c, { method: 'GET', url: LISTS });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.result, []);
  assert.equal(r.body._metadata.count, 0);
  assert.equal(r.body._metadata.next, undefined);
});

test('GET /lists rejects page_size outside 1..1000 and a bad page_token', async () => {
  const c = freshAccount();
  await createList(c, 'only');
  for (const ps of ['0', '1001', '-1', 'abc', '', '10x', '1.5']) {
    assert400(await call(c, { method: 'GET', url: `${LISTS}?page_size=${ps}` }), ['page_size'], `page_size=${ps}`);
  }
  for (const ps of ['1', '1000']) {
    const r = await call(c, { method: 'GET', url: `${LISTS}?page_size=${ps}` });
    assert.equal(r.status, 200, `page_size=${ps}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.result.length, 1);
  }
  for (const tok of ['not-a-token', '%%%', '-5']) {
    assert400(await call(c, { method: 'GET', url: `${LISTS}?page_token=${encodeURIComponent(tok)}` }), ['page_token'], `page_token=${tok}`);
  }
});

test('GET /lists shows contact_count per list', async () => {
  const c = freshAccount();
  const a = await createList(c, 'counted-a');
  const b = await createList(c, 'counted-b');
  await upsertToLists(c, [{ email: 'cnt1@example.com' }, { email: 'cnt2@example.com' }], [a.id]);
  await upsertToLists(c, [{ email: 'cnt3@example.com' }], [a.id, b.id]);
  const lists = await allLists(c);
  assert.deepEqual(lists.map((l) => [l.name, l.contact_count]), [['counted-a', 3], ['counted-b', 1]]);
});

// -------------------------------------------------------- GET /lists/{id}

test('GET /lists/{id} of an unknown or malformed id -> 404', async () => {
  for (const id of [UNKNOWN_ID, 'not-a-uuid', '12345']) {
    assertErrorBody(await getList(srv.client, id), 404, id);
  }
});

test('GET /lists/{id}?contact_sample must be true or false (any case) or 1 or 0', async () => {
  const c = srv.client;
  const l = await createList(c, 'sample-param');
  for (const v of ['yes', '2', 'TRUEISH', '']) {
    const r = await getList(c, l.id, `?contact_sample=${v}`);
    assert.equal(r.status, 400, `contact_sample=${v}: ${JSON.stringify(r.body)}`);
    assertErrorBody(r, 400);
  }
  const f = await getList(c, l.id, '?contact_sample=false');
  assert.equal(f.status, 200);
  assert.equal(f.body.contact_sample, undefined, 'contact_sample=false adds no sample');
  const t = await getList(c, l.id, '?contact_sample=true');
  assert.equal(t.status, 200);
  assert.deepEqual(t.body.contact_sample, [], 'empty list: empty sample');
  // Unknown list with a sample request is still 404.
  assertErrorBody(await getList(c, UNKNOWN_ID, '?contact_sample=true'), 404);
});

test('contact_sample: members as full contacts, newest added first, at most 50', async () => {
  const c = freshAccount();
  const l = await createList(c, 'sampled');
  const other = await createList(c, 'not-sampled');
  await upsertToLists(c, [{ email: 'outsider@example.com', first_name: 'Out' }], [other.id]);

  await upsertToLists(c, [{ email: 'first@example.com', first_name: 'First' }], [l.id]);
  await sleep(5);
  await upsertToLists(c, [{ email: 'second@example.com', first_name: 'Second' }], [l.id]);
  await sleep(5);
  await upsertToLists(c, [{ email: 'third@example.com', first_name: 'Third' }], [l.id]);

  const r = await getList(c, l.id, '?contact_sample=true');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assertListShape(r.body, { name: 'sampled', contactCount: 3 });
  assert.deepEqual(r.body.contact_sample.map((x) => x.email),
    ['third@example.com', 'second@example.com', 'first@example.com'], 'newest added first');
  for (const x of r.body.contact_sample) {
    assert.match(x.id, UUID_RE);
    assert.deepEqual(x.list_ids, [l.id]);
    assert.deepEqual(x.alternate_emails, []);
    assert.deepEqual(x.segment_ids, []);
    assert.deepEqual(x.custom_fields, {});
    assert.equal(typeof x.created_at, 'string');
    assert.equal(typeof x.updated_at, 'string');
    assert.ok(x._metadata.self.endsWith(`/v3/marketing/contacts/${x.id}`));
    const full = await getContact(c, x.id);
    assert.equal(full.status, 200);
    assert.deepEqual(x, full.body, 'a sample entry is the same ContactDetails as GET /contacts/{id}');
  }
  assert.equal(r.body.contact_sample[0].first_name, 'Third');

  // 60 more members in one request, then one more: 64 members, sample of 50
  // starting with the newest.
  const bulk = [];
  for (let i = 0; i < 60; i++) bulk.push({ email: `bulk${i}@example.com` });
  await sleep(5);
  await upsertToLists(c, bulk, [l.id]);
  await sleep(5);
  await upsertToLists(c, [{ email: 'newest@example.com' }], [l.id]);
  const big = await getList(c, l.id, '?contact_sample=true');
  assert.equal(big.status, 200);
  assert.equal(big.body.contact_count, 64);
  assert.equal(big.body.contact_sample.length, 50, 'sample capped at 50');
  assert.equal(big.body.contact_sample[0].email, 'newest@example.com');
  const emails = big.body.contact_sample.map((x) => x.email);
  assert.equal(new Set(emails).size, 50, 'no duplicates in the sample');
  for (const e of emails.slice(1)) assert.match(e, /^bulk\d+@example\.com$/, 'older members after the bulk ones');
  assert.ok(!emails.includes('outsider@example.com'));
});

// --------------------------------------------------------- list_ids upsert

test('PUT /contacts with list_ids adds created and updated contacts to every given list', async () => {
  const c = freshAccount();
  const a = await createList(c, 'members-a');
  const b = await createList(c, 'members-b');
  await upsertToLists(c, [{ email: 'existing@example.com' }], []);

  const job = await upsertToLists(c, [{ email: 'existing@example.com' }, { email: 'brandnew@example.com' }], [b.id, a.id]);
  assert.equal(job.results.created_count, 1);
  assert.equal(job.results.updated_count, 1);
  const sortedIds = [a.id, b.id].sort();
  for (const email of ['existing@example.com', 'brandnew@example.com']) {
    const ct = await contactByEmail(c, email);
    assert.deepEqual(ct.list_ids, sortedIds, `${email}: list_ids sorted`);
  }
  assert.deepEqual(await listCount(c, a.id), { contact_count: 2, billable_count: 2 });
  assert.deepEqual(await listCount(c, b.id), { contact_count: 2, billable_count: 2 });

  // A later upsert with a third list adds to it without removing the others.
  const d = await createList(c, 'members-d');
  await upsertToLists(c, [{ email: 'existing@example.com', first_name: 'Ex' }], [d.id]);
  const ex = await contactByEmail(c, 'existing@example.com');
  assert.deepEqual(ex.list_ids, [a.id, b.id, d.id].sort());
  assert.equal(ex.first_name, 'Ex');
  // An upsert without list_ids keeps memberships.
  await upsertToLists(c, [{ email: 'existing@example.com', last_name: 'Ing' }], undefined);
  assert.deepEqual((await contactByEmail(c, 'existing@example.com')).list_ids, [a.id, b.id, d.id].sort());
  // Adding again to a list it is already in does not double count.
  await upsertToLists(c, [{ email: 'existing@example.com' }], [a.id]);
  assert.deepEqual(await listCount(c, a.id), { contact_count: 2, billable_count: 2 });
});

test('PUT /contacts with list_ids: records that error in the job are not added to the list', async () => {
  const c = freshAccount();
  const l = await createList(c, 'only-successes');
  await upsertToLists(c, [{ email: 'guarded@example.com', external_id: 'guarded-ext' }], []);
  // Record 0 omits the contact's external_id and errors; record 1 is created.
  const jobId = await upsert(c, [{ email: 'guarded@example.com' }, { email: 'fresh@example.com' }], { list_ids: [l.id] });
  const job = await pollJob(c, jobId);
  assertJob(job, { status: 'errored', jobType: 'upsert', results: { requested_count: 2, created_count: 1, updated_count: 0, errored_count: 1 } });
  assert.deepEqual((await contactByEmail(c, 'guarded@example.com')).list_ids, [], 'errored record not added');
  assert.deepEqual((await contactByEmail(c, 'fresh@example.com')).list_ids, [l.id]);
  assert.deepEqual(await listCount(c, l.id), { contact_count: 1, billable_count: 1 });
});

test('PUT /contacts with an unknown list id -> 400 field list_ids, nothing written', async () => {
  const c = freshAccount();
  const a = await createList(c, 'real');
  for (const listIds of [[UNKNOWN_ID], [a.id, UNKNOWN_ID], ['not-a-list'], 'not-an-array', { id: a.id }]) {
    const r = await call(c, {
      method: 'PUT', url: '/v3/marketing/contacts',
      body: { list_ids: listIds, contacts: [{ email: 'nolist@example.com' }] },
    });
    assert400(r, ['list_ids'], JSON.stringify(listIds));
  }
  assert.equal(await findOne(c, 'email', 'nolist@example.com'), null, 'no contact created');
  assert.deepEqual(await listCount(c, a.id), { contact_count: 0, billable_count: 0 });
});

// ------------------------------------------------------------- PATCH

test('PATCH /lists/{id} renames the list; 404 unknown; 400 duplicate or invalid name', async () => {
  const c = freshAccount();
  const l = await createList(c, 'before');
  const other = await createList(c, 'taken');
  await upsertToLists(c, [{ email: 'patch@example.com' }], [l.id]);

  const r = await call(c, { method: 'PATCH', url: `${LISTS}/${l.id}`, body: { name: 'after' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assertListShape(r.body, { name: 'after', contactCount: 1 });
  assert.equal(r.body.id, l.id);
  const got = await getList(c, l.id);
  assert.equal(got.body.name, 'after');
  assert.deepEqual((await allLists(c)).map((x) => x.name), ['after', 'taken']);
  // The old name is free again.
  await createList(c, 'before');

  assert400(await call(c, { method: 'PATCH', url: `${LISTS}/${l.id}`, body: { name: 'taken' } }), ['name'], 'duplicate');
  assert400(await call(c, { method: 'PATCH', url: `${LISTS}/${l.id}`, body: { name: '' } }), ['name'], 'empty');
  assert400(await call(c, { method: 'PATCH', url: `${LISTS}/${l.id}`, body: { name: 'z'.repeat(101) } }), ['name'], '101 chars');
  assert400(await call(c, { method: 'PATCH', url: `${LISTS}/${l.id}`, body: { name: 7 } }), ['name'], 'number');
  assert.equal((await getList(c, l.id)).body.name, 'after', 'failed renames change nothing');
  assert.equal((await getList(c, other.id)).body.name, 'taken');

  assertErrorBody(await call(c, { method: 'PATCH', url: `${LISTS}/${UNKNOWN_ID}`, body: { name: 'ghost' } }), 404, 'unknown list');
  const extra = await call(c, { method: 'PATCH', url: `${LISTS}/${l.id}`, body: { name: 'after', colour: 'red' } });
  assert.equal(extra.status, 200, `an unknown key is ignored: ${JSON.stringify(extra.body)}`);

  // Renaming a list to its current name is not a duplicate.
  const same = await call(c, { method: 'PATCH', url: `${LISTS}/${l.id}`, body: { name: 'after' } });
  assert.equal(same.status, 200, JSON.stringify(same.body));
  assertListShape(same.body, { name: 'after', contactCount: 1 });
  assert.ok(!(await allLists(c)).some((x) => x.name === 'ghost'));
});

// ------------------------------------------------------------- DELETE

test('DELETE /lists/{id} -> 204 empty; contacts stay but lose the list id', async () => {
  const c = freshAccount();
  const doomed = await createList(c, 'doomed');
  const keep = await createList(c, 'keep');
  await upsertToLists(c, [{ email: 'stay1@example.com' }, { email: 'stay2@example.com' }], [doomed.id, keep.id]);

  const del = await call(c, { method: 'DELETE', url: `${LISTS}/${doomed.id}` });
  assert.equal(del.status, 204);
  assert.ok(del.body === undefined || del.body === '' || del.body === null, `empty body expected: ${JSON.stringify(del.body)}`);

  assertErrorBody(await getList(c, doomed.id), 404, 'deleted list');
  assert.deepEqual((await allLists(c)).map((x) => x.id), [keep.id]);
  for (const email of ['stay1@example.com', 'stay2@example.com']) {
    const ct = await contactByEmail(c, email);
    assert.deepEqual(ct.list_ids, [keep.id], `${email} list_ids`);
  }
  const count = await call(c, { method: 'GET', url: '/v3/marketing/contacts/count' });
  assert.equal(count.body.contact_count, 2);
  assertErrorBody(await call(c, { method: 'DELETE', url: `${LISTS}/${doomed.id}` }), 404, 'second delete');
  assertErrorBody(await call(c, { method: 'DELETE', url: `${LISTS}/${UNKNOWN_ID}` }), 404, 'unknown');
  assertErrorBody(await call(c, { method: 'GET', url: `${LISTS}/${doomed.id}/contacts/count` }), 404, 'count of deleted list');
});

test('DELETE /lists/{id}?delete_contacts=true -> 200 {job_id}; the job deletes the members', async () => {
  const c = freshAccount();
  const doomed = await createList(c, 'purge');
  const other = await createList(c, 'other');
  await upsertToLists(c, [{ email: 'm1@example.com' }, { email: 'm2@example.com' }], [doomed.id]);
  await upsertToLists(c, [{ email: 'both@example.com' }], [doomed.id, other.id]);
  await upsertToLists(c, [{ email: 'free@example.com' }], [other.id]);
  const memberIds = [];
  for (const e of ['m1@example.com', 'm2@example.com', 'both@example.com']) memberIds.push((await contactByEmail(c, e)).id);

  const del = await call(c, { method: 'DELETE', url: `${LISTS}/${doomed.id}?delete_contacts=true` });
  assert.equal(del.status, 200, JSON.stringify(del.body));
  assert.deepEqual(Object.keys(del.body), ['job_id']);
  assert.equal(typeof del.body.job_id, 'string');
  const job = await pollJob(c, del.body.job_id);
  assertJob(job, { id: del.body.job_id, status: 'completed', results: { deleted_count: 3, errored_count: 0 } });

  assertErrorBody(await getList(c, doomed.id), 404, 'list gone');
  for (const id of memberIds) assert.equal((await getContact(c, id)).status, 404, `member ${id} deleted`);
  for (const e of ['m1@example.com', 'm2@example.com', 'both@example.com']) {
    assert.equal(await findOne(c, 'email', e), null, `${e} not found by search`);
  }
  const free = await contactByEmail(c, 'free@example.com');
  assert.deepEqual(free.list_ids, [other.id]);
  assert.deepEqual(await listCount(c, other.id), { contact_count: 1, billable_count: 1 });
  const count = await call(c, { method: 'GET', url: '/v3/marketing/contacts/count' });
  // the three deleted contacts stay billable this month
  assert.deepEqual(count.body, { contact_count: 1, billable_count: 4 });

  assertErrorBody(await call(c, { method: 'DELETE', url: `${LISTS}/${UNKNOWN_ID}?delete_contacts=true` }), 404, 'unknown list');
});

test('DELETE /lists/{id}?delete_contacts=true on an empty list deletes nothing', async () => {
  const c = freshAccount();
  const empty = await createList(c, 'empty');
  await upsertToLists(c, [{ email: 'bystander@example.com' }], []);
  const del = await call(c, { method: 'DELETE', url: `${LISTS}/${empty.id}?delete_contacts=true` });
  assert.equal(del.status, 200, JSON.stringify(del.body));
  const job = await pollJob(c, del.body.job_id);
  assert.equal(job.results.deleted_count, 0, JSON.stringify(job));
  assert.equal(job.results.errored_count, 0, JSON.stringify(job));
  assertErrorBody(await getList(c, empty.id), 404);
  assert.ok(await findOne(c, 'email', 'bystander@example.com'));
});

// --------------------------------------------- DELETE /lists/{id}/contacts

test('DELETE /lists/{id}/contacts removes contacts from the list; the contacts stay', async () => {
  const c = freshAccount();
  const l = await createList(c, 'trim');
  const other = await createList(c, 'untouched');
  await upsertToLists(c, [{ email: 'r1@example.com' }, { email: 'r2@example.com' }, { email: 'r3@example.com' }], [l.id, other.id]);
  const ids = {};
  for (const e of ['r1', 'r2', 'r3']) ids[e] = (await contactByEmail(c, `${e}@example.com`)).id;

  const del = await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}/contacts?contact_ids=${ids.r1},${ids.r3}` });
  assert.equal(del.status, 202, JSON.stringify(del.body));
  assert.deepEqual(Object.keys(del.body), ['job_id']);
  const job = await pollJob(c, del.body.job_id);
  assertJob(job, { id: del.body.job_id, status: 'completed', results: { deleted_count: 2, errored_count: 0 } });

  assert.deepEqual(await listCount(c, l.id), { contact_count: 1, billable_count: 1 });
  assert.deepEqual(await listCount(c, other.id), { contact_count: 3, billable_count: 3 });
  for (const e of ['r1', 'r3']) {
    const got = await getContact(c, ids[e]);
    assert.equal(got.status, 200, `${e} still exists`);
    assert.deepEqual(got.body.list_ids, [other.id], `${e} list_ids`);
  }
  assert.deepEqual((await getContact(c, ids.r2)).body.list_ids, [l.id, other.id].sort());
  const sample = await getList(c, l.id, '?contact_sample=true');
  assert.deepEqual(sample.body.contact_sample.map((x) => x.id), [ids.r2]);
  const count = await call(c, { method: 'GET', url: '/v3/marketing/contacts/count' });
  assert.equal(count.body.contact_count, 3, 'no contact was deleted');
});

test('DELETE /lists/{id}/contacts: an id not in the list is an errored record', async () => {
  const c = freshAccount();
  const l = await createList(c, 'partial');
  await upsertToLists(c, [{ email: 'in@example.com' }], [l.id]);
  await upsertToLists(c, [{ email: 'out@example.com' }], []);
  const inId = (await contactByEmail(c, 'in@example.com')).id;
  const outId = (await contactByEmail(c, 'out@example.com')).id;

  const del = await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}/contacts?contact_ids=${inId},${outId},${UNKNOWN_ID}` });
  assert.equal(del.status, 202, JSON.stringify(del.body));
  const job = await pollJob(c, del.body.job_id);
  assert.ok(['errored', 'failed'].includes(job.status), `errored/failed expected: ${JSON.stringify(job)}`);
  assert.equal(job.results.deleted_count, 1, JSON.stringify(job));
  assert.equal(job.results.errored_count, 2, JSON.stringify(job));
  const errs = await fetchJobErrors(c, job, srv.url);
  const errored = errs.errors.map((e) => [e.index, e.identifiers.contact_id]).sort((x, y) => x[0] - y[0]);
  assert.deepEqual(errored, [[1, outId], [2, UNKNOWN_ID]]);

  assert.deepEqual(await listCount(c, l.id), { contact_count: 0, billable_count: 0 });
  assert.ok(await findOne(c, 'email', 'in@example.com'), 'removed contact still exists');
  assert.ok(await findOne(c, 'email', 'out@example.com'));

  // Only ids not in the list: nothing removed.
  const del2 = await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}/contacts?contact_ids=${outId}` });
  assert.equal(del2.status, 202);
  const job2 = await pollJob(c, del2.body.job_id);
  assert.ok(['errored', 'failed'].includes(job2.status), JSON.stringify(job2));
  assert.equal(job2.results.deleted_count, 0);
  assert.equal(job2.results.errored_count, 1);
});

test('DELETE /lists/{id}/contacts validation: contact_ids missing/empty/malformed -> 400; unknown list -> 404', async () => {
  const c = freshAccount();
  const l = await createList(c, 'validate-remove');
  await upsertToLists(c, [{ email: 'v@example.com' }], [l.id]);
  const vid = (await contactByEmail(c, 'v@example.com')).id;
  for (const q of ['', '?contact_ids=', '?contact_ids=abc', `?contact_ids=${vid},nope`, '?contact_ids=,']) {
    assert400(await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}/contacts${q}` }), ['contact_ids'], q || '(none)');
  }
  assert.deepEqual(await listCount(c, l.id), { contact_count: 1, billable_count: 1 }, 'nothing removed');
  assertErrorBody(await call(c, { method: 'DELETE', url: `${LISTS}/${UNKNOWN_ID}/contacts?contact_ids=${vid}` }), 404, 'unknown list');
});

// ------------------------------------------------------ contacts/count

test('GET /lists/{id}/contacts/count follows membership; 404 for unknown list', async () => {
  const c = freshAccount();
  const l = await createList(c, 'counter');
  assert.deepEqual(await listCount(c, l.id), { contact_count: 0, billable_count: 0 });
  await upsertToLists(c, [{ email: 'k1@example.com' }, { email: 'k2@example.com' }], [l.id]);
  await upsertToLists(c, [{ email: 'k3@example.com' }], []);
  const r = await call(c, { method: 'GET', url: `${LISTS}/${l.id}/contacts/count` });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { contact_count: 2, billable_count: 2 });
  assert.equal((await getList(c, l.id)).body.contact_count, 2);

  // Deleting a member contact drops it from the count.
  const k1 = (await contactByEmail(c, 'k1@example.com')).id;
  const del = await call(c, { method: 'DELETE', url: `/v3/marketing/contacts?ids=${k1}` });
  assert.equal(del.status, 202, JSON.stringify(del.body));
  await pollJob(c, del.body.job_id);
  assert.deepEqual(await listCount(c, l.id), { contact_count: 1, billable_count: 1 });
  assert.equal((await getList(c, l.id)).body.contact_count, 1);

  assertErrorBody(await call(c, { method: 'GET', url: `${LISTS}/${UNKNOWN_ID}/contacts/count` }), 404);
});

test('DELETE /lists/{id}?delete_contacts=true with more members than one job slice', async () => {
  const c = freshAccount();
  const l = await createList(c, 'huge');
  const members = [];
  for (let i = 0; i < 2300; i++) members.push({ external_id: `huge-${i}` });
  await upsertToLists(c, members, [l.id]);
  await upsertToLists(c, [{ external_id: 'not-a-member' }], []);
  assert.deepEqual(await listCount(c, l.id), { contact_count: 2300, billable_count: 2300 });
  const del = await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}?delete_contacts=true` });
  assert.equal(del.status, 200, JSON.stringify(del.body));
  const job = await pollJob(c, del.body.job_id, { timeoutMs: 30000 });
  assertJob(job, { status: 'completed', results: { deleted_count: 2300, errored_count: 0 } });
  const cnt = await call(c, { method: 'GET', url: '/v3/marketing/contacts/count' });
  assert.deepEqual(cnt.body, { contact_count: 1, billable_count: 2301 });
  assert.equal(await findOne(c, 'external_id', 'huge-0'), null);
  assert.equal(await findOne(c, 'external_id', 'huge-2299'), null);
  assert.ok(await findOne(c, 'external_id', 'not-a-member'));
});

test('a list deleted while an upsert naming it is queued: no contact ends up referencing it', async () => {
  const c = freshAccount();
  const l = await createList(c, 'short-lived');
  const contacts = [];
  for (let i = 0; i < 1500; i++) contacts.push({ external_id: `sl-${i}` });
  // Accepted with the list existing; the list is deleted right after, while
  // the job may still be queued or running.
  const jobId = await upsert(c, contacts, { list_ids: [l.id] });
  const del = await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}` });
  assert.equal(del.status, 204);
  const job = await pollJob(c, jobId, { timeoutMs: 30000 });
  assert.equal(job.results.created_count + job.results.errored_count, 1500, JSON.stringify(job));
  assertErrorBody(await getList(c, l.id), 404);
  for (const i of [0, 749, 1499]) {
    const ct = await findOne(c, 'external_id', `sl-${i}`);
    if (ct) assert.deepEqual(ct.list_ids, [], `sl-${i} references the deleted list`);
  }
  const again = await createList(c, 'short-lived');
  assert.deepEqual(await listCount(c, again.id), { contact_count: 0, billable_count: 0 });
});

test('list names count characters, not bytes', async () => {
  const c = freshAccount();
  const l = await createList(c, 'é'.repeat(100));
  assert.equal(l.name, 'é'.repeat(100));
  assert400(await call(c, { method: 'POST', url: LISTS, body: { name: 'é'.repeat(101) } }), ['name'], '101 two-byte chars');
});

test('lists, memberships and list names survive a restart', async () => {
  const key = srv.createKey(`lists-restart-${process.pid}`);
  let c = srv.clientFor(key);
  const l = await createList(c, 'durable');
  await upsertToLists(c, [{ email: 'durable@example.com' }], [l.id]);
  await srv.restart();
  c = srv.clientFor(key);
  const got = await getList(c, l.id, '?contact_sample=true');
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assertListShape(got.body, { name: 'durable', contactCount: 1 });
  assert.deepEqual(got.body.contact_sample.map((x) => x.email), ['durable@example.com']);
  assert.deepEqual((await contactByEmail(c, 'durable@example.com')).list_ids, [l.id]);
  assert400(await call(c, { method: 'POST', url: LISTS, body: { name: 'durable' } }), ['name'], 'duplicate after restart');
});
