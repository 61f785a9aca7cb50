'use strict';
// Fairness of the slow pool (issue 14): SGQL searches (and import uploads, and requests a
// fault delays) are scheduled per account, one running per account while the others
// wait, accounts taking turns; an account with --slow-queue requests waiting besides
// the running one gets 429 in SendGrid's shape; a search's --search-timeout runs from
// its arrival, so one that waited past it answers 408 without running.
//
// A delay fault on account A's searches (the admin API) makes them slow
// deterministically; /metrics' contactd_slow_requests_waiting tells when they are
// queued. The assertions are about order and answers, not durations.

const assert = require('node:assert/strict');
const H = require('../lib/server.js');
const A = require('../lib/admin.js');

const SEARCH = '/v3/marketing/contacts/search';
const QUERY = { query: "email LIKE '%@example.com'" };

function search(s, key) {
  return H.must(s.url, { method: 'POST', path: SEARCH, key, body: QUERY, timeoutMs: 60000 });
}

async function metric(s, name) {
  const r = await H.must(s.url, { path: '/metrics' });
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(r.text);
  assert.ok(m, `${name} on /metrics:\n${r.text}`);
  return Number(m[1]);
}

// Poll /metrics until the gauge reads want (a state, reached without timing assumptions).
async function waitMetric(s, name, want, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let v;
  while ((v = await metric(s, name)) !== want) {
    if (Date.now() > deadline) throw new Error(`${name} is ${v}, not ${want}, after ${timeoutMs} ms`);
    await H.sleep(10);
  }
}

async function slowSearchesOf(s, account, delayMs, times) {
  const body = { method: 'POST', path: SEARCH, delay_ms: delayMs, account: account.name };
  if (times) body.times = times;
  const f = await A.admin(s, 'POST', '/faults', body);
  assert.equal(f.status, 201, f.text);
  return f.body.id;
}

function assertTooMany(r, label) {
  H.assertSgError(r, 429, label);
  assert.deepEqual(r.body, { errors: [{ field: null, message: 'too many requests', help: null }] }, label);
  assert.equal(r.headers['x-ratelimit-remaining'], '0', `${label}: ${JSON.stringify(r.headers)}`);
  assert.match(r.headers['x-ratelimit-limit'] || '', /^\d+$/, label);
  assert.match(r.headers['x-ratelimit-reset'] || '', /^\d+$/, label);
}

H.test("another account's search is answered before one account's burst of slow searches drains", { timeout: 120000 }, async () => {
  const s = await A.startAdminServer();
  try {
    const a = await A.createAccount(s, A.uniqueName('heavy'));
    const b = await A.createAccount(s, A.uniqueName('light'));
    // Each of A's searches takes 3 s: long enough for all of them to be queued behind the
    // first on a loaded machine.
    await slowSearchesOf(s, a, 3000);
    const order = [];
    const burst = [1, 2, 3].map((i) => search(s, a.key).then((r) => { order.push(`A${i}`); return r; }));
    // One of A's searches runs, its other two wait for A's turn (not for a free worker:
    // the pool has two).
    await waitMetric(s, 'contactd_slow_requests_waiting', 2);
    const rb = await search(s, b.key);
    order.push('B');
    assert.equal(rb.status, 200, rb.text);
    const ra = await Promise.all(burst);
    for (const r of ra) assert.equal(r.status, 200, r.text);
    // First come, first served would have run B after two of A's searches; per account,
    // B runs on the idle worker at once.
    assert.ok(order.indexOf('B') <= 1, `B answered after ${order.indexOf('B')} of A's searches: ${order}`);
  } finally {
    await s.stop();
  }
});

H.test('--slow-queue 2: an account with two searches waiting besides its running one gets 429 in SendGrid\'s shape', { timeout: 120000 }, async () => {
  const s = await A.startAdminServer({ extraArgs: ['--slow-queue', '2'] });
  try {
    const a = await A.createAccount(s, A.uniqueName('burst'));
    const b = await A.createAccount(s, A.uniqueName('other'));
    await slowSearchesOf(s, a, 4000);
    const first = [1, 2, 3].map(() => search(s, a.key));
    await waitMetric(s, 'contactd_slow_requests_waiting', 2);
    const refused = await search(s, a.key);
    assertTooMany(refused, 'the fourth search of A');
    assert.equal(await metric(s, 'contactd_slow_refused_total'), 1);
    // Another account has a queue of its own.
    const rb = await search(s, b.key);
    assert.equal(rb.status, 200, rb.text);
    for (const r of await Promise.all(first)) assert.equal(r.status, 200, r.text);
    // Drained: A may search again.
    const again = await A.admin(s, 'DELETE', '/faults');
    assert.ok(again.status < 300, again.text);
    assert.equal((await search(s, a.key)).status, 200);
  } finally {
    await s.stop();
  }
});

