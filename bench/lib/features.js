#!/usr/bin/env node
'use strict';
// bench/features driver: CSV imports, upserts, SGQL search and exports, timed from the client
// on the monotonic clock. One subcommand a server (bench/features starts and stops them):
//
//   BENCH_API_KEY=... node bench/lib/features.js upsert --base URL --out up.json --contacts N
//        [--pid PID] [--poll-ms 10] [--timeout-ms 240000]
//     A fresh database: the custom field `score` (Number), then N contacts by
//     PUT /v3/marketing/contacts in bodies of at most 30,000, sent back to back (each PUT
//     waits for its 202 only), then every job polled until completed.
//
//   ... main --base URL --out main.json --contacts N [--pid PID] [--runs 5] [--poll-ms 10]
//        [--timeout-ms 240000] [--wait-gzip 1|0]
//     Another fresh database: the field `score` and a list; (1) a CSV import of the same N
//     contacts (step 1, upload, poll until not pending); a 10% list: one upsert of every
//     10th contact (updates) with list_ids; (2) SGQL searches, 1 warm-up + --runs runs
//     each; (3) exports: CSV and JSON of all contacts, CSV of the list (POST, poll until
//     ready, download every url 3 times); (4) a gzip CSV import of N other contacts (its
//     completion not waited for with --wait-gzip 0).
//
//   node bench/lib/features.js report --work DIR --setups "sqlite pg" [--date ... --nproc ...
//        --cpu ... --commit ... --load ... --pg ... --failed 0|1 --run-seconds S --contacts N]
//     The table (stdout): one row per figure, a column per back end, PG/SQLite ratios.
//     Exit 0 when every figure is there and --failed is 0, 1 otherwise.
//
// With --pid, the server's CPU time (utime+stime of /proc/PID/stat) and that of every
// `postgres` process on the machine are recorded around each step, to tell where time goes.
// Every wait has a deadline. Exit code 0 when every step gave the expected result, 1 otherwise.

const fs = require('node:fs');
const http = require('node:http');
const zlib = require('node:zlib');
const { nowMs, sleep, makeClient, median } = require('./common');

const UPSERT_CAP_BYTES = 6 * 1024 * 1024;
const UPSERT_MAX = 30000;
const CITIES = ['Springfield', 'Riverton', 'Lakeside', 'Fairview', 'Georgetown', 'Greenville',
  'Franklin', 'Clinton', 'Madison', 'Salem', 'Bristol', 'Dayton'];

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

function parseArgs(argv) {
  const o = { cmd: argv[2], runs: 5, pollMs: 10, timeoutMs: 240000, downloads: 3 };
  const num = new Set(['contacts', 'runs', 'pollMs', 'timeoutMs', 'pid', 'pgPid', 'downloads']);
  for (let i = 3; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (i + 1 >= argv.length) throw new Error(`incomplete option ${argv[i]}`);
    o[name] = num.has(name) ? Number(argv[i + 1]) : argv[i + 1];
  }
  o.key = process.env.BENCH_API_KEY;
  return o;
}

// ---- CPU accounting ------------------------------------------------------------------------

const TICK = 100; // USER_HZ on Linux
function procCpu(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK; // utime, stime (fields 14, 15)
  } catch (_) { return NaN; }
}
// The PostgreSQL cluster's CPU: its postmaster (--pg-pid) and every live child, plus the
// postmaster's cutime/cstime, which holds the CPU of the children it has reaped (backends and
// autovacuum workers that exited). NaN without --pg-pid (the SQLite set-up).
function postgresCpu(pgPid) {
  if (!pgPid) return NaN;
  let sum = 0;
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const s = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      const pid = Number(p);
      if (pid !== pgPid && Number(f[1]) !== pgPid) continue;   // f[1]: ppid
      sum += (Number(f[11]) + Number(f[12])) / TICK;
      if (pid === pgPid) sum += (Number(f[13]) + Number(f[14])) / TICK;
    } catch (_) { /* gone */ }
  }
  return sum;
}
function cpuMark(opts) {
  return { server: opts.pid ? procCpu(opts.pid) : NaN, pg: postgresCpu(opts.pgPid), self: process.cpuUsage(), t: nowMs() };
}
function cpuSince(opts, m) {
  const u = process.cpuUsage(m.self);
  return {
    serverS: opts.pid ? procCpu(opts.pid) - m.server : NaN,
    postgresS: postgresCpu(opts.pgPid) - m.pg,
    clientS: (u.user + u.system) / 1e6,
    wallS: (nowMs() - m.t) / 1000,
  };
}

