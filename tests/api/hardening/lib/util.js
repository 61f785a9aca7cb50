'use strict';
// Small helpers shared by the hardening tests: raw sockets, HTTP requests that
// tell a complete answer from a truncated one, SendGrid error-shape checks,
// database access (sqlite3 CLI, or psql on PostgreSQL), and a bounded-concurrency runner.

const net = require('node:net');
const http = require('node:http');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');

const H = require('../../lib/server.js');

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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
        if (gapMs && i + 1 < parts.length) await H.sleep(gapMs);
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
  let payload;
  if (body === undefined) payload = undefined;
  else if (Buffer.isBuffer(body)) payload = body;
  else if (typeof body === 'string') payload = Buffer.from(body, 'utf8');
  else payload = Buffer.from(JSON.stringify(body), 'utf8');
  const hdrs = { ...headers };
  if (key) hdrs.Authorization = `Bearer ${key}`;
  if (payload !== undefined && !Object.keys(hdrs).some((h) => h.toLowerCase() === 'content-length')) {
    hdrs['Content-Length'] = payload.length;
    if (!Object.keys(hdrs).some((h) => h.toLowerCase() === 'content-type')) hdrs['Content-Type'] = 'application/json';
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
// CONTACTD_TEST_PG (lib/server.js).
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
  const { spawnSync } = require('node:child_process');
  const args = ['key', 'create', '--account', account, '--db', srv.dbPath];
  if (scopes !== undefined) args.push('--scopes', scopes);
  const r = spawnSync(srv.bin, args, { encoding: 'utf8' });
  const m = H.KEY_RE.exec(r.stdout || '');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, key: m ? m[0] : null };
}

// Upsert and wait; returns {job, ids} with ids keyed by email.
async function seedContacts(url, key, contacts, extra = {}) {
  const r = await must(url, { method: 'PUT', path: '/v3/marketing/contacts', key, body: { ...extra, contacts } });
  assert.equal(r.status, 202, `seed upsert: ${r.status} ${r.text}`);
  const job = await waitJob(url, key, r.body.job_id);
  return job;
}

async function waitJob(url, key, jobId, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await must(url, { path: `/v3/marketing/contacts/imports/${jobId}`, key });
    assert.equal(r.status, 200, `GET imports/${jobId}: ${r.status} ${r.text}`);
    if (H.isTerminal(r.body.status)) return r.body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} not terminal after ${timeoutMs} ms: ${r.text}`);
    await H.sleep(20);
  }
}

async function searchEmails(url, key, emails) {
  return must(url, { method: 'POST', path: '/v3/marketing/contacts/search/emails', key, body: { emails } });
}

module.exports = {
  UUID_RE, rawSend, request, must, isSgError, assertSgError, sqlite, integrityCheck, isPostgres, pool, keyCreate,
  seedContacts, waitJob, searchEmails, parseRawResponse,
};
