'use strict';
// Where real client code broke against contactd (issue 11), one test per difference:
// gzip export files, an export POST without a body, JSON export lines keyed contact_id,
// exports listed oldest first, unknown JSON keys ignored, query booleans in every form
// clients send, errors_url without the API key, empty emails skipped, phone numbers
// without '+', reserved field ids without their type suffix, Unix-time dates, flat error
// bodies where the document defines them, "help": null, finished_at left out while
// pending, and billable_count per calendar month.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const zlib = require('node:zlib');
const {
  startServer, stopAll, call, raw, pollJob, upsert, upsertOk, upsertAndWait, assert400,
  assertErrorBody, assertJob, fetchJobErrors, findOne, searchIds, getContact, deleteIdentifier,
  createList, createField, freshAccount: newAccount, sleep, test,
} = require('./lib/server');

const C = '/v3/marketing/contacts';
const EXPORTS = `${C}/exports`;
const LISTS = '/v3/marketing/lists';
const ERRORS_TTL_S = 2;

let srv;
let ttlSrv; // errors_url (like export files) expires after ERRORS_TTL_S seconds here
before(async () => {
  srv = await startServer();
  ttlSrv = await startServer({ extraArgs: ['--export-ttl', String(ERRORS_TTL_S)] });
});
after(() => stopAll([srv, ttlSrv]));

const fresh = (server = srv) => newAccount(server, 'fidelity');

