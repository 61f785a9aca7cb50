'use strict';
// Operating contactd: /healthz and /readyz (GET and HEAD), request ids, /metrics parsed
// as Prometheus text with its counters moving, JSON logs parsed line by line,
// --public-url in every URL handed out, --trust-proxy, and HTTPS through the official
// client with a throwaway self-signed certificate.

const assert = require('node:assert/strict');
const { after, before } = require('node:test');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const os = require('node:os');
const path = require('node:path');
const {
  startServer, stopAll, raw, call, upsertOk, pollJob, createList, UUID_RE, newClient, sleep, test,
} = require('./lib/server');

const C = '/v3/marketing/contacts';
let srv;

before(async () => { srv = await startServer({ extraArgs: ['--log-format', 'json'] }); });
after(async () => { await stopAll([srv]); });

// ---- health -------------------------------------------------------------------------

test('GET and HEAD /healthz and /readyz answer 200 without a key', async () => {
  for (const p of ['/healthz', '/readyz']) {
    const g = await raw(srv.url, { path: p });
    assert.equal(g.status, 200, `${p}: ${g.text}`);
    assert.deepEqual(g.body, { status: 'ok' });
    const h = await raw(srv.url, { method: 'HEAD', path: p });
    assert.equal(h.status, 200, `HEAD ${p}`);
    assert.equal(h.text, '');
  }
});

test('contactd healthcheck exits 0 against a ready server and 1 against nothing', () => {
  const bin = srv.bin;
  const ok = execFileSync(bin, ['healthcheck', '--url', `${srv.url}/readyz`], { encoding: 'utf8' });
  assert.match(ok, /^200 \{"status":"ok"\}/);
  let code = 0;
  try {
    execFileSync(bin, ['healthcheck', '--url', 'http://127.0.0.1:1/readyz', '--timeout=2'], { stdio: 'pipe' });
  } catch (e) { code = e.status; }
  assert.equal(code, 1);
});

// ---- request ids ---------------------------------------------------------------------

test('every answer carries X-Request-Id: a sane incoming one, else a new UUID', async () => {
  const mine = await raw(srv.url, { path: '/healthz', headers: { 'X-Request-Id': 'req-42.a:b_c' } });
  assert.equal(mine.headers['x-request-id'], 'req-42.a:b_c');
  for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', '']) {
    const r = await raw(srv.url, { path: '/healthz', headers: { 'X-Request-Id': bad } });
    assert.match(r.headers['x-request-id'], UUID_RE, `for ${JSON.stringify(bad)}`);
  }
  const none = await raw(srv.url, { path: '/nowhere' });
  assert.equal(none.status, 404);
  assert.match(none.headers['x-request-id'], UUID_RE);
  const denied = await raw(srv.url, { path: C });
  assert.equal(denied.status, 401);
  assert.match(denied.headers['x-request-id'], UUID_RE);
});

// ---- metrics -------------------------------------------------------------------------

// Parse Prometheus text format 0.0.4 strictly: every sample belongs to a declared
// family; returns Map("name{labels}" -> number).
function parseMetrics(text) {
  const samples = new Map();
  const types = new Map();
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  for (const line of text.split('\n').slice(0, -1)) {
    if (line.startsWith('# HELP ')) continue;
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (t) { types.set(t[1], t[2]); continue; }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+|\+Inf|NaN)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const family = m[1].replace(/_(bucket|sum|count|total)$/, '');
    assert.ok(types.has(m[1]) || types.has(family) || types.has(m[1].replace(/_(bucket|sum|count)$/, '')),
      `sample ${m[1]} has no # TYPE`);
    const key = m[1] + (m[2] || '');
    assert.ok(!samples.has(key), `duplicate sample ${key}`);
    samples.set(key, Number(m[3]));
  }
  return samples;
}

async function scrape(server = srv, headers = {}) {
  const r = await raw(server.url, { path: '/metrics', headers });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  return parseMetrics(r.text);
}

