'use strict';
// How upserted records match existing contacts, and the counts and statuses
// the jobs report.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, pollJob, upsert, upsertAndWait, searchIds, findOne, getContact,
  assertContactShape, assertJob, fetchJobErrors, createField, UUID_RE, test,
} = require('./lib/server');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

async function mustFind(type, value) {
  const c = await findOne(srv.client, type, value);
  assert.ok(c, `${type} ${value} should be found`);
  return c;
}

test('no match creates a new contact with a new UUID', async () => {
  const job = await upsertAndWait(srv.client, [
    { email: 'new1@example.com' },
    { email: 'new2@example.com' },
    { external_id: 'new-ext-3' },
  ]);
  assertJob(job, {
    status: 'completed', jobType: 'upsert',
    results: { requested_count: 3, created_count: 3, updated_count: 0, deleted_count: 0, errored_count: 0 },
  });
  const a = await mustFind('email', 'new1@example.com');
  const b = await mustFind('email', 'new2@example.com');
  const d = await mustFind('external_id', 'new-ext-3');
  for (const x of [a, b, d]) assert.match(x.id, UUID_RE);
  assert.equal(new Set([a.id, b.id, d.id]).size, 3, 'distinct ids');
});

test('update: provided fields overwrite, omitted fields stay', async () => {
  const c = srv.client;
  assertJob(await upsertAndWait(c, [{ email: 'keep@example.com', first_name: 'Old', last_name: 'Stays', city: 'Paris' }]),
    { status: 'completed', results: { created_count: 1, updated_count: 0 } });
  const before = await mustFind('email', 'keep@example.com');

  const job = await upsertAndWait(c, [{ email: 'keep@example.com', first_name: 'New', city: '' }]);
  assertJob(job, {
    status: 'completed',
    results: { requested_count: 1, created_count: 0, updated_count: 1, deleted_count: 0, errored_count: 0 },
  });
  const got = await getContact(c, before.id);
  assert.equal(got.status, 200);
  assertContactShape(got.body, srv.url, { id: before.id, email: 'keep@example.com', first_name: 'New', last_name: 'Stays', city: '' });
  assert.equal(got.body.created_at, before.created_at, 'created_at does not change on update');
});

test('update adds new identifiers to the matched contact', async () => {
  const c = srv.client;
  await upsertAndWait(c, [{ email: 'grow@example.com', first_name: 'Grow' }]);
  const orig = await mustFind('email', 'grow@example.com');

  assertJob(await upsertAndWait(c, [{ email: 'grow@example.com', external_id: 'grow-ext' }]),
    { status: 'completed', results: { created_count: 0, updated_count: 1, errored_count: 0 } });
  assertJob(await upsertAndWait(c, [{ email: 'grow@example.com', external_id: 'grow-ext', phone_number_id: '+442071838750', anonymous_id: 'grow-anon' }]),
    { status: 'completed', results: { created_count: 0, updated_count: 1, errored_count: 0 } });

  for (const [t, v] of [['external_id', 'grow-ext'], ['phone_number_id', '+442071838750'], ['anonymous_id', 'grow-anon']]) {
    const x = await mustFind(t, v);
    assert.equal(x.id, orig.id, `${t} belongs to the original contact`);
  }
  const got = await getContact(c, orig.id);
  assertContactShape(got.body, srv.url, {
    email: 'grow@example.com', external_id: 'grow-ext', phone_number_id: '+442071838750', anonymous_id: 'grow-anon', first_name: 'Grow',
  });
});