// GET a URL without any key; {status, headers, buf}.
function getBytes(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, buf: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function readyExport(client, body) {
  const r = await call(client, { method: 'POST', url: EXPORTS, ...(body === undefined ? {} : { body }) });
  assert.equal(r.status, 202, JSON.stringify(r.body));
  for (let i = 0; i < 500; i++) {
    const e = await call(client, { method: 'GET', url: `${EXPORTS}/${r.body.id}` });
    if (e.body.status !== 'pending') {
      assert.equal(e.body.status, 'ready', JSON.stringify(e.body));
      return e.body;
    }
    await sleep(20);
  }
  throw new Error('export still pending');
}

async function gunzipped(url) {
  const r = await getBytes(url);
  assert.equal(r.status, 200, r.buf.toString());
  assert.equal(r.headers['content-type'], 'application/gzip');
  return zlib.gunzipSync(r.buf).toString('utf8');
}

// ------------------------------------------------------------------ 1-4: exports

test('1. export files are gzip: .csv.gz / .json.gz names, application/gzip, gunzip gives the file; plain without .gz', async () => {
  const c = fresh();
  await upsertOk(c, [{ email: 'gz@example.com', first_name: 'Gee' }]);
  for (const type of ['csv', 'json']) {
    const e = await readyExport(c, { file_type: type });
    const u = new URL(e.urls[0]);
    assert.ok(u.pathname.endsWith(`/files/1.${type}.gz`), e.urls[0]);
    const r = await getBytes(e.urls[0]);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/gzip');
    assert.equal(r.headers['content-disposition'], `attachment; filename="contacts-1.${type}.gz"`);
    assert.deepEqual([...r.buf.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
    const text = zlib.gunzipSync(r.buf).toString('utf8');
    assert.ok(text.includes('gz@example.com'), text);
    // contactd's extension: the same file uncompressed without ".gz"
    const plain = await raw(srv.url, { path: u.pathname.replace(/\.gz$/, '') + u.search });
    assert.equal(plain.status, 200);
    assert.equal(plain.text, text);
    assert.match(plain.headers['content-type'], type === 'csv' ? /^text\/csv/ : /ndjson/);
  }
});

test('1. a large export streams as one gzip file that gunzips whole', async () => {
  const c = fresh();
  const many = [];
  for (let i = 0; i < 1200; i++) many.push({ email: `big${i}@example.com`, last_name: 'x'.repeat(40) });
  await upsertOk(c, many);
  const e = await readyExport(c, { file_type: 'csv' });
  const rows = (await gunzipped(e.urls[0])).trim().split('\n');
  assert.equal(rows.length, 1201, 'a header and 1,200 rows');
});

test('2. POST /exports with no body, an empty body or null exports every contact', async () => {
  const c = fresh();
  await upsertOk(c, [{ email: 'nobody@example.com' }]);
  // what exports.post() of the Python and Ruby clients sends: no body at all
  const auth = { Authorization: `Bearer ${srv.key}` };
  for (const [label, body, headers] of [['no body', undefined, auth],
    ['empty', '', { ...auth, 'Content-Type': 'application/json' }],
    ['null', 'null', { ...auth, 'Content-Type': 'application/json' }],
    ['spaces', ' \n', { ...auth, 'Content-Type': 'application/json' }]]) {
    const r = await raw(srv.url, { method: 'POST', path: EXPORTS, body, headers });
    assert.equal(r.status, 202, `${label}: ${r.text}`);
  }
  // and through the official client without a body
  const e = await readyExport(c);
  assert.equal(e.export_type, 'contacts_export');
  assert.equal(e.contact_count, 1);
  assert400(await call(c, { method: 'POST', url: EXPORTS, body: { file_type: 'xml' } }), ['file_type'], 'known keys are still checked');
  const notObject = await raw(srv.url, { method: 'POST', path: EXPORTS, body: '[]', headers: { ...auth, 'Content-Type': 'application/json' } });
  assert.equal(notObject.status, 400, notObject.text);
});

test('3. JSON export lines: keyed contact_id, only the fields that are set', async () => {
  const c = fresh();
  await createField(c, 'tier', 'Text');
  await upsertOk(c, [{ email: 'line@example.com', first_name: 'Lin', custom_fields: { tier: 'gold' } },
    { external_id: 'bare-ext' }]);
  const e = await readyExport(c, { file_type: 'json' });
  const lines = (await gunzipped(e.urls[0])).trim().split('\n').map((l) => JSON.parse(l));
  const line = lines.find((l) => l.email === 'line@example.com');
  assert.deepEqual(Object.keys(line), ['contact_id', 'created_at', 'custom_fields', 'email', 'first_name', 'updated_at']);
  assert.deepEqual(line.custom_fields, { tier: 'gold' });
  assert.equal((await getContact(c, line.contact_id)).body.email, 'line@example.com');
  const bare = lines.find((l) => l.external_id === 'bare-ext');
  assert.deepEqual(Object.keys(bare), ['contact_id', 'created_at', 'custom_fields', 'external_id', 'updated_at']);
  assert.deepEqual(bare.custom_fields, {});
});

test('4. GET /exports lists oldest first: the last entry is the export just requested', async () => {
  const c = fresh();
  await upsertOk(c, [{ email: 'order@example.com' }]);
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await readyExport(c, {})).id);
  const r = await call(c, { method: 'GET', url: EXPORTS });
  assert.deepEqual(r.body.result.map((e) => e.id), ids);
  assert.equal(r.body.result.at(-1).id, ids[2]);
});

// ------------------------------------------------------------ 5: unknown keys

test('5. unknown JSON keys are ignored on every endpoint; known keys are still checked', async () => {
  const c = fresh();
  // upsert: a contact's id (as GET returns it), created_at, and any other key
  const job = await upsertAndWait(c, [{ id: '6f1f3a36-5f8e-4b8c-9a57-3b2d7c9e1f00', email: 'unk@example.com', created_at: 'x', colour: 'red' }], { timeoutMs: 10000 });
  assertJob(job, { status: 'completed', results: { created_count: 1 } });
  const got = await findOne(c, 'email', 'unk@example.com');
  assert.notEqual(got.id, '6f1f3a36-5f8e-4b8c-9a57-3b2d7c9e1f00', 'the id is not taken from the body');
  assert.equal((await call(c, { method: 'PUT', url: C, body: { contacts: [{ email: 'x@example.com' }], extra: 1 } })).status, 202);
  assert400(await call(c, { method: 'PUT', url: C, body: { contacts: [{ email: 'x@example.com', first_name: 5, colour: 1 }] } }), ['contacts[0].first_name']);
  // SGQL search: page_size and page_token, as users send them
  const s = await call(c, { method: 'POST', url: `${C}/search`, body: { query: "email = 'unk@example.com'", page_size: 50, page_token: 'abc' } });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.contact_count, 1);
  // search/emails: the keys the document lists beside emails
  const se = await call(c, { method: 'POST', url: `${C}/search/emails`, body: { emails: ['unk@example.com'], external_id: 'e', phone_number_id: 'p', anonymous_id: 'a' } });
  assert.equal(se.status, 200, JSON.stringify(se.body));
  assert.equal((await searchIds(c, 'email', ['unk@example.com'])).status, 200);
  assert.equal((await call(c, { method: 'POST', url: `${C}/search/identifiers/email`, body: { identifiers: ['unk@example.com'], x: 1 } })).status, 200);
  assert.equal((await call(c, { method: 'POST', url: `${C}/batch`, body: { ids: [got.id], x: 1 } })).status, 200);
  const l = await call(c, { method: 'POST', url: LISTS, body: { name: 'Unk', colour: 'red' } });
  assert.equal(l.status, 201, JSON.stringify(l.body));
  assert.equal((await call(c, { method: 'PATCH', url: `${LISTS}/${l.body.id}`, body: { name: 'Unk2', contact_count: 9 } })).status, 200);
  const f = await call(c, { method: 'POST', url: '/v3/marketing/field_definitions', body: { name: 'unk_f', field_type: 'Text', colour: 1 } });
  assert.equal(f.status, 200, JSON.stringify(f.body));
  assert.equal((await call(c, { method: 'PATCH', url: `/v3/marketing/field_definitions/${f.body.id}`, body: { name: 'unk_g', field_type: 'Number' } })).status, 200);
  const imp = await call(c, { method: 'PUT', url: `${C}/imports`, body: { file_type: 'csv', field_mappings: ['_rf2_T'], colour: 1 } });
  assert.equal(imp.status, 200, JSON.stringify(imp.body));
  const e = await call(c, { method: 'POST', url: EXPORTS, body: { file_type: 'csv', notifications: { email: false, sms: true }, colour: 1 } });
  assert.equal(e.status, 202, JSON.stringify(e.body));
  const d = await call(c, { method: 'DELETE', url: `${C}/${got.id}/identifiers`, body: { identifier_type: 'EMAIL', identifier_value: 'nomatch@example.com', x: 1 } });
  assert.equal(d.status, 202, JSON.stringify(d.body));
});

