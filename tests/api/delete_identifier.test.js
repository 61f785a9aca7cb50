'use strict';
// DELETE /v3/marketing/contacts/{contact_id}/identifiers

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, raw, pollJob, upsertAndWait, findOne, getContact, deleteIdentifier,
  assert400, assertErrorBody, assertContactShape, assertJob, fetchJobErrors, errorFields, test,
} = require('./lib/server');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

async function create(contact) {
  const job = await upsertAndWait(srv.client, [contact]);
  assertJob(job, { status: 'completed', results: { created_count: 1 } });
  const [type, value] = Object.entries(contact).find(([k]) => ['email', 'phone_number_id', 'external_id', 'anonymous_id'].includes(k));
  const c = await findOne(srv.client, type, value);
  assert.ok(c);
  return c;
}

const rawDelete = (id, body, headers = {}) => raw(srv.url, {
  method: 'DELETE', path: `/v3/marketing/contacts/${id}/identifiers`, body,
  headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json', ...headers },
});

test('a missing or malformed body answers 400', async () => {
  const c = await create({ email: 'v1@example.com', external_id: 'v1-ext' });
  const noBody = await raw(srv.url, {
    method: 'DELETE', path: `/v3/marketing/contacts/${c.id}/identifiers`,
    headers: { Authorization: `Bearer ${srv.key}` },
  });
  assert.equal(noBody.status, 400, noBody.text);
  assert.ok(noBody.body && Array.isArray(noBody.body.errors) && noBody.body.errors.length >= 1, noBody.text);

  const bad = await rawDelete(c.id, '{"identifier_type": "EMAIL",');
  assert.equal(bad.status, 400, bad.text);
  assert.deepEqual(errorFields(bad.body), [null]);
  assert.equal(bad.body.errors[0].message, 'invalid JSON');

  for (const body of ['[]', '"EMAIL"', 'null']) {
    const r = await rawDelete(c.id, body);
    assert.equal(r.status, 400, `${body}: ${r.text}`);
    assert.ok(r.body && Array.isArray(r.body.errors) && r.body.errors.length >= 1, r.text);
  }
  // Nothing happened to the contact.
  const got = await getContact(srv.client, c.id);
  assertContactShape(got.body, srv.url, { email: 'v1@example.com', external_id: 'v1-ext' });
});

test('an invalid identifier_type answers 400 on field "identifier_type"', async () => {
  const c = await create({ email: 'v2@example.com', external_id: 'v2-ext' });
  for (const t of ['FOO', 'PHONE', 'CONTACTID', 5, null]) {
    const r = await call(srv.client, {
      method: 'DELETE', url: `/v3/marketing/contacts/${c.id}/identifiers`,
      body: { identifier_type: t, identifier_value: 'v2@example.com' },
    });
    assert400(r, ['identifier_type'], String(t));
  }
  const missing = await call(srv.client, {
    method: 'DELETE', url: `/v3/marketing/contacts/${c.id}/identifiers`, body: { identifier_value: 'v2@example.com' },
  });
  assert400(missing, ['identifier_type'], 'missing type');
});

test('a missing or empty identifier_value answers 400 on field "identifier_value"', async () => {
  const c = await create({ email: 'v3@example.com', external_id: 'v3-ext' });
  for (const body of [
    { identifier_type: 'EMAIL' },
    { identifier_type: 'EMAIL', identifier_value: '' },
    { identifier_type: 'EXTERNALID', identifier_value: null },
    { identifier_type: 'EXTERNALID', identifier_value: 17 },
  ]) {
    const r = await call(srv.client, { method: 'DELETE', url: `/v3/marketing/contacts/${c.id}/identifiers`, body });
    assert400(r, ['identifier_value'], JSON.stringify(body));
  }
  const both = await call(srv.client, { method: 'DELETE', url: `/v3/marketing/contacts/${c.id}/identifiers`, body: {} });
  assert.equal(both.status, 400);
  assert.deepEqual(errorFields(both.body).sort(), ['identifier_type', 'identifier_value']);
});

