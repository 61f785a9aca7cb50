'use strict';
// PUT /v3/marketing/contacts/imports (reserve: field_mappings, lists), the upload
// to upload_uri (plain and gzip, structural checks, tokens, one upload only),
// the import job (GET /imports/{id}, per-row errors), what it does to contacts
// (reserved and custom fields, alternate emails, lists, updates) and account
// isolation.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const zlib = require('node:zlib');
const {
  startServer, call, raw, pollJob, upsert, assert400, assertErrorBody, assertJob, fetchJobErrors,
  findOne, getContact, UUID_RE, test,
  upsertOk, createList, createField, freshAccount: newAccount,
} = require('./lib/server');

const C = '/v3/marketing/contacts';
const IMPORTS = `${C}/imports`;
const LISTS = '/v3/marketing/lists';
const FD = '/v3/marketing/field_definitions';
const UNKNOWN_ID = '0e8f4a52-6a4f-4c1e-9a57-3b2d7c9e1f00';
const INVALID_IDS_PREFIX = 'invalid custom field ids supplied - ';

// Reserved field ids (GET /field_definitions lists them; checked below).
const RF = {
  first_name: '_rf0_T', last_name: '_rf1_T', email: '_rf2_T', alternate_emails: '_rf3_T',
  address_line_1: '_rf4_T', city: '_rf6_T', postal_code: '_rf8_T', country: '_rf9_T',
  unique_name: '_rf14_T', phone_number_id: '_rf24_T', external_id: '_rf25_T', anonymous_id: '_rf26_T',
};

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

// ------------------------------------------------------------ local helpers

function freshAccount() {
  return newAccount(srv, 'imports');
}

function putImport(client, body) {
  return call(client, { method: 'PUT', url: IMPORTS, body });
}