H.test('--search-timeout runs from arrival: a search whose deadline passed while it waited answers 408 without running', { timeout: 120000 }, async () => {
  const s = await A.startAdminServer({ extraArgs: ['--search-timeout', '1'] });
  try {
    const a = await A.createAccount(s, A.uniqueName('late'));
    const b = await A.createAccount(s, A.uniqueName('prompt'));
    await H.seedContacts(s.url, a.key, [{ email: 'x@example.com' }]);
    const fault = await slowSearchesOf(s, a, 3000, 1);
    const held = search(s, a.key); // takes the fault: runs (sleeps) 3 s on a worker
    const deadline = Date.now() + 20000;
    for (;;) {
      const list = await A.admin(s, 'GET', '/faults');
      const f = (list.body.result || list.body).find((x) => x.id === fault);
      if (f && f.fired === 1) break;
      assert.ok(Date.now() < deadline, `the fault never fired: ${list.text}`);
      await H.sleep(10);
    }
    const queued = search(s, a.key); // no fault: waits for A's turn behind the held one
    await waitMetric(s, 'contactd_slow_requests_waiting', 1);
    // B is not held up meanwhile, and its search (no contacts match) is a plain 200.
    const rb = await search(s, b.key);
    assert.equal(rb.status, 200, rb.text);
    const [r1, r2] = await Promise.all([held, queued]);
    for (const [r, label] of [[r1, 'the held search'], [r2, 'the queued search']]) {
      H.assertSgError(r, 408, label);
      assert.equal(r.body.errors[0].message, 'the search took longer than 1 second; narrow the query', label);
    }
    // A's next search, with nothing ahead of it, runs and finds the contact.
    const ok = await search(s, a.key);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.contact_count, 1);
  } finally {
    await s.stop();
  }
});

H.test('an import upload (no API key) is scheduled by the account that reserved it: --slow-queue 0 lets each account upload one file at a time', { timeout: 120000 }, async () => {
  const s = await A.startAdminServer({ extraArgs: ['--slow-queue', '0'] });
  try {
    const a = await A.createAccount(s, A.uniqueName('uploader'));
    const b = await A.createAccount(s, A.uniqueName('neighbour'));
    const reserve = async (acct) => {
      const r = await H.must(s.url, { method: 'PUT', path: '/v3/marketing/contacts/imports', key: acct.key, body: { file_type: 'csv', field_mappings: ['_rf2_T'] } });
      assert.equal(r.status, 200, r.text);
      return new URL(r.body.upload_uri);
    };
    const upload = (u, email) => H.must(s.url, { method: 'PUT', path: u.pathname + u.search, headers: { 'Content-Type': 'text/csv' }, body: `email\n${email}\n`, timeoutMs: 60000 });
    const [a1, a2, b1] = [await reserve(a), await reserve(a), await reserve(b)];
    // A delay on A's uploads only: it fires only if the upload is known to be A's.
    const f = await A.admin(s, 'POST', '/faults', { method: 'PUT', path: '/v3/marketing/contacts/imports/*', delay_ms: 3000, account: a.name, times: 1 });
    assert.equal(f.status, 201, f.text);
    const held = upload(a1, 'a1@up.test');
    await (async () => {
      const deadline = Date.now() + 20000;
      while (!((await A.admin(s, 'GET', '/faults')).body.result || []).some((x) => x.fired === 1)) {
        assert.ok(Date.now() < deadline, "the delay on A's uploads never fired");
        await H.sleep(10);
      }
    })();
    assertTooMany(await upload(a2, 'a2@up.test'), "A's second upload while its first runs");
    const rb = await upload(b1, 'b1@up.test');
    assert.equal(rb.status, 200, `B's upload: ${rb.text}`);
    assert.equal((await held).status, 200);
    // The refused upload kept its reservation: it can be sent again.
    const again = await upload(a2, 'a2@up.test');
    assert.equal(again.status, 200, again.text);
  } finally {
    await s.stop();
  }
});