test('/metrics parses as Prometheus text and its counters move with traffic', async () => {
  const before0 = await scrape();
  const put = 'contactd_http_requests_total{method="PUT",route="/v3/marketing/contacts",code="2xx"}';
  const jobsAccepted = 'contactd_jobs_accepted_total{kind="upsert"}';
  const jobsDone = 'contactd_jobs_finished_total{kind="upsert",status="completed"}';
  const unmatched = 'contactd_http_requests_total{method="",route="unmatched",code="4xx"}';
  for (const k of [put, jobsAccepted, jobsDone, unmatched, 'contactd_job_records_applied_total',
    'contactd_group_commit_size_count', 'contactd_http_connections_total', 'contactd_job_queue_depth',
    'contactd_job_oldest_pending_seconds', 'process_resident_memory_bytes', 'contactd_db_errors_total',
    'contactd_rate_limited_total', 'contactd_http_connections_open']) {
    assert.ok(before0.has(k), `missing ${k}`);
  }
  assert.ok(before0.get('process_resident_memory_bytes') > 0);

  await upsertOk(srv.client, [{ email: 'metrics1@example.com' }, { email: 'metrics2@example.com' }]);
  await raw(srv.url, { path: '/no/such/route' });
  const after1 = await scrape();
  assert.equal(after1.get(put) - before0.get(put), 1);
  assert.equal(after1.get(jobsAccepted) - before0.get(jobsAccepted), 1);
  assert.equal(after1.get(jobsDone) - before0.get(jobsDone), 1);
  assert.equal(after1.get(unmatched) - before0.get(unmatched), 1);
  assert.ok(after1.get('contactd_job_records_applied_total') - before0.get('contactd_job_records_applied_total') >= 2);
  assert.ok(after1.get('contactd_group_commit_size_count') > before0.get('contactd_group_commit_size_count'));
  assert.equal(after1.get('contactd_job_queue_depth'), 0);
  // The histogram is cumulative and its +Inf bucket equals its count.
  const h = 'contactd_http_request_duration_seconds';
  const lbl = 'method="PUT",route="/v3/marketing/contacts"';
  assert.equal(after1.get(`${h}_bucket{${lbl},le="+Inf"}`), after1.get(`${h}_count{${lbl}}`));
  assert.ok(after1.get(`${h}_bucket{${lbl},le="0.001"}`) <= after1.get(`${h}_bucket{${lbl},le="10"}`));
  assert.ok(after1.get(`${h}_count{${lbl}}`) >= 1);
});

test('--metrics-token: /metrics needs the bearer token; /v3 keys do not open it', async () => {
  const s = await startServer({ extraArgs: ['--metrics-token=scrape-secret'] });
  try {
    assert.equal((await raw(s.url, { path: '/metrics' })).status, 401);
    const withKey = await raw(s.url, { path: '/metrics', headers: { Authorization: `Bearer ${s.key}` } });
    assert.equal(withKey.status, 401);
    await scrape(s, { Authorization: 'Bearer scrape-secret' });
  } finally {
    await s.stop();
  }
});

// ---- logs ----------------------------------------------------------------------------

