'use strict';
// /v3/marketing/contacts/exports: create (validation, lists, segments), status
// (pending -> ready, ContactExport shape), listing, the downloads (CSV with an
// upper-case header row, JSON lines, splitting by max_file_size, tokens), job
// ordering within an account, expiry (--export-ttl) and account isolation.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const zlib = require('node:zlib');
const {
  startServer, stopAll, call, raw, pollJob, upsert, assert400, assertErrorBody, assertJob, assertTimestamp,
  findOne, getContact, sleep, UUID_RE, test,
  upsertOk, createList, createField, freshAccount: newAccount,
} = require('./lib/server');

const EXPORTS = '/v3/marketing/contacts/exports';
const LISTS = '/v3/marketing/lists';
const FD = '/v3/marketing/field_definitions';
const UNKNOWN_ID = '0e8f4a52-6a4f-4c1e-9a57-3b2d7c9e1f00';
const TTL_S = 3;

let srv;
let ttlSrv; // a second server whose exports expire after TTL_S seconds
before(async () => {
  srv = await startServer();
  ttlSrv = await startServer({ extraArgs: ['--export-ttl', String(TTL_S)] });
});
after(() => stopAll([srv, ttlSrv]));

// The header row up to the custom fields: CONTACT_ID, the reserved fields in
// upper case, then the array columns and the timestamps.
const RESERVED_HEADER = [
  'EMAIL', 'PHONE_NUMBER_ID', 'EXTERNAL_ID', 'ANONYMOUS_ID', 'FIRST_NAME', 'LAST_NAME', 'UNIQUE_NAME',
  'ADDRESS_LINE_1', 'ADDRESS_LINE_2', 'CITY', 'STATE_PROVINCE_REGION', 'COUNTRY', 'POSTAL_CODE',
  'PHONE_NUMBER', 'WHATSAPP', 'LINE', 'FACEBOOK',
];
const TAIL_HEADER = ['ALTERNATE_EMAILS', 'LIST_IDS', 'CREATED_AT', 'UPDATED_AT'];
const FIXED_COLUMNS = 1 + RESERVED_HEADER.length + TAIL_HEADER.length;

// ------------------------------------------------------------ local helpers

function freshAccount(server = srv) {
  return newAccount(server, 'exports');
}

function postExport(client, body) {
  return call(client, { method: 'POST', url: EXPORTS, body });
}