// ---- contacts ------------------------------------------------------------------------------

// Contact i of a load tagged `tag`: the same values in the CSV and in the upsert bodies.
function contact(tag, i) {
  return {
    email: `user${i}.${tag}@bench.example.com`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    external_id: `ext-${tag}-${i}`,
    city: CITIES[i % CITIES.length],
    address_line_1: `${100 + (i % 9000)} Benchmark Avenue`,
    score: i % 1000,
  };
}
const CSV_COLUMNS = ['email', 'first_name', 'last_name', 'external_id', 'city', 'address_line_1', 'score'];
function buildCsv(tag, n) {
  const parts = [CSV_COLUMNS.join(',') + '\n'];
  for (let i = 0; i < n; i++) {
    const c = contact(tag, i);
    parts.push(CSV_COLUMNS.map((k) => c[k]).join(',') + '\n');
  }
  return Buffer.from(parts.join(''));
}
function upsertRecord(tag, i) {
  const c = contact(tag, i);
  const { score, ...rest } = c;
  return { ...rest, custom_fields: { score } };
}
function upsertBody(records, listIds) {
  const body = Buffer.from(JSON.stringify(listIds ? { list_ids: listIds, contacts: records } : { contacts: records }));
  if (body.length >= UPSERT_CAP_BYTES) throw new Error(`upsert body of ${body.length} bytes is over the cap`);
  return body;
}

// ---- HTTP helpers ---------------------------------------------------------------------------

function must(r, status, what) {
  if (r.status !== status) throw new Error(`${what} answered ${r.status}: ${r.body.slice(0, 300)}`);
  return r.json;
}

// A URL served by contactd (upload_uri, export file) names the Host it was asked with; send
// it to --base whatever that is (localhost may resolve to ::1 first).
function onBase(base, url) {
  const u = new URL(url, base);
  return u.pathname + u.search;
}