function jsonLogLines(server) {
  return server.logs().split('\n')
    .map((l) => l.replace(/^\[run \d+\] /, ''))
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

test('--log-format json: one JSON object a line for requests and job starts and ends', async () => {
  const id = `log-test-${Date.now()}`;
  const r = await call(srv.client, {
    method: 'PUT', url: C, body: { contacts: [{ email: 'log@example.com' }] }, headers: { 'X-Request-Id': id },
  });
  assert.equal(r.status, 202);
  await pollJob(srv.client, r.body.job_id);
  await raw(srv.url, { path: `${C}/exports/x/files/1.csv?token=very-secret&flag=1` });
  await sleep(100);
  const lines = jsonLogLines(srv);
  for (const l of lines) assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const req = lines.find((l) => l.event === 'request' && l.id === id);
  assert.ok(req, `no request line with id ${id}:\n${srv.logs()}`);
  assert.equal(req.method, 'PUT');
  assert.equal(req.path, C);
  assert.equal(req.status, 202);
  assert.equal(req.account, 'default');
  assert.equal(typeof req.duration_ms, 'number');
  const start = lines.find((l) => l.event === 'job_start' && l.job === r.body.job_id);
  const end = lines.find((l) => l.event === 'job_end' && l.job === r.body.job_id);
  assert.ok(start && end, `no job lines for ${r.body.job_id}`);
  assert.equal(start.kind, 'upsert');
  assert.equal(end.status, 'completed');
  assert.equal(end.requested, 1);
  assert.equal(end.created + end.updated, 1);
  assert.equal(typeof end.duration_ms, 'number');
  const dl = lines.find((l) => l.event === 'request' && l.path.startsWith(`${C}/exports/x/files/`));
  assert.ok(dl, 'no line for the download');
  assert.equal(dl.path, `${C}/exports/x/files/1.csv?token=***&flag=1`, 'the query string, its token masked');
  assert.ok(!srv.logs().includes('very-secret'), 'a token reached the log');
  assert.ok(!srv.logs().includes(srv.key.split('.')[2]), 'a key secret reached the log');
});

test('text logs carry the same fields as key=value', async () => {
  const s = await startServer();
  try {
    await raw(s.url, { path: '/healthz?probe=1', headers: { 'X-Request-Id': 'text-1' } });
    await sleep(100);
    assert.match(s.logs(), /request id=text-1 method=GET path=\/healthz\?probe=1 status=200 duration_ms=[0-9.]+/);
  } finally {
    await s.stop();
  }
});

// ---- URLs ----------------------------------------------------------------------------

// Every string in a JSON value that looks like a URL.
function urlsIn(v, out = []) {
  if (typeof v === 'string' && /^[a-z]+:\/\//i.test(v)) out.push(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) urlsIn(x, out);
  return out;
}

test('--public-url is the base of every URL handed out', async () => {
  const base = 'https://contacts.example.com/sg';
  const s = await startServer({ extraArgs: ['--public-url', `${base}/`] });
  try {
    const c = s.client;
    const seen = [];
    const keep = (r) => { seen.push(...urlsIn(r.body)); return r; };
    await upsertOk(c, [{ email: 'pub@example.com' }]);
    keep(await call(c, { method: 'GET', url: C }));
    const list = await createList(c, 'public-url');
    keep(await call(c, { method: 'GET', url: `/v3/marketing/lists/${list.id}` }));
    keep(await call(c, { method: 'GET', url: '/v3/marketing/lists' }));
    keep(await call(c, { method: 'GET', url: '/v3/marketing/field_definitions' }));
    keep(await call(c, { method: 'POST', url: '/v3/marketing/field_definitions', body: { name: 'pubf', field_type: 'Text' } }));
    keep(await call(c, { method: 'POST', url: `${C}/search`, body: { query: "email LIKE 'pub%'" } }));
    const imp = keep(await call(c, { method: 'PUT', url: `${C}/imports`, body: { file_type: 'csv', field_mappings: ['_rf2_T'] } }));
    assert.equal(imp.status, 200, JSON.stringify(imp.body));
    const up = new URL(imp.body.upload_uri);
    const upload = await raw(s.url, { method: 'PUT', path: up.pathname.replace(/^\/sg/, '') + up.search, body: 'email\nnot-an-email\nok@example.com\n', headers: { 'Content-Type': 'text/csv' } });
    assert.equal(upload.status, 200, upload.text);
    const job = await pollJob(c, imp.body.job_id, { timeoutMs: 30000 });
    assert.ok(job.results.errors_url, `the import has errors: ${JSON.stringify(job)}`);
    seen.push(...urlsIn(job));
    const exp = keep(await call(c, { method: 'POST', url: `${C}/exports`, body: {} }));
    assert.equal(exp.status, 202);
    let e;
    for (let i = 0; i < 500; i++) {
      e = keep(await call(c, { method: 'GET', url: `${C}/exports/${exp.body.id}` }));
      if (e.body.status !== 'pending') break;
      await sleep(20);
    }
    assert.equal(e.body.status, 'ready', JSON.stringify(e.body));
    keep(await call(c, { method: 'GET', url: `${C}/exports` }));
    for (const what of ['upload_uri', 'errors_url', 'export urls']) assert.ok(seen.length, what);
    assert.ok(seen.some((u) => u.includes('/upload?token=')));
    assert.ok(seen.some((u) => /\/errors\?token=[A-Za-z0-9_-]+$/.test(u)), seen.join(' '));
    assert.ok(seen.some((u) => /\/files\/\d+\.csv\.gz\?token=/.test(u)), seen.join(" "));
    for (const u of seen) assert.ok(u.startsWith(`${base}/v3/`), `${u} does not start with ${base}/v3/`);
  } finally {
    await s.stop();
  }
});

test('without --trust-proxy X-Forwarded-* is ignored; with it, it makes the base URL', async () => {
  const fwd = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'api.example.org, inner.local' };
  const plain = await raw(srv.url, { path: C, headers: { ...fwd, Authorization: `Bearer ${srv.key}` } });
  assert.equal(plain.body._metadata.self, `${srv.url}${C}`);
  const badHost = await raw(srv.url, { path: C, headers: { Host: 'evil"host', Authorization: `Bearer ${srv.key}` } });
  if (badHost.status === 200) assert.equal(badHost.body._metadata.self, `${srv.url}${C}`);
  const s = await startServer({ extraArgs: ['--trust-proxy'] });
  try {
    const r = await raw(s.url, { path: C, headers: { ...fwd, Authorization: `Bearer ${s.key}` } });
    assert.equal(r.body._metadata.self, `https://api.example.org${C}`);
    const junk = await raw(s.url, { path: C, headers: { 'X-Forwarded-Proto': 'gopher', 'X-Forwarded-Host': 'a b', Authorization: `Bearer ${s.key}` } });
    assert.equal(junk.body._metadata.self, `${s.url}${C}`);
  } finally {
    await s.stop();
  }
});

// ---- TLS -----------------------------------------------------------------------------

test('--tls-cert/--tls-key: the official client works over https', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const s = await startServer({ extraArgs: ['--tls-cert', cert, '--tls-key', key] });
  try {
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const client = newClient(s.url, s.key);
    client.setDefaultRequest('httpsAgent', new https.Agent({ ca: fs.readFileSync(cert) }));
    const job = await upsertOk(client, [{ email: 'tls@example.com' }]);
    assert.equal(job.status, 'completed');
    const list = await call(client, { method: 'GET', url: C });
    assert.equal(list.status, 200);
    assert.ok(list.body._metadata.self.startsWith(`${s.url}/v3/`), list.body._metadata.self);
    // Plain HTTP to the TLS port gets no API answer.
    await assert.rejects(raw(s.url.replace('https:', 'http:'), { path: '/healthz', timeoutMs: 3000 }));
  } finally {
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
