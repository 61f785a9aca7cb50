'use strict';
// PostgreSQL recovery: pooled connections that sat idle through a database restart are
// checked on checkout and reset, so once the database is back every request succeeds --
// none gets a 503 from a stale connection. On a PostgreSQL server of its own that this
// test halts and resumes (with nothing sent while it is down, so every pooled connection
// is stale). Runs only with CONTACTD_TEST_PG (a PostgreSQL installation is then at hand).

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const H = require('../lib/server.js');

const CLUSTER = path.join(H.REPO, 'scripts', 'pg-test-cluster');
const C = '/v3/marketing/contacts';
const skip = !process.env.CONTACTD_TEST_PG;

// A mix of reads over several pooled connections, and writes (202, then the job).
function burst(s, ids, round) {
  const key = s.key;
  const reqs = [];
  for (let i = 0; i < 40; i++) {
    const id = ids[i % ids.length];
    switch (i % 6) {
      case 0: reqs.push(H.request(s.url, { path: `${C}/${id}`, key })); break;
      case 1: reqs.push(H.request(s.url, { method: 'POST', path: `${C}/search/emails`, key, body: { emails: [`r${i % ids.length}@pgrec.test`] } })); break;
      case 2: reqs.push(H.request(s.url, { path: `${C}/count`, key })); break;
      case 3: reqs.push(H.request(s.url, { path: '/v3/marketing/lists', key })); break;
      case 4: reqs.push(H.request(s.url, { path: '/v3/marketing/field_definitions', key })); break;
      default: reqs.push(H.request(s.url, { method: 'PUT', path: C, key, body: { contacts: [{ email: `w${round}-${i}@pgrec.test` }] } }));
    }
  }
  return Promise.all(reqs);
}

H.test('after a PostgreSQL restart, every request succeeds once the database is back', { skip, timeout: 180000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-pgrec-'));
  const url = execFileSync(CLUSTER, ['start', dir], { encoding: 'utf8' }).trim();
  let s;
  try {
    s = await H.startServer({ db: url });
    const job = await H.seedContacts(s.url, s.key, Array.from({ length: 12 }, (_, i) => ({ email: `r${i}@pgrec.test` })));
    assert.equal(job.status, 'completed');
    const found = await H.rawSearchEmails(s.url, s.key, Array.from({ length: 12 }, (_, i) => `r${i}@pgrec.test`));
    const ids = Object.values(found.body.result).map((r) => r.contact.id);
    assert.equal(ids.length, 12);
    // Fill the pool: concurrent reads open several read connections.
    for (const r of await burst(s, ids, 'warm')) assert.ok(r.status < 300, `warm-up: ${r.kind} ${r.status} ${r.text}`);

    for (let round = 1; round <= 3; round++) {
      execFileSync(CLUSTER, ['halt', dir]);
      await H.sleep(300);
      execFileSync(CLUSTER, ['resume', dir]); // returns once it accepts connections
      const results = await burst(s, ids, round);
      const failed = results.filter((r) => r.kind !== 'response' || r.status >= 300);
      assert.deepEqual(failed.map((r) => `${r.kind} ${r.status} ${r.text}`), [],
        `round ${round}: ${failed.length} of ${results.length} requests failed after the database was back\n${s.logs().split("\n").filter((l) => !/ request id=/.test(l)).slice(-30).join("\n")}`);
      for (const r of results.filter((x) => x.status === 202)) {
        const done = await H.waitJob(s.url, s.key, r.body.job_id);
        assert.equal(done.status, 'completed', `round ${round}: job ${r.body.job_id}: ${JSON.stringify(done)}`);
      }
    }
  } finally {
    if (s) await s.stop();
    execFileSync(CLUSTER, ['stop', dir]);
  }
});
