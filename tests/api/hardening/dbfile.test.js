'use strict';
// The SQLite database file cannot vanish silently (issue 14): a file unlinked or replaced
// under a running server makes every write answer 503 in SendGrid's shape (nothing is
// acknowledged into a file that no start will see again), /readyz fail and one log line
// say why; a file with a corrupt page is refused at start (PRAGMA quick_check) with a
// clear message and exit 1. SQLite only: PostgreSQL has no file to lose, so these tests
// skip there.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const H = require('../lib/server.js');

const PG = !!process.env.CONTACTD_TEST_PG;
const skip = PG ? 'SQLite only: PostgreSQL has no database file to lose' : false;

function contacts(tag, n) {
  return Array.from({ length: n }, (_, i) => ({ email: `${tag}-${i}@dbfile.test`, first_name: `F${i}` }));
}

// Until the server notices: the checkpointer looks every 100 ms, the writer before every
// commit, so the first write after the change is refused already; /readyz may need a
// moment when nothing writes.
async function readyz(s) {
  return H.must(s.url, { path: '/readyz' });
}

async function assertRefusesWrites(s, label) {
  const put = await H.call(s.client, { method: 'PUT', url: '/v3/marketing/contacts', body: { contacts: contacts(label, 3) } });
  assert.equal(put.status, 503, `${label}: upsert answered ${put.status} ${JSON.stringify(put.body)}`);
  assert.ok(H.isSgError(put.body), `${label}: upsert's 503 is not SendGrid's error shape: ${JSON.stringify(put.body)}`);
  const list = await H.call(s.client, { method: 'POST', url: '/v3/marketing/lists', body: { name: `${label}-list` } });
  assert.equal(list.status, 503, `${label}: list create answered ${list.status} ${JSON.stringify(list.body)}`);
  assert.ok(H.isSgError(list.body), `${label}: ${JSON.stringify(list.body)}`);
  const exp = await H.call(s.client, { method: 'POST', url: '/v3/marketing/contacts/exports', body: {} });
  assert.equal(exp.status, 503, `${label}: export answered ${exp.status} ${JSON.stringify(exp.body)}`);
  const r = await readyz(s);
  assert.equal(r.status, 503, `${label}: /readyz answered ${r.status} ${r.text}`);
  assert.match(r.body.reason, /database file was removed or replaced/);
  const lines = s.logs().split('\n').filter((l) => l.includes('database_file_lost'));
  assert.equal(lines.length, 1, `${label}: one database_file_lost line expected:\n${s.logs()}`);
  // Still refused later: the state does not clear by itself.
  const again = await H.call(s.client, { method: 'DELETE', url: '/v3/marketing/contacts', qs: { delete_all_contacts: 'true' } });
  assert.equal(again.status, 503, `${label}: delete answered ${again.status}`);
}

H.test('a database file unlinked under the running server: writes 503, /readyz fails, one log line', { skip }, async () => {
  const s = await H.startServer();
  try {
    await H.upsertOk(s.client, contacts('before', 5));
    assert.equal((await readyz(s)).status, 200);
    fs.unlinkSync(s.dbPath);
    await assertRefusesWrites(s, 'unlinked');
    assert.ok(/change=removed|"change":"removed"/.test(s.logs()), s.logs());
    // Reads of what was acknowledged before still work (the open file is still there).
    const c = await H.call(s.client, { method: 'POST', url: '/v3/marketing/contacts/search/emails', body: { emails: ['before-0@dbfile.test'] } });
    assert.equal(c.status, 200, JSON.stringify(c.body));
  } finally {
    await s.stop();
  }
});

H.test('a database file replaced (renamed over) under the running server: writes 503, /readyz fails', { skip }, async () => {
  const s = await H.startServer();
  try {
    await H.upsertOk(s.client, contacts('before', 5));
    const copy = path.join(s.dir, 'other.db');
    fs.copyFileSync(s.dbPath, copy);
    fs.renameSync(copy, s.dbPath);
    await assertRefusesWrites(s, 'replaced');
    assert.ok(/change=replaced|"change":"replaced"/.test(s.logs()), s.logs());
  } finally {
    await s.stop();
  }
});

H.test('a database file with a corrupt page is refused at start with a clear message and exit 1', { skip }, async () => {
  const s = await H.startServer();
  let dir;
  try {
    for (let i = 0; i < 4; i++) await H.upsertOk(s.client, contacts(`c${i}`, 500));
    await s.stop({ keepDir: true });
    // A clean stop checkpoints the WAL into the file and removes it: the file is whole.
    assert.ok(!fs.existsSync(`${s.dbPath}-wal`) || fs.statSync(`${s.dbPath}-wal`).size === 0, 'WAL left after a clean stop');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-dbfile-'));
    const good = path.join(dir, 'good.db');
    const bad = path.join(dir, 'bad.db');
    fs.copyFileSync(s.dbPath, good);
    fs.copyFileSync(s.dbPath, bad);
    const pageSize = Number(H.sqlite(good, 'PRAGMA page_size'));
    const pages = fs.statSync(bad).size / pageSize;
    assert.ok(pages > 40, `a database of ${pages} pages`);
    const fd = fs.openSync(bad, 'r+');
    const garbage = Buffer.alloc(pageSize * 8, 0xa5);
    fs.writeSync(fd, garbage, 0, garbage.length, Math.floor(pages / 2) * pageSize);
    fs.closeSync(fd);

    const env = { ...process.env, CONTACTD_API_KEY: s.key };
    const run = (db, extra = []) => spawnSync(H.BIN, ['serve', '--listen', '127.0.0.1:0', '--db', db, ...extra],
      { env, encoding: 'utf8', timeout: 20000, killSignal: 'SIGKILL' });
    const refused = run(bad);
    assert.equal(refused.status, 1, `a corrupt file must be refused: exit ${refused.status}\n${refused.stderr}`);
    assert.match(refused.stderr, /bad\.db is corrupt \(PRAGMA quick_check: .+\); refusing to serve it/);
    assert.doesNotMatch(refused.stdout, /listening on/);

    // The control: the same file before the garbage starts (and is stopped at once).
    const ok = await H.startServer({ db: good, key: s.key });
    assert.equal((await readyz(ok)).status, 200);
    await ok.stop();
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});
