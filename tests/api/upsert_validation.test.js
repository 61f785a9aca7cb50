'use strict';
// PUT /v3/marketing/contacts validation: everything rejected before the 202,
// with one error per problem, and the request-size limit.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, raw, rawEarlyResponse, pollJob, findOne, assert400, assertErrorBody,
  assertJob, errorFields, UUID_V4_RE, test,
} = require('./lib/server');

const PATH = '/v3/marketing/contacts';
const MAX_BODY = 6291456;

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

const put = (body) => call(srv.client, { method: 'PUT', url: PATH, body });
const putRaw = (body, headers = {}) => raw(srv.url, {
  method: 'PUT', path: PATH, body,
  headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json', ...headers },
});

async function expect202(body, label) {
  const r = await put(body);
  assert.equal(r.status, 202, `${label}: ${JSON.stringify(r.body)}`);
  assert.match(r.body.job_id, UUID_V4_RE);
  return r.body.job_id;
}

function assertInvalidJson(r, label) {
  assert.equal(r.status, 400, `${label}: ${r.status} ${r.text}`);
  assert.ok(r.body && Array.isArray(r.body.errors), `${label}: JSON errors[] expected, got ${r.text}`);
  assert.equal(r.body.errors.length, 1, `${label}: ${r.text}`);
  assert.equal(r.body.errors[0].field, null, `${label}: field must be null: ${r.text}`);
  assert.equal(r.body.errors[0].message, 'invalid JSON', `${label}: ${r.text}`);
}

// ------------------------------------------------------------ body as a whole

