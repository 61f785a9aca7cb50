'use strict';
// The life of one contact: upsert with all four identifiers, find it by each,
// read it by id, then remove its identifiers one at a time until only the last
// one is left (which cannot be removed).

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, pollJob, upsert, searchIds, findOne, getContact, deleteIdentifier,
  assertContactShape, assertJob, fetchJobErrors, assertErrorBody, UUID_V4_RE, test,
} = require('./lib/server');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

const FULL = {
  email: 'Jane.Doe@Example.com',
  phone_number_id: '+14155552671',
  external_id: 'crm-000042',
  anonymous_id: 'anon-7f3a9c',
  first_name: 'Jane',
  last_name: 'Doe',
  unique_name: 'janedoe',
  address_line_1: '1 Main Street',
  address_line_2: 'Suite 200',
  city: 'Denver',
  state_province_region: 'CO',
  country: 'US',
  postal_code: '80202',
  phone_number: '+1 415 555 2671',
  whatsapp: '+14155552671',
  line: 'jane-line',
  facebook: 'jane.fb',
  alternate_emails: ['jane@work.example.org', 'jd@home.example.net'],
};

test('full lifecycle: upsert, find by each identifier, get by id, delete identifiers', async () => {
  const c = srv.client;

  // --- upsert
  const put = await call(c, { method: 'PUT', url: '/v3/marketing/contacts', body: { contacts: [FULL] } });
  assert.equal(put.status, 202, JSON.stringify(put.body));
  assert.deepEqual(Object.keys(put.body), ['job_id']);
  assert.match(put.body.job_id, UUID_V4_RE);
  const job = await pollJob(c, put.body.job_id);
  assertJob(job, {
    id: put.body.job_id, status: 'completed', jobType: 'upsert',
    results: { requested_count: 1, created_count: 1, updated_count: 0, deleted_count: 0, errored_count: 0 },
  });

  // --- find it by each identifier type
  const expected = { ...FULL, email: 'jane.doe@example.com' };
  const byEmail = await searchIds(c, 'email', ['jane.doe@example.com']);
  assert.equal(byEmail.status, 200, JSON.stringify(byEmail.body));
  assert.deepEqual(Object.keys(byEmail.body.result), ['jane.doe@example.com']);
  const contact = byEmail.body.result['jane.doe@example.com'].contact;
  assertContactShape(contact, srv.url, expected);
  const id = contact.id;

  for (const [type, value] of [
    ['phone_number_id', FULL.phone_number_id],
    ['external_id', FULL.external_id],
    ['anonymous_id', FULL.anonymous_id],
  ]) {
    const r = await searchIds(c, type, [value]);
    assert.equal(r.status, 200, `${type}: ${JSON.stringify(r.body)}`);
    assert.deepEqual(Object.keys(r.body.result), [value]);
    assert.equal(r.body.result[value].contact.id, id, `search by ${type} finds the same contact`);
    assertContactShape(r.body.result[value].contact, srv.url, expected);
  }

  // --- get by id
  const got = await getContact(c, id);
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assertContactShape(got.body, srv.url, { ...expected, id, custom_fields: {}, list_ids: [], segment_ids: [] });

  // --- delete identifiers one by one
  const steps = [
    ['EMAIL', 'jane.doe@example.com', 'email', 'email'],
    ['PHONENUMBERID', FULL.phone_number_id, 'phone_number_id', 'phone_number_id'],
    ['EXTERNALID', FULL.external_id, 'external_id', 'external_id'],
  ];
  const remaining = { ...expected };
  for (const [type, value, field, searchType] of steps) {
    const del = await deleteIdentifier(c, id, type, value);
    assert.equal(del.status, 202, `${type}: ${JSON.stringify(del.body)}`);
    assert.equal(typeof del.body.job_id, 'string', JSON.stringify(del.body));
    assert.ok(del.body.job_id.length > 0);
    const dj = await pollJob(c, del.body.job_id);
    assertJob(dj, {
      id: del.body.job_id, status: 'completed', jobType: 'delete',
      results: { deleted_count: 1, errored_count: 0 },
    });
    remaining[field] = '';
    const after = await getContact(c, id);
    assert.equal(after.status, 200);
    assertContactShape(after.body, srv.url, remaining);
    assert.equal(await findOne(c, searchType, value), null, `${searchType} ${value} must no longer be found`);
  }

  // Only anonymous_id is left: removing it fails and leaves the contact intact.
  const last = await deleteIdentifier(c, id, 'ANONYMOUSID', FULL.anonymous_id);
  assert.equal(last.status, 202, JSON.stringify(last.body));
  const lj = await pollJob(c, last.body.job_id);
  assertJob(lj, { id: last.body.job_id, status: 'failed', jobType: 'delete', results: { deleted_count: 0, errored_count: 1 } });
  const errs = await fetchJobErrors(c, lj, srv.url);
  assert.equal(errs.errors[0].index, 0);
  assert.equal(errs.errors[0].identifiers.contact_id, id);
  assert.ok(Object.values(errs.errors[0].identifiers).includes(FULL.anonymous_id),
    `identifiers must carry the value: ${JSON.stringify(errs.errors[0])}`);

  const final = await getContact(c, id);
  assert.equal(final.status, 200);
  assertContactShape(final.body, srv.url, { ...remaining, anonymous_id: FULL.anonymous_id, first_name: 'Jane' });
  const stillThere = await findOne(c, 'anonymous_id', FULL.anonymous_id);
  assert.equal(stillThere && stillThere.id, id);
});