test('an unknown contact answers 404', async () => {
  assertErrorBody(await deleteIdentifier(srv.client, '7d6a0c55-8a47-4c1b-9b0e-1f2a3b4c5d6e', 'EMAIL', 'x@example.com'), 404, 'uuid');
  assertErrorBody(await deleteIdentifier(srv.client, 'not-a-contact', 'EMAIL', 'x@example.com'), 404, 'non-uuid');
});

test('removing an identifier the contact carries, while it has another, completes', async () => {
  const c = await create({ email: 'd1@example.com', phone_number_id: '+33612345678', first_name: 'Dee' });
  const r = await deleteIdentifier(srv.client, c.id, 'PHONENUMBERID', '+33612345678');
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.equal(typeof r.body.job_id, 'string');
  assert.ok(r.body.job_id.length > 0);
  const job = await pollJob(srv.client, r.body.job_id);
  assertJob(job, { id: r.body.job_id, status: 'completed', jobType: 'delete', results: { deleted_count: 1, errored_count: 0, created_count: 0, updated_count: 0 } });

  const got = await getContact(srv.client, c.id);
  assertContactShape(got.body, srv.url, { email: 'd1@example.com', phone_number_id: '', first_name: 'Dee' });
  assert.equal(await findOne(srv.client, 'phone_number_id', '+33612345678'), null);

  // The freed value can now identify a new, separate contact.
  const j2 = await upsertAndWait(srv.client, [{ phone_number_id: '+33612345678' }]);
  assertJob(j2, { status: 'completed', results: { created_count: 1, updated_count: 0, errored_count: 0 } });
  const other = await findOne(srv.client, 'phone_number_id', '+33612345678');
  assert.notEqual(other.id, c.id);

  // And the original contact is updated by its email alone now.
  const j3 = await upsertAndWait(srv.client, [{ email: 'd1@example.com', last_name: 'Updated' }]);
  assertJob(j3, { status: 'completed', results: { created_count: 0, updated_count: 1, errored_count: 0 } });
});

test('removing an email identifier completes and frees the address', async () => {
  const c = await create({ email: 'case@example.com', external_id: 'case-ext' });
  const r = await deleteIdentifier(srv.client, c.id, 'EMAIL', 'case@example.com');
  assert.equal(r.status, 202);
  assertJob(await pollJob(srv.client, r.body.job_id), { status: 'completed', jobType: 'delete', results: { deleted_count: 1 } });
  assert.equal(await findOne(srv.client, 'email', 'case@example.com'), null);
  assertContactShape((await getContact(srv.client, c.id)).body, srv.url, { email: '', external_id: 'case-ext' });
});

test('removing the last identifier fails and leaves the contact untouched', async () => {
  const c = await create({ external_id: 'lonely-ext', city: 'Lima' });
  const r = await deleteIdentifier(srv.client, c.id, 'EXTERNALID', 'lonely-ext');
  assert.equal(r.status, 202, JSON.stringify(r.body));
  const job = await pollJob(srv.client, r.body.job_id);
  assertJob(job, { id: r.body.job_id, status: 'failed', jobType: 'delete', results: { deleted_count: 0, errored_count: 1 } });
  const errs = await fetchJobErrors(srv.client, job, srv.url);
  assert.equal(errs.errors[0].index, 0);
  assert.equal(errs.errors[0].identifiers.contact_id, c.id);
  assert.ok(Object.values(errs.errors[0].identifiers).includes('lonely-ext'), JSON.stringify(errs.errors[0]));

  const got = await getContact(srv.client, c.id);
  assertContactShape(got.body, srv.url, { external_id: 'lonely-ext', city: 'Lima' });
});