// ------------------------------------------------------------ 6: query booleans

test('6. query booleans: true/false in any case (Python sends True) and 1/0; anything else 400', async () => {
  const c = fresh();
  const l = await createList(c, 'Bools');
  await upsertOk(c, [{ email: 'b1@example.com' }], { list_ids: [l.id] });
  for (const v of ['true', 'True', 'TRUE', '1']) {
    const r = await call(c, { method: 'GET', url: `${LISTS}/${l.id}?contact_sample=${v}` });
    assert.equal(r.status, 200, v);
    assert.equal(r.body.contact_sample.length, 1, v);
  }
  for (const v of ['false', 'False', '0']) {
    const r = await call(c, { method: 'GET', url: `${LISTS}/${l.id}?contact_sample=${v}` });
    assert.equal(r.status, 200, v);
    assert.ok(!('contact_sample' in r.body), v);
  }
  assert400(await call(c, { method: 'GET', url: `${LISTS}/${l.id}?contact_sample=yes` }), ['contact_sample']);
  // delete_contacts=True deletes the members
  const del = await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}?delete_contacts=True` });
  assert.equal(del.status, 200, JSON.stringify(del.body));
  assertJob(await pollJob(c, del.body.job_id), { status: 'completed', results: { deleted_count: 1 } });
  const l2 = await createList(c, 'Bools2');
  assert.equal((await call(c, { method: 'DELETE', url: `${LISTS}/${l2.id}?delete_contacts=False` })).status, 204);
  // delete_all_contacts=True
  await upsertOk(c, [{ email: 'b2@example.com' }, { email: 'b3@example.com' }]);
  const all = await call(c, { method: 'DELETE', url: `${C}?delete_all_contacts=True` });
  assert.equal(all.status, 202, JSON.stringify(all.body));
  assertJob(await pollJob(c, all.body.job_id), { status: 'completed', results: { deleted_count: 2 } });
  assert400(await call(c, { method: 'DELETE', url: `${C}?delete_all_contacts=yes` }), ['delete_all_contacts']);
});

// ------------------------------------------------------------ 7: errors_url

async function erroredJob(client) {
  await upsertOk(client, [{ email: 'own@example.com', external_id: 'own-ext' }]);
  const job = await upsertAndWait(client, [{ email: 'own@example.com' }, { email: 'fine@example.com' }]);
  assertJob(job, { status: 'errored', results: { errored_count: 1 } });
  return job;
}

test('7. errors_url downloads without the API key; any other token, or none, is the same 404', async () => {
  const c = fresh();
  const job = await erroredJob(c);
  const doc = await fetchJobErrors(c, job, srv.url);
  const u = new URL(job.results.errors_url);
  const noKey = await raw(srv.url, { path: u.pathname + u.search });
  assert.equal(noKey.status, 200, noKey.text);
  assert.deepEqual(noKey.body, doc);
  const token = u.searchParams.get('token');
  const other = await erroredJob(fresh());
  const otherToken = new URL(other.results.errors_url).searchParams.get('token');
  assert.notEqual(otherToken, token, 'a token per job');
  const bodies = new Set();
  for (const p of [u.pathname, `${u.pathname}?token=`, `${u.pathname}?token=${token.slice(1)}`,
    `${u.pathname}?token=${token}x`, `${u.pathname}?token=${otherToken}`,
    `${C}/imports/${other.id}/errors?token=${token}`, `${C}/imports/not-a-uuid/errors?token=${token}`]) {
    const r = await raw(srv.url, { path: p, headers: { Authorization: `Bearer ${srv.key}` } });
    assert.equal(r.status, 404, `${p}: ${r.text}`);
    bodies.add(r.text);
  }
  assert.equal(bodies.size, 1, `one 404 body for every mismatch: ${[...bodies]}`);
});

test('7. errors_url expires with the export TTL after its job finished', async () => {
  const c = fresh(ttlSrv);
  const job = await erroredJob(c);
  const u = new URL(job.results.errors_url);
  assert.equal((await raw(ttlSrv.url, { path: u.pathname + u.search })).status, 200);
  await sleep(ERRORS_TTL_S * 1000 + 1200);
  assert.equal((await raw(ttlSrv.url, { path: u.pathname + u.search })).status, 404);
  const later = await call(c, { method: 'GET', url: `${C}/imports/${job.id}` });
  assert.equal(later.body.results.errored_count, 1);
  assert.ok(!('errors_url' in later.body.results), 'an expired errors_url is no longer shown');
});

// ------------------------------------------------------------ 9-12

test('9. search/emails skips empty strings; only empty strings -> 404', async () => {
  const c = fresh();
  await upsertOk(c, [{ email: 'here@example.com' }]);
  const r = await call(c, { method: 'POST', url: `${C}/search/emails`, body: { emails: ['', 'here@example.com', ''] } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body.result), ['here@example.com']);
  assertErrorBody(await call(c, { method: 'POST', url: `${C}/search/emails`, body: { emails: [''] } }), 404);
  assert400(await call(c, { method: 'POST', url: `${C}/search/emails`, body: { emails: ['', 'nope'] } }), ['emails[1]']);
});

test('10. phone numbers without + (the document\'s 15555555555): upsert, search and delete agree', async () => {
  const c = fresh();
  await upsertOk(c, [{ email: 'ph@example.com', phone_number_id: '15555555555' }]);
  const byEmail = await findOne(c, 'email', 'ph@example.com');
  assert.equal(byEmail.phone_number_id, '+15555555555', 'stored with its +');
  for (const v of ['15555555555', '+15555555555']) {
    const r = await searchIds(c, 'phone_number_id', [v]);
    assert.equal(r.status, 200, `${v}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.result['+15555555555'].contact.id, byEmail.id, v);
  }
  // the same number with and without + is one contact
  await upsertOk(c, [{ email: 'ph@example.com', phone_number_id: '+15555555555', first_name: 'Phil' }]);
  assert.equal((await findOne(c, 'phone_number_id', '15555555555')).first_name, 'Phil');
  const d = await deleteIdentifier(c, byEmail.id, 'PHONENUMBERID', '15555555555');
  assert.equal(d.status, 202, JSON.stringify(d.body));
  assertJob(await pollJob(c, d.body.job_id), { status: 'completed', results: { deleted_count: 1 } });
  assert.equal((await getContact(c, byEmail.id)).body.phone_number_id, '');
  assert400(await searchIds(c, 'phone_number_id', ['05555555555']), ['identifiers[0]']);
});