// PUT /imports, assert the 200 and its shape; returns {job_id, upload_uri, upload_headers}.
async function reserve(client, fieldMappings, extra = {}) {
  const r = await putImport(client, { file_type: 'csv', field_mappings: fieldMappings, ...extra });
  assert.equal(r.status, 200, `PUT imports: ${r.status} ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body).sort(), ['job_id', 'upload_headers', 'upload_uri'], JSON.stringify(r.body));
  assert.match(r.body.job_id, UUID_RE);
  const u = new URL(r.body.upload_uri);
  assert.equal(u.origin, new URL(srv.url).origin, `upload_uri must point at this server: ${r.body.upload_uri}`);
  assert.ok(Array.isArray(r.body.upload_headers), JSON.stringify(r.body));
  for (const h of r.body.upload_headers) {
    assert.deepEqual(Object.keys(h).sort(), ['header', 'value'], JSON.stringify(h));
  }
  return r.body;
}

// PUT the file to an upload_uri with plain HTTP (no API key).
function uploadTo(uri, body, headers = { 'Content-Type': 'text/csv' }) {
  const u = new URL(uri);
  return raw(srv.url, { method: 'PUT', path: u.pathname + u.search, body, headers, timeoutMs: 30000 });
}

async function uploadOk(res, body, headers) {
  const r = await uploadTo(res.upload_uri, body, headers);
  assert.equal(r.status, 200, `upload: ${r.status} ${r.text}`);
  assert.deepEqual(r.body, { job_id: res.job_id });
  return r;
}

// Reserve, upload and wait; returns the terminal job.
async function importCsv(client, fieldMappings, csv, { listIds, gzip = false } = {}) {
  const res = await reserve(client, fieldMappings, listIds ? { list_ids: listIds } : {});
  const body = gzip ? zlib.gzipSync(Buffer.from(csv, 'utf8')) : csv;
  await uploadOk(res, body);
  const job = await pollJob(client, res.job_id, { timeoutMs: 30000 });
  assert.equal(job.id, res.job_id);
  assert.equal(job.job_type, 'upsert', JSON.stringify(job));
  return job;
}

async function contactByEmail(client, email) {
  const c = await findOne(client, 'email', email);
  assert.ok(c, `contact ${email} expected`);
  return c;
}

function getJob(client, id) {
  return call(client, { method: 'GET', url: `${IMPORTS}/${id}` });
}

function assertUpload400(r, label) {
  assert.equal(r.status, 400, `${label}: expected 400, got ${r.status}: ${r.text}`);
  assert.ok(r.body && Array.isArray(r.body.errors) && r.body.errors.length >= 1, `${label}: errors[]: ${r.text}`);
  for (const e of r.body.errors) assert.equal(typeof e.message, 'string');
}

async function assertStillPending(client, jobId, label) {
  const r = await getJob(client, jobId);
  assert.equal(r.status, 200, `${label}: ${JSON.stringify(r.body)}`);
  assert.equal(r.body.status, 'pending', `${label}: ${JSON.stringify(r.body)}`);
  assert.ok(!('finished_at' in r.body), 'no finished_at while pending');
}

// ------------------------------------------------------------------ reserve

test('the reserved field ids used here are the ones GET /field_definitions lists', async () => {
  const r = await call(srv.client, { method: 'GET', url: FD });
  assert.equal(r.status, 200);
  const byName = Object.fromEntries(r.body.reserved_fields.map((f) => [f.name, f.id]));
  for (const [name, id] of Object.entries(RF)) assert.equal(byName[name], id, name);
  assert.equal(byName.created_at, '_rf21_D');
});

test('PUT /imports reserves a job: 200 {job_id, upload_uri, upload_headers}; GET shows it pending', async () => {
  const c = freshAccount();
  const res = await reserve(c, [RF.email, RF.first_name]);
  assert.equal(new URL(res.upload_uri).pathname, `${IMPORTS}/${res.job_id}/upload`);
  assert.ok(res.upload_headers.some((h) => h.header.toLowerCase() === 'content-type' && h.value === 'text/csv'),
    JSON.stringify(res.upload_headers));
  const pending = await getJob(c, res.job_id);
  assert.equal(pending.status, 200, JSON.stringify(pending.body));
  assert.equal(pending.body.id, res.job_id);
  assert.equal(pending.body.status, 'pending');
  assert.equal(pending.body.job_type, 'upsert');
  assert.ok(!('finished_at' in pending.body), 'no finished_at while pending');
  assert.equal(pending.body.results.requested_count, 0);
  assert.equal(pending.body.results.errored_count, 0);
  assert.ok(!('errors_url' in pending.body.results), 'no errors, no errors_url');
  // the errors document needs its token (errors_url), not the key
  assertErrorBody(await call(c, { method: 'GET', url: `${IMPORTS}/${res.job_id}/errors` }), 404, 'no token');
  // Each reservation is its own job with its own URL.
  const again = await reserve(c, [RF.email]);
  assert.notEqual(again.job_id, res.job_id);
  assert.notEqual(new URL(again.upload_uri).searchParams.get('token'), new URL(res.upload_uri).searchParams.get('token'));
});

test('PUT /imports: invalid file_type, field_mappings and body -> 400 naming the field', async () => {
  const c = freshAccount();
  await createField(c, 'known', 'Text');
  const cases = [
    [{ field_mappings: [RF.email] }, ['file_type'], 'file_type missing'],
    [{ file_type: 'json', field_mappings: [RF.email] }, ['file_type'], 'json'],
    [{ file_type: 'CSV ', field_mappings: [RF.email] }, ['file_type'], 'padded'],
    [{ file_type: 5, field_mappings: [RF.email] }, ['file_type'], 'number'],
    [{ file_type: null, field_mappings: [RF.email] }, ['file_type'], 'null'],
    [{ file_type: 'csv' }, ['field_mappings'], 'field_mappings missing'],
    [{ file_type: 'csv', field_mappings: [] }, ['field_mappings'], 'empty'],
    [{ file_type: 'csv', field_mappings: 'x' }, ['field_mappings'], 'string'],
    [{ file_type: 'csv', field_mappings: { a: 1 } }, ['field_mappings'], 'object'],
    [{ file_type: 'csv', field_mappings: [RF.email, 5] }, ['field_mappings[1]'], 'a number'],
    [{ file_type: 'csv', field_mappings: [RF.email, '_rf21_D'] }, ['field_mappings[1]'], 'created_at read-only'],
    [{ file_type: 'csv', field_mappings: ['_rf23_T', RF.email] }, ['field_mappings[0]'], 'contact_id read-only'],
    [{ file_type: 'csv', field_mappings: [RF.email, '_rf15_T'] }, ['field_mappings[1]'], 'email_domains read-only'],
    [{ file_type: 'csv', field_mappings: [RF.email, RF.email] }, ['field_mappings[1]'], 'email twice'],
    [{ file_type: 'csv', field_mappings: [RF.email, 'known', null, 'known'] }, ['field_mappings[3]'], 'custom twice'],
    [{ file_type: 'csv', field_mappings: [RF.first_name, RF.city] }, ['field_mappings'], 'no identifier'],
    [{ file_type: 'csv', field_mappings: [null] }, ['field_mappings'], 'only null'],
    [{ file_type: 'csv', field_mappings: [RF.alternate_emails] }, ['field_mappings'], 'alternate_emails is no identifier'],
    [{ file_type: 'csv', field_mappings: [RF.email], list_ids: 'x' }, ['list_ids'], 'list_ids string'],
    [{ file_type: 'json' }, ['file_type', 'field_mappings'], 'two problems'],
  ];
  for (const [body, fields, label] of cases) assert400(await putImport(c, body), fields, label);
  // Same field by id and by name is mapped twice too.
  const f = (await call(c, { method: 'GET', url: FD })).body.custom_fields[0];
  assert400(await putImport(c, { file_type: 'csv', field_mappings: [RF.email, f.id, 'known'] }), ['field_mappings[2]'], 'id and name');
});

test('PUT /imports: unknown custom fields -> 400 "invalid custom field ids supplied - ..."', async () => {
  const c = freshAccount();
  await createField(c, 'known', 'Number');
  const r = await putImport(c, { file_type: 'csv', field_mappings: [RF.email, 'nope', 'known'] });
  assert400(r, ['field_mappings']);
  assert.equal(r.body.errors[0].message, `${INVALID_IDS_PREFIX}nope`);
  const two = await putImport(c, { file_type: 'csv', field_mappings: [RF.email, 'e999_T', 'zip'] });
  assert400(two, ['field_mappings']);
  assert.ok(two.body.errors[0].message.startsWith(INVALID_IDS_PREFIX), two.body.errors[0].message);
  const named = two.body.errors[0].message.slice(INVALID_IDS_PREFIX.length).split(',').map((s) => s.trim()).sort();
  assert.deepEqual(named, ['e999_T', 'zip']);
  // Field names are per account: another account's field is unknown here.
  const other = freshAccount();
  const r2 = await putImport(other, { file_type: 'csv', field_mappings: [RF.email, 'known'] });
  assert400(r2, ['field_mappings']);
  assert.equal(r2.body.errors[0].message, `${INVALID_IDS_PREFIX}known`);
});

test('PUT /imports: unknown list ids -> 404', async () => {
  const c = freshAccount();
  const l = await createList(c, 'Real');
  for (const lists of [[UNKNOWN_ID], [l.id, UNKNOWN_ID], ['not-a-uuid']]) {
    const r = await putImport(c, { file_type: 'csv', field_mappings: [RF.email], list_ids: lists });
    assertErrorBody(r, 404, JSON.stringify(lists));
    assert.equal(r.body.errors[0].field, 'list_ids');
  }
  await reserve(c, [RF.email], { list_ids: [l.id] });
});

// -------------------------------------------------------------------- upload

test('a CSV import creates contacts with reserved fields, custom fields and lists', async () => {
  const c = freshAccount();
  const nick = await createField(c, 'nickname', 'Text');
  await createField(c, 'orders', 'Number');
  await createField(c, 'ratio', 'Number');
  await createField(c, 'birthday', 'Date');
  const l1 = await createList(c, 'Imported');
  const l2 = await createList(c, 'Also');
  const csv = [
    'Email,First,Last,Skip,Alternates,City,Phone,Ext,Nick,Orders,Ratio,Birthday',
    'ann@example.com,Ann,"Smith, Jr",ignored,"ann2@example.com, ann3@example.com",Berlin,+14155550101,ext-ann,Annie,42,0.5,1990-02-03',
    'ben@example.com,Ben,"O""Brien",x,ben.alt@example.com,"Paris\nCedex",,,,7,,02/28/1985',
    'cid@example.com,,,,,,,,,,,',
  ].join('\n') + '\n';
  const job = await importCsv(c, [RF.email, RF.first_name, RF.last_name, null, RF.alternate_emails, RF.city,
    RF.phone_number_id, RF.external_id, nick.id, 'orders', 'ratio', 'birthday'], csv, { listIds: [l1.id, l2.id] });
  assertJob(job, { status: 'completed', jobType: 'upsert', results: { requested_count: 3, created_count: 3, updated_count: 0, errored_count: 0 } });

  const ann = await contactByEmail(c, 'ann@example.com');
  assert.equal(ann.first_name, 'Ann');
  assert.equal(ann.last_name, 'Smith, Jr');
  assert.equal(ann.city, 'Berlin');
  assert.equal(ann.phone_number_id, '+14155550101');
  assert.equal(ann.external_id, 'ext-ann');
  assert.deepEqual([...ann.alternate_emails].sort(), ['ann2@example.com', 'ann3@example.com']);
  assert.deepEqual(ann.custom_fields, { nickname: 'Annie', orders: 42, ratio: 0.5, birthday: '1990-02-03T00:00:00Z' });
  assert.deepEqual([...ann.list_ids].sort(), [l1.id, l2.id].sort());
  for (const v of Object.values(ann)) assert.notEqual(v, 'ignored', 'a null mapping skips its column');

  const ben = await contactByEmail(c, 'ben@example.com');
  assert.equal(ben.last_name, 'O"Brien');
  assert.equal(ben.city, 'Paris\nCedex');
  assert.deepEqual(ben.alternate_emails, ['ben.alt@example.com']);
  assert.deepEqual(ben.custom_fields, { orders: 7, birthday: '1985-02-28T00:00:00Z' });
  assert.equal(ben.phone_number_id, '');

  const cid = await contactByEmail(c, 'cid@example.com');
  assert.equal(cid.first_name, '');
  assert.deepEqual(cid.alternate_emails, []);
  assert.deepEqual(cid.custom_fields, {});
  assert.deepEqual([...cid.list_ids].sort(), [l1.id, l2.id].sort());

  // Alternate emails are searchable as such.
  const s = await call(c, { method: 'POST', url: `${C}/search/emails`, body: { emails: ['ann3@example.com', 'ben@example.com'] } });
  assert.equal(s.status, 200, JSON.stringify(s.body));
  assert.equal(s.body.result['ann3@example.com'].contact.id, ann.id);
  assert.equal(s.body.result['ben@example.com'].contact.id, ben.id);

  for (const l of [l1, l2]) {
    const cnt = await call(c, { method: 'GET', url: `${LISTS}/${l.id}/contacts/count` });
    assert.equal(cnt.status, 200);
    assert.equal(cnt.body.contact_count, 3, `list ${l.name}: ${JSON.stringify(cnt.body)}`);
  }
});

test('identifiers other than email: phone_number_id, external_id, anonymous_id', async () => {
  const c = freshAccount();
  const job = await importCsv(c, [RF.phone_number_id, RF.external_id, RF.anonymous_id, RF.first_name],
    'phone,ext,anon,name\n+4915112345678,,,P\n,ext-1,,E\n,,anon-1,A\n');
  assertJob(job, { status: 'completed', results: { requested_count: 3, created_count: 3, errored_count: 0 } });
  assert.equal((await findOne(c, 'phone_number_id', '+4915112345678')).first_name, 'P');
  assert.equal((await findOne(c, 'external_id', 'ext-1')).first_name, 'E');
  assert.equal((await findOne(c, 'anonymous_id', 'anon-1')).first_name, 'A');
});

test('an import updates existing contacts by email; empty cells and unmapped fields keep their values', async () => {
  const c = freshAccount();
  await createField(c, 'tier', 'Text');
  const l0 = await createList(c, 'Before');
  const l1 = await createList(c, 'After');
  await upsertOk(c, [{ email: 'upd@example.com', first_name: 'Old', last_name: 'Keep', city: 'Rome', custom_fields: { tier: 'gold' } }],
    { list_ids: [l0.id] });
  const before = await contactByEmail(c, 'upd@example.com');
  const job = await importCsv(c, [RF.email, RF.first_name, RF.city, 'tier'],
    'email,first,city,tier\nUPD@Example.com,New,,\nfresh@example.com,Fresh,Oslo,silver\n', { listIds: [l1.id] });
  assertJob(job, { status: 'completed', results: { requested_count: 2, created_count: 1, updated_count: 1, errored_count: 0 } });
  const after = await contactByEmail(c, 'upd@example.com');
  assert.equal(after.id, before.id, 'same contact');
  assert.equal(after.email, 'upd@example.com');
  assert.equal(after.first_name, 'New');
  assert.equal(after.last_name, 'Keep');
  assert.equal(after.city, 'Rome', 'an empty cell does not clear the field');
  assert.deepEqual(after.custom_fields, { tier: 'gold' });
  assert.deepEqual([...after.list_ids].sort(), [l0.id, l1.id].sort(), 'lists are added to');
  const fresh = await contactByEmail(c, 'fresh@example.com');
  assert.deepEqual(fresh.custom_fields, { tier: 'silver' });
  assert.deepEqual(fresh.list_ids, [l1.id]);
});

test('gzip uploads, CRLF line ends, a byte order mark and blank lines are accepted', async () => {
  const c = freshAccount();
  const gz = await importCsv(c, [RF.email, RF.first_name], 'email,first\r\ngz1@example.com,Gee\r\ngz2@example.com,Zed\r\n', { gzip: true });
  assertJob(gz, { status: 'completed', results: { requested_count: 2, created_count: 2 } });
  assert.equal((await contactByEmail(c, 'gz1@example.com')).first_name, 'Gee');
  assert.equal((await contactByEmail(c, 'gz2@example.com')).first_name, 'Zed');

  const bom = await importCsv(c, [RF.email, RF.first_name], '\ufeffemail,first\n\nbom@example.com,Bom\n\n');
  assertJob(bom, { status: 'completed', results: { requested_count: 1, created_count: 1 } });
  assert.equal((await contactByEmail(c, 'bom@example.com')).first_name, 'Bom');

  // The gzip magic decides, whatever the headers say.
  const res = await reserve(c, [RF.email]);
  await uploadOk(res, zlib.gzipSync('email\nhdr@example.com\n'), { 'Content-Type': 'application/octet-stream' });
  assertJob(await pollJob(c, res.job_id), { status: 'completed', results: { created_count: 1 } });
});

test('a chunked upload (no Content-Length) is accepted', async () => {
  const c = freshAccount();
  const res = await reserve(c, [RF.email]);
  const u = new URL(res.upload_uri);
  const [status, text] = await new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'PUT', agent: false,
      headers: { 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' },
    }, (r) => {
      let d = '';
      r.on('data', (x) => { d += x; });
      r.on('end', () => resolve([r.statusCode, d]));
    });
    req.on('error', reject);
    req.write('email\nchunk1@example.com\n');
    req.end('chunk2@example.com\n');
  });
  assert.equal(status, 200, text);
  assertJob(await pollJob(c, res.job_id), { status: 'completed', results: { requested_count: 2, created_count: 2 } });
});

test('a list deleted between reservation and upload is skipped; the rows are still imported', async () => {
  const c = freshAccount();
  const gone = await createList(c, 'Gone');
  const kept = await createList(c, 'Kept');
  const res = await reserve(c, [RF.email], { list_ids: [gone.id, kept.id] });
  assert.equal((await call(c, { method: 'DELETE', url: `${LISTS}/${gone.id}` })).status, 204);
  await uploadOk(res, 'email\nlistgone@example.com\n');
  assertJob(await pollJob(c, res.job_id), { status: 'completed', results: { created_count: 1, errored_count: 0 } });
  assert.deepEqual((await contactByEmail(c, 'listgone@example.com')).list_ids, [kept.id]);
});

test('a gzip file of several members (as `cat a.gz b.gz` makes) is read to the end', async () => {
  const c = freshAccount();
  const body = Buffer.concat([zlib.gzipSync('email,first\nm1@example.com,One\n'), zlib.gzipSync('m2@example.com,Two\n')]);
  assert.equal(zlib.gunzipSync(body).toString(), 'email,first\nm1@example.com,One\nm2@example.com,Two\n', 'what gunzip reads');
  const res = await reserve(c, [RF.email, RF.first_name]);
  await uploadOk(res, body);
  const job = await pollJob(c, res.job_id);
  assertJob(job, { status: 'completed', results: { requested_count: 2, created_count: 2, errored_count: 0 } });
  assert.equal((await contactByEmail(c, 'm1@example.com')).first_name, 'One');
  assert.equal((await contactByEmail(c, 'm2@example.com')).first_name, 'Two');
});

test('a large import (many job slices) applies every row once, with errors at the right rows', async () => {
  const c = freshAccount();
  await createField(c, 'n', 'Number');
  const lines = ['email,n,note'];
  const bad = [];
  for (let i = 0; i < 1200; i++) {
    if (i % 150 === 7) {
      bad.push(i);
      lines.push(`bad${i}@@example.com,${i},x`);
    } else {
      // every 100th row has a cell spanning two lines
      lines.push(`big${i}@example.com,${i},${i % 100 === 0 ? '"two\nlines"' : 'x'}`);
    }
  }
  const csv = lines.join('\n') + '\n';
  const job = await importCsv(c, [RF.email, 'n', RF.city], csv, { gzip: true });
  assertJob(job, { status: 'errored', results: { requested_count: 1200, created_count: 1200 - bad.length, errored_count: bad.length } });
  const doc = await fetchJobErrors(c, job, srv.url);
  assert.deepEqual(doc.errors.map((e) => e.index).sort((a, b) => a - b), bad);
  for (const e of doc.errors) {
    // line = 2 + index + (multi-line cells before it)
    const extra = Math.floor((e.index - 1) / 100) + 1;
    assert.ok(e.message.startsWith(`line ${2 + e.index + extra}:`), `row ${e.index}: ${e.message}`);
  }
  const cnt = await call(c, { method: 'GET', url: `${C}/count` });
  assert.equal(cnt.body.contact_count, 1200 - bad.length);
  const last = await contactByEmail(c, 'big1199@example.com');
  assert.deepEqual(last.custom_fields, { n: 1199 });
  assert.equal((await contactByEmail(c, 'big1100@example.com')).city, 'two\nlines');
});

test('per-row problems are job errors with the data row index and "line N:"; the other rows are applied', async () => {
  const c = freshAccount();
  await createField(c, 'age', 'Number');
  await createField(c, 'since', 'Date');
  const csv = [
    'email,name,age,since',                     // line 1
    'ok1@example.com,"Two\nlines",1,',          // lines 2-3, row 0
    'not-an-email,Bad,2,',                      // line 4, row 1
    'ok2@example.com,Fine,3,2020-01-01',        // line 5, row 2
    'short@example.com,Short',                  // line 6, row 3: too few cells
    'age@example.com,Age,many,',                // line 7, row 4: not a number
    'date@example.com,Date,4,2021-02-30',       // line 8, row 5: no such date
    'long@example.com,Long,5,,extra',           // line 9, row 6: too many cells
    'ok3@example.com,Last,6,',                  // line 10, row 7
  ].join('\n') + '\n';
  const job = await importCsv(c, [RF.email, RF.first_name, 'age', 'since'], csv);
  assertJob(job, { status: 'errored', results: { requested_count: 8, created_count: 3, errored_count: 5 } });
  const doc = await fetchJobErrors(c, job, srv.url);
  const byIndex = Object.fromEntries(doc.errors.map((e) => [e.index, e]));
  assert.deepEqual(Object.keys(byIndex).map(Number).sort((a, b) => a - b), [1, 3, 4, 5, 6]);
  const lines = { 1: 4, 3: 6, 4: 7, 5: 8, 6: 9 };
  for (const [index, line] of Object.entries(lines)) {
    assert.ok(byIndex[index].message.startsWith(`line ${line}:`), `row ${index}: ${JSON.stringify(byIndex[index])}`);
  }
  assert.deepEqual(byIndex[1].identifiers, { email: 'not-an-email' });
  assert.deepEqual(byIndex[3].identifiers, { email: 'short@example.com' });
  assert.deepEqual(byIndex[4].identifiers, { email: 'age@example.com' });
  assert.equal((await contactByEmail(c, 'ok1@example.com')).first_name, 'Two\nlines');
  assert.deepEqual((await contactByEmail(c, 'ok2@example.com')).custom_fields, { age: 3, since: '2020-01-01T00:00:00Z' });
  assert.equal((await contactByEmail(c, 'ok3@example.com')).first_name, 'Last');
  for (const e of ['short@example.com', 'age@example.com', 'date@example.com', 'long@example.com']) {
    assert.equal(await findOne(c, 'email', e), null, `${e} must not be imported`);
  }
});

test('alternate_emails cells: comma-separated, spaces and empty items ignored, bad or too many -> row error', async () => {
  const c = freshAccount();
  const six = [1, 2, 3, 4, 5, 6].map((i) => `six${i}@example.com`).join(',');
  const csv = [
    'email,alts',
    'alt1@example.com," a1@example.com ,, A2@Example.com ,"',
    `alt2@example.com,"${six}"`,
    'alt3@example.com,"ok@example.com,not-an-email"',
    'alt4@example.com,single@example.com',
  ].join('\n') + '\n';
  const job = await importCsv(c, [RF.email, RF.alternate_emails], csv);
  assertJob(job, { status: 'errored', results: { requested_count: 4, created_count: 2, errored_count: 2 } });
  const doc = await fetchJobErrors(c, job, srv.url);
  assert.deepEqual(doc.errors.map((e) => e.index).sort(), [1, 2]);
  assert.ok(doc.errors.find((e) => e.index === 1).message.startsWith('line 3:'));
  assert.ok(doc.errors.find((e) => e.index === 2).message.startsWith('line 4:'));
  assert.deepEqual([...(await contactByEmail(c, 'alt1@example.com')).alternate_emails].sort(), ['a1@example.com', 'a2@example.com']);
  assert.deepEqual((await contactByEmail(c, 'alt4@example.com')).alternate_emails, ['single@example.com']);
  assert.equal(await findOne(c, 'email', 'alt2@example.com'), null);
});

test('the same contact on two rows: one contact, the later row wins', async () => {
  const c = freshAccount();
  const job = await importCsv(c, [RF.email, RF.first_name, RF.last_name],
    'email,first,last\ntwice@example.com,First,Kept\nTWICE@example.com,Second,\n');
  assertJob(job, { status: 'completed', results: { requested_count: 2, errored_count: 0 } });
  const t = await contactByEmail(c, 'twice@example.com');
  assert.equal(t.first_name, 'Second');
  assert.equal(t.last_name, 'Kept');
  const cnt = await call(c, { method: 'GET', url: `${C}/count` });
  assert.equal(cnt.status, 200);
  assert.equal(cnt.body.contact_count, 1, JSON.stringify(cnt.body));
});

test('an import whose every row fails is "failed"', async () => {
  const c = freshAccount();
  const job = await importCsv(c, [RF.email], 'email\nnope\nalso-nope\n');
  assertJob(job, { status: 'failed', results: { requested_count: 2, created_count: 0, errored_count: 2 } });
  const doc = await fetchJobErrors(c, job, srv.url);
  assert.deepEqual(doc.errors.map((e) => e.index).sort(), [0, 1]);
  assert.ok(doc.errors.find((e) => e.index === 0).message.startsWith('line 2:'));
  assert.ok(doc.errors.find((e) => e.index === 1).message.startsWith('line 3:'));
});

test('a custom field deleted between reservation and upload fails only the rows that set it', async () => {
  const c = freshAccount();
  const f = await createField(c, 'temp', 'Text');
  const res = await reserve(c, [RF.email, 'temp']);
  assert.equal((await call(c, { method: 'DELETE', url: `${FD}/${f.id}` })).status, 204);
  await uploadOk(res, 'email,temp\nkeep@example.com,\nset@example.com,value\n');
  const job = await pollJob(c, res.job_id);
  assertJob(job, { status: 'errored', results: { requested_count: 2, created_count: 1, errored_count: 1 } });
  const doc = await fetchJobErrors(c, job, srv.url);
  assert.equal(doc.errors[0].index, 1);
  assert.ok(doc.errors[0].message.startsWith('line 3:'), doc.errors[0].message);
  assert.ok(await findOne(c, 'email', 'keep@example.com'));
  assert.equal(await findOne(c, 'email', 'set@example.com'), null);
});

test('malformed files -> 400; the upload URL stays usable for a corrected file, then a second upload -> 409', async () => {
  const c = freshAccount();
  const res = await reserve(c, [RF.email, RF.first_name]);
  const bad = [
    ['email,first\na@example.com,"unterminated\n', 'unterminated quote'],
    ['email,first\na@example.com,x"y\n', 'quote inside an unquoted field'],
    ['email,first\na@example.com,"x"y\n', 'text after a closing quote'],
    ['email,first,extra\na@example.com,A,B\n', 'header has 3 columns, mappings 2'],
    ['email\na@example.com\n', 'header has 1 column, mappings 2'],
    ['', 'empty'],
    ['\n\n', 'only blank lines'],
    ['email,first\n', 'header only'],
    [Buffer.concat([Buffer.from('email,first\na@example.com,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]), 'invalid UTF-8'],
    [Buffer.from('email,first\na@example.com,A\0\n'), 'a NUL byte'],
    [Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8]), 'broken gzip'],
    [zlib.gzipSync('email,first\na@example.com,A\n').subarray(0, 20), 'cut-short gzip'],
    [zlib.gzipSync('email,first\n'), 'gzip of a header only'],
  ];
  for (const [body, label] of bad) {
    const r = await uploadTo(res.upload_uri, body);
    assertUpload400(r, label);
    await assertStillPending(c, res.job_id, label);
  }
  const cols = await uploadTo(res.upload_uri, 'a,b,c\nx,y,z\n');
  assert400(cols, ['field_mappings'], 'column count');
  const unterminated = await uploadTo(res.upload_uri, 'email,first\nok@example.com,A\nb@example.com,"open\n');
  assertUpload400(unterminated, 'unterminated on line 3');
  assert.match(unterminated.body.errors[0].message, /line 3/, JSON.stringify(unterminated.body));
  assert.equal(await findOne(c, 'email', 'ok@example.com'), null, 'nothing of a refused file is imported');

  await uploadOk(res, 'email,first\nfixed@example.com,Fixed\n');
  const job = await pollJob(c, res.job_id);
  assertJob(job, { id: res.job_id, status: 'completed', results: { requested_count: 1, created_count: 1 } });
  assert.equal((await contactByEmail(c, 'fixed@example.com')).first_name, 'Fixed');

  const second = await uploadTo(res.upload_uri, 'email,first\nsecond@example.com,Second\n');
  assertErrorBody({ status: second.status, body: second.body }, 409, 'second upload');
  const bad2 = await uploadTo(res.upload_uri, '');
  assert.equal(bad2.status, 409, `an upload after the file arrived is 409 whatever it holds: ${bad2.text}`);
  assert.equal(await findOne(c, 'email', 'second@example.com'), null);
  assertJob((await getJob(c, res.job_id)).body, { status: 'completed', results: { requested_count: 1 } });
});

test('upload URLs: wrong or missing token, unknown or malformed id -> 404; no API key needed', async () => {
  const c = freshAccount();
  const res = await reserve(c, [RF.email]);
  const other = await reserve(c, [RF.email]);
  const u = new URL(res.upload_uri);
  const token = u.searchParams.get('token');
  const otherToken = new URL(other.upload_uri).searchParams.get('token');
  const file = 'email\nsneaky@example.com\n';
  const wrong = [
    u.pathname,
    `${u.pathname}?token=`,
    `${u.pathname}?token=${token.slice(0, -1)}`,
    `${u.pathname}?token=${token}x`,
    `${u.pathname}?token=${otherToken}`,
    `${IMPORTS}/${UNKNOWN_ID}/upload?token=${token}`,
    `${IMPORTS}/not-a-uuid/upload?token=${token}`,
  ];
  for (const p of wrong) {
    const r = await raw(srv.url, { method: 'PUT', path: p, body: file, headers: { 'Content-Type': 'text/csv' } });
    assert.equal(r.status, 404, `${p}: ${r.status} ${r.text}`);
    assert.ok(r.body && Array.isArray(r.body.errors), r.text);
  }
  await assertStillPending(c, res.job_id, 'after wrong uploads');
  assert.equal(await findOne(c, 'email', 'sneaky@example.com'), null);
  // The right URL works without any API key (uploadTo sends none).
  await uploadOk(res, file);
  assertJob(await pollJob(c, res.job_id), { status: 'completed', results: { created_count: 1 } });
  await assertStillPending(c, other.job_id, 'the other reservation is untouched');
});

test('GET /imports/{id}: unknown ids -> 404', async () => {
  const c = freshAccount();
  assertErrorBody(await getJob(c, UNKNOWN_ID), 404, 'unknown');
  assertErrorBody(await getJob(c, 'not-a-uuid'), 404, 'malformed');
  assertErrorBody(await call(c, { method: 'GET', url: `${IMPORTS}/${UNKNOWN_ID}/errors` }), 404, 'errors of unknown');
});

test('an import runs in order with the account\'s other jobs', async () => {
  const c = freshAccount();
  const res = await reserve(c, [RF.email, RF.first_name]);
  const j1 = await upsert(c, [{ email: 'seq@example.com', first_name: 'Upsert1' }]);
  await uploadOk(res, 'email,first\nseq@example.com,Import\n');
  const j2 = await upsert(c, [{ email: 'seq@example.com', last_name: 'Upsert2' }]);
  await pollJob(c, j1);
  assertJob(await pollJob(c, res.job_id), { status: 'completed', results: { updated_count: 1 } });
  await pollJob(c, j2);
  const s = await contactByEmail(c, 'seq@example.com');
  assert.equal(s.first_name, 'Import');
  assert.equal(s.last_name, 'Upsert2');
});

// ---------------------------------------------------------------- isolation

test('accounts never see each other\'s imports, lists or imported contacts', async () => {
  const A = freshAccount();
  const B = freshAccount();
  const la = await createList(A, 'A list');
  const pending = await reserve(A, [RF.email]);
  const done = await reserve(A, [RF.email, RF.first_name], { list_ids: [la.id] });
  await uploadOk(done, 'email,first\nmine@example.com,Mine\n');
  const job = await pollJob(A, done.job_id);
  assertJob(job, { status: 'completed', results: { created_count: 1 } });

  for (const id of [pending.job_id, done.job_id]) {
    assertErrorBody(await getJob(B, id), 404, `B GET /imports/${id}`);
    assertErrorBody(await call(B, { method: 'GET', url: `${IMPORTS}/${id}/errors` }), 404, `B errors ${id}`);
  }
  assertErrorBody(await putImport(B, { file_type: 'csv', field_mappings: [RF.email], list_ids: [la.id] }), 404, 'B uses A\'s list');
  assert.equal(await findOne(B, 'email', 'mine@example.com'), null, 'B does not see A\'s imported contact');
  assert.ok(await findOne(A, 'email', 'mine@example.com'));

  // Whoever uploads, the file goes to the account that reserved it.
  await uploadOk(pending, 'email\nreserved-by-a@example.com\n');
  assertJob(await pollJob(A, pending.job_id), { status: 'completed', results: { created_count: 1 } });
  assert.ok(await findOne(A, 'email', 'reserved-by-a@example.com'));
  assert.equal(await findOne(B, 'email', 'reserved-by-a@example.com'), null);

  // B's own import with the same address makes B's own contact.
  const jb = await importCsv(B, [RF.email], 'email\nmine@example.com\n');
  assertJob(jb, { status: 'completed', results: { created_count: 1, updated_count: 0 } });
  const ca = await contactByEmail(A, 'mine@example.com');
  const cb = await contactByEmail(B, 'mine@example.com');
  assert.notEqual(ca.id, cb.id);
  assert.equal(ca.first_name, 'Mine');
  assert.equal(cb.first_name, '');
  assertErrorBody(await getContact(B, ca.id), 404, 'B GET A\'s contact');
});

test('an empty list_ids is the same as none', async () => {
  const c = freshAccount();
  const res = await reserve(c, [RF.email], { list_ids: [] });
  await uploadOk(res, 'email\nnolists@example.com\n');
  assertJob(await pollJob(c, res.job_id), { status: 'completed', results: { created_count: 1, errored_count: 0 } });
  assert.deepEqual((await contactByEmail(c, 'nolists@example.com')).list_ids, []);
});