test('a record omitting one of the contact\'s identifiers errors and changes nothing', async () => {
  const c = srv.client;
  await upsertAndWait(c, [{ email: 'both@example.com', external_id: 'both-ext', first_name: 'Before' }]);
  const orig = await mustFind('email', 'both@example.com');

  const job = await upsertAndWait(c, [{ email: 'both@example.com', first_name: 'After' }]);
  assertJob(job, {
    status: 'failed', jobType: 'upsert',
    results: { requested_count: 1, created_count: 0, updated_count: 0, errored_count: 1 },
  });
  const errs = await fetchJobErrors(c, job, srv.url);
  assert.equal(errs.errors[0].index, 0);
  assert.equal(errs.errors[0].identifiers.email, 'both@example.com');

  // The same through the other identifier.
  const job2 = await upsertAndWait(c, [{ external_id: 'both-ext', last_name: 'After' }]);
  assertJob(job2, { status: 'failed', results: { requested_count: 1, created_count: 0, updated_count: 0, errored_count: 1 } });
  const errs2 = await fetchJobErrors(c, job2, srv.url);
  assert.equal(errs2.errors[0].identifiers.external_id, 'both-ext');

  const got = await getContact(c, orig.id);
  assertContactShape(got.body, srv.url, { email: 'both@example.com', external_id: 'both-ext', first_name: 'Before', last_name: '' });
});

test('a record whose identifiers belong to two contacts errors; nothing is merged', async () => {
  const c = srv.client;
  await upsertAndWait(c, [{ email: 'one@example.com', first_name: 'One' }, { external_id: 'two-ext', first_name: 'Two' }]);
  const one = await mustFind('email', 'one@example.com');
  const two = await mustFind('external_id', 'two-ext');
  assert.notEqual(one.id, two.id);

  const job = await upsertAndWait(c, [{ email: 'one@example.com', external_id: 'two-ext', first_name: 'Merged' }]);
  assertJob(job, { status: 'failed', results: { requested_count: 1, created_count: 0, updated_count: 0, errored_count: 1 } });
  const errs = await fetchJobErrors(c, job, srv.url);
  assert.equal(errs.errors[0].index, 0);
  assert.equal(errs.errors[0].identifiers.email, 'one@example.com');
  assert.equal(errs.errors[0].identifiers.external_id, 'two-ext');

  const g1 = await getContact(c, one.id);
  const g2 = await getContact(c, two.id);
  assertContactShape(g1.body, srv.url, { email: 'one@example.com', external_id: '', first_name: 'One' });
  assertContactShape(g2.body, srv.url, { email: '', external_id: 'two-ext', first_name: 'Two' });
  assert.equal((await mustFind('external_id', 'two-ext')).id, two.id);
  assert.equal((await mustFind('email', 'one@example.com')).id, one.id);
});

test('some records erroring gives status errored with per-record counts and indexes', async () => {
  const c = srv.client;
  await upsertAndWait(c, [{ email: 'mix-existing@example.com', anonymous_id: 'mix-anon' }]);
  const existing = await mustFind('email', 'mix-existing@example.com');

  const job = await upsertAndWait(c, [
    { email: 'mix-new@example.com', first_name: 'Created' },        // 0: created
    { email: 'mix-existing@example.com', first_name: 'Nope' },       // 1: omits anonymous_id -> error
    { email: 'mix-existing@example.com', anonymous_id: 'mix-anon', first_name: 'Updated' }, // 2: updated
    { anonymous_id: 'mix-anon', last_name: 'Nope' },                  // 3: omits email -> error
  ]);
  assertJob(job, {
    status: 'errored',
    results: { requested_count: 4, created_count: 1, updated_count: 1, deleted_count: 0, errored_count: 2 },
  });
  const errs = await fetchJobErrors(c, job, srv.url);
  assert.deepEqual(errs.errors.map((e) => e.index).sort(), [1, 3]);
  const e1 = errs.errors.find((e) => e.index === 1);
  assert.equal(e1.identifiers.email, 'mix-existing@example.com');
  const e3 = errs.errors.find((e) => e.index === 3);
  assert.equal(e3.identifiers.anonymous_id, 'mix-anon');

  const got = await getContact(c, existing.id);
  assertContactShape(got.body, srv.url, { first_name: 'Updated', last_name: '' });
  assert.ok(await findOne(c, 'email', 'mix-new@example.com'));
});