// POST an export, assert the 202 and return its id.
async function createExport(client, body = {}) {
  const r = await postExport(client, body);
  assert.equal(r.status, 202, `POST exports ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body).sort(), ['_metadata', 'id'], JSON.stringify(r.body));
  assert.match(r.body.id, UUID_RE);
  assert.match(r.body._metadata.self, /^https?:\/\//);
  assert.equal(new URL(r.body._metadata.self).pathname, `${EXPORTS}/${r.body.id}`);
  return r.body.id;
}

function getExport(client, id) {
  return call(client, { method: 'GET', url: `${EXPORTS}/${id}` });
}

// Poll GET /exports/{id} until it is no longer pending; returns the ContactExport.
async function pollExport(client, id, { timeoutMs = 30000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await getExport(client, id);
    assert.equal(r.status, 200, `GET exports/${id}: ${r.status} ${JSON.stringify(r.body)}`);
    if (r.body.status !== 'pending') return r.body;
    assert.deepEqual(r.body.urls, [], `a pending export has no urls: ${JSON.stringify(r.body)}`);
    assert.ok(!('completed_at' in r.body), `a pending export has no completed_at: ${JSON.stringify(r.body)}`);
    if (Date.now() > deadline) throw new Error(`export ${id} still pending after ${timeoutMs} ms`);
    await sleep(20);
  }
}

async function createReadyExport(client, body = {}) {
  const id = await createExport(client, body);
  const e = await pollExport(client, id);
  assert.equal(e.status, 'ready', `export ${id}: ${JSON.stringify(e)}`);
  return e;
}

// GET a download URL with no API key.
async function download(url, server = srv) {
  const u = new URL(url);
  return raw(server.url, { method: 'GET', path: u.pathname + u.search, timeoutMs: 30000 });
}

// A file as users' code reads it: gzip, as the live service serves it, gunzipped here;
// .text is the file's content and .plainType the type of the same file without ".gz".
async function downloadOk(url, server = srv) {
  const u = new URL(url);
  assert.ok(/\/files\/[1-9][0-9]*\.(csv|json)\.gz$/.test(u.pathname), `a .gz file name: ${url}`);
  const r = await rawBuffer(server.url, u.pathname + u.search);
  assert.equal(r.status, 200, `download ${url}: ${r.status} ${r.buf.toString('utf8', 0, 300)}`);
  assert.equal(r.headers['content-type'], 'application/gzip');
  assert.match(String(r.headers['content-disposition']), /filename="contacts-\d+\.(csv|json)\.gz"/);
  const text = zlib.gunzipSync(r.buf).toString('utf8');
  const plain = await download(url.replace(/\.gz\?/, '?'), server);
  assert.equal(plain.status, 200, 'the same file without .gz, plain');
  assert.equal(plain.text, text, 'the plain file is the gzip file, uncompressed');
  return { status: r.status, headers: r.headers, text, plainType: plain.headers['content-type'] };
}

// GET a path; resolve {status, headers, buf} with the body's bytes as they came.
function rawBuffer(base, p) {
  return new Promise((resolve, reject) => {
    http.get(base + p, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, buf: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

// A small RFC 4180 reader: rows of cells.
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  let any = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      cell += ch; i++; continue;
    }
    if (ch === '"') { quoted = true; any = true; i++; continue; }
    if (ch === ',') { row.push(cell); cell = ''; any = true; i++; continue; }
    if (ch === '\r' && text[i + 1] === '\n') { i++; continue; }
    if (ch === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; any = false; i++; continue; }
    cell += ch; any = true; i++;
  }
  assert.ok(!quoted, 'unterminated quoted field in the CSV');
  if (any || cell.length) { row.push(cell); rows.push(row); }
  return rows;
}

// Parse one CSV export file: check its header, return {header, records} where
// each record maps header names to cells.
function parseExportCsv(text, customNames) {
  assert.ok(text.endsWith('\n'), 'a CSV file ends with a line break');
  const rows = parseCsv(text);
  assert.ok(rows.length >= 1, 'a CSV file has a header row');
  const header = rows[0];
  assert.equal(header[0], 'CONTACT_ID', `header: ${header.join(',')}`);
  assert.deepEqual([...header.slice(1, 1 + RESERVED_HEADER.length)].sort(), [...RESERVED_HEADER].sort(),
    `reserved columns: ${header.join(',')}`);
  assert.deepEqual(header.slice(1 + RESERVED_HEADER.length, FIXED_COLUMNS), TAIL_HEADER, `header: ${header.join(',')}`);
  if (customNames) {
    assert.deepEqual([...header.slice(FIXED_COLUMNS)].sort(), [...customNames].sort(), `custom columns: ${header.join(',')}`);
  }
  const records = rows.slice(1).map((cells, n) => {
    assert.equal(cells.length, header.length, `row ${n + 1} has ${cells.length} cells, header ${header.length}`);
    const o = {};
    header.forEach((h, k) => { o[h] = cells[k]; });
    return o;
  });
  return { header, records };
}

function parseJsonLines(text) {
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), 'a JSON lines file ends with a line break');
  return text.slice(0, -1).split('\n').map((l) => {
    const o = JSON.parse(l);
    assert.ok(o && typeof o === 'object' && !Array.isArray(o), `a contact object per line: ${l}`);
    return o;
  });
}

// Download every file of a ready CSV export; all records in file order.
async function csvRecords(e, customNames, server = srv) {
  assert.equal(e.file_type, 'csv');
  const out = [];
  for (const url of e.urls) {
    const r = await downloadOk(url, server);
    assert.match(String(r.plainType), /^text\/csv/);
    out.push(...parseExportCsv(r.text, customNames).records);
  }
  return out;
}

async function jsonRecords(e, server = srv) {
  assert.equal(e.file_type, 'json');
  const out = [];
  for (const url of e.urls) out.push(...parseJsonLines((await downloadOk(url, server)).text));
  return out;
}

function assertExportShape(e, { id, status, exportType, fileType = 'csv', lists = [], contactCount } = {}) {
  for (const k of ['id', 'status', 'created_at', 'updated_at', 'expires_at', 'urls', 'contact_count',
    'export_type', 'file_type', 'lists', 'segments', '_metadata']) {
    assert.ok(k in e, `ContactExport.${k} expected: ${JSON.stringify(e)}`);
  }
  if (id) assert.equal(e.id, id);
  assert.match(e.id, UUID_RE);
  if (status) assert.equal(e.status, status, JSON.stringify(e));
  assert.ok(['pending', 'ready', 'failure'].includes(e.status), `status: ${e.status}`);
  assertTimestamp(e.created_at, 'created_at');
  assertTimestamp(e.updated_at, 'updated_at');
  assert.ok(Date.parse(e.updated_at) >= Date.parse(e.created_at), 'updated_at before created_at');
  assert.equal(typeof e.expires_at, 'string');
  assert.ok(Date.parse(e.expires_at) > Date.parse(e.created_at), `expires_at after created_at: ${JSON.stringify(e)}`);
  if (e.status !== 'pending') {
    assertTimestamp(e.completed_at, 'completed_at');
    assert.ok(Date.parse(e.completed_at) >= Date.parse(e.created_at));
  }
  assert.ok(Array.isArray(e.urls));
  if (e.status === 'ready') {
    assert.ok(e.urls.length >= 1, `a ready export has at least one url: ${JSON.stringify(e)}`);
    assert.equal(e.message, undefined, `no message on a ready export: ${JSON.stringify(e)}`);
  } else {
    assert.deepEqual(e.urls, []);
  }
  for (const u of e.urls) {
    assert.match(u, /^https?:\/\//, `url: ${u}`);
    assert.ok(new URL(u).pathname.startsWith(`${EXPORTS}/${e.id}/`), `url: ${u}`);
  }
  if (e.status === 'failure') assert.equal(typeof e.message, 'string');
  assert.equal(typeof e.contact_count, 'number');
  if (contactCount !== undefined) assert.equal(e.contact_count, contactCount, `contact_count: ${JSON.stringify(e)}`);
  if (exportType) assert.equal(e.export_type, exportType);
  assert.ok(['contacts_export', 'list_export'].includes(e.export_type), `export_type: ${e.export_type}`);
  assert.equal(e.file_type, fileType);
  // {ID, Name}; a list deleted since the export was requested has no Name any more
  assert.deepEqual(e.lists.map((l) => l.ID), lists, `lists: ${JSON.stringify(e.lists)}`);
  for (const l of e.lists) {
    assert.ok(l.Name === undefined || (typeof l.Name === 'string' && l.Name.length > 0), `list name: ${JSON.stringify(l)}`);
  }
  assert.deepEqual(e.segments, []);
  assert.equal(new URL(e._metadata.self).pathname, `${EXPORTS}/${e.id}`);
}

async function listExports(client) {
  const r = await call(client, { method: 'GET', url: EXPORTS });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.ok(Array.isArray(r.body.result), JSON.stringify(r.body));
  assert.equal(new URL(r.body._metadata.self).pathname, EXPORTS);
  return r.body.result;
}

async function contactByEmail(client, email) {
  const c = await findOne(client, 'email', email);
  assert.ok(c, `contact ${email} expected`);
  return c;
}

const byEmail = (a, b) => (a.EMAIL || a.email).localeCompare(b.EMAIL || b.email);

// ------------------------------------------------------------------- create

test('POST /exports answers 202 {id, _metadata}; the export becomes ready with the ContactExport shape', async () => {
  const c = freshAccount();
  await upsertOk(c, [{ email: 'one@example.com' }, { email: 'two@example.com' }]);
  const before = Date.now();
  const id = await createExport(c, {});
  const first = await getExport(c, id);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assertExportShape(first.body, { id });

  const e = await pollExport(c, id);
  assertExportShape(e, { id, status: 'ready', exportType: 'contacts_export', contactCount: 2 });
  assert.equal(e.urls.length, 1);
  assert.ok(new URL(e.urls[0]).pathname.endsWith('.csv.gz'), e.urls[0]);
  // 72 hours by default (whole seconds, so allow a little slack).
  const ttl = Date.parse(e.expires_at) - Date.parse(e.created_at);
  assert.ok(Math.abs(ttl - 72 * 3600 * 1000) <= 2000, `default TTL 72 h, got ${ttl} ms`);
  assert.ok(Date.parse(e.created_at) >= Math.floor(before / 1000) * 1000 - 1000);
});

test('POST /exports accepts every documented option', async () => {
  const c = freshAccount();
  await upsertOk(c, [{ email: 'opt@example.com' }]);
  const l = await createList(c, 'Opts');
  for (const body of [
    { notifications: { email: true } },
    { notifications: { email: false } },
    { notifications: {} },
    { file_type: 'csv', max_file_size: 5000 },
    { file_type: 'json', max_file_size: 1 },
    { segment_ids: [] },
    { list_ids: [l.id], segment_ids: [], notifications: { email: true }, file_type: 'json', max_file_size: 100 },
  ]) {
    const e = await createReadyExport(c, body);
    assert.equal(e.file_type, body.file_type || 'csv', JSON.stringify(body));
  }
});

test('POST /exports: invalid shapes -> 400 naming the field; nothing is created (unknown keys: fidelity.test.js)', async () => {
  const c = freshAccount();
  const bad = [
    [{ file_type: 'xml' }, ['file_type']],
    [{ file_type: 'CSV' }, ['file_type']],
    [{ file_type: 5 }, ['file_type']],
    [{ file_type: null }, ['file_type']],
    [{ max_file_size: 0 }, ['max_file_size']],
    [{ max_file_size: 5001 }, ['max_file_size']],
    [{ max_file_size: -1 }, ['max_file_size']],
    [{ max_file_size: 1.5 }, ['max_file_size']],
    [{ max_file_size: '10' }, ['max_file_size']],
    [{ notifications: true }, ['notifications']],
    [{ notifications: { email: 'yes' } }, ['notifications']],
    [{ notifications: [] }, ['notifications']],
    [{ file_type: 'xml', max_file_size: 0 }, ['file_type', 'max_file_size']],
  ];
  for (const [body, fields] of bad) {
    assert400(await postExport(c, body), fields, JSON.stringify(body));
  }
  for (const body of [{ list_ids: 'x' }, { list_ids: [5] }, { list_ids: {} }]) {
    const r = await postExport(c, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    for (const e of r.body.errors) assert.match(String(e.field), /^list_ids/, JSON.stringify(r.body));
  }
  for (const body of [{ segment_ids: 'x' }, { segment_ids: [5] }]) {
    const r = await postExport(c, body);
    assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
    for (const e of r.body.errors) assert.match(String(e.field), /^segment_ids/, JSON.stringify(r.body));
  }
  const notJson = await raw(srv.url, {
    method: 'POST', path: EXPORTS, body: '{"file_type": ',
    headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json' },
  });
  assert.equal(notJson.status, 400, notJson.text);
  assert.deepEqual(await listExports(c), [], 'no export was created by the invalid requests');
});

test('POST /exports: unknown list ids and any segment id -> 404; nothing is created', async () => {
  const c = freshAccount();
  const l = await createList(c, 'Known');
  const r1 = await postExport(c, { list_ids: [UNKNOWN_ID] });
  assertErrorBody(r1, 404, 'unknown list');
  assert.equal(r1.body.errors[0].field, 'list_ids');
  assertErrorBody(await postExport(c, { list_ids: [l.id, UNKNOWN_ID] }), 404, 'one of two unknown');
  assertErrorBody(await postExport(c, { list_ids: ['not-a-uuid'] }), 404, 'not a uuid');
  const r2 = await postExport(c, { segment_ids: [UNKNOWN_ID] });
  assertErrorBody(r2, 404, 'segment');
  assert.equal(r2.body.errors[0].field, 'segment_ids');
  assertErrorBody(await postExport(c, { list_ids: [l.id], segment_ids: [UNKNOWN_ID] }), 404, 'list + segment');
  // A deleted list is unknown.
  const gone = await createList(c, 'Gone');
  assert.equal((await call(c, { method: 'DELETE', url: `${LISTS}/${gone.id}` })).status, 204);
  assertErrorBody(await postExport(c, { list_ids: [gone.id] }), 404, 'deleted list');
  assert.deepEqual(await listExports(c), []);
});

// ------------------------------------------------------------------- status

test('GET /exports/{id}: unknown, malformed and non-export job ids -> 404', async () => {
  const c = freshAccount();
  assertErrorBody(await getExport(c, UNKNOWN_ID), 404, 'unknown');
  assertErrorBody(await getExport(c, 'not-a-uuid'), 404, 'malformed');
  const jobId = await upsert(c, [{ email: 'job@example.com' }]);
  await pollJob(c, jobId);
  assertErrorBody(await getExport(c, jobId), 404, 'an upsert job is not an export');
  // ... and an export is not an import job.
  const e = await createReadyExport(c);
  const asImport = await call(c, { method: 'GET', url: `/v3/marketing/contacts/imports/${e.id}` });
  assertErrorBody(asImport, 404, 'GET /imports/{export id}');
});

test('GET /exports lists the account\'s exports, oldest first (the last is the newest)', async () => {
  const c = freshAccount();
  assert.deepEqual(await listExports(c), []);
  await upsertOk(c, [{ email: 'list@example.com' }]);
  const ids = [];
  for (let i = 0; i < 3; i++) {
    ids.push((await createReadyExport(c, { file_type: i === 1 ? 'json' : 'csv' })).id);
    await sleep(5);
  }
  const all = await listExports(c);
  assert.deepEqual(all.map((e) => e.id), ids);
  for (const e of all) assertExportShape(e, { status: 'ready', contactCount: 1, fileType: e.id === ids[1] ? 'json' : 'csv' });
  // Each entry is what GET /exports/{id} shows.
  for (const e of all) assert.deepEqual(e, (await getExport(c, e.id)).body);
});

// ---------------------------------------------------------------- contents

test('CSV export: header row, one row per contact with reserved, array and custom fields', async () => {
  const c = freshAccount();
  const nick = await createField(c, 'nickname', 'Text');
  await createField(c, 'orders', 'Number');
  await createField(c, 'birthday', 'Date');
  const l1 = await createList(c, 'L1');
  const l2 = await createList(c, 'L2');
  const people = [
    {
      email: 'ann@example.com', first_name: 'Ann', last_name: 'O"Neil, Jr', city: 'Berlin',
      phone_number_id: '+14155550123', external_id: 'ext-ann', anonymous_id: 'anon-ann',
      alternate_emails: ['ann.alt@example.org', 'ann2@example.org'], address_line_1: 'Line one\nLine two',
      custom_fields: { nickname: 'Annie', orders: 42, birthday: '1990-02-03' },
    },
    { email: 'ben@example.com', first_name: ' Ben ', custom_fields: { [nick.id]: 'B, the "man"', orders: 3.5 } },
  ];
  await upsertOk(c, people, { list_ids: [l1.id] });
  await upsertOk(c, [{ email: 'ben@example.com' }], { list_ids: [l2.id] });
  await upsertOk(c, [{ external_id: 'ext-cid', first_name: 'Cid' }]);

  const e = await createReadyExport(c);
  assertExportShape(e, { status: 'ready', exportType: 'contacts_export', contactCount: 3 });
  const records = await csvRecords(e, ['nickname', 'orders', 'birthday']);
  assert.equal(records.length, 3);

  const ann = await contactByEmail(c, 'ann@example.com');
  const ben = await contactByEmail(c, 'ben@example.com');
  const cid = await findOne(c, 'external_id', 'ext-cid');
  const rec = Object.fromEntries(records.map((r) => [r.CONTACT_ID, r]));
  assert.deepEqual(Object.keys(rec).sort(), [ann.id, ben.id, cid.id].sort(), 'one row per contact, by CONTACT_ID');

  const a = rec[ann.id];
  assert.equal(a.EMAIL, 'ann@example.com');
  assert.equal(a.FIRST_NAME, 'Ann');
  assert.equal(a.LAST_NAME, 'O"Neil, Jr');
  assert.equal(a.ADDRESS_LINE_1, 'Line one\nLine two');
  assert.equal(a.CITY, 'Berlin');
  assert.equal(a.PHONE_NUMBER_ID, '+14155550123');
  assert.equal(a.EXTERNAL_ID, 'ext-ann');
  assert.equal(a.ANONYMOUS_ID, 'anon-ann');
  assert.equal(a.COUNTRY, '');
  assert.deepEqual(a.ALTERNATE_EMAILS.split(',').sort(), ['ann.alt@example.org', 'ann2@example.org']);
  assert.equal(a.LIST_IDS, l1.id);
  assert.equal(a.CREATED_AT, ann.created_at);
  assert.equal(a.UPDATED_AT, ann.updated_at);
  assert.equal(a.nickname, 'Annie');
  assert.equal(a.orders, '42');
  assert.equal(Date.parse(a.birthday), Date.parse('1990-02-03T00:00:00Z'), `birthday: ${a.birthday}`);

  const b = rec[ben.id];
  assert.equal(b.FIRST_NAME, ben.first_name, 'leading/trailing spaces survive the CSV');
  assert.equal(b.nickname, 'B, the "man"');
  assert.equal(Number(b.orders), 3.5);
  assert.equal(b.birthday, '');
  assert.equal(b.ALTERNATE_EMAILS, '');
  assert.deepEqual(b.LIST_IDS.split(',').sort(), [l1.id, l2.id].sort());

  const d = rec[cid.id];
  assert.equal(d.EMAIL, '');
  assert.equal(d.EXTERNAL_ID, 'ext-cid');
  assert.equal(d.FIRST_NAME, 'Cid');
  assert.equal(d.LIST_IDS, '');
  assert.equal(d.nickname, '');
  assert.equal(d.orders, '');
});

test('JSON export: one object per line keyed contact_id, with the fields that are set, as the API shows them', async () => {
  const c = freshAccount();
  await createField(c, 'score', 'Number');
  await createField(c, 'tag', 'Text');
  const l = await createList(c, 'J');
  await upsertOk(c, [
    { email: 'j1@example.com', first_name: 'Jay', alternate_emails: ['j1b@example.com'], custom_fields: { score: 7, tag: 'x' } },
    { email: 'j2@example.com', last_name: 'Two' },
  ], { list_ids: [l.id] });
  await upsertOk(c, [{ phone_number_id: '+4915112345678' }]);
  const e = await createReadyExport(c, { file_type: 'json' });
  assertExportShape(e, { status: 'ready', fileType: 'json', contactCount: 3 });
  assert.ok(e.urls.every((u) => new URL(u).pathname.endsWith('.json.gz')), JSON.stringify(e.urls));
  const r = await downloadOk(e.urls[0]);
  assert.match(String(r.plainType), /json/);
  const lines = await jsonRecords(e);
  assert.equal(lines.length, 3);
  for (const line of lines) {
    // the live service's line: contact_id, the fields that are set, custom_fields (even
    // {}), created_at and updated_at; keys in alphabetical order
    assert.ok(!('id' in line) && !('segment_ids' in line), JSON.stringify(line));
    assert.deepEqual(Object.keys(line), Object.keys(line).sort(), 'keys sorted');
    const full = await getContact(c, line.contact_id);
    assert.equal(full.status, 200, JSON.stringify(full.body));
    for (const [k, v] of Object.entries(full.body)) {
      if (['id', 'segment_ids', '_metadata'].includes(k)) continue;
      const set = !(v === '' || (Array.isArray(v) && v.length === 0));
      if (!set) {
        assert.ok(!(k in line), `${k} is unset, so not in the line: ${JSON.stringify(line)}`);
      } else if (k === 'list_ids') {
        assert.deepEqual([...line.list_ids].sort(), [...v].sort());
      } else {
        assert.deepEqual(line[k], v, `${k} of ${line.contact_id}: line ${JSON.stringify(line)} vs ${JSON.stringify(full.body)}`);
      }
    }
  }
  const j2 = lines.find((x) => x.email === 'j2@example.com');
  assert.deepEqual(Object.keys(j2), ['contact_id', 'created_at', 'custom_fields', 'email', 'last_name', 'list_ids', 'updated_at']);
  const j1 = lines.find((x) => x.email === 'j1@example.com');
  assert.deepEqual(j1.custom_fields, { score: 7, tag: 'x' });
  assert.deepEqual(j1.list_ids, [l.id]);
});

test('list export: only members of the requested lists, each once; lists named in the export', async () => {
  const c = freshAccount();
  const l1 = await createList(c, 'One');
  const l2 = await createList(c, 'Two');
  const l3 = await createList(c, 'Three');
  await upsertOk(c, [{ email: 'in1@example.com' }, { email: 'both@example.com' }], { list_ids: [l1.id] });
  await upsertOk(c, [{ email: 'in2@example.com' }, { email: 'both@example.com' }], { list_ids: [l2.id] });
  await upsertOk(c, [{ email: 'none@example.com' }, { email: 'in3@example.com' }]);
  await upsertOk(c, [{ email: 'in3@example.com' }], { list_ids: [l3.id] });

  const e1 = await createReadyExport(c, { list_ids: [l1.id] });
  assertExportShape(e1, { status: 'ready', exportType: 'list_export', lists: [l1.id], contactCount: 2 });
  assert.equal(e1.lists[0].Name, l1.name, 'a list export names its lists');
  assert.deepEqual((await csvRecords(e1)).map((r) => r.EMAIL).sort(), ['both@example.com', 'in1@example.com']);

  const e12 = await createReadyExport(c, { list_ids: [l1.id, l2.id, l1.id], file_type: 'json' });
  assertExportShape(e12, { status: 'ready', exportType: 'list_export', fileType: 'json', lists: [l1.id, l2.id], contactCount: 3 });
  assert.deepEqual((await jsonRecords(e12)).map((r) => r.email).sort(),
    ['both@example.com', 'in1@example.com', 'in2@example.com'], 'a contact in two requested lists appears once');

  const empty = await createList(c, 'Empty');
  const e0 = await createReadyExport(c, { list_ids: [empty.id] });
  assertExportShape(e0, { status: 'ready', exportType: 'list_export', lists: [empty.id], contactCount: 0 });
  assert.deepEqual(await csvRecords(e0), [], 'an empty list exports no rows');

  // No list_ids, or an empty array (as an empty segment_ids): every contact.
  const all = await createReadyExport(c, {});
  assertExportShape(all, { status: 'ready', exportType: 'contacts_export', contactCount: 5 });
  assert.equal((await csvRecords(all)).length, 5);
  const allToo = await createReadyExport(c, { list_ids: [], segment_ids: [] });
  assertExportShape(allToo, { status: 'ready', exportType: 'contacts_export', contactCount: 5 });
});

test('exports follow removals: list membership removed, contacts deleted, custom fields deleted', async () => {
  const c = freshAccount();
  const keep = await createField(c, 'keep', 'Text');
  const drop = await createField(c, 'drop', 'Number');
  const l = await createList(c, 'Members');
  await upsertOk(c, ['m1', 'm2', 'm3', 'm4'].map((n) => ({ email: `${n}@example.com`, custom_fields: { keep: n, drop: 1 } })),
    { list_ids: [l.id] });
  const ids = {};
  for (const n of ['m1', 'm2', 'm3', 'm4']) ids[n] = (await contactByEmail(c, `${n}@example.com`)).id;
  // Queued one after another, none waited for: the exports run after them.
  const rm = await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}/contacts?contact_ids=${ids.m1}` });
  assert.equal(rm.status, 202, JSON.stringify(rm.body));
  const del = await call(c, { method: 'DELETE', url: `/v3/marketing/contacts?ids=${ids.m2}` });
  assert.equal(del.status, 202, JSON.stringify(del.body));
  const listId = await createExport(c, { list_ids: [l.id] });
  const allId = await createExport(c, { file_type: 'json' });
  const le = await pollExport(c, listId);
  assertExportShape(le, { status: 'ready', exportType: 'list_export', lists: [l.id], contactCount: 2 });
  assert.deepEqual((await csvRecords(le)).map((r) => r.EMAIL).sort(), ['m3@example.com', 'm4@example.com']);
  const ae = await pollExport(c, allId);
  assertExportShape(ae, { status: 'ready', fileType: 'json', contactCount: 3 });
  const lines = await jsonRecords(ae);
  assert.deepEqual(lines.map((r) => r.email).sort(), ['m1@example.com', 'm3@example.com', 'm4@example.com']);
  assert.ok(!('list_ids' in lines.find((r) => r.email === 'm1@example.com')), 'no lists: no list_ids');

  assert.equal((await call(c, { method: 'DELETE', url: `${FD}/${drop.id}` })).status, 204);
  const after = await createReadyExport(c);
  const rows = await csvRecords(after, ['keep']);
  assert.equal(rows.length, 3);
  for (const r of rows) assert.equal(r.keep, r.EMAIL.split('@')[0]);
  const afterJson = await jsonRecords(await createReadyExport(c, { file_type: 'json' }));
  for (const r of afterJson) assert.deepEqual(r.custom_fields, { keep: r.email.split('@')[0] });
  assert.ok(keep.id);
});

