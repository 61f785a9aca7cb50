'use strict';
// Test helpers for the black-box API suite: start a real contactd process on a
// throwaway database, talk to it through the official @sendgrid/client (or raw
// HTTP for what the client cannot express), manage API keys through the CLI,
// and poll asynchronous jobs.
//
// Every test file runs in its own Node process (node --test), starts its own
// server(s) in before() and stops them in after(). stop() asserts a clean exit
// (code 0), so a sanitizer report at shutdown fails the file.

const { spawn, spawnSync, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const assert = require('node:assert/strict');
const nodeTest = require('node:test');
const { Client } = require('@sendgrid/client');

const REPO = path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.CONTACTD_BIN || path.join(REPO, 'build', 'contactd');

const READY_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 15000;
const LOG_LINES = 200;
const LOADED_AT = Date.now();

const KEY_RE = /SG\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_V4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const RESERVED_STRING_FIELDS = [
  'first_name', 'last_name', 'unique_name', 'email', 'phone_number_id',
  'external_id', 'anonymous_id', 'address_line_1', 'address_line_2', 'city',
  'state_province_region', 'country', 'postal_code', 'phone_number',
  'whatsapp', 'line', 'facebook',
];

// Every server started by this process, so a failing test can print their logs
// and a crashing test file does not leave processes behind.
const servers = new Set();
process.on('exit', () => {
  for (const s of servers) {
    if (s.proc && s.proc.exitCode === null && s.proc.signalCode === null) {
      try { s.proc.kill('SIGKILL'); } catch (_) { /* already gone */ }
    }
  }
});

function randomSecret(n = 43) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  const bytes = crypto.randomBytes(n);
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[bytes[i] & 63];
  return s;
}

// A fixed-id test key; the secret part differs per run.
function makeTestKey() {
  return `SG.testkey0001.${randomSecret(43)}`;
}

function newClient(url, key) {
  const c = new Client();
  c.setApiKey(key); // resets baseUrl, so it must come first
  c.setDefaultRequest('baseUrl', url);
  return c;
}

// Run one request through the official client; resolve {status, body, headers}
// for 2xx and for error statuses alike.
async function call(client, opts) {
  try {
    const [res, body] = await client.request(opts);
    return { status: res.statusCode, body, headers: res.headers };
  } catch (err) {
    if (err && typeof err.code === 'number' && err.response) {
      return { status: err.code, body: err.response.body, headers: err.response.headers };
    }
    throw err;
  }
}

// A request body as bytes: string | Buffer | object (JSON-encoded) | undefined (none).
function encodeBody(body) {
  if (body === undefined) return undefined;
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function hasHeader(headers, name) {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

// Raw HTTP for cases the client cannot express. body: string | Buffer | object
// (JSON-encoded) | undefined. Returns {status, headers, text, body} where body
// is the parsed JSON or undefined.
function raw(baseUrl, { method = 'GET', path: p = '/', headers = {}, body, timeoutMs = 10000 } = {}) {
  const u = new URL(p, baseUrl);
  const payload = encodeBody(body);
  const hdrs = { ...headers };
  if (payload !== undefined && !hasHeader(hdrs, 'content-length')) {
    hdrs['Content-Length'] = payload.length;
  }
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method,
      headers: hdrs, agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(parseResponse(res, Buffer.concat(chunks))));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`raw ${method} ${p}: no response within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

function parseResponse(res, buf) {
  const text = buf.toString('utf8');
  let body;
  try { body = text.length ? JSON.parse(text) : undefined; } catch (_) { body = undefined; }
  return { status: res.statusCode, headers: res.headers, text, body };
}

// Send a request whose body the server may refuse early (413 before the body
// is read). The headers go first; after `startDelayMs` the body is written in
// chunks, and writing stops as soon as a response arrives (the server may close
// the connection after answering). `end: false` leaves the body unfinished.
// Resolves with the first response, however far the upload got.
function rawEarlyResponse(baseUrl, {
  method = 'PUT', path: p, headers = {}, body = Buffer.alloc(0), end = true,
  chunkSize = 64 * 1024, startDelayMs = 100, timeoutMs = 15000,
}) {
  const u = new URL(p, baseUrl);
  return new Promise((resolve, reject) => {
    let done = false;
    let answered = false;
    const finish = (fn, v) => { if (!done) { done = true; clearTimeout(timer); fn(v); } };
    const req = http.request({
      host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent: false,
    }, (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      const fin = () => { finish(resolve, parseResponse(res, Buffer.concat(chunks))); req.destroy(); };
      res.on('end', fin);
      res.on('close', fin);
      res.on('error', fin);
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(reject, new Error(`${method} ${p}: no response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => {
      // Write errors after the server answered and closed are expected; an
      // error with no response at all is a failure.
      setTimeout(() => finish(reject, Object.assign(
        new Error(`${method} ${p}: connection error before any response: ${e.message}`), { connectionError: true },
      )), 200);
    });
    req.flushHeaders();
    let off = 0;
    const pump = () => {
      while (!answered && !done && off < body.length) {
        const chunk = body.subarray(off, off + chunkSize);
        off += chunk.length;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      if (!answered && !done && end) req.end();
    };
    setTimeout(pump, startDelayMs);
  });
}

