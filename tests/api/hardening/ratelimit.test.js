'use strict';
// Per-key rate limits (--rate-limit 5/60): SendGrid's X-RateLimit-* headers on
// every /v3 answer, 429 past the limit, separate quotas per key, and no such
// headers at all without --rate-limit.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const H = require('../lib/server.js');

const C = '/v3/marketing/contacts';

function rl(r) {
  return { limit: r.headers['x-ratelimit-limit'], remaining: r.headers['x-ratelimit-remaining'], reset: r.headers['x-ratelimit-reset'] };
}

// Windows may be aligned to the clock: start a burst with at least 15 s left
// in the current minute so that six requests cannot straddle a reset.
async function roomInWindow() {
  const s = (Date.now() / 1000) % 60;
  if (s > 45) await H.sleep((61 - s) * 1000);
}

H.test('--rate-limit 5/60: five answers count down 4..0, then 429 with the headers; quotas are per key', { timeout: 60000 }, async () => {
  const srv = await H.startServer({ extraArgs: ['--rate-limit', '5/60'] });
  try {
    const keyA = srv.key;
    const keyB = srv.createKey('default');   // same account, another key
    const keyC = srv.createKey('other-acct');
    await roomInWindow();
    let reset0;
    for (let i = 0; i < 5; i++) {
      const r = await H.must(srv.url, { path: `${C}/count`, key: keyA });
      const now = Date.now() / 1000;
      assert.equal(r.status, 200, `request ${i + 1}: ${r.status} ${r.text}`);
      const h = rl(r);
      assert.equal(h.limit, '5', `X-RateLimit-Limit on request ${i + 1}: ${JSON.stringify(r.headers)}`);
      assert.equal(h.remaining, String(4 - i), `X-RateLimit-Remaining on request ${i + 1}`);
      assert.match(h.reset || '', /^\d+$/, 'X-RateLimit-Reset must be Unix seconds');
      const reset = Number(h.reset);
      assert.ok(reset > now && reset <= now + 60 + 1, `X-RateLimit-Reset ${reset} not within the next 60 s (now ${now})`);
      if (reset0 === undefined) reset0 = reset;
      assert.equal(reset, reset0, 'Reset must not move within a window');
    }
    for (const [m, p, body] of [['GET', `${C}/count`], ['PUT', C, { contacts: [{ email: 'limited@rl.test' }] }], ['GET', `${C}/${crypto.randomUUID()}`]]) {
      const r = await H.must(srv.url, { method: m, path: p, key: keyA, body });
      H.assertSgError(r, 429, `${m} ${p} past the limit`);
      assert.equal(r.body.errors[0].message, 'too many requests');
      const h = rl(r);
      assert.equal(h.limit, '5');
      assert.equal(h.remaining, '0');
      assert.equal(Number(h.reset), reset0, '429 carries the same Reset');
    }
    // Another key of the same account has its full quota, on writes, reads and 404s alike.
    const w = await H.must(srv.url, { method: 'PUT', path: C, key: keyB, body: { contacts: [{ email: 'b@rl.test' }] } });
    assert.equal(w.status, 202, w.text);
    assert.deepEqual([rl(w).limit, rl(w).remaining], ['5', '4'], `202 headers: ${JSON.stringify(w.headers)}`);
    const nf = await H.must(srv.url, { path: `${C}/${crypto.randomUUID()}`, key: keyB });
    assert.equal(nf.status, 404);
    assert.deepEqual([rl(nf).limit, rl(nf).remaining], ['5', '3'], `404 headers: ${JSON.stringify(nf.headers)}`);
    const bad = await H.must(srv.url, { method: 'POST', path: '/v3/marketing/lists', key: keyB, body: '{' });
    assert.equal(bad.status, 400);
    assert.equal(rl(bad).remaining, '2', `400 headers: ${JSON.stringify(bad.headers)}`);
    const other = await H.must(srv.url, { path: `${C}/count`, key: keyC });
    assert.equal(other.status, 200);
    assert.deepEqual([rl(other).limit, rl(other).remaining], ['5', '4'], 'a key of another account has its own quota');
    // The refused PUT of key A created nothing.
    const s = await H.must(srv.url, { method: 'POST', path: `${C}/search/emails`, key: keyC, body: { emails: ['x@rl.test'] } });
    assert.equal(s.status, 404);
    const fsearch = await H.rawSearchEmails(srv.url, keyB, ['limited@rl.test']);
    assert.equal(fsearch.status, 404, 'a 429 upsert must not be applied');
  } finally {
    await srv.stop();
  }
});

H.test('without --rate-limit no X-RateLimit headers appear', async () => {
  const srv = await H.startServer();
  try {
    const rs = [
      await H.must(srv.url, { path: `${C}/count`, key: srv.key }),
      await H.must(srv.url, { method: 'PUT', path: C, key: srv.key, body: { contacts: [{ email: 'n@rl.test' }] } }),
      await H.must(srv.url, { path: `${C}/${crypto.randomUUID()}`, key: srv.key }),
      await H.must(srv.url, { path: `${C}/count`, key: 'SG.nope.nope' }),
    ];
    for (let i = 0; i < 20; i++) rs.push(await H.must(srv.url, { path: `${C}/count`, key: srv.key }));
    for (const r of rs) {
      assert.ok(r.status !== 429, 'no 429 without --rate-limit');
      const names = Object.keys(r.headers).filter((h) => h.startsWith('x-ratelimit'));
      assert.deepEqual(names, [], `unexpected headers on a ${r.status}: ${JSON.stringify(r.headers)}`);
    }
  } finally {
    await srv.stop();
  }
});
