// The web console's files as served by contactd (no browser: tests/browser/ drives one):
// Content-Types, the security headers on every answer, ETag revalidation, the redirect.
const assert = require('node:assert/strict');
const { after, before } = require('node:test');
const { startServer, stopAll, test } = require('./lib/server.js');

let server;
before(async () => { server = await startServer(); });
after(async () => { await stopAll([server]); });

test('/console/: CSP without unsafe-inline, no framing, nosniff, ETag revalidation, redirect', async () => {
  const res = await fetch(`${server.url}/console/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const csp = res.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const html = await res.text();
  assert.doesNotMatch(html, /<script>|<style|\sstyle=|\son[a-z]+=/i, 'no inline script or style in the page');
  const etag = res.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{16}"$/);
  const again = await fetch(`${server.url}/console/`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  const js = await fetch(`${server.url}/console/app.js`);
  assert.match(js.headers.get('content-type'), /^text\/javascript/);
  assert.match(js.headers.get('content-security-policy'), /script-src 'self'/);
  const redirect = await fetch(`${server.url}/console`, { redirect: 'manual' });
  assert.equal(redirect.status, 301);
  assert.equal(redirect.headers.get('location'), '/console/');
  assert.equal((await fetch(`${server.url}/console/nope.js`)).status, 404);
  assert.equal((await fetch(`${server.url}/console/app.js`, { method: 'POST' })).status, 405);
});

test('/console/ needs no key and hands out nothing but its files', async () => {
  for (const p of ['/console/', '/console/app.js', '/console/style.css']) {
    const r = await fetch(`${server.url}${p}`, { headers: { Authorization: 'Bearer SG.bad.bad' } });
    assert.equal(r.status, 200, p);
    assert.ok(r.headers.get('etag'), p);
  }
  for (const p of ['/console/../healthz', '/console/%2e%2e/healthz', '/console/a/b.js', '/console/.gitignore']) {
    const r = await fetch(`${server.url}${p}`);
    // (fetch itself resolves a literal '..': that one reaches /healthz, outside the console)
    assert.ok(r.status === 404 || r.url.endsWith('/healthz'), `${p}: ${r.status}`);
  }
  const hidden = await fetch(`${server.url}/console/.gitignore`);
  assert.equal(hidden.status, 404);
  assert.match(hidden.headers.get('content-security-policy'), /default-src 'none'/);
});