test('removing a value the contact does not carry fails and changes nothing', async () => {
  const c = await create({ email: 'carry@example.com', external_id: 'carry-ext', anonymous_id: 'carry-anon' });
  const other = await create({ email: 'notmine@example.com', external_id: 'notmine-ext' });
  const cases = [
    ['EMAIL', 'someone-else@example.com'], // nobody's value
    ['EMAIL', 'notmine@example.com'],      // another contact's value
    ['EXTERNALID', 'carry@example.com'],   // its value, but of another type
    ['PHONENUMBERID', '+14155550199'],     // a type it does not have
    ['ANONYMOUSID', 'carry-ext'],
  ];
  for (const [type, value] of cases) {
    const r = await deleteIdentifier(srv.client, c.id, type, value);
    assert.equal(r.status, 202, `${type} ${value}: ${JSON.stringify(r.body)}`);
    const job = await pollJob(srv.client, r.body.job_id);
    assertJob(job, { status: 'failed', jobType: 'delete', results: { deleted_count: 0, errored_count: 1 } });
    const errs = await fetchJobErrors(srv.client, job, srv.url);
    assert.equal(errs.errors[0].index, 0);
    assert.equal(errs.errors[0].identifiers.contact_id, c.id);
  }
  assertContactShape((await getContact(srv.client, c.id)).body, srv.url,
    { email: 'carry@example.com', external_id: 'carry-ext', anonymous_id: 'carry-anon' });
  assertContactShape((await getContact(srv.client, other.id)).body, srv.url,
    { email: 'notmine@example.com', external_id: 'notmine-ext' });
});

test('delete jobs are listed with job_type "delete" and their own id', async () => {
  const c = await create({ email: 'jt@example.com', anonymous_id: 'jt-anon' });
  const r = await deleteIdentifier(srv.client, c.id, 'ANONYMOUSID', 'jt-anon');
  assert.equal(r.status, 202);
  const status = await call(srv.client, { method: 'GET', url: `/v3/marketing/contacts/imports/${r.body.job_id}` });
  assert.equal(status.status, 200);
  assert.equal(status.body.id, r.body.job_id);
  assert.equal(status.body.job_type, 'delete');
  assert.ok(!['errored', 'failed'].includes(status.body.status), JSON.stringify(status.body));
  assertJob(await pollJob(srv.client, r.body.job_id), { status: 'completed', jobType: 'delete', results: { deleted_count: 1 } });
});

test('removing an identifier of a contact deleted by the time the job runs fails', async (t) => {
  const c = await create({ email: 'gone@example.com', external_id: 'gone-ext' });
  // Queue a large upsert first so that the contact deletion behind it is
  // still pending when the identifier request arrives (jobs of an account run
  // in order); if the deletion already happened, the request itself is a 404.
  const big = [];
  for (let i = 0; i < 20000; i++) big.push({ external_id: `gone-filler-${i}` });
  const bigJob = await call(srv.client, { method: 'PUT', url: '/v3/marketing/contacts', body: { contacts: big } });
  assert.equal(bigJob.status, 202);
  const del = await call(srv.client, { method: 'DELETE', url: '/v3/marketing/contacts', qs: { ids: c.id } });
  assert.equal(del.status, 202, JSON.stringify(del.body));
  const r = await deleteIdentifier(srv.client, c.id, 'EXTERNALID', 'gone-ext');
  if (r.status === 404) {
    t.diagnostic('the contact was already deleted when the identifier request arrived (404)');
    assertErrorBody(r, 404);
  } else {
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const job = await pollJob(srv.client, r.body.job_id, { timeoutMs: 60000 });
    assertJob(job, { status: 'failed', jobType: 'delete', results: { deleted_count: 0, errored_count: 1 } });
    const errs = await fetchJobErrors(srv.client, job, srv.url);
    assert.equal(errs.errors[0].index, 0);
    assert.equal(errs.errors[0].identifiers.contact_id, c.id);
  }
  assertJob(await pollJob(srv.client, del.body.job_id, { timeoutMs: 60000 }), { status: 'completed', results: { deleted_count: 1 } });
  assertErrorBody(await getContact(srv.client, c.id), 404, 'contact deleted');
  assertJob(await pollJob(srv.client, bigJob.body.job_id, { timeoutMs: 60000 }), { status: 'completed', results: { created_count: 20000 } });
});
