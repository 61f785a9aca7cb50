'use strict';
// Export downloads' memory (issue 14): a download holds one piece of its file (1 MB, or
// one stored chunk when a chunk is larger) and takes more only as its client reads, and
// downloads in progress share a budget (--download-memory-mb): past it a new download is
// answered 503 with Retry-After in SendGrid's shape, and admitted again once memory is
// given back. Several slow, concurrent downloads of a 30 MB export keep the server's
// peak resident memory (VmHWM, reset before the downloads) under a generous bound, and
// every byte arrives. Linux only (/proc); runs on SQLite and PostgreSQL.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const zlib = require('node:zlib');
const H = require('../lib/server.js');

const EXPORTS = '/v3/marketing/contacts/exports';
const CONTACTS = 3000;          // ~10 KB each: a 30 MB file in ~12 stored chunks of ~2.5 MB
const BUDGET_MB = 16;
const HWM_BOUND = 150 << 20;    // generous: before the fix one download read the whole file
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function procStatus(pid, key) {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) * 1024;
}

async function metric(s, name) {
  const r = await H.must(s.url, { path: '/metrics' });
  const line = r.text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line.split(' ')[1]);
}

// Every request startSlow made, so that a failing test can drop the ones left unread:
// the server lets requests in flight finish for up to 30 s on SIGTERM, longer than the
// harness waits for it to exit, which hid the first failure behind a stop timeout.
const started = [];

// Start a GET and stop reading once the headers are in: {res, status, done()} where
// done() reads the rest (slowly at first) and resolves the body.
function startSlow(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.pause();
      const chunks = [];
      const done = () => new Promise((ok, bad) => {
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => ok(Buffer.concat(chunks)));
        res.on('error', bad);
        res.on('aborted', () => bad(new Error('aborted')));
        res.resume();
      });
      resolve({ res, status: res.statusCode, headers: res.headers, done });
    });
    started.push(req);
    req.on('error', reject);
  });
}

async function readAll(res) {
  const chunks = [];
  for await (const c of res) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

H.test('concurrent slow export downloads share a memory budget (503 + Retry-After past it) and keep VmHWM bounded', { timeout: 240000 }, async () => {
  const s = await H.startServer({ extraArgs: ['--download-memory-mb', String(BUDGET_MB)] });
  try {
    const fields = [];
    for (let f = 0; f < 10; f++) fields.push((await H.createField(s.client, `big_${f}`, 'Text')).id);
    for (let i = 0; i < CONTACTS; i += 500) {
      const batch = [];
      for (let k = i; k < i + 500; k++) {
        const custom = {};
        for (const id of fields) custom[id] = `${k}`.padEnd(1000, 'v');
        batch.push({ email: `dl${k}@downloads.test`, custom_fields: custom });
      }
      await H.upsertOk(s.client, batch);
    }
    const post = await H.call(s.client, { method: 'POST', url: EXPORTS, body: {} });
    assert.equal(post.status, 202, JSON.stringify(post.body));
    const ready = await H.waitExport(s.client, post.body.id);
    assert.equal(ready.status, 'ready', JSON.stringify(ready));
    assert.equal(ready.urls.length, 1);
    const gzUrl = ready.urls[0];
    const plainUrl = gzUrl.replace('.csv.gz?', '.csv?');
    const plain = await readAll((await startSlow(plainUrl)).res);
    assert.ok(plain.length > 25 << 20, `a file of ${plain.length} bytes`);
    assert.equal(plain.split('\n').length - 2, CONTACTS, 'header, one line per contact, final newline');

    // The peak from here on: writing 5 to clear_refs resets VmHWM to the current RSS.
    const pid = s.proc.pid;
    await sleep(1500); // the idle writer trims its heap first
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const base = procStatus(pid, 'VmHWM');

    // Admit downloads one by one, each left unread (a slow client), until one is refused.
    const open = [];
    let refused;
    for (let i = 0; i < 40 && !refused; i++) {
      const d = await startSlow(i % 2 ? plainUrl : gzUrl);
      if (d.status === 200) {
        open.push(d);
        await sleep(100); // it reads its first piece
      } else {
        refused = d;
      }
    }
    assert.ok(open.length >= 2, `${open.length} downloads admitted under ${BUDGET_MB} MB`);
    assert.ok(refused, `a download past the budget is refused (${open.length} admitted)`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    const body = JSON.parse(await readAll(refused.res));
    assert.ok(H.isSgError(body), JSON.stringify(body));
    const held = await metric(s, 'contactd_download_memory_bytes');
    assert.ok(held > 0 && held <= (BUDGET_MB + 4) << 20, `held ${held}`);
    assert.ok(await metric(s, 'contactd_downloads_refused_total') >= 1);

    // Every admitted download completes, whole, read concurrently.
    const bodies = await Promise.all(open.map((d) => d.done()));
    bodies.forEach((b, i) => {
      const text = open[i].headers['content-type'] === 'application/gzip' ? zlib.gunzipSync(b).toString('utf8') : b.toString('utf8');
      assert.equal(text.length, plain.length, `download ${i}`);
      assert.ok(text === plain, `download ${i} differs from the file`);
    });
    const hwm = procStatus(pid, 'VmHWM');
    assert.ok(hwm - base < HWM_BOUND,
      `${open.length} concurrent downloads raised VmHWM by ${((hwm - base) / 1048576).toFixed(1)} MB (bound ${HWM_BOUND >> 20} MB)`);
    process.stdout.write(`# downloads: ${open.length} admitted, VmHWM +${((hwm - base) / 1048576).toFixed(1)} MB over ${(base / 1048576).toFixed(1)} MB\n`);

    // All memory given back: a new download is admitted again.
    for (let i = 0; i < 100 && await metric(s, 'contactd_download_memory_bytes') !== 0; i++) await sleep(20);
    assert.equal(await metric(s, 'contactd_download_memory_bytes'), 0);
    const again = await startSlow(gzUrl);
    assert.equal(again.status, 200);
    await again.done();
  } finally {
    for (const req of started) req.destroy();
    await s.stop();
  }
});