test('an account without contacts exports no rows', async () => {
  const c = freshAccount();
  const e = await createReadyExport(c);
  assertExportShape(e, { status: 'ready', contactCount: 0 });
  assert.deepEqual(await csvRecords(e), []);
  const j = await createReadyExport(c, { file_type: 'json' });
  assertExportShape(j, { status: 'ready', fileType: 'json', contactCount: 0 });
  assert.deepEqual(await jsonRecords(j), []);
});

test('jobs run in acceptance order: an export sees upserts accepted before it, not after', async () => {
  const c = freshAccount();
  const contacts = [];
  for (let i = 0; i < 500; i++) contacts.push({ email: `order${i}@example.com`, first_name: `N${i}` });
  const j1 = await upsert(c, contacts);             // not waited for
  const id = await createExport(c, {});
  const j2 = await upsert(c, [{ email: 'later@example.com' }, { email: 'order0@example.com', first_name: 'Changed' }]);
  const e = await pollExport(c, id);
  assertExportShape(e, { status: 'ready', contactCount: 500 });
  const rows = await csvRecords(e);
  assert.equal(rows.length, 500);
  assert.deepEqual(new Set(rows.map((r) => r.EMAIL)), new Set(contacts.map((x) => x.email)));
  assert.equal(rows.find((r) => r.EMAIL === 'order0@example.com').FIRST_NAME, 'N0', 'the later update is not in the export');
  assertJob(await pollJob(c, j1), { status: 'completed', results: { created_count: 500 } });
  assertJob(await pollJob(c, j2), { status: 'completed', results: { created_count: 1, updated_count: 1 } });
});