test('unset reserved fields read back as empty strings', async () => {
  const c = srv.client;
  const job = await pollJob(c, await upsert(c, [{ external_id: 'only-ext-1' }]));
  assertJob(job, { status: 'completed', results: { created_count: 1, errored_count: 0 } });
  const found = await findOne(c, 'external_id', 'only-ext-1');
  assert.ok(found);
  const got = await getContact(c, found.id);
  assert.equal(got.status, 200);
  const expected = {};
  for (const f of ['first_name', 'last_name', 'unique_name', 'email', 'phone_number_id', 'anonymous_id',
    'address_line_1', 'address_line_2', 'city', 'state_province_region', 'country', 'postal_code',
    'phone_number', 'whatsapp', 'line', 'facebook']) expected[f] = '';
  assertContactShape(got.body, srv.url, { ...expected, external_id: 'only-ext-1', alternate_emails: [], custom_fields: {} });
});

test('GET a contact by unknown id answers 404 with errors[]', async () => {
  const r1 = await getContact(srv.client, '5f0a3b1e-2c4d-4e6f-8a9b-0c1d2e3f4a5b');
  assertErrorBody(r1, 404, 'unknown uuid');
  const r2 = await getContact(srv.client, 'not-a-contact-id');
  assertErrorBody(r2, 404, 'non-uuid id');
});

test('GET an unknown import job answers 404 with errors[]', async () => {
  const r = await call(srv.client, { method: 'GET', url: '/v3/marketing/contacts/imports/5f0a3b1e-2c4d-4e6f-8a9b-0c1d2e3f4a5b' });
  assertErrorBody(r, 404);
  const r2 = await call(srv.client, { method: 'GET', url: '/v3/marketing/contacts/imports/5f0a3b1e-2c4d-4e6f-8a9b-0c1d2e3f4a5b/errors' });
  assertErrorBody(r2, 404, 'errors of unknown job');
});

test('each upsert gets its own job id', async () => {
  const ids = new Set();
  for (let i = 0; i < 5; i++) ids.add(await upsert(srv.client, [{ external_id: `jobid-${i}` }]));
  assert.equal(ids.size, 5);
  for (const id of ids) assertJob(await pollJob(srv.client, id), { id, status: 'completed', results: { created_count: 1 } });
});
