'use strict';
// GET /readyz follows the database: on a PostgreSQL server of its own that this test
// halts and resumes, readiness turns 503 (with the reason) while the server is down and
// back to 200 once it is up again, while /healthz (liveness) stays 200 throughout.
// Runs only with CONTACTD_TEST_PG (a PostgreSQL installation is then at hand).

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { REPO, startServer, raw, sleep, test } = require('./lib/server');

const CLUSTER = path.join(REPO, 'scripts', 'pg-test-cluster');

async function waitFor(url, p, status, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await raw(url, { path: p });
    if (last.status === status) return last;
    await sleep(100);
  }
  assert.fail(`${p} still ${last.status} ${last.text}, expected ${status}`);
}

test('readiness fails while PostgreSQL is down and recovers when it is back', { skip: !process.env.CONTACTD_TEST_PG }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-ready-pg-'));
  const url = execFileSync(CLUSTER, ['start', dir], { encoding: 'utf8' }).trim();
  let s;
  try {
    s = await startServer({ db: url });
    assert.equal((await raw(s.url, { path: '/readyz' })).status, 200);
    execFileSync(CLUSTER, ['halt', dir]);
    const down = await waitFor(s.url, '/readyz', 503);
    assert.equal(down.body.status, 'unavailable');
    assert.match(down.body.reason, /database/);
    assert.equal((await raw(s.url, { path: '/healthz' })).status, 200, 'liveness does not follow the database');
    const head = await raw(s.url, { method: 'HEAD', path: '/readyz' });
    assert.equal(head.status, 503);
    execFileSync(CLUSTER, ['resume', dir]);
    const up = await waitFor(s.url, '/readyz', 200);
    assert.deepEqual(up.body, { status: 'ok' });
  } finally {
    if (s) await s.stop();
    execFileSync(CLUSTER, ['stop', dir]);
  }
});