test('unparsable JSON answers 400 "invalid JSON" with field null', async () => {
  const cases = {
    truncated: '{"contacts": [',
    'trailing garbage': '{"contacts":[{"email":"tg@example.com"}]} x',
    'single quotes': "{'contacts': []}",
    'bare word': 'contacts',
    empty: '',
    'trailing comma': '{"contacts":[{"email":"tc@example.com"},]}',
    'invalid UTF-8': Buffer.concat([Buffer.from('{"contacts":[{"email":"u8@example.com","first_name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]),
    'NUL byte in string': '{"contacts":[{"email":"nul@example.com","first_name":"a\u0000b"}]}',
  };
  for (const [label, body] of Object.entries(cases)) {
    assertInvalidJson(await putRaw(body), label);
  }
  // None of the rejected bodies created anything.
  for (const e of ['tg@example.com', 'tc@example.com', 'u8@example.com', 'nul@example.com']) {
    assert.equal(await findOne(srv.client, 'email', e), null, `${e} must not exist`);
  }
});

test('a body that is JSON but not an object answers 400 with field null', async () => {
  for (const body of ['[]', '[{"email":"x@example.com"}]', '"contacts"', '5', 'null', 'true']) {
    const r = await putRaw(body);
    assert.equal(r.status, 400, `${body}: ${r.text}`);
    assert.ok(r.body && Array.isArray(r.body.errors), `${body}: ${r.text}`);
    assert.equal(r.body.errors.length, 1, `${body}: ${r.text}`);
    assert.equal(r.body.errors[0].field, null, `${body}: ${r.text}`);
    assert.equal(typeof r.body.errors[0].message, 'string');
  }
});

test('contacts missing, not an array, or empty answers 400 on field "contacts"', async () => {
  const cases = [
    {},
    { list_ids: [] },
    { contacts: null },
    { contacts: 'a@example.com' },
    { contacts: { email: 'a@example.com' } },
    { contacts: 5 },
    { contacts: [] },
    { Contacts: [{ email: 'a@example.com' }] },
  ];
  for (const body of cases) {
    const r = await put(body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    assert.ok(errorFields(r.body).includes('contacts'), `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
  }
  // With nothing else wrong, exactly one error.
  for (const body of [{}, { contacts: [] }, { contacts: 'x' }]) {
    assert400(await put(body), ['contacts'], JSON.stringify(body));
  }
});

test('more than 30,000 contacts answers 400 on field "contacts"; exactly 30,000 is accepted', async () => {
  const over = [];
  for (let i = 0; i < 30001; i++) over.push({ external_id: `over-${i}` });
  assert400(await put({ contacts: over }), ['contacts'], '30001 contacts');
  assert.equal(await findOne(srv.client, 'external_id', 'over-0'), null);

  const max = over.slice(0, 30000).map((_, i) => ({ external_id: `max-${i}` }));
  const id = await expect202({ contacts: max }, '30000 contacts');
  const job = await pollJob(srv.client, id, { timeoutMs: 120000 });
  assertJob(job, {
    id, status: 'completed',
    results: { requested_count: 30000, created_count: 30000, updated_count: 0, errored_count: 0 },
  });
  assert.ok(await findOne(srv.client, 'external_id', 'max-29999'));
});

// ------------------------------------------------------------------ contacts

test('a contact that is not an object answers 400 on contacts[N]', async () => {
  assert400(await put({ contacts: [5] }), ['contacts[0]']);
  assert400(await put({ contacts: ['a@example.com'] }), ['contacts[0]']);
  assert400(await put({ contacts: [{ email: 'ok1@example.com' }, null] }), ['contacts[1]']);
  assert400(await put({ contacts: [{ email: 'ok2@example.com' }, [], { email: 'ok3@example.com' }] }), ['contacts[1]']);
});

test('a contact without any identifier answers 400 on contacts[N]', async () => {
  assert400(await put({ contacts: [{}] }), ['contacts[0]']);
  assert400(await put({ contacts: [{ first_name: 'No', last_name: 'Identifier', city: 'Nowhere' }] }), ['contacts[0]']);
  assert400(await put({ contacts: [{ email: 'has@example.com' }, { alternate_emails: ['alt@example.com'] }] }), ['contacts[1]']);
  assert.equal(await findOne(srv.client, 'email', 'has@example.com'), null, 'the whole request is rejected');
});

test('an invalid email answers 400 on contacts[N].email naming the address', async () => {
  const bad = ['plainaddress', 'missing-domain@', '@missing-local.com', 'two@@example.com', 'sp ace@example.com', 'a@b@c.com'];
  for (const e of bad) {
    const r = await put({ contacts: [{ email: e }] });
    assert400(r, ['contacts[0].email'], e);
    assert.ok(r.body.errors[0].message.includes(e), `message should contain '${e}': ${r.body.errors[0].message}`);
  }
  const r = await put({ contacts: [{ external_id: 'ok-ext-1' }, { email: 'nope', external_id: 'x-1' }] });
  assert400(r, ['contacts[1].email']);
  assert.equal(await findOne(srv.client, 'external_id', 'ok-ext-1'), null, 'the whole request is rejected');
});

test('errors for several contacts are reported together', async () => {
  const r = await put({ contacts: [
    { email: 'bad-address' },
    { email: 'fine@example.com' },
    { first_name: 'no identifier' },
    { email: 'fine2@example.com', phone_number_id: '0415555267' },
  ] });
  assert400(r, ['contacts[0].email', 'contacts[2]', 'contacts[3].phone_number_id']);
});

test('several problems in one contact each get an error', async () => {
  const r = await put({ contacts: [{ email: 'broken', first_name: 5, city: 'x'.repeat(61), unknown_thing: 1 }] });
  assert400(r, ['contacts[0].email', 'contacts[0].first_name', 'contacts[0].city']);
});

test('phone_number_id must be E.164 (digits alone are read with their +)', async () => {
  const bad = ['04155552671', '+04155552671', '+1', '+1234567890123456', '+1415555abcd', '+1 415 555 2671', '++14155552671', '+', '0014155552671', '+1-415-555-2671'];
  for (const p of bad) {
    assert400(await put({ contacts: [{ phone_number_id: p }] }), ['contacts[0].phone_number_id'], p);
  }
  const good = ['+12', '+123456789012345', '+14155552671', '+919876543210'];
  for (const p of good) {
    const id = await expect202({ contacts: [{ phone_number_id: p }] }, p);
    assertJob(await pollJob(srv.client, id), { status: 'completed', results: { created_count: 1 } });
    const found = await findOne(srv.client, 'phone_number_id', p);
    assert.ok(found, `${p} stored`);
    assert.equal(found.phone_number_id, p);
  }
});

const MAX_LEN = {
  email: 254,
  external_id: 254,
  anonymous_id: 254,
  first_name: 50,
  last_name: 50,
  unique_name: 254,
  address_line_1: 100,
  address_line_2: 100,
  city: 60,
  state_province_region: 50,
  country: 50,
  postal_code: 60,
  phone_number: 100,
  whatsapp: 100,
  line: 100,
  facebook: 100,
};

function emailOfLength(n, tag) {
  // A valid address of total length n: a 64-character local part and a
  // domain of DNS labels of at most 63 characters, the first one tagged.
  const local = 'l'.repeat(64);
  let rem = n - local.length - 1 - '.com'.length;
  const labels = [];
  while (rem > 63) { labels.push('d'.repeat(62)); rem -= 63; }
  labels.push('d'.repeat(rem));
  labels[0] = (tag + labels[0]).slice(0, labels[0].length);
  const e = `${local}@${labels.join('.')}.com`;
  assert.equal(e.length, n);
  return e;
}

function valueOfLength(field, n, tag) {
  if (field === 'email') return emailOfLength(n, tag);
  const prefix = `${tag}-`;
  return prefix + 'v'.repeat(n - prefix.length);
}

test('each string field over its maximum length answers 400 on contacts[0].<field>', async () => {
  for (const [field, max] of Object.entries(MAX_LEN)) {
    const contact = field === 'email' ? {} : { email: `len-${field}@example.com` };
    contact[field] = valueOfLength(field, max + 1, 'over');
    assert400(await put({ contacts: [contact] }), [`contacts[0].${field}`], `${field} length ${max + 1}`);
  }
});

test('all over-long fields of one contact are reported together', async () => {
  const contact = { email: 'alllong@example.com' };
  const expected = [];
  for (const [field, max] of Object.entries(MAX_LEN)) {
    if (field === 'email') continue;
    contact[field] = valueOfLength(field, max + 1, 'all');
    expected.push(`contacts[0].${field}`);
  }
  assert400(await put({ contacts: [contact] }), expected);
});

test('every string field at exactly its maximum length is accepted and stored', async () => {
  const contact = {};
  for (const [field, max] of Object.entries(MAX_LEN)) contact[field] = valueOfLength(field, max, 'max');
  const id = await expect202({ contacts: [contact] }, 'max lengths');
  assertJob(await pollJob(srv.client, id), { status: 'completed', results: { created_count: 1, errored_count: 0 } });
  const found = await findOne(srv.client, 'external_id', contact.external_id);
  assert.ok(found);
  for (const field of Object.keys(MAX_LEN)) assert.equal(found[field], contact[field], field);
});

test('lengths count characters, not bytes', async () => {
  const cases = [
    ['é'.repeat(50), true],       // 100 bytes of UTF-8
    ['😀'.repeat(50), true],      // 200 bytes, 100 UTF-16 units
    ['é'.repeat(51), false],
    ['😀'.repeat(51), false],
  ];
  for (const [name, ok] of cases) {
    const email = `chars-${name.length}-${ok}-${name.codePointAt(0)}@example.com`;
    const r = await put({ contacts: [{ email, first_name: name }] });
    if (!ok) {
      assert400(r, ['contacts[0].first_name'], `${[...name].length} characters`);
      continue;
    }
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assertJob(await pollJob(srv.client, r.body.job_id), { status: 'completed', results: { created_count: 1 } });
    const found = await findOne(srv.client, 'email', email);
    assert.equal(found.first_name, name, 'stored and read back unchanged');
  }
});

test('alternate_emails: at most 5, each a valid email, an array', async () => {
  const six = [1, 2, 3, 4, 5, 6].map((i) => `alt${i}@example.com`);
  assert400(await put({ contacts: [{ email: 'alts@example.com', alternate_emails: six }] }), ['contacts[0].alternate_emails']);
  assert400(await put({ contacts: [{ email: 'alts@example.com', alternate_emails: 'alt1@example.com' }] }), ['contacts[0].alternate_emails']);

  const r = await put({ contacts: [{ email: 'alts@example.com', alternate_emails: ['alt1@example.com', 'not-an-email'] }] });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  const fields = errorFields(r.body);
  assert.equal(fields.length, 1, JSON.stringify(r.body));
  assert.ok(fields[0].startsWith('contacts[0].alternate_emails'), JSON.stringify(r.body));

  const id = await expect202({ contacts: [{ email: 'alts@example.com', alternate_emails: six.slice(0, 5) }] }, 'five alternates');
  assertJob(await pollJob(srv.client, id), { status: 'completed', results: { created_count: 1 } });
  const found = await findOne(srv.client, 'email', 'alts@example.com');
  assert.deepEqual(found.alternate_emails, six.slice(0, 5));
});

test('wrong JSON types answer 400 on the field', async () => {
  const cases = [
    [{ email: 'types@example.com', first_name: 5 }, 'first_name'],
    [{ email: 'types@example.com', last_name: true }, 'last_name'],
    [{ email: 'types@example.com', city: ['Paris'] }, 'city'],
    [{ email: 'types@example.com', postal_code: 80202 }, 'postal_code'],
    [{ email: 'types@example.com', country: { code: 'US' } }, 'country'],
    [{ email: 5, external_id: 'types-ext' }, 'email'],
    [{ email: 'types@example.com', external_id: 42 }, 'external_id'],
    [{ email: 'types@example.com', anonymous_id: ['a'] }, 'anonymous_id'],
    [{ email: 'types@example.com', phone_number_id: 14155552671 }, 'phone_number_id'],
    [{ email: 'types@example.com', alternate_emails: 5 }, 'alternate_emails'],
    [{ email: 'types@example.com', custom_fields: 'e1_T' }, 'custom_fields'],
    [{ email: 'types@example.com', custom_fields: ['x'] }, 'custom_fields'],
  ];
  for (const [contact, field] of cases) {
    assert400(await put({ contacts: [contact] }), [`contacts[0].${field}`], JSON.stringify(contact));
  }
  assert.equal(await findOne(srv.client, 'email', 'types@example.com'), null);
});

test('unknown contact fields are ignored, as SendGrid ignores them (a contact\'s id on upsert)', async () => {
  const id = await expect202({ contacts: [{ email: 'unk@example.com', favourite_colour: 'blue', id: 'whatever' }] }, 'unknown');
  assertJob(await pollJob(srv.client, id), { status: 'completed', results: { created_count: 1 } });
  const c = await findOne(srv.client, 'email', 'unk@example.com');
  assert.ok(c && !('favourite_colour' in c) && c.id !== 'whatever', JSON.stringify(c));
  // a bad value of a known field is still refused, next to an unknown one
  assert400(await put({ contacts: [{ email: 'unk2@example.com', FirstName: 'x', first_name: 5 }] }), ['contacts[0].first_name']);
});

test('unknown custom field ids answer 400 "invalid custom field ids supplied - <ids>"', async () => {
  const r = await put({ contacts: [{ email: 'cf@example.com', custom_fields: { e1_T: 'coffee', w2_N: 3 } }] });
  assert.equal(r.status, 400, JSON.stringify(r.body));
  const errs = r.body.errors;
  assert.ok(Array.isArray(errs) && errs.length >= 1, JSON.stringify(r.body));
  const e = errs.find((x) => typeof x.message === 'string' && x.message.startsWith('invalid custom field ids supplied - '));
  assert.ok(e, `custom field error expected: ${JSON.stringify(r.body)}`);
  const ids = e.message.slice('invalid custom field ids supplied - '.length).split(',').map((s) => s.trim()).sort();
  assert.deepEqual(ids, ['e1_T', 'w2_N']);
  assert.equal(await findOne(srv.client, 'email', 'cf@example.com'), null);

  const r2 = await put({ contacts: [{ email: 'cf@example.com', custom_fields: { w1: 'x' } }] });
  assert.equal(r2.status, 400);
  assert.ok(r2.body.errors.some((x) => x.message === 'invalid custom field ids supplied - w1'), JSON.stringify(r2.body));
});

test('list_ids: unknown ids or a non-array answer 400 on field "list_ids"; [] is accepted', async () => {
  assert400(await put({ list_ids: ['0b5b5cbb-9d3f-4f8e-9c1a-6f0d3a0e5b21'], contacts: [{ email: 'li@example.com' }] }), ['list_ids']);
  assert400(await put({ list_ids: 'abc', contacts: [{ email: 'li@example.com' }] }), ['list_ids']);
  assert.equal(await findOne(srv.client, 'email', 'li@example.com'), null);
  const id = await expect202({ list_ids: [], contacts: [{ email: 'li@example.com' }] }, 'empty list_ids');
  assertJob(await pollJob(srv.client, id), { status: 'completed', results: { created_count: 1 } });
});

// ---------------------------------------------------------------- body size

function paddedBody(size, email) {
  const head = `{"contacts":[{"email":"${email}"}]`;
  const pad = size - head.length - 1;
  assert.ok(pad >= 0);
  const b = Buffer.alloc(size, 0x20);
  b.write(head, 0, 'latin1');
  b.write('}', size - 1, 'latin1');
  return b;
}

function assert413(r, label) {
  assert.equal(r.status, 413, `${label}: ${r.status} ${r.text && r.text.slice(0, 300)}`);
  assert.ok(r.body && Array.isArray(r.body.errors) && r.body.errors.length >= 1, `${label}: JSON errors[] expected: ${r.text && r.text.slice(0, 300)}`);
  assert.equal(typeof r.body.errors[0].message, 'string');
}

async function healthy() {
  const h = await raw(srv.url, { path: '/healthz' });
  assert.equal(h.status, 200, 'server still healthy');
}

test('a body of exactly 6 MB is accepted', async () => {
  const r = await putRaw(paddedBody(MAX_BODY, 'six-mb@example.com'));
  assert.equal(r.status, 202, r.text);
  assertJob(await pollJob(srv.client, r.body.job_id), { status: 'completed', results: { created_count: 1 } });
});

test('a body one byte over 6 MB answers 413 with JSON errors', async () => {
  const body = paddedBody(MAX_BODY + 1, 'six-mb-plus@example.com');
  const r = await rawEarlyResponse(srv.url, {
    path: PATH,
    headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json', 'Content-Length': body.length },
    body,
  });
  assert413(r, '6 MB + 1');
  await healthy();
  assert.equal(await findOne(srv.client, 'email', 'six-mb-plus@example.com'), null);
});

test('Content-Length of 7,000,000 answers 413 before the body is sent', async () => {
  const r = await rawEarlyResponse(srv.url, {
    path: PATH,
    headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json', 'Content-Length': 7000000 },
    // Send only the start of the body and never the rest: the answer must
    // come from the header alone.
    body: Buffer.from('{"contacts":[{"email":"cl@example.com"}'),
    end: false,
  });
  assert413(r, 'Content-Length 7,000,000');
  await healthy();
});

test('a real 7 MB body answers 413', async () => {
  const body = paddedBody(7 * 1024 * 1024, 'seven-mb@example.com');
  const r = await rawEarlyResponse(srv.url, {
    path: PATH,
    headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json', 'Content-Length': body.length },
    body,
  });
  assert413(r, '7 MB body');
  await healthy();
  assert.equal(await findOne(srv.client, 'email', 'seven-mb@example.com'), null);
});

test('an oversized chunked body is refused (413 or connection closed) and the server stays up', async () => {
  const body = Buffer.concat([
    Buffer.from('{"contacts":[{"email":"chunked@example.com"}]'),
    Buffer.alloc(7 * 1024 * 1024, 0x20),
    Buffer.from('}'),
  ]);
  let outcome;
  try {
    const r = await rawEarlyResponse(srv.url, {
      path: PATH,
      headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body,
    });
    outcome = r.status;
    assert413(r, 'chunked 7 MB');
  } catch (e) {
    if (!e.connectionError) throw e;
    outcome = 'closed';
  }
  assert.ok(outcome === 413 || outcome === 'closed');
  await healthy();
  assert.equal(await findOne(srv.client, 'email', 'chunked@example.com'), null);
});