test('max_file_size splits a large export; every contact appears exactly once, each CSV file with its header', async () => {
  const c = freshAccount();
  await createField(c, 'note', 'Text');
  const N = 6000;
  const pad = (s, n) => (s + 'x'.repeat(n)).slice(0, n);
  const batch = (from, to) => {
    const out = [];
    for (let i = from; i < to; i++) {
      out.push({
        email: `split${i}@example.com`,
        first_name: pad(`First${i}`, 40), last_name: pad(`Last${i}`, 40),
        address_line_1: pad(`${i} Long Street`, 90), address_line_2: pad(`Apartment ${i}`, 90),
        city: pad(`City${i}`, 50), custom_fields: { note: pad(`note ${i}`, 60) },
      });
    }
    return out;
  };
  const ja = await upsert(c, batch(0, N / 2));
  const jb = await upsert(c, batch(N / 2, N));
  // Both not yet waited for: the export runs after them anyway.
  const csvId = await createExport(c, { max_file_size: 1 });
  const jsonId = await createExport(c, { max_file_size: 1, file_type: 'json' });
  assertJob(await pollJob(c, ja, { timeoutMs: 60000 }), { status: 'completed', results: { created_count: N / 2 } });
  assertJob(await pollJob(c, jb, { timeoutMs: 60000 }), { status: 'completed', results: { created_count: N / 2 } });

  const e = await pollExport(c, csvId, { timeoutMs: 60000 });
  assertExportShape(e, { status: 'ready', contactCount: N });
  assert.ok(e.urls.length >= 2, `more than 1 MB of contacts must be split: ${e.urls.length} file(s)`);
  const seen = new Map();
  for (const [n, url] of e.urls.entries()) {
    const r = await downloadOk(url);
    assert.ok(Buffer.byteLength(r.text) <= 1024 * 1024, `file ${n + 1} is ${Buffer.byteLength(r.text)} bytes, over 1 MB`);
    const { records } = parseExportCsv(r.text, ['note']);
    assert.ok(records.length >= 1, `file ${n + 1} holds at least one contact`);
    for (const rec of records) seen.set(rec.EMAIL, (seen.get(rec.EMAIL) || 0) + 1);
    const last = records[records.length - 1];
    assert.equal(last.note.length, 60, 'rows are not cut at file boundaries');
  }
  assert.equal(seen.size, N, 'every contact appears');
  for (const [email, k] of seen) assert.equal(k, 1, `${email} appears ${k} times`);

  const j = await pollExport(c, jsonId, { timeoutMs: 60000 });
  assertExportShape(j, { status: 'ready', fileType: 'json', contactCount: N });
  assert.ok(j.urls.length >= 2, `JSON export split too: ${j.urls.length} file(s)`);
  const jseen = new Set();
  for (const url of j.urls) {
    const r = await downloadOk(url);
    assert.ok(Buffer.byteLength(r.text) <= 1024 * 1024, 'JSON file over 1 MB');
    const lines = parseJsonLines(r.text);
    assert.ok(lines.length >= 1);
    for (const l of lines) {
      assert.ok(!jseen.has(l.email), `${l.email} twice`);
      jseen.add(l.email);
    }
  }
  assert.equal(jseen.size, N);
});