test('all records erroring gives status failed', async () => {
  const c = srv.client;
  await upsertAndWait(c, [{ email: 'fa@example.com', external_id: 'fa-ext' }, { email: 'fb@example.com', external_id: 'fb-ext' }]);
  const job = await upsertAndWait(c, [{ email: 'fa@example.com' }, { external_id: 'fb-ext' }]);
  assertJob(job, { status: 'failed', results: { requested_count: 2, created_count: 0, updated_count: 0, errored_count: 2 } });
  const errs = await fetchJobErrors(c, job, srv.url);
  assert.deepEqual(errs.errors.map((e) => e.index).sort(), [0, 1]);
});

test('the same contact twice in one request: the later record wins', async () => {
  const c = srv.client;
  const job = await upsertAndWait(c, [
    { email: 'twice@example.com', first_name: 'First', last_name: 'Kept' },
    { email: 'twice@example.com', first_name: 'Second' },
  ]);
  assertJob(job, { status: 'completed', results: { requested_count: 2, errored_count: 0 } });
  const r = await searchIds(c, 'email', ['twice@example.com']);
  assert.equal(r.status, 200);
  const contact = r.body.result['twice@example.com'].contact;
  assert.equal(contact.first_name, 'Second');
  assert.equal(contact.last_name, 'Kept');
  // Only one contact carries the address; a second upsert updates it.
  const again = await upsertAndWait(c, [{ email: 'twice@example.com', city: 'Oslo' }]);
  assertJob(again, { status: 'completed', results: { created_count: 0, updated_count: 1 } });
  assert.equal((await mustFind('email', 'twice@example.com')).id, contact.id);
});

test('a later record in the same request may add an identifier to a contact created earlier in it', async () => {
  const c = srv.client;
  const job = await upsertAndWait(c, [
    { email: 'chain@example.com' },
    { email: 'chain@example.com', external_id: 'chain-ext' },
  ]);
  assertJob(job, { status: 'completed', results: { requested_count: 2, errored_count: 0 } });
  const a = await mustFind('email', 'chain@example.com');
  const b = await mustFind('external_id', 'chain-ext');
  assert.equal(a.id, b.id);
});

// The writer looks a slice's identifiers up before applying it (set at a time): what
// earlier records of the same request did must still be seen by later ones, for a
// contact that existed before and for one the request creates.
test('one request: a record adds an identifier, later records match by it and see merged custom fields', async () => {
  const c = srv.client;
  const tier = await createField(c, 'chain_tier', 'Text');
  const score = await createField(c, 'chain_score', 'Number');
  await upsertAndWait(c, [{ email: 'old-chain@example.com', custom_fields: { [tier.id]: 'gold' } }]);
  const old = await mustFind('email', 'old-chain@example.com');

  const job = await upsertAndWait(c, [
    { email: 'old-chain@example.com', external_id: 'old-chain-ext', first_name: 'One' },
    { external_id: 'old-chain-ext', email: 'old-chain@example.com', custom_fields: { [score.id]: 3 } },
    { email: 'new-chain@example.com', custom_fields: { [tier.id]: 'silver' } },
    { email: 'new-chain@example.com', anonymous_id: 'new-chain-anon', last_name: 'Two' },
    { anonymous_id: 'new-chain-anon', email: 'new-chain@example.com', custom_fields: { [score.id]: 5 } },
    // Every existing identifier must be present, the ones added in this request too.
    { email: 'new-chain@example.com', first_name: 'Refused' },
    { external_id: 'old-chain-ext', first_name: 'Refused' },
  ]);
  assertJob(job, { status: 'errored', results: { requested_count: 7, created_count: 1, updated_count: 4, errored_count: 2 } });
  const errs = await fetchJobErrors(c, job, srv.url);
  const byIndex = Object.fromEntries(errs.errors.map((e) => [e.index, e.message]));
  const made = await mustFind('anonymous_id', 'new-chain-anon');
  assert.deepEqual(Object.keys(byIndex).map(Number).sort(), [5, 6]);
  assert.equal(byIndex[5], `contact ${made.id} has anonymous_id 'new-chain-anon', which this record does not ` +
    'carry; to update a contact, all of its existing identifiers must be present');
  assert.equal(byIndex[6], `contact ${old.id} has email 'old-chain@example.com', which this record does not ` +
    'carry; to update a contact, all of its existing identifiers must be present');

  const o = (await getContact(c, old.id)).body;
  assert.equal(o.external_id, 'old-chain-ext');
  assert.equal(o.first_name, 'One');
  assert.deepEqual(o.custom_fields, { chain_tier: 'gold', chain_score: 3 });
  assert.equal((await mustFind('external_id', 'old-chain-ext')).id, old.id);
  const n = (await getContact(c, made.id)).body;
  assert.equal(n.email, 'new-chain@example.com');
  assert.equal(n.last_name, 'Two');
  assert.equal(n.first_name, '');
  assert.deepEqual(n.custom_fields, { chain_tier: 'silver', chain_score: 5 });
});