// A plain request on a fresh connection with an arbitrary body and no key (upload_uri).
function rawRequest(base, method, path, body, headers, timeoutMs) {
  const b = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: b.hostname, port: b.port, method, path, headers: { ...headers, 'Content-Length': String(body.length) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
        resolve({ status: res.statusCode, body: text, json, tEnd: nowMs() });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no reply within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

// Stream one export file, gunzipped as users' code does (the files are gzip): bytes of
// the file, newlines, time to the first byte and to the end.
function download(base, url, timeoutMs) {
  const b = new URL(base);
  const path = onBase(base, url);
  return new Promise((resolve, reject) => {
    const t0 = nowMs();
    const req = http.get({ host: b.hostname, port: b.port, path }, (res) => {
      let bytes = 0;
      let lines = 0;
      let tFirst = NaN;
      res.once('data', () => { tFirst = nowMs(); });
      const body = res.headers['content-type'] === 'application/gzip' ? res.pipe(zlib.createGunzip()) : res;
      body.on('data', (c) => {
        bytes += c.length;
        for (let k = c.indexOf(10); k !== -1; k = c.indexOf(10, k + 1)) lines++;
      });
      body.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], bytes, lines, ttfbMs: tFirst - t0, ms: nowMs() - t0 }));
      body.on('error', reject);
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path}: no end within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

// Poll a job (imports/{id}) or an export (exports/{id}) until it leaves `pending`.
async function waitStatus(client, path, { pollMs, timeoutMs }) {
  const deadline = nowMs() + timeoutMs;
  let polls = 0;
  for (;;) {
    const started = nowMs();
    const r = await client.request('GET', path);
    polls++;
    if (r.status !== 200) return { status: `http-${r.status}`, tSeen: r.tEnd, polls, json: r.json };
    const st = r.json && r.json.status;
    if (st && st !== 'pending') return { status: st, tSeen: r.tEnd, polls, json: r.json };
    if (r.tEnd >= deadline) return { status: 'timeout', tSeen: r.tEnd, polls, json: r.json };
    const wait = started + pollMs - nowMs();
    if (wait > 0) await sleep(wait);
  }
}

async function createScoreField(client) {
  const j = must(await client.request('POST', '/v3/marketing/field_definitions', { name: 'score', field_type: 'Number' }), 200, 'POST field_definitions');
  return j.id;
}

// ---- upsert ----------------------------------------------------------------------------------

// N contacts in upserts of up to 30,000, sent back to back, then each job waited for.
async function upsertLoad(client, opts, tag, n) {
  const m = cpuMark(opts);
  const t0 = nowMs();
  const jobs = [];
  let bytes = 0;
  for (let start = 0; start < n; start += UPSERT_MAX) {
    const recs = [];
    for (let i = start; i < Math.min(n, start + UPSERT_MAX); i++) recs.push(upsertRecord(tag, i));
    const body = upsertBody(recs);
    bytes += body.length;
    const ts = nowMs();
    const j = must(await client.request('PUT', '/v3/marketing/contacts', body), 202, 'PUT /contacts');
    jobs.push({ id: j.job_id, n: recs.length, bytes: body.length, ms202: nowMs() - ts });
  }
  const tAll202 = nowMs() - t0;
  let ok = true;
  for (const j of jobs) {
    const w = await waitStatus(client, `/v3/marketing/contacts/imports/${j.id}`, opts);
    const res = (w.json && w.json.results) || {};
    j.status = w.status;
    j.msCompleted = w.tSeen - t0;
    if (w.status !== 'completed' || res.created_count !== j.n) {
      ok = false;
      j.error = `job ended ${w.status}: ${JSON.stringify(res)}`;
    }
  }
  const ms = nowMs() - t0;
  const cpu = cpuSince(opts, m);
  log(`upsert load: ${n} contacts in ${jobs.length} PUTs (${bytes} bytes), all 202 after ${tAll202.toFixed(0)} ms, completed after ${ms.toFixed(0)} ms (${Math.round(n / ms * 1000)}/s); server CPU ${cpu.serverS.toFixed(1)} s, postgres ${cpu.postgresS.toFixed(1)} s`);
  return { ok, n, requests: jobs.length, bytes, msAll202: tAll202, ms, rate: n / ms * 1000, jobs, cpu };
}

async function cmdUpsert(opts) {
  const client = makeClient(opts.base, opts.key, { requestTimeoutMs: opts.timeoutMs });
  const out = { ok: false };
  try {
    await createScoreField(client);
    out.upsert = await upsertLoad(client, opts, 'b', opts.contacts);
    out.ok = out.upsert.ok;
  } catch (e) {
    out.error = e.message;
    log(`upsert: ${e.message}`);
  }
  client.close();
  return out;
}

// ---- CSV import ------------------------------------------------------------------------------

async function csvImport(client, opts, mappings, file, n, label, wait = true) {
  const r1 = nowMs();
  const j = must(await client.request('PUT', '/v3/marketing/contacts/imports', { file_type: 'csv', field_mappings: mappings }), 200, 'PUT /imports');
  const msCreate = nowMs() - r1;
  const m = cpuMark(opts);
  const t0 = nowMs();
  const up = await rawRequest(opts.base, 'PUT', onBase(opts.base, j.upload_uri), file, { 'Content-Type': 'text/csv' }, opts.timeoutMs);
  must(up, 200, `upload (${label})`);
  const msUpload = up.tEnd - t0;
  const cpuUpload = cpuSince(opts, m);
  if (!wait) {
    log(`import ${label}: ${file.length} bytes, upload 200 after ${msUpload.toFixed(0)} ms (completion not waited for)`);
    return { ok: true, n, bytes: file.length, msCreate, msUpload, ms: NaN, rate: NaN, status: 'not waited', cpuUpload };
  }
  const w = await waitStatus(client, `/v3/marketing/contacts/imports/${j.job_id}`, opts);
  const ms = w.tSeen - t0;
  const cpu = cpuSince(opts, m);
  const res = (w.json && w.json.results) || {};
  const ok = w.status === 'completed' && res.created_count === n && !res.errored_count;
  log(`import ${label}: ${file.length} bytes, upload 200 after ${msUpload.toFixed(0)} ms, ${w.status} after ${ms.toFixed(0)} ms (${Math.round(n / ms * 1000)}/s) ${JSON.stringify(res)}; server CPU ${cpu.serverS.toFixed(1)} s, postgres ${cpu.postgresS.toFixed(1)} s`);
  return {
    ok, n, bytes: file.length, msCreate, msUpload, ms, rate: n / ms * 1000, status: w.status, results: res,
    cpuUpload, cpu, error: ok ? undefined : `import ${label} ended ${w.status}: ${JSON.stringify(res)}`,
  };
}

// ---- search ------------------------------------------------------------------------------------

async function search(client, opts, name, query, expected) {
  const times = [];
  let count = null;
  let results = null;
  let error;
  const m = cpuMark(opts);
  for (let k = 0; k <= opts.runs; k++) {   // k = 0 is the warm-up
    const t0 = nowMs();
    const r = await client.request('POST', '/v3/marketing/contacts/search', { query });
    const dt = r.tEnd - t0;
    if (r.status !== 200 || !r.json) { error = `search '${query}' answered ${r.status}: ${r.body.slice(0, 200)}`; break; }
    count = r.json.contact_count;
    results = Array.isArray(r.json.result) ? r.json.result.length : null;
    if (k > 0) times.push(dt);
  }
  const cpu = cpuSince(opts, m);
  if (!error && count !== expected) error = `search '${query}': contact_count ${count}, expected ${expected}`;
  if (!error && results !== Math.min(50, expected)) error = `search '${query}': ${results} results, expected ${Math.min(50, expected)}`;
  const med = median(times);
  log(`search ${name}: ${query} -> ${count} (${results} shown), median ${med.toFixed(1)} ms of ${times.map((t) => t.toFixed(0)).join('/')}${error ? ` ERROR ${error}` : ''}`);
  // CPU per run (the warm-up included in the total, hence runs + 1)
  return { name, query, ok: !error, error, count, results, times, median: med, cpuPerRun: { serverS: cpu.serverS / (opts.runs + 1), postgresS: cpu.postgresS / (opts.runs + 1) } };
}

// ---- exports -----------------------------------------------------------------------------------

async function exportOne(client, opts, label, body, expectRows, fileType) {
  const m = cpuMark(opts);
  const t0 = nowMs();
  const j = must(await client.request('POST', '/v3/marketing/contacts/exports', body), 202, `POST /exports (${label})`);
  const ms202 = nowMs() - t0;
  const w = await waitStatus(client, `/v3/marketing/contacts/exports/${j.id}`, opts);
  const msReady = w.tSeen - t0;
  const cpuReady = cpuSince(opts, m);
  if (w.status !== 'ready') {
    return { ok: false, label, error: `export ${label} ended ${w.status}: ${JSON.stringify(w.json).slice(0, 300)}` };
  }
  const urls = w.json.urls || [];
  // Every file downloaded --downloads times (3): the first download (cold: the files were just
  // written, and the client's code is not warm yet) and the median of all are reported.
  const rounds = [];
  let files = [];
  let error;
  const m2 = cpuMark(opts);
  for (let k = 0; k < opts.downloads; k++) {
    const t1 = nowMs();
    files = [];
    for (const u of urls) files.push(await download(opts.base, u, opts.timeoutMs));
    rounds.push(nowMs() - t1);
    if (files.some((f) => f.status !== 200)) { error = `export ${label}: a download answered ${files.map((f) => f.status).join(',')}`; break; }
  }
  const cpuDownload = cpuSince(opts, m2);
  cpuDownload.serverS /= rounds.length;
  cpuDownload.postgresS /= rounds.length;
  const msDownload = median(rounds);
  const msFirst = rounds[0];
  const bytes = files.reduce((s, f) => s + f.bytes, 0);
  const lines = files.reduce((s, f) => s + f.lines, 0);
  const rows = fileType === 'csv' ? lines - files.length : lines; // a header per CSV file
  if (error) { /* reported below */ }
  else if (rows !== expectRows) error = `export ${label}: ${rows} rows, expected ${expectRows}`;
  else if (w.json.contact_count !== expectRows) error = `export ${label}: contact_count ${w.json.contact_count}, expected ${expectRows}`;
  log(`export ${label}: 202 after ${ms202.toFixed(0)} ms, ready after ${msReady.toFixed(0)} ms (${w.polls} polls); ${files.length} file(s), ${bytes} bytes, ${rows} rows, downloaded in ${rounds.map((x) => x.toFixed(0)).join('/')} ms (median ${(bytes / 1e6 / (msDownload / 1000)).toFixed(1)} MB/s, first byte ${files[0] ? files[0].ttfbMs.toFixed(1) : '-'} ms); server CPU ready ${cpuReady.serverS.toFixed(2)} s, download ${cpuDownload.serverS.toFixed(2)} s${error ? ` ERROR ${error}` : ''}`);
  return {
    ok: !error, error, label, ms202, msReady, polls: w.polls, files: files.length, bytes, rows, msDownload, msFirst, rounds,
    mbps: bytes / 1e6 / (msDownload / 1000), mbpsFirst: bytes / 1e6 / (msFirst / 1000), ttfbMs: files[0] ? files[0].ttfbMs : NaN, contentType: files[0] && files[0].type, cpuReady, cpuDownload,
  };
}

// ---- main --------------------------------------------------------------------------------------

async function cmdMain(opts) {
  const n = opts.contacts;
  const client = makeClient(opts.base, opts.key, { requestTimeoutMs: opts.timeoutMs });
  const out = { ok: false, n, errors: [] };
  const fail = (e) => { out.errors.push(e); log(`ERROR ${e}`); };
  try {
    const scoreId = await createScoreField(client);
    const list = must(await client.request('POST', '/v3/marketing/lists', { name: 'ten percent' }), 201, 'POST /lists');
    const defs = must(await client.request('GET', '/v3/marketing/field_definitions'), 200, 'GET field_definitions');
    const rf = Object.fromEntries(defs.reserved_fields.map((f) => [f.name, f.id]));
    const mappings = CSV_COLUMNS.map((c) => (c === 'score' ? scoreId : rf[c]));

    // 1. CSV import of N contacts (plain)
    const csv = buildCsv('a', n);
    out.importPlain = await csvImport(client, opts, mappings, csv, n, 'plain');
    if (!out.importPlain.ok) fail(out.importPlain.error);

    // The 10% list: every 10th contact again (an update: same identifiers), with list_ids
    const members = [];
    for (let i = 0; i < n; i += 10) members.push(i);
    const tl = nowMs();
    let listOk = true;
    for (let s = 0; s < members.length; s += UPSERT_MAX) {
      const body = upsertBody(members.slice(s, s + UPSERT_MAX).map((i) => upsertRecord('a', i)), [list.id]);
      const j = must(await client.request('PUT', '/v3/marketing/contacts', body), 202, 'PUT /contacts (list)');
      const w = await waitStatus(client, `/v3/marketing/contacts/imports/${j.job_id}`, opts);
      if (w.status !== 'completed') { listOk = false; fail(`list upsert ended ${w.status}`); }
    }
    out.listFill = { n: members.length, ms: nowMs() - tl, ok: listOk };
    log(`list: ${members.length} existing contacts updated with list_ids in ${out.listFill.ms.toFixed(0)} ms`);

    // 2. SGQL searches (expected counts computed here)
    let likeCount = 0;
    for (let i = 0; i < n; i++) if (String(i).startsWith('12')) likeCount++;
    let scoreCount = 0;
    for (let i = 0; i < n; i++) if (i % 1000 >= 900) scoreCount++;
    out.searches = [];
    for (const [name, q, expected] of [
      ['email LIKE prefix', "email LIKE 'user12%'", likeCount],
      ['custom Number >=', 'score >= 900', scoreCount],
      ['CONTAINS(list_ids)', `CONTAINS(list_ids, '${list.id}')`, members.length],
      ['no match', "city = 'Atlantis'", 0],
    ]) {
      const s = await search(client, opts, name, q, expected);
      out.searches.push(s);
      if (!s.ok) fail(s.error);
    }

    // 3. exports
    out.exports = {};
    for (const [k, body, rows, ft] of [
      ['csv', { file_type: 'csv' }, n, 'csv'],
      ['json', { file_type: 'json' }, n, 'json'],
      ['list', { file_type: 'csv', list_ids: [list.id] }, members.length, 'csv'],
    ]) {
      const e = await exportOne(client, opts, k, body, rows, ft);
      out.exports[k] = e;
      if (!e.ok) fail(e.error);
    }

    // 4. gzip CSV import of N other contacts
    const gz = zlib.gzipSync(buildCsv('g', n), { level: 6 });
    out.importGzip = await csvImport(client, opts, mappings, gz, n, 'gzip', opts.waitGzip !== '0');
    out.importGzip.plainBytes = buildCsv('g', n).length;
    if (!out.importGzip.ok) fail(out.importGzip.error);
  } catch (e) {
    fail(e.message);
  }
  out.ok = out.errors.length === 0;
  client.close();
  return out;
}

// ---- report ------------------------------------------------------------------------------------

function readJson(p) {
  try { return JSON.parse(fs.readFileSync(p, 'utf8')); } catch (_) { return null; }
}
const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const fx = (v, d = 1) => (isNum(v) ? v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : '-');
const int = (v) => (isNum(v) ? Math.round(v).toLocaleString('en-US') : '-');
const mb = (b) => (isNum(b) ? (b / 1e6).toFixed(1) : '-');
const ratio = (a, b) => (isNum(a) && isNum(b) && b > 0 ? `${(a / b).toFixed(2)}` : '-');

function cmdReport(o) {
  const setups = (o.setups || 'sqlite').split(/\s+/).filter(Boolean);
  const LABEL = { sqlite: 'SQLite', pg: 'PostgreSQL' };
  const D = {};
  let missing = false;
  for (const s of setups) {
    const up = readJson(`${o.work}/${s}/up.json`);
    const main = readJson(`${o.work}/${s}/main.json`);
    if (!up || !main) missing = true;
    D[s] = { up: (up && up.upsert) || {}, upOk: up && up.ok, upErr: up && up.error, main: main || {} };
  }
  const hasPg = setups.includes('pg') && setups.includes('sqlite');
  const rows = [];
  const W0 = 58;
  const WC = 17;
  const head = ['', ...setups.map((s) => LABEL[s] || s), ...(hasPg ? ['PG / SQLite'] : [])];
  const line = (cells) => cells[0].padEnd(W0) + cells.slice(1).map((c) => String(c).padStart(WC)).join('');
  const sec = (t) => rows.push(t);
  // row: label, getter -> number, formatter, ratio? (PG/SQLite of the numbers)
  const row = (label, get, f = fx, withRatio = true) => {
    const vals = setups.map((s) => { try { return get(D[s]); } catch (_) { return NaN; } });
    const cells = [`    ${label}`, ...vals.map((v) => (typeof v === 'string' ? v : f(v)))];
    if (hasPg) cells.push(withRatio ? ratio(vals[setups.indexOf('pg')], vals[setups.indexOf('sqlite')]) : '');
    rows.push(line(cells));
  };
  const n = Number(o.contacts);
  const srch = (d, i) => d.main.searches[i];
  const exp = (d, k) => d.main.exports[k];

  sec(line(head));
  sec(`(1) CSV import of ${int(n)} contacts (7 columns: email, first/last name, external_id, city, address, a Number field)`);
  row('CSV file, MB', (d) => d.main.importPlain.bytes / 1e6, (v) => fx(v, 1), false);
  row('PUT /imports (step 1), ms', (d) => d.main.importPlain.msCreate);
  row('upload -> 200, ms', (d) => d.main.importPlain.msUpload);
  row('upload -> completed seen, ms', (d) => d.main.importPlain.ms, (v) => int(v));
  row('contacts/s (N / upload -> completed)', (d) => d.main.importPlain.rate, int);
  row('CPU during it, s: contactd / postgres', (d) => `${fx(d.main.importPlain.cpu.serverS)} / ${fx(d.main.importPlain.cpu.postgresS)}`, fx, false);
  sec(`    gzip upload of ${int(n)} other contacts (gzip -6), same mappings, into the same account afterwards`);
  row('gzip file, MB (plain MB)', (d) => `${mb(d.main.importGzip.bytes)} (${mb(d.main.importGzip.plainBytes)})`, fx, false);
  row('gzip upload -> 200, ms', (d) => d.main.importGzip.msUpload);
  row('  / plain upload -> 200', (d) => d.main.importGzip.msUpload / d.main.importPlain.msUpload, (v) => fx(v, 2), false);
  row('gzip upload -> completed seen, ms', (d) => (d.main.importGzip.status === 'not waited' ? 'not waited' : d.main.importGzip.ms), int);
  sec(`(2) the same ${int(n)} contacts by PUT /v3/marketing/contacts, ${int(UPSERT_MAX)} a request (another fresh database)`);
  row('bodies, MB in all (requests)', (d) => `${mb(d.up.bytes)} (${d.up.requests})`, fx, false);
  row('first PUT -> last 202, ms', (d) => d.up.msAll202, int);
  row('first PUT -> last job completed seen, ms', (d) => d.up.ms, int);
  row('contacts/s', (d) => d.up.rate, int);
  row('CPU during it, s: contactd / postgres', (d) => `${fx(d.up.cpu.serverS)} / ${fx(d.up.cpu.postgresS)}`, fx, false);
  row('ratio import / upsert throughput', (d) => d.main.importPlain.rate / d.up.rate, (v) => fx(v, 2));
  sec(`(3) SGQL search over ${int(n)} contacts (POST /contacts/search; median of ${o.runs || 5} after 1 warm-up)`);
  for (let i = 0; i < 4; i++) {
    const name = (() => { for (const s of setups) { const x = D[s].main.searches && D[s].main.searches[i]; if (x) return `${x.name}: ${x.query.length > 34 ? `${x.query.slice(0, 31)}...` : x.query}`; } return `query ${i + 1}`; })();
    sec(`    ${name}`);
    row('  matches (contact_count)', (d) => srch(d, i).count, int, false);
    row('  median latency, ms', (d) => srch(d, i).median, (v) => fx(v, 1));
    row('  contacts scanned/s', (d) => n / srch(d, i).median * 1000, int);
    row('  CPU a search, ms: contactd / postgres', (d) => `${int(srch(d, i).cpuPerRun.serverS * 1000)} / ${int(srch(d, i).cpuPerRun.postgresS * 1000)}`, fx, false);
  }
  sec(`(4) exports (POST -> GET /exports/{id} every 10 ms until ready -> download every url, no key, ${o.downloads || 3} times)`);
  for (const [k, title] of [['csv', `CSV, all ${int(n)}`], ['json', `JSON lines, all ${int(n)}`], ['list', `CSV of the 10% list (${int(n / 10)})`]]) {
    sec(`    ${title}`);
    row('  POST -> ready, ms', (d) => exp(d, k).msReady, int);
    row('  files', (d) => exp(d, k).files, int, false);
    row('  first download, ms', (d) => exp(d, k).msFirst, int);
    row('  download, median of 3, ms', (d) => exp(d, k).msDownload, int);
    row('  download MB/s: first / median', (d) => `${fx(exp(d, k).mbpsFirst, 0)} / ${fx(exp(d, k).mbps, 0)}`, fx, false);
    row('  size, MB', (d) => exp(d, k).bytes / 1e6, (v) => fx(v, 1));
    row('  contacts/s, POST -> last byte of the first download', (d) => exp(d, k).rows / (exp(d, k).msReady + exp(d, k).msFirst) * 1000, int);
    row('  contactd CPU: to ready / a download, s', (d) => `${fx(exp(d, k).cpuReady.serverS, 2)} / ${fx(exp(d, k).cpuDownload.serverS, 2)}`, fx, false);
    row('  postgres CPU: to ready / a download, s', (d) => `${fx(exp(d, k).cpuReady.postgresS, 2)} / ${fx(exp(d, k).cpuDownload.postgresS, 2)}`, fx, false);
  }
  sec('set-up (not timed above)');
  row('10% list: one upsert updating them with list_ids, ms', (d) => d.main.listFill.ms, int);

  const errors = [];
  for (const s of setups) {
    const d = D[s];
    if (d.upErr) errors.push(`${s}: ${d.upErr}`);
    else if (d.upOk === false) errors.push(`${s}: the upsert load did not complete as expected`);
    for (const e of (d.main.errors || [])) errors.push(`${s}: ${e}`);
    if (d.main.ok === undefined) errors.push(`${s}: no results`);
  }
  const failed = o.failed === '1' || missing || errors.length > 0;

  const out = [];
  out.push('contactd benchmark: CSV imports, SGQL search and exports (bench/features)');
  out.push(`date         ${o.date}`);
  out.push(`host         nproc=${o.nproc}, ${o.cpu}; load average (1/5/15 min) at start / end: ${o.load}`);
  out.push(`contactd     ${o.commit}; serve --threads ${o.serverThreads}`);
  if (setups.includes('pg')) out.push(`PostgreSQL   ${o.pg}`);
  out.push(`run          ${int(n)} contacts; ${setups.map((s) => LABEL[s] || s).join(', then ')}; each: an upsert load on one fresh database, then import, search, exports on another; ${o.runSeconds} s after the build`);
  out.push('             times are client-side wall-clock (monotonic); jobs and exports polled every 10 ms; all on the same 2 cores');
  out.push('');
  out.push(...rows);
  out.push('');
  for (const e of errors) out.push(`ERROR ${e}`);
  out.push(failed ? 'RESULT: FAILED' : 'RESULT: ok (every import, upsert and export completed with the expected counts; every search found the expected count)');
  process.stdout.write(`${out.join('\n')}\n`);
  return failed ? 1 : 0;
}

// ---- entry ---------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv);
  if (opts.cmd === 'report') { process.exitCode = cmdReport(opts); return; }
  if (!opts.base || !opts.out || !opts.key || !opts.contacts) throw new Error('--base, --out, --contacts and BENCH_API_KEY are required');
  let out;
  if (opts.cmd === 'upsert') out = await cmdUpsert(opts);
  else if (opts.cmd === 'main') out = await cmdMain(opts);
  else throw new Error('usage: features.js upsert|main|report ...');
  fs.writeFileSync(opts.out, JSON.stringify(out, null, 1));
  process.exitCode = out.ok ? 0 : 1;
}

main().catch((e) => { log(`features.js: ${e.stack || e.message}`); process.exitCode = 1; });