test('11. import field_mappings take reserved ids without their type suffix (_rf2 as _rf2_T)', async () => {
  const c = fresh();
  const r = await call(c, { method: 'PUT', url: `${C}/imports`, body: { file_type: 'csv', field_mappings: ['_rf2', '_rf0', '_rf1_T'] } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const u = new URL(r.body.upload_uri);
  const up = await raw(srv.url, { method: 'PUT', path: u.pathname + u.search, body: 'email,first,last\nrf@example.com,Ruth,Field\n', headers: { 'Content-Type': 'text/csv' } });
  assert.equal(up.status, 200, up.text);
  assertJob(await pollJob(c, r.body.job_id), { status: 'completed', results: { created_count: 1 } });
  const got = await findOne(c, 'email', 'rf@example.com');
  assert.equal(got.first_name, 'Ruth');
  assert.equal(got.last_name, 'Field');
  assert400(await call(c, { method: 'PUT', url: `${C}/imports`, body: { file_type: 'csv', field_mappings: ['_rf2', '_rf21'] } }), ['field_mappings[1]'], 'read-only without suffix');
});

test('12. Date custom fields take Unix time: seconds or milliseconds, numbers or strings', async () => {
  const c = fresh();
  await createField(c, 'when', 'Date');
  const cases = [[1706659200, '2024-01-31T00:00:00Z'], [1706659200123, '2024-01-31T00:00:00Z'],
    ['1706745600', '2024-02-01T00:00:00Z'], ['1706745600000', '2024-02-01T00:00:00Z']];
  for (const [i, [v, shown]] of cases.entries()) {
    await upsertOk(c, [{ email: `t${i}@example.com`, custom_fields: { when: v } }]);
    assert.equal((await findOne(c, 'email', `t${i}@example.com`)).custom_fields.when, shown, String(v));
  }
  assert400(await call(c, { method: 'PUT', url: C, body: { contacts: [{ email: 'neg@example.com', custom_fields: { when: -5 } }] } }),
    ['contacts[0].custom_fields.when']);
});

// ------------------------------------------------------------ 13-16

test('13/14. flat error bodies where the document defines them; "help": null in every error', async () => {
  const c = fresh();
  const nf = await searchIds(c, 'email', ['nobody@example.com']);
  assert.equal(nf.status, 404);
  assert.equal(nf.body.message, nf.body.errors[0].message, 'ContactsError: top-level message');
  assert.equal(nf.body.field, nf.body.errors[0].field);
  assert.equal(nf.body.errors[0].help, null);
  const bad = await searchIds(c, 'email', ['not-an-email']);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, bad.body.errors[0].message);
  assert.equal(bad.body.field, 'identifiers[0]');
  const badType = await searchIds(c, 'fax', ['x']);
  assert.equal(badType.status, 400);
  assert.equal(badType.body.field, 'identifier_type');
  const l = await createList(c, 'Flat');
  const rm = await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}/contacts` });
  assert.equal(rm.status, 400);
  assert.equal(rm.body.message, rm.body.errors[0].message, 'Error: top-level message');
  assert.equal(rm.body.field, 'contact_ids');
  // elsewhere the usual body only, each error with help: null
  const other = await call(c, { method: 'POST', url: LISTS, body: { name: '' } });
  assert.equal(other.status, 400);
  assert.deepEqual(Object.keys(other.body), ['errors']);
  assert.deepEqual(Object.keys(other.body.errors[0]).sort(), ['field', 'help', 'message']);
  const unauth = await raw(srv.url, { path: `${C}/count` });
  assert.equal(unauth.status, 401);
  assert.equal(unauth.body.errors[0].help, null);
  const notFound = await raw(srv.url, { path: '/v3/marketing/nothing', headers: { Authorization: `Bearer ${srv.key}` } });
  assert.equal(notFound.status, 404);
  assert.equal(notFound.body.errors[0].help, null);
});

test('15. a pending job leaves finished_at out; a finished one has it', async () => {
  const c = fresh();
  const big = [];
  for (let i = 0; i < 6000; i++) big.push({ email: `p${i}@example.com` });
  const id = await upsert(c, big);
  const r = await call(c, { method: 'GET', url: `${C}/imports/${id}` });
  if (r.body.status === 'pending') assert.ok(!('finished_at' in r.body), JSON.stringify(r.body));
  const done = await pollJob(c, id, { timeoutMs: 60000 });
  assert.equal(typeof done.finished_at, 'string');
});

test('16. billable_count: this month\'s contacts, deleted ones included', async () => {
  const c = fresh();
  const count = async () => (await call(c, { method: 'GET', url: `${C}/count` })).body;
  await upsertOk(c, [{ email: 'bill1@example.com' }, { email: 'bill2@example.com' }, { email: 'bill3@example.com' }]);
  assert.deepEqual(await count(), { contact_count: 3, billable_count: 3 });
  const ids = [];
  for (const e of ['bill1@example.com', 'bill2@example.com']) ids.push((await findOne(c, 'email', e)).id);
  const d = await call(c, { method: 'DELETE', url: `${C}?ids=${ids.join(',')}` });
  assert.equal(d.status, 202);
  assertJob(await pollJob(c, d.body.job_id), { status: 'completed', results: { deleted_count: 2 } });
  assert.deepEqual(await count(), { contact_count: 1, billable_count: 3 }, 'deletions do not lower it this month');
  await upsertOk(c, [{ email: 'bill1@example.com' }]);
  assert.deepEqual(await count(), { contact_count: 2, billable_count: 4 }, 're-created: a new contact');
  // another account is not affected
  const other = fresh();
  assert.deepEqual((await call(other, { method: 'GET', url: `${C}/count` })).body, { contact_count: 0, billable_count: 0 });
});

// ------------------------------------------------------------ 8: SGQL

test('8. SGQL forms of SendGrid\'s reference: parenthesised values, %%, arithmetic, concatenation, backticks, CONCAT/LENGTH, engagement fields, bare booleans', async () => {
  const c = fresh();
  await createField(c, 'score', 'Number');
  await upsertOk(c, [
    { email: 'pct@example.com', first_name: '50%', last_name: 'Off', custom_fields: { score: 21 } },
    { email: 'plain@example.com', first_name: '50 off', last_name: 'Deal', custom_fields: { score: 4 } },
  ]);
  const search = async (query) => {
    const r = await call(c, { method: 'POST', url: `${C}/search`, body: { query } });
    assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
    return r.body.result.map((x) => x.email).sort();
  };
  const both = ['pct@example.com', 'plain@example.com'];
  assert.deepEqual(await search('created_at >= (NOW() - interval 10 day)'), both);
  assert.deepEqual(await search("first_name LIKE '50%%'"), ['pct@example.com'], '%% is a literal percent');
  assert.deepEqual(await search("first_name LIKE '50%'"), both);
  assert.deepEqual(await search('score * 2 - 2 = 40'), ['pct@example.com']);
  assert.deepEqual(await search('-score < -10 AND score % 2 = 1'), ['pct@example.com']);
  assert.deepEqual(await search("first_name + ' ' + last_name = '50 off Deal'"), ['plain@example.com']);
  assert.deepEqual(await search("`last_name` = 'Off'"), ['pct@example.com']);
  assert.deepEqual(await search("CONCAT(last_name, '!') = 'Deal!' AND LENGTH(last_name) = 4"), ['plain@example.com']);
  assert.deepEqual(await search("event_type = 'open' OR event_timestamp > NOW() - INTERVAL 1 DAY"), []);
  assert.deepEqual(await search("email LIKE 'p%' AND TRUE"), both);
  // truly invalid queries are still refused
  for (const q of ['score * = 2', 'first_name * 2 = 1', '(NOW() - interval 10 day)', 'email AND TRUE', '1 / 0 = 1']) {
    assert400(await call(c, { method: 'POST', url: `${C}/search`, body: { query: q } }), ['query'], q);
  }
});