test('emails are trimmed and lower-cased; differently cased emails update the same contact', async () => {
  const c = srv.client;
  const j1 = await upsertAndWait(c, [{ email: '  Ann@Example.COM ', first_name: 'Ann' }]);
  assertJob(j1, { status: 'completed', results: { created_count: 1, updated_count: 0 } });
  const ann = await mustFind('email', 'ann@example.com');
  assert.equal(ann.email, 'ann@example.com');

  const j2 = await upsertAndWait(c, [{ email: 'ann@example.com', last_name: 'Lee' }]);
  assertJob(j2, { status: 'completed', results: { requested_count: 1, created_count: 0, updated_count: 1 } });
  const j3 = await upsertAndWait(c, [{ email: 'ANN@EXAMPLE.COM', city: 'Rome' }]);
  assertJob(j3, { status: 'completed', results: { requested_count: 1, created_count: 0, updated_count: 1 } });

  const got = await getContact(c, ann.id);
  assertContactShape(got.body, srv.url, { email: 'ann@example.com', first_name: 'Ann', last_name: 'Lee', city: 'Rome' });

  // Case-insensitive search, keyed by the lower-case address.
  const r = await searchIds(c, 'email', ['ANN@example.Com']);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body.result), ['ann@example.com']);
  assert.equal(r.body.result['ann@example.com'].contact.id, ann.id);
});

test('a batch of new contacts counts each creation', async () => {
  const contacts = [];
  for (let i = 0; i < 250; i++) contacts.push({ email: `batch${i}@example.com`, external_id: `batch-${i}` });
  const job = await upsertAndWait(srv.client, contacts);
  assertJob(job, {
    status: 'completed',
    results: { requested_count: 250, created_count: 250, updated_count: 0, deleted_count: 0, errored_count: 0 },
  });
  const again = await upsertAndWait(srv.client, contacts.map((x) => ({ ...x, first_name: 'B' })));
  assertJob(again, {
    status: 'completed',
    results: { requested_count: 250, created_count: 0, updated_count: 250, deleted_count: 0, errored_count: 0 },
  });
  const r = await searchIds(srv.client, 'external_id', contacts.slice(0, 100).map((x) => x.external_id));
  assert.equal(r.status, 200);
  assert.equal(Object.keys(r.body.result).length, 100);
  for (const [k, v] of Object.entries(r.body.result)) {
    assert.ok(v.contact, `${k} found`);
    assert.equal(v.contact.first_name, 'B');
  }
});

test('alternate_emails and custom_fields {} are stored and read back', async () => {
  const c = srv.client;
  const job = await upsertAndWait(c, [{
    email: 'alt@example.com', alternate_emails: ['a1@example.com', 'a2@example.com'], custom_fields: {},
  }]);
  assertJob(job, { status: 'completed', results: { created_count: 1 } });
  const x = await mustFind('email', 'alt@example.com');
  assertContactShape(x, srv.url, { alternate_emails: ['a1@example.com', 'a2@example.com'], custom_fields: {} });
});

test('job status exposes only the documented shape', async () => {
  const id = await upsert(srv.client, [{ email: 'shape@example.com' }]);
  const job = await pollJob(srv.client, id);
  for (const k of ['id', 'status', 'job_type', 'results', 'started_at', 'finished_at']) {
    assert.ok(k in job, `job.${k} missing: ${JSON.stringify(job)}`);
  }
  assert.equal(job.id, id);
});