test('an exported CSV file imports back (PUT /imports) into another account unchanged', async () => {
  const A = freshAccount();
  const B = freshAccount();
  for (const cl of [A, B]) {
    await createField(cl, 'score', 'Number');
    await createField(cl, 'since', 'Date');
    await createField(cl, 'motto', 'Text');
  }
  const people = [
    {
      email: 'rt1@example.com', first_name: 'Round', last_name: 'Trip, "Esq"', city: 'München', country: 'DE',
      phone_number_id: '+4915112345678', external_id: 'rt-ext', alternate_emails: ['rt1b@example.com', 'rt1c@example.com'],
      address_line_1: 'Two\nlines', custom_fields: { score: 12.25, since: '2019-12-31', motto: 'a,b' },
    },
    { email: 'rt2@example.com', unique_name: 'rt-two', custom_fields: { score: -3 } },
    { external_id: 'rt-only-ext', anonymous_id: 'rt-anon', postal_code: '01234' },
  ];
  await upsertOk(A, people);
  const e = await createReadyExport(A);
  assert.equal(e.urls.length, 1);
  const text = (await downloadOk(e.urls[0])).text;
  const header = parseCsv(text)[0];

  const fd = await call(B, { method: 'GET', url: FD });
  const reservedId = Object.fromEntries(fd.body.reserved_fields.map((f) => [f.name.toUpperCase(), f.id]));
  const skip = new Set(['CONTACT_ID', 'LIST_IDS', 'CREATED_AT', 'UPDATED_AT']);
  const mappings = header.map((h) => (skip.has(h) ? null : reservedId[h] || h));
  const res = await call(B, { method: 'PUT', url: '/v3/marketing/contacts/imports', body: { file_type: 'csv', field_mappings: mappings } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const u = new URL(res.body.upload_uri);
  const up = await raw(srv.url, { method: 'PUT', path: u.pathname + u.search, body: text, headers: { 'Content-Type': 'text/csv' } });
  assert.equal(up.status, 200, up.text);
  assertJob(await pollJob(B, res.body.job_id), { status: 'completed', results: { requested_count: 3, created_count: 3, errored_count: 0 } });

  for (const p of people) {
    const [type, value] = p.email ? ['email', p.email] : ['external_id', p.external_id];
    const a = await findOne(A, type, value);
    const b = await findOne(B, type, value);
    assert.ok(a && b, `${value} in both accounts`);
    assert.notEqual(a.id, b.id);
    for (const k of Object.keys(a)) {
      if (['id', 'created_at', 'updated_at', '_metadata', 'list_ids', 'segment_ids'].includes(k)) continue;
      if (k === 'alternate_emails') assert.deepEqual([...b[k]].sort(), [...a[k]].sort(), `${value}.${k}`);
      else assert.deepEqual(b[k], a[k], `${value}.${k}`);
    }
  }
});

// ---------------------------------------------------------------- downloads

test('download URLs need no API key but the right token and file name; anything else -> 404', async () => {
  const c = freshAccount();
  await upsertOk(c, [{ email: 'dl@example.com' }]);
  const e = await createReadyExport(c);
  const other = await createReadyExport(c);
  const good = new URL(e.urls[0]);
  const token = good.searchParams.get('token');
  assert.ok(token, `token in ${e.urls[0]}`);
  const ok = await downloadOk(e.urls[0]);
  assert.ok(ok.text.includes('dl@example.com'));
  // An API key is not needed, but does not hurt either.
  const withKey = await raw(srv.url, { path: good.pathname + good.search, headers: { Authorization: `Bearer ${srv.key}` } });
  assert.equal(withKey.status, 200);

  const base = good.pathname;
  const otherToken = new URL(other.urls[0]).searchParams.get('token');
  assert.notEqual(otherToken, token, 'each export has its own token');
  const wrong = [
    base,                                                   // no token
    `${base}?token=`,
    `${base}?token=${token.slice(0, -1)}`,
    `${base}?token=${token}x`,
    `${base}?token=${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`,
    `${base}?token=${otherToken}`,                          // another export's token
    `${base.replace('/1.csv', '/2.csv')}?token=${token}`,   // no such file
    `${base.replace('/1.csv', '/0.csv')}?token=${token}`,
    `${base.replace('/1.csv', '/1.json')}?token=${token}`,  // wrong extension
    `${base.replace('/1.csv', '/1')}?token=${token}`,
    `${base.replace('/1.csv', '/abc.csv')}?token=${token}`,
    `${base.replace('/1.csv', '/1.csv.csv')}?token=${token}`,
    `${EXPORTS}/${UNKNOWN_ID}/files/1.csv?token=${token}`,
    `${EXPORTS}/not-a-uuid/files/1.csv?token=${token}`,
    `${EXPORTS}/${other.id}/files/1.csv?token=${token}`,     // this token on another export
    // only the names the export issued: no other spelling of file 1
    `${base.replace('/1.csv', '/01.csv')}?token=${token}`,
    `${base.replace('/1.csv', '/+1.csv')}?token=${token}`,
    `${base.replace('/1.csv', '/%201.csv')}?token=${token}`,
    `${base}.gz?token=${token}`,
    `${base.replace('.gz', '.gzip')}?token=${token}`,
    `${base.replace('.gz', '.')}?token=${token}`,
  ];
  for (const p of wrong) {
    const r = await raw(srv.url, { path: p });
    assert.equal(r.status, 404, `${p}: ${r.status} ${r.text.slice(0, 200)}`);
    assert.ok(r.body && Array.isArray(r.body.errors), `${p}: errors[] expected: ${r.text.slice(0, 200)}`);
  }
});

// ---------------------------------------------------------- list deleted / TTL

test('a list deleted after POST but before the export runs fails the export with a message', async (t) => {
  const c = freshAccount();
  const l = await createList(c, 'Doomed');
  await upsertOk(c, [{ email: 'doomed@example.com' }], { list_ids: [l.id] });
  // A large upsert first keeps the export queued behind it while the list is deleted.
  const big = [];
  for (let i = 0; i < 5000; i++) big.push({ email: `filler${i}@example.com` });
  const jobId = await upsert(c, big);
  const id = await createExport(c, { list_ids: [l.id] });
  assert.equal((await call(c, { method: 'DELETE', url: `${LISTS}/${l.id}` })).status, 204);
  const e = await pollExport(c, id);
  await pollJob(c, jobId, { timeoutMs: 30000 });
  if (e.status === 'ready') {
    t.skip('the export ran before the list was deleted (timing); nothing to check');
    return;
  }
  assertExportShape(e, { id, status: 'failure', exportType: 'list_export', lists: [l.id] });
  assert.ok(e.message.includes(l.id), `message names the list: ${e.message}`);
  assert.equal(e.lists[0].Name, undefined, 'a deleted list has no name');
  assert.deepEqual(e.urls, []);
  const listed = (await listExports(c)).find((x) => x.id === id);
  assert.ok(listed, 'a failed export is still listed');
  assert.equal(listed.status, 'failure');
});

test(`--export-ttl: after expiry GET /exports/{id} and the download answer 404 and the list omits it`, async () => {
  const c = freshAccount(ttlSrv);
  await upsertOk(c, [{ email: 'ttl@example.com' }]);
  const id = await createExport(c, {});
  const e = await pollExport(c, id);
  assertExportShape(e, { id, status: 'ready', contactCount: 1 });
  const ttl = Date.parse(e.expires_at) - Date.parse(e.created_at);
  assert.ok(Math.abs(ttl - TTL_S * 1000) <= 1000, `TTL ${TTL_S} s, got ${ttl} ms`);
  const r = await download(e.urls[0], ttlSrv);
  assert.equal(r.status, 200, 'downloadable before expiry');
  assert.deepEqual((await listExports(c)).map((x) => x.id), [id]);

  // expires_at is shown in whole seconds: wait until it has certainly passed.
  const wait = Date.parse(e.expires_at) + 1100 - Date.now();
  if (wait > 0) await sleep(wait);
  assertErrorBody(await getExport(c, id), 404, 'expired export');
  const gone = await download(e.urls[0], ttlSrv);
  assert.equal(gone.status, 404, `expired download: ${gone.status} ${gone.text.slice(0, 200)}`);
  assert.deepEqual(await listExports(c), [], 'an expired export is not listed');
});

// ---------------------------------------------------------------- isolation

test('accounts never see each other\'s exports, lists or contacts', async () => {
  const A = freshAccount();
  const B = freshAccount();
  const la = await createList(A, 'A list');
  await upsertOk(A, [{ email: 'a-only@example.com' }], { list_ids: [la.id] });
  await upsertOk(B, [{ email: 'b-only@example.com' }]);
  const ea = await createReadyExport(A, { list_ids: [la.id] });

  assertErrorBody(await getExport(B, ea.id), 404, 'B reads A\'s export');
  assert.deepEqual(await listExports(B), [], 'B lists none of A\'s exports');
  assertErrorBody(await postExport(B, { list_ids: [la.id] }), 404, 'B exports A\'s list');

  const eb = await createReadyExport(B);
  assertExportShape(eb, { status: 'ready', contactCount: 1 });
  assert.deepEqual((await csvRecords(eb)).map((r) => r.EMAIL), ['b-only@example.com']);
  assert.deepEqual((await csvRecords(ea)).map((r) => r.EMAIL), ['a-only@example.com']);
  assert.deepEqual((await listExports(A)).map((x) => x.id), [ea.id]);
  assert.deepEqual((await listExports(B)).map((x) => x.id), [eb.id]);
  assertErrorBody(await getExport(A, eb.id), 404, 'A reads B\'s export');
  // A's token does not open B's export.
  const tokA = new URL(ea.urls[0]).searchParams.get('token');
  const r = await raw(srv.url, { path: `${EXPORTS}/${eb.id}/files/1.csv?token=${tokA}` });
  assert.equal(r.status, 404);
});

test('an export keeps the custom fields it was requested with, however they change before it runs', async () => {
  const c = freshAccount();
  const color = await createField(c, 'color', 'Text');
  const size = await createField(c, 'size', 'Number');
  await upsertOk(c, [{ email: 'cols@example.com', custom_fields: { color: 'red', size: 3 } }]);
  // A large upsert accepted first holds the export back (jobs run in acceptance order)
  // while the fields change under it; no response is awaited in between.
  const big = Array.from({ length: 5000 }, (_, i) => ({ email: `cols-${i}@example.com` }));
  const put = await call(c, { method: 'PUT', url: '/v3/marketing/contacts', body: { contacts: big } });
  assert.equal(put.status, 202, JSON.stringify(put.body));
  const id = await createExport(c, {});
  const renamed = await call(c, { method: 'PATCH', url: `${FD}/${color.id}`, body: { name: 'colour' } });
  assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
  await createField(c, 'added_later', 'Text');
  const e = await pollExport(c, id);
  assert.equal(e.status, 'ready', JSON.stringify(e));
  const files = [];
  for (const url of e.urls) files.push(parseExportCsv((await downloadOk(url)).text, ['color', 'size']));
  const rows = files.flatMap((f) => f.records);
  assert.equal(rows.length, 5001);
  const one = rows.find((r) => r.EMAIL === 'cols@example.com');
  assert.equal(one.color, 'red');
  assert.equal(one.size, '3');
  assert.ok(size);
});

test('a download URL answers the same 404 for any job id that is not a ready export of its token', async () => {
  const c = freshAccount();
  const e = await createReadyExport(c, {});
  const token = new URL(e.urls[0]).searchParams.get('token');
  const jobId = await upsert(c, [{ email: 'not-an-export@example.com' }]);
  await pollJob(c, jobId);
  const bodies = [];
  for (const id of [jobId, UNKNOWN_ID, 'not-a-uuid', e.id]) {
    const t = id === e.id ? 'wrong-token' : token;
    const r = await raw(srv.url, { method: 'GET', path: `${EXPORTS}/${id}/files/1.csv?token=${t}` });
    assert.equal(r.status, 404, `${id}: ${r.status} ${r.text}`);
    bodies.push(r.text);
  }
  assert.equal(new Set(bodies).size, 1, `one answer for every case: ${JSON.stringify(bodies)}`);
});
