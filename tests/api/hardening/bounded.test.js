'use strict';
// Bounded memory per request and bounded storage per job: a job stores the details of its
// first 10,000 errored records only (the counts stay exact, the errors document says how
// many it leaves out), and the errors document is streamed from the store a page at a
// time, so serving a large one costs a page of memory, not the whole document.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const zlib = require('node:zlib');
const { before, after } = require('node:test');
const H = require('../lib/server.js');
const A = require('../lib/admin.js');

const C = '/v3/marketing/contacts';
const ERRORS_DETAILED = 10000; // jobs/kind.h: JOB_ERRORS_DETAILED
const MiB = 1024 * 1024;
// Under AddressSanitizer freed memory sits in its quarantine (hundreds of MB), so peak RSS
// says nothing about what a request holds: the memory bounds are checked on the plain
// builds only (scripts/test runs this file on both).
const SANITIZED = fs.readFileSync(H.BIN).includes('AddressSanitizer');

let srv;
before(async () => { srv = await A.startAdminServer(); });
after(async () => { if (srv) await srv.stop(); });

// Peak resident memory of the server so far (kB), from /proc.
function vmHwmKb(server) {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'));
  assert.ok(m, 'VmHWM in /proc/<pid>/status');
  return Number(m[1]);
}

// Reserve an import of the mapped columns, upload the CSV gzip-compressed, wait for the job.
async function importCsv(client, fieldMappings, csv) {
  const r = await H.call(client, { method: 'PUT', url: `${C}/imports`, body: { file_type: 'csv', field_mappings: fieldMappings } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const u = new URL(r.body.upload_uri);
  const up = await H.raw(srv.url, {
    method: 'PUT', path: u.pathname + u.search, body: zlib.gzipSync(csv), headers: { 'Content-Type': 'text/csv' }, timeoutMs: 60000,
  });
  assert.equal(up.status, 200, `upload: ${up.status} ${up.text}`);
  return H.pollJob(client, r.body.job_id, { timeoutMs: 120000 });
}

// GET an errors_url with plain HTTP (it needs no key); the document and its size in bytes.
async function errorsDoc(job) {
  const u = new URL(job.results.errors_url);
  const r = await H.raw(srv.url, { path: u.pathname + u.search, timeoutMs: 60000 });
  assert.equal(r.status, 200, `errors_url: ${r.status}`);
  assert.match(r.headers['content-type'] || '', /^application\/json/);
  return { doc: r.body, bytes: Buffer.byteLength(r.text) };
}

H.test('a job stores the first 10,000 errors in detail and counts the rest; the errors document is streamed', async () => {
  const key = srv.createKey(`bounded-${process.pid}`);
  let c = srv.clientFor(key);
  // Every row has one cell too many (an errored record whose error carries its four
  // identifier cells, 2 KB): 10,500 of them in a gzip file of a few hundred KB.
  const bad = 10500;
  const cell = (ch) => ch.repeat(500);
  const row = `${cell('e')},${cell('p')},${cell('x')},${cell('a')},extra\n`;
  const csv = 'email,phone,ext,anon\n' + row.repeat(bad);
  const job = await importCsv(c, ['_rf2_T', '_rf24_T', '_rf25_T', '_rf26_T'], csv);
  H.assertJob(job, { status: 'failed', results: { requested_count: bad, created_count: 0, errored_count: bad } });

  // Stored: the cap, not one row per bad row.
  const jobErrors = H.sqlite(srv.dbPath, `SELECT COUNT(*) FROM job_errors e JOIN jobs j ON j.seq = e.job_seq WHERE j.id = '${job.id}'`);
  assert.equal(Number(jobErrors), ERRORS_DETAILED);

  // The document after a restart, so that the process's peak memory (VmHWM) is what serving
  // it costs, not what the import cost.
  await srv.restart();
  const before = vmHwmKb(srv);
  const { doc, bytes } = await errorsDoc(job);
  const grew = vmHwmKb(srv) - before;
  console.log(`errors document: ${bytes} bytes, peak RSS ${before} kB -> +${grew} kB`);
  assert.deepEqual(Object.keys(doc), ['job_id', 'errors', 'errors_omitted']);
  assert.equal(doc.job_id, job.id);
  assert.equal(doc.errors.length, ERRORS_DETAILED);
  assert.equal(doc.errors_omitted, bad - ERRORS_DETAILED);
  assert.deepEqual(doc.errors.map((e) => e.index), [...Array(ERRORS_DETAILED).keys()], 'the first ones, in order');
  assert.deepEqual(doc.errors[9999].identifiers, { email: cell('e'), phone_number_id: cell('p'), external_id: cell('x'), anonymous_id: cell('a') });
  assert.match(doc.errors[0].message, /^line 2: the row has 5 fields; the header has 4$/);
  // Built whole, a 20 MB document costs its tree and its text (well over twice its size);
  // streamed, a page of 500 errors (about 1 MB).
  assert.ok(bytes > 20 * MiB, `the document is ${bytes} bytes`);
  if (!SANITIZED) assert.ok(grew * 1024 < bytes / 2, `serving a ${bytes}-byte errors document raised the peak RSS by ${grew} kB`);

  // The job status keeps its exact counts and its errors_url.
  c = srv.clientFor(key);
  const again = await H.pollJob(c, job.id);
  H.assertJob(again, { status: 'failed', results: { requested_count: bad, errored_count: bad } });
  assert.equal(new URL(again.results.errors_url).search, new URL(job.results.errors_url).search);
});

// ---- answers of big contacts: batch, searches and the state document

// An account whose `count` contacts are each about 500 KB (125 text fields of 1,000
// four-byte characters), the key's client, the contacts' ids and emails.
let bigSeq = 0;
// With inList, the contacts are also added to a new list (its id: listId).
async function bigContacts(count, { inList = false } = {}) {
  const name = `big-${process.pid}-${++bigSeq}`;
  const key = srv.createKey(name);
  const c = srv.clientFor(key);
  const ids = [];
  for (let f = 0; f < 125; f++) ids.push((await H.createField(c, `f${f}`, 'Text')).id);
  const listId = inList ? (await H.createList(c, 'big')).id : undefined;
  const value = '\u{1F600}'.repeat(1000);
  const emails = [...Array(count).keys()].map((i) => `big${i}@bounded.test`);
  for (let i = 0; i < count; i += 10) {
    const contacts = emails.slice(i, i + 10).map((email) => ({ email, custom_fields: Object.fromEntries(ids.map((id) => [id, value])) }));
    await H.upsertOk(c, contacts, inList ? { list_ids: [listId] } : {});
  }
  const found = await H.call(c, { method: 'POST', url: `${C}/search/emails`, body: { emails } });
  assert.equal(found.status, 200);
  return { name, key, listId, emails, contactIds: emails.map((e) => found.body.result[e].contact.id) };
}

// Restart (so that the peak RSS is the next request's), send the request, and return the
// answer with how much it raised the server's peak RSS.
async function peakOf(label, send) {
  await srv.restart();
  const before = vmHwmKb(srv);
  const r = await send();
  const grew = vmHwmKb(srv) - before;
  const bytes = Buffer.byteLength(r.text);
  console.log(`${label}: ${r.status}, ${bytes} bytes, peak RSS ${before} kB -> +${grew} kB`);
  assert.ok(bytes > 15 * MiB, `${label}: the answer is ${bytes} bytes`);
  if (!SANITIZED) assert.ok(grew * 1024 < bytes / 2, `${label}: a ${bytes}-byte answer raised the peak RSS by ${grew} kB`);
  return r;
}

H.test('answers of many big contacts are sent one contact at a time: batch, searches, state', async () => {
  const n = 40; // 20 MB of contacts
  const big = await bigContacts(n);
  const post = (path, body) => () => H.request(srv.url, { method: 'POST', path, key: big.key, body, timeoutMs: 60000 });

  const batch = await peakOf('batch', post(`${C}/batch`, { ids: big.contactIds }));
  assert.equal(batch.status, 200);
  assert.deepEqual(batch.body.result.map((x) => x.id), big.contactIds);
  assert.equal(Object.keys(batch.body.result[n - 1].custom_fields).length, 125);

  const emails = await peakOf('search/emails', post(`${C}/search/emails`, { emails: big.emails }));
  assert.equal(emails.status, 200);
  assert.deepEqual(Object.keys(emails.body.result), big.emails);
  assert.equal(emails.body.result[big.emails[n - 1]].contact.id, big.contactIds[n - 1]);

  const sgql = await peakOf('SGQL search', post(`${C}/search`, { query: "email LIKE 'big%'" }));
  assert.equal(sgql.status, 200);
  assert.equal(sgql.body.contact_count, n);
  assert.deepEqual(sgql.body.result.map((x) => x.id).sort(), [...big.contactIds].sort());
  assert.equal(typeof sgql.body._metadata.self, 'string');

  const state = await peakOf('state', () => A.admin(srv, 'GET', `/accounts/${big.name}/state`));
  assert.equal(state.status, 200);
  assert.deepEqual(Object.keys(state.body), ['lists', 'custom_fields', 'contacts', 'segments']);
  assert.equal(state.body.custom_fields.length, 125);
  assert.deepEqual(state.body.contacts.map((x) => x.id).sort(), [...big.contactIds].sort());
});

// ---- the contact samples of big contacts: GET /contacts, a list's, a segment's

H.test('the contact samples of big contacts are sent one contact at a time: contacts, list, segment', async () => {
  const n = 40; // 20 MB of contacts, all in each sample (up to 50)
  const big = await bigContacts(n, { inList: true });
  const get = (path) => () => H.request(srv.url, { path, key: big.key, timeoutMs: 60000 });
  const sorted = [...big.contactIds].sort();
  const sampleOk = (sample) => {
    assert.deepEqual(sample.map((x) => x.id).sort(), sorted);
    assert.equal(Object.keys(sample[n - 1].custom_fields).length, 125);
  };

  const recent = await peakOf('contacts sample', get(C));
  assert.equal(recent.status, 200);
  assert.deepEqual(Object.keys(recent.body), ['result', '_metadata', 'contact_count']);
  assert.equal(recent.body.contact_count, n);
  assert.equal(recent.body._metadata.self, `${srv.url}${C}`);
  sampleOk(recent.body.result);
  // sorted by email (then id), as the small answer is
  const byEmail = [...recent.body.result].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
  assert.deepEqual(recent.body.result.map((x) => x.id), byEmail.map((x) => x.id));

  const list = await peakOf('list sample', get(`/v3/marketing/lists/${big.listId}?contact_sample=true`));
  assert.equal(list.status, 200);
  assert.deepEqual(Object.keys(list.body), ['id', 'name', 'contact_count', '_metadata', 'contact_sample']);
  assert.equal(list.body.contact_count, n);
  sampleOk(list.body.contact_sample);
  assert.deepEqual(list.body.contact_sample[0].list_ids, [big.listId]);

  const SEG = '/v3/marketing/segments/2.0';
  const c = srv.clientFor(big.key); // after the restarts: the server's address changes
  const made = await H.call(c, { method: 'POST', url: SEG, body: { name: 'big', query_dsl: "SELECT contact_id, updated_at FROM contact_data WHERE email LIKE 'big%'" } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  for (const deadline = Date.now() + 60000; ;) {
    const r = await H.call(c, { method: 'GET', url: `${SEG}/${made.body.id}?contacts_sample=false` });
    if (r.body.status.query_validation !== 'PENDING') break;
    assert.ok(Date.now() < deadline, 'segment still PENDING');
    await H.sleep(50);
  }
  // read twice in one measure: a sample this big is not cached (a cached text would hold
  // it whole), so the second read is streamed again, as bounded and as right as the first
  const segGet = get(`${SEG}/${made.body.id}`);
  const seg = await peakOf('segment sample, twice', async () => { await segGet(); return segGet(); });
  assert.equal(seg.status, 200);
  assert.equal(Object.keys(seg.body).at(-1), 'contacts_sample');
  assert.equal(seg.body.contacts_count, n);
  sampleOk(seg.body.contacts_sample);
  assert.deepEqual(seg.body.contacts_sample.map((x) => x.id), sorted); // in contact id order
  assert.deepEqual(seg.body.contacts_sample[0].segment_ids, [made.body.id]);
});

// ---- the writer's turn, bounded in bytes: an export of big contacts runs in many slices

H.test('an export of big contacts is written in slices of about a megabyte, not 250 contacts', async () => {
  const n = 12; // about 6 MB of JSON lines
  const big = await bigContacts(n);
  const c = srv.clientFor(big.key);
  const post = await H.call(c, { method: 'POST', url: `${C}/exports`, body: { file_type: 'json' } });
  assert.equal(post.status, 202, JSON.stringify(post.body));
  let e;
  for (const deadline = Date.now() + 60000; ;) {
    e = (await H.call(c, { method: 'GET', url: `${C}/exports/${post.body.id}` })).body;
    if (e.status !== 'pending' || Date.now() > deadline) break;
    await H.sleep(50);
  }
  assert.equal(e.status, 'ready', JSON.stringify(e));
  // One stored chunk per slice: a slice ends once it has written ~1 MB (jobs/kind.h:
  // JOB_SLICE_BYTES), so 500 KB contacts take a slice per two or three of them.
  const chunks = Number(H.sqlite(srv.dbPath,
    `SELECT COUNT(*) FROM export_chunks x JOIN jobs j ON j.seq = x.job_seq WHERE j.id = '${post.body.id}'`));
  assert.ok(chunks >= n / 3, `${n} contacts of 500 KB were written in ${chunks} slices`);
  // and the file is whole: every contact once
  const u = new URL(e.urls[0].replace(/\.gz\?/, '?'));
  const file = await H.raw(srv.url, { path: u.pathname + u.search, timeoutMs: 60000 });
  assert.equal(file.status, 200);
  const lines = file.text.split('\n').filter((l) => l).map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.contact_id).sort(), [...big.contactIds].sort());
  assert.equal(Object.keys(lines[n - 1].custom_fields).length, 125);
});