function isTerminal(status) {
  return status === 'completed' || status === 'errored' || status === 'failed';
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll GET /v3/marketing/contacts/imports/{id} until the job is terminal.
// Poll GET /contacts/exports/{id} until the export is no longer pending; returns it. A
// deadline, not a count of polls: under ASan on a loaded machine a big export can take a
// minute to reach the writer and be written.
async function waitExport(client, id, { timeoutMs = 180000, intervalMs = 50 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(client, { method: 'GET', url: `/v3/marketing/contacts/exports/${id}` });
    assert.equal(r.status, 200, `GET exports/${id}: ${r.status} ${JSON.stringify(r.body)}`);
    if (r.body.status !== 'pending') return r.body;
    if (Date.now() > deadline) throw new Error(`export ${id} still pending after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

async function pollJob(client, jobId, { timeoutMs = 10000, intervalMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await call(client, { method: 'GET', url: `/v3/marketing/contacts/imports/${jobId}` });
    if (last.status !== 200) {
      throw new Error(`GET imports/${jobId} answered ${last.status}: ${JSON.stringify(last.body)}`);
    }
    if (last.body && isTerminal(last.body.status)) return last.body;
    assert.ok(!('finished_at' in last.body), `finished_at must be left out while the job is not finished: ${JSON.stringify(last.body)}`);
    if (Date.now() > deadline) {
      throw new Error(`job ${jobId} not terminal after ${timeoutMs} ms; last: ${JSON.stringify(last.body)}`);
    }
    await sleep(intervalMs);
  }
}

// PUT contacts and assert the 202; returns the job id.
async function upsert(client, contacts, extra = {}) {
  const res = await call(client, { method: 'PUT', url: '/v3/marketing/contacts', body: { ...extra, contacts } });
  assert.equal(res.status, 202, `upsert answered ${res.status}: ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body.job_id, 'string');
  return res.body.job_id;
}

// Upsert and wait for the job; returns the job status body.
async function upsertAndWait(client, contacts, opts = {}) {
  const jobId = await upsert(client, contacts);
  return pollJob(client, jobId, opts);
}

// PUT contacts, wait for the job and assert it completed without an errored record.
async function upsertOk(client, contacts, extra = {}, pollOpts = { timeoutMs: 30000 }) {
  const job = await pollJob(client, await upsert(client, contacts, extra), pollOpts);
  assertJob(job, { status: 'completed', jobType: 'upsert', results: { errored_count: 0, requested_count: contacts.length } });
  return job;
}

async function createList(client, name) {
  const r = await call(client, { method: 'POST', url: '/v3/marketing/lists', body: { name } });
  assert.equal(r.status, 201, `create list ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function createField(client, name, fieldType) {
  const r = await call(client, { method: 'POST', url: '/v3/marketing/field_definitions', body: { name, field_type: fieldType } });
  assert.equal(r.status, 200, `create field ${name}/${fieldType}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// A client for a brand-new, empty account on server s; prefix names the test file.
let accountSeq = 0;
function freshAccount(s, prefix) {
  accountSeq++;
  return s.clientFor(s.createKey(`${prefix}-acct-${accountSeq}-${process.pid}`));
}

async function searchIds(client, type, identifiers) {
  return call(client, {
    method: 'POST', url: `/v3/marketing/contacts/search/identifiers/${type}`, body: { identifiers },
  });
}

// Find one contact by identifier; returns the ContactDetails3 or null (404).
async function findOne(client, type, value) {
  const res = await searchIds(client, type, [value]);
  if (res.status === 404) return null;
  assert.equal(res.status, 200, `search ${type}=${value} answered ${res.status}: ${JSON.stringify(res.body)}`);
  const keys = Object.keys(res.body.result);
  assert.equal(keys.length, 1, `one result key expected: ${JSON.stringify(res.body)}`);
  const entry = res.body.result[keys[0]];
  if (entry.error) return null;
  return entry.contact;
}

// The id of the contact with this email (which must exist).
async function idOf(client, email) {
  const c = await findOne(client, 'email', email);
  assert.ok(c, `contact ${email} expected`);
  return c.id;
}

// POST /contacts/batch and POST /contacts/search/emails, answered as they come.
function contactsBatch(client, ids) {
  return call(client, { method: 'POST', url: '/v3/marketing/contacts/batch', body: { ids } });
}

function searchEmails(client, emails) {
  return call(client, { method: 'POST', url: '/v3/marketing/contacts/search/emails', body: { emails } });
}

async function getContact(client, id) {
  return call(client, { method: 'GET', url: `/v3/marketing/contacts/${encodeURIComponent(id)}` });
}

async function deleteIdentifier(client, contactId, type, value) {
  return call(client, {
    method: 'DELETE',
    url: `/v3/marketing/contacts/${encodeURIComponent(contactId)}/identifiers`,
    body: { identifier_type: type, identifier_value: value },
  });
}

// Fields of a standard error body, in order.
function errorFields(body) {
  assert.ok(body && Array.isArray(body.errors), `errors[] expected, got ${JSON.stringify(body)}`);
  for (const e of body.errors) {
    assert.equal(typeof e.message, 'string', `message must be a string: ${JSON.stringify(e)}`);
  }
  return body.errors.map((e) => e.field);
}

// Assert a 400 whose errors name exactly `fields` (any order, one per problem).
function assert400(res, fields, label = '') {
  assert.equal(res.status, 400, `${label} expected 400, got ${res.status}: ${JSON.stringify(res.body)}`);
  const got = errorFields(res.body);
  assert.deepEqual([...got].sort(), [...fields].sort(), `${label} error fields: ${JSON.stringify(res.body)}`);
}

function assertErrorBody(res, status, label = '') {
  assert.equal(res.status, status, `${label} expected ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  assert.ok(res.body && Array.isArray(res.body.errors) && res.body.errors.length >= 1,
    `${label} errors[] expected: ${JSON.stringify(res.body)}`);
  for (const e of res.body.errors) {
    assert.equal(typeof e.message, 'string');
    assert.ok('help' in e && e.help === null, `${label} every error carries "help": null: ${JSON.stringify(res.body)}`);
  }
}

function assertTimestamp(v, label) {
  assert.equal(typeof v, 'string', `${label} must be a string, got ${JSON.stringify(v)}`);
  assert.match(v, TIMESTAMP_RE, `${label} not ISO 8601 UTC: ${v}`);
  const t = Date.parse(v);
  assert.ok(Number.isFinite(t), `${label} unparsable: ${v}`);
  // Same machine clock: a UTC timestamp lies between the start of this test
  // process and now (with slack for whole-second rounding).
  assert.ok(t >= LOADED_AT - 120000 && t <= Date.now() + 120000,
    `${label} outside this test run (${new Date(LOADED_AT).toISOString()} .. ${new Date().toISOString()}): ${v}`);
}

// Assert the ContactDetails3 shape, whatever lists the contact is on; `expected` lists
// field values to check.
function assertContact(c, expected = {}) {
  assert.ok(c && typeof c === 'object', `contact object expected: ${JSON.stringify(c)}`);
  assert.equal(typeof c.id, 'string');
  assert.match(c.id, UUID_RE, `contact id not a UUID: ${c.id}`);
  for (const f of RESERVED_STRING_FIELDS) {
    assert.equal(typeof c[f], 'string', `field ${f} must be a string ("" when unset): ${JSON.stringify(c)}`);
  }
  assert.ok(Array.isArray(c.alternate_emails), `alternate_emails must be an array: ${JSON.stringify(c)}`);
  assert.ok(Array.isArray(c.list_ids), `list_ids must be an array: ${JSON.stringify(c)}`);
  assert.ok(Array.isArray(c.segment_ids), `segment_ids must be an array: ${JSON.stringify(c)}`);
  assert.ok(c.custom_fields && typeof c.custom_fields === 'object' && !Array.isArray(c.custom_fields),
    `custom_fields must be an object: ${JSON.stringify(c)}`);
  assertTimestamp(c.created_at, 'created_at');
  assertTimestamp(c.updated_at, 'updated_at');
  assert.ok(c._metadata && typeof c._metadata.self === 'string', `_metadata.self expected: ${JSON.stringify(c)}`);
  assert.ok(c._metadata.self.endsWith(`/v3/marketing/contacts/${c.id}`), `_metadata.self: ${c._metadata.self}`);
  for (const [k, v] of Object.entries(expected)) {
    assert.deepEqual(c[k], v, `contact.${k}`);
  }
}

// As assertContact, for a contact on no list or segment, with a full URL in _metadata.self
// when baseUrl is given.
function assertContactShape(c, baseUrl, expected = {}) {
  assertContact(c, expected);
  assert.deepEqual(c.list_ids, []);
  assert.deepEqual(c.segment_ids, []);
  assert.ok(Date.parse(c.updated_at) >= Date.parse(c.created_at), 'updated_at before created_at');
  if (baseUrl) assert.match(c._metadata.self, /^https?:\/\//, `_metadata.self must be a URL: ${c._metadata.self}`);
}

// Assert a terminal job status body. `results` lists the counts to check.
function assertJob(job, { id, status, jobType, results = {} }) {
  if (id !== undefined) assert.equal(job.id, id, 'job.id');
  assert.equal(job.status, status, `job status: ${JSON.stringify(job)}`);
  if (jobType !== undefined) assert.equal(job.job_type, jobType, `job_type: ${JSON.stringify(job)}`);
  assert.ok(job.results && typeof job.results === 'object', `results expected: ${JSON.stringify(job)}`);
  for (const k of ['requested_count', 'created_count', 'updated_count', 'deleted_count', 'errored_count']) {
    assert.equal(typeof job.results[k], 'number', `results.${k} must be a number: ${JSON.stringify(job)}`);
  }
  for (const [k, v] of Object.entries(results)) {
    assert.equal(job.results[k], v, `results.${k}: ${JSON.stringify(job)}`);
  }
  assertTimestamp(job.started_at, 'started_at');
  assertTimestamp(job.finished_at, 'finished_at');
  assert.ok(Date.parse(job.finished_at) >= Date.parse(job.started_at), 'finished_at before started_at');
}

// GET the job's errors_url (validated) and return the errors document.
async function fetchJobErrors(client, job, baseUrl) {
  assert.ok(job.results.errored_count > 0);
  const eu = job.results.errors_url;
  assert.equal(typeof eu, 'string', `errors_url expected when errored_count > 0: ${JSON.stringify(job)}`);
  const u = new URL(eu);
  assert.equal(u.origin, new URL(baseUrl).origin, `errors_url must point at this server: ${eu}`);
  assert.equal(u.pathname, `/v3/marketing/contacts/imports/${job.id}/errors`);
  assert.match(u.searchParams.get('token') || '', /^[A-Za-z0-9_-]{32}$/, `errors_url carries its token: ${eu}`);
  const res = await call(client, { method: 'GET', url: eu });
  assert.equal(res.status, 200, `GET errors_url answered ${res.status}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.job_id, job.id);
  assert.ok(Array.isArray(res.body.errors), `errors[] expected: ${JSON.stringify(res.body)}`);
  assert.deepEqual(Object.keys(res.body), ['job_id', 'errors', 'errors_omitted']);
  assert.equal(res.body.errors_omitted, 0, `no error is left out below the cap: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.errors.length, job.results.errored_count, `one error per errored record: ${JSON.stringify(res.body)}`);
  for (const e of res.body.errors) {
    assert.equal(typeof e.index, 'number');
    assert.ok(e.identifiers && typeof e.identifiers === 'object');
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
  }
  return res.body;
}

// ---------------------------------------------------------------- the server

function waitExit(proc, timeoutMs) {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  }
  return new Promise((resolve) => {
    let timer;
    const onExit = (code, signal) => { clearTimeout(timer); resolve({ code, signal, timedOut: false }); };
    proc.once('exit', onExit);
    if (timeoutMs) {
      timer = setTimeout(() => {
        proc.removeListener('exit', onExit);
        try { proc.kill('SIGKILL'); } catch (_) { /* gone */ }
        proc.once('exit', (code, signal) => resolve({ code, signal, timedOut: true }));
      }, timeoutMs);
    }
  });
}

// With CONTACTD_TEST_PG=<postgres:// URL of a test cluster>, every server gets a fresh
// database of its own on that cluster (restarts and key commands keep using it).
function freshPgDatabase() {
  const name = `t_${crypto.randomBytes(8).toString('hex')}`;
  execFileSync('psql', [process.env.CONTACTD_TEST_PG, '-q', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${name}`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  const u = new URL(process.env.CONTACTD_TEST_PG);
  u.pathname = `/${name}`;
  return u.toString();
}

class ContactdServer {
  constructor({ key, dir, extraArgs, env, db }) {
    this.key = key;
    this.dir = dir;
    // `db` (optional): share an existing database (a SQLite path or a postgres:// URL),
    // e.g. for several nodes over one PostgreSQL database.
    if (db) this.dbPath = db;
    else this.dbPath = process.env.CONTACTD_TEST_PG ? freshPgDatabase() : path.join(dir, 'contactd.db');
    this.extraArgs = extraArgs || [];
    this.env = env || {};
    this.bin = BIN;
    this.proc = null;
    this.url = null;
    this.client = null;
    this.logLines = [];
    this.generation = 0;
    this.killedProc = null;
    servers.add(this);
  }

  _log(line) {
    this.logLines.push(`[run ${this.generation}] ${line}`);
    if (this.logLines.length > LOG_LINES) this.logLines.splice(0, this.logLines.length - LOG_LINES);
  }

  logs() {
    return this.logLines.join('\n');
  }

  async start() {
    this.generation++;
    const args = ['serve', '--listen', '127.0.0.1:0', '--db', this.dbPath, '--threads', '2', ...this.extraArgs];
    const proc = spawn(this.bin, args, {
      env: { ...process.env, ...this.env, CONTACTD_API_KEY: this.key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    let stderrBuf = '';
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      stderrBuf += d;
      let i;
      while ((i = stderrBuf.indexOf('\n')) >= 0) {
        this._log(stderrBuf.slice(0, i));
        stderrBuf = stderrBuf.slice(i + 1);
      }
    });
    proc.stderr.on('end', () => { if (stderrBuf) this._log(stderrBuf); stderrBuf = ''; });

    const url = await new Promise((resolve, reject) => {
      let out = '';
      let settled = false;
      const fail = (msg) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try { proc.kill('SIGKILL'); } catch (_) { /* gone */ }
        // Give stderr a moment to drain into the log.
        setTimeout(() => reject(new Error(`${msg}\ncommand: ${this.bin} ${args.join(' ')}\n--- stdout ---\n${out}\n--- stderr (last ${LOG_LINES} lines) ---\n${this.logs()}${stderrBuf}`)), 100);
      };
      const timer = setTimeout(() => fail(`contactd did not print "listening on" within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
      proc.on('error', (e) => fail(`could not start contactd: ${e.message}`));
      proc.once('exit', (code, signal) => fail(`contactd exited before becoming ready (code ${code}, signal ${signal})`));
      proc.stdout.setEncoding('utf8');
      proc.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (https?:\/\/127\.0\.0\.1:(\d+))/.exec(out);
        if (m && !settled) {
          settled = true;
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    // Keep draining stdout so the server never blocks on a full pipe.
    proc.stdout.on('data', (d) => { for (const l of String(d).split('\n')) if (l) this._log(`stdout: ${l}`); });
    this.url = url;
    this.client = newClient(url, this.key);
    return this;
  }

  get running() {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  // SIGTERM, wait, and assert a clean exit.
  async _terminate() {
    if (!this.proc || this.proc === this.killedProc) return;
    const proc = this.proc;
    if (this.running) proc.kill('SIGTERM');
    const r = await waitExit(proc, STOP_TIMEOUT_MS);
    await sleep(20); // let the last stderr lines arrive
    assert.ok(!r.timedOut, `contactd did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\n--- stderr ---\n${this.logs()}`);
    assert.equal(r.signal, null, `contactd died of signal ${r.signal}\n--- stderr ---\n${this.logs()}`);
    assert.equal(r.code, 0, `contactd exited with code ${r.code} after SIGTERM\n--- stderr ---\n${this.logs()}`);
  }

  async stop({ keepDir = false } = {}) {
    try {
      await this._terminate();
    } finally {
      servers.delete(this);
    }
    if (!keepDir && !process.env.CONTACTD_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async restart() {
    await this._terminate();
    return this.start();
  }

  // Send a signal and wait for the process to end; returns {code, signal}.
  async kill(signal = 'SIGKILL') {
    const proc = this.proc;
    this.killedProc = proc;
    if (this.running) proc.kill(signal);
    const r = await waitExit(proc, STOP_TIMEOUT_MS);
    await sleep(20);
    return r;
  }

  // contactd key create --account NAME --db <db> (keyCreate); returns the full key.
  createKey(account) {
    const r = keyCreate(this, account);
    assert.ok(r.key, `key create printed no key (exit ${r.code}): ${JSON.stringify(r.stdout)} ${r.stderr}`);
    return r.key;
  }

  listKeys() {
    return execFileSync(this.bin, ['key', 'list', '--db', this.dbPath],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  revokeKey(id) {
    return execFileSync(this.bin, ['key', 'revoke', id, '--db', this.dbPath],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  clientFor(key) {
    return newClient(this.url, key);
  }
}

// Start a contactd on a fresh temp database. Options: key, extraArgs, env, and db: an
// existing database to use instead of a fresh one (a SQLite path or a postgres:// URL,
// e.g. another server's `dbPath`, for several nodes over one PostgreSQL database; stop()
// never deletes it).
async function startServer(opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-test-'));
  const s = new ContactdServer({
    key: opts.key || makeTestKey(), dir, extraArgs: opts.extraArgs, env: opts.env, db: opts.db,
  });
  try {
    await s.start();
  } catch (e) {
    servers.delete(s);
    if (!process.env.CONTACTD_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return s;
}

// Stop every server given, even when stopping one fails (a server that died would
// otherwise leave the others running, and their processes keep the test file from ever
// exiting); then report the first failure.
async function stopAll(list) {
  const results = await Promise.allSettled(list.filter(Boolean).map((s) => s.stop()));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

// The key's id: the middle part of SG.<id>.<secret>.
function keyId(key) {
  return key.split('.')[1];
}

// node:test's test(), printing the tail of every live server's stderr when the
// test fails.
function test(name, opts, fn) {
  if (typeof opts === 'function') { fn = opts; opts = {}; }
  return nodeTest.test(name, opts, async (t) => {
    try {
      return await fn(t);
    } catch (e) {
      for (const s of servers) {
        process.stderr.write(`\n--- contactd stderr, last ${LOG_LINES} lines (${s.url}, failed test: ${name}) ---\n${s.logs()}\n--- end ---\n`);
      }
      throw e;
    }
  });
}

// ---- wire-level helpers (the hardening tests) -------------------------------------------
// Raw sockets, HTTP requests that tell a complete answer from a truncated one, SendGrid
// error-shape checks, database access (sqlite3 CLI, or psql on PostgreSQL), and a
// bounded-concurrency runner.

function hostPort(url) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

// Parse one HTTP/1.x response out of `buf`; null while incomplete.
// Returns {status, headers, body(Buffer), complete}.
function parseRawResponse(buf, { eof = false } = {}) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) return { status: 0, headers: {}, body: buf, complete: true, malformed: true };
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const rest = buf.subarray(end + 4);
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (rest.length < n) return eof ? { status: Number(m[1]), headers, body: rest, complete: false } : null;
    return { status: Number(m[1]), headers, body: rest.subarray(0, n), complete: true };
  }
  if (!eof) return null;
  return { status: Number(m[1]), headers, body: rest, complete: true };
}

// Write `data` (string | Buffer | array of them, written with `gapMs` between)
// on a fresh TCP connection and wait for the first response, the close, or the
// timeout. `after`: 'keep' (default) leaves the socket open until an answer or
// close, 'end' half-closes after writing, 'destroy' closes at once after writing.
// Resolves {outcome: 'response'|'closed'|'timeout', status, headers, text, body, ms}.
function rawSend(url, data, { timeoutMs = 10000, after = 'keep', gapMs = 0 } = {}) {
  const { host, port } = hostPort(url);
  const parts = Array.isArray(data) ? data : [data];
  return new Promise((resolve) => {
    const t0 = Date.now();
    let buf = Buffer.alloc(0);
    let settled = false;
    const sock = net.connect({ host, port });
    const done = (outcome, extra = {}) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ outcome, ms: Date.now() - t0, rawText: buf.toString('latin1').slice(0, 400), ...extra });
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    const finishWith = (r) => {
      const text = r.body.toString('utf8');
      let body;
      try { body = text.length ? JSON.parse(text) : undefined; } catch (_) { body = undefined; }
      done('response', { status: r.status, headers: r.headers, text, body, complete: r.complete, malformed: !!r.malformed });
    };
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parseRawResponse(buf);
      if (r) finishWith(r);
    });
    sock.on('error', () => { /* reported through close */ });
    sock.on('close', () => {
      if (settled) return;
      const r = buf.length ? parseRawResponse(buf, { eof: true }) : null;
      if (r) finishWith(r);
      else done('closed');
    });
    sock.on('connect', async () => {
      for (let i = 0; i < parts.length; i++) {
        if (settled) return;
        sock.write(parts[i]);
        if (gapMs && i + 1 < parts.length) await sleep(gapMs);
      }
      if (after === 'end') sock.end();
      else if (after === 'destroy') setTimeout(() => done('closed'), 50);
    });
  });
}

// An HTTP request through node:http that reports what actually came back:
// {kind: 'response', status, headers, text, body} for a complete answer,
// {kind: 'truncated', status, error} when headers arrived but the body did not
// finish, {kind: 'connection-error', error} when nothing came back,
// {kind: 'timeout'} after timeoutMs.
function request(url, { method = 'GET', path = '/', key, headers = {}, body, timeoutMs = 10000, agent = false } = {}) {
  const { host, port } = hostPort(url);
  const payload = encodeBody(body);
  const hdrs = { ...headers };
  if (key) hdrs.Authorization = `Bearer ${key}`;
  if (payload !== undefined && !hasHeader(hdrs, 'content-length')) {
    hdrs['Content-Length'] = payload.length;
    if (!hasHeader(hdrs, 'content-type')) hdrs['Content-Type'] = 'application/json';
  }
  return new Promise((resolve) => {
    let settled = false;
    let gotHeaders = null;
    const t0 = Date.now();
    const done = (v) => { if (!settled) { settled = true; clearTimeout(timer); resolve({ ms: Date.now() - t0, ...v }); } };
    const req = http.request({ host, port, path, method, headers: hdrs, agent }, (res) => {
      gotHeaders = res;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed;
        try { parsed = text.length ? JSON.parse(text) : undefined; } catch (_) { parsed = undefined; }
        done({ kind: 'response', status: res.statusCode, headers: res.headers, text, body: parsed });
      });
      res.on('aborted', () => done({ kind: 'truncated', status: res.statusCode, error: 'aborted' }));
      res.on('error', (e) => done({ kind: 'truncated', status: res.statusCode, error: e.message }));
    });
    const timer = setTimeout(() => { req.destroy(); done({ kind: 'timeout' }); }, timeoutMs);
    req.on('error', (e) => {
      if (gotHeaders) done({ kind: 'truncated', status: gotHeaders.statusCode, error: e.message });
      else done({ kind: 'connection-error', error: e.code || e.message });
    });
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

// A request that must get a complete answer.
async function must(url, opts) {
  const r = await request(url, opts);
  assert.equal(r.kind, 'response', `${opts.method || 'GET'} ${opts.path}: ${r.kind} ${r.error || ''}`);
  return r;
}

// SendGrid's error shape: {"errors":[{"field": string|null, "message": string}, ...]}.
function isSgError(body) {
  return !!body && typeof body === 'object' && Array.isArray(body.errors) && body.errors.length >= 1 &&
    body.errors.every((e) => e && typeof e === 'object' && typeof e.message === 'string' &&
      (e.field === null || typeof e.field === 'string'));
}

function assertSgError(r, status, label = '') {
  assert.equal(r.kind || 'response', 'response', `${label}: ${r.kind} ${r.error || ''}`);
  if (status !== undefined) assert.equal(r.status, status, `${label}: expected ${status}, got ${r.status} ${r.text}`);
  assert.ok(isSgError(r.body), `${label}: not a SendGrid error body: ${r.status} ${r.text}`);
}

// A server's database is a SQLite path, or a postgres:// URL when the suite runs with
// CONTACTD_TEST_PG.
function isPostgres(db) {
  return /^postgres(ql)?:\/\//.test(db);
}

// psql printing like the sqlite3 CLI: no header, columns joined by '|', one row a line.
function psql(db, sql) {
  return execFileSync('psql', [db, '-X', '-q', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-c', sql],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// Run one query on the server's database and return its output as the sqlite3 CLI prints
// it. On PostgreSQL the query runs through psql; `sqlite_master` is read from pg_tables
// (name, and type 'table'), the one SQLite-only name the hardening tests use.
function sqlite(db, sql) {
  if (isPostgres(db)) {
    return psql(db, sql.replace(/\bsqlite_master\b/g,
      "(SELECT tablename AS name, 'table' AS type FROM pg_tables WHERE schemaname = current_schema()) AS sqlite_master"));
  }
  return execFileSync('sqlite3', [db, sql], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

// 'ok' when the database is sound, else what is wrong. SQLite: PRAGMA integrity_check.
// PostgreSQL: amcheck, i.e. verify_heapam() on every table of the schema and
// bt_index_check(index, heapallindexed) on every B-tree index (each index agrees with its
// table, so a unique index cannot hide a duplicate).
function integrityCheck(db) {
  if (!isPostgres(db)) return sqlite(db, 'PRAGMA integrity_check');
  try {
    psql(db, 'CREATE EXTENSION IF NOT EXISTS amcheck');
    const heap = psql(db,
      "SELECT t.tablename || ' block ' || v.blkno || ': ' || v.msg FROM pg_tables t, " +
      "LATERAL verify_heapam(format('%I.%I', t.schemaname, t.tablename)::regclass) v " +
      'WHERE t.schemaname = current_schema()');
    if (heap) return heap;
    psql(db,
      'SELECT bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid ' +
      'JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace ' +
      "WHERE a.amname = 'btree' AND n.nspname = current_schema()");
    return 'ok';
  } catch (e) {
    return `amcheck failed: ${(e.stderr || e.message || '').toString().trim()}`;
  }
}

// Run async fn over items with at most `n` at a time.
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

// contactd key create with optional scopes; returns {code, stdout, stderr, key}.
function keyCreate(srv, account, scopes) {
  const args = ['key', 'create', '--account', account, '--db', srv.dbPath];
  if (scopes !== undefined) args.push('--scopes', scopes);
  const r = spawnSync(srv.bin, args, { encoding: 'utf8' });
  const m = KEY_RE.exec(r.stdout || '');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, key: m ? m[0] : null };
}

// Upsert over raw HTTP (request() above) and wait; returns the terminal job.
async function seedContacts(url, key, contacts, extra = {}) {
  const r = await must(url, { method: 'PUT', path: '/v3/marketing/contacts', key, body: { ...extra, contacts } });
  assert.equal(r.status, 202, `seed upsert: ${r.status} ${r.text}`);
  return waitJob(url, key, r.body.job_id);
}

async function waitJob(url, key, jobId, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await must(url, { path: `/v3/marketing/contacts/imports/${jobId}`, key });
    assert.equal(r.status, 200, `GET imports/${jobId}: ${r.status} ${r.text}`);
    if (isTerminal(r.body.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} not terminal after ${timeoutMs} ms: ${r.text}`);
    await sleep(20);
  }
}

// POST search/emails over raw HTTP (request() above).
async function rawSearchEmails(url, key, emails) {
  return must(url, { method: 'POST', path: '/v3/marketing/contacts/search/emails', key, body: { emails } });
}

module.exports = {
  BIN,
  rawSend,
  request,
  must,
  isSgError,
  assertSgError,
  sqlite,
  integrityCheck,
  isPostgres,
  pool,
  keyCreate,
  seedContacts,
  waitJob,
  rawSearchEmails,
  parseRawResponse,
  stopAll,
  upsertOk,
  createList,
  createField,
  freshAccount,
  freshPgDatabase,
  REPO,
  RESERVED_STRING_FIELDS,
  UUID_RE,
  UUID_V4_RE,
  TIMESTAMP_RE,
  KEY_RE,
  startServer,
  newClient,
  call,
  raw,
  rawEarlyResponse,
  pollJob,
  waitExport,
  upsert,
  upsertAndWait,
  searchIds,
  findOne,
  getContact,
  idOf,
  contactsBatch,
  searchEmails,
  assertContact,
  deleteIdentifier,
  errorFields,
  assert400,
  assertErrorBody,
  assertTimestamp,
  assertContactShape,
  assertJob,
  fetchJobErrors,
  makeTestKey,
  randomSecret,
  keyId,
  isTerminal,
  sleep,
  test,
};
