'use strict';
// Host in handed-out URLs: without --public-url, only a syntactically valid Host
// (host[:port]: a reg-name of unreserved characters, an IPv4 address or an [IPv6] literal)
// is echoed into _metadata.self, upload_uri, errors_url and export urls; anything else
// falls back to the listen address. With --public-url, Host (and X-Forwarded-Host behind
// --trust-proxy) is never used.

const assert = require('node:assert/strict');
const { before, after } = require('node:test');
const H = require('../lib/server.js');

const C = '/v3/marketing/contacts';
let srv;

before(async () => { srv = await H.startServer(); });
after(async () => { if (srv) await srv.stop(); });

// A raw request with the given Host line (so that values node:http refuses can be sent).
async function withHost(s, host, { method = 'GET', path, body, extra = '' } = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  const bodyHeaders = body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`;
  const r = await H.rawSend(s.url,
    `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${s.key}\r\n${extra}${bodyHeaders}Connection: close\r\n\r\n${payload}`);
  assert.equal(r.outcome, 'response', `Host ${JSON.stringify(host)}: ${r.outcome}`);
  return r;
}

const selfOf = async (s, host, extra) => {
  const r = await withHost(s, host, { path: '/v3/marketing/field_definitions', extra });
  assert.equal(r.status, 200, `Host ${JSON.stringify(host)}: ${r.status} ${r.text}`);
  return r.body._metadata.self;
};

H.test('a valid Host is echoed into URLs', async () => {
  for (const host of ['api.example.com', 'api.example.com:8443', '10.1.2.3:80', '[::1]:3000', '[2001:db8::7]', 'svc_1.internal~x']) {
    assert.equal(await selfOf(srv, host), `http://${host}/v3/marketing/field_definitions`, host);
  }
});

H.test('an invalid Host falls back to the listen address', async () => {
  const bad = ['evil.com/x', 'evil.com?x=', 'evil.com#x', 'user@evil.com', 'evil.com:99999', 'evil.com:80:80',
    'a:b:c', '[::1', '[::1]x', '[zz::1]', '[::1%25lo]', 'evil.com%2f..', 'a,b', "a'b", 'a"b', '<x>', 'a;b',
    'evil.com:', ':80', `${'a'.repeat(300)}.com`];
  for (const host of bad) {
    const r = await withHost(srv, host, { path: '/v3/marketing/field_definitions' });
    // MHD may refuse some values itself (400); an answer that builds URLs must not echo it.
    if (r.status !== 200) { assert.ok(r.status >= 400 && r.status < 500, `${host}: ${r.status}`); continue; }
    assert.equal(r.body._metadata.self, `${srv.url}/v3/marketing/field_definitions`, `Host ${JSON.stringify(host)}`);
  }
});

H.test('upload_uri, errors_url and export urls never carry an invalid Host', async () => {
  const badHost = 'evil.example/phish?';
  const imp = await withHost(srv, badHost, { method: 'PUT', path: `${C}/imports`, body: { file_type: 'csv', field_mappings: ['_rf2_T'] } });
  assert.equal(imp.status, 200, imp.text);
  assert.ok(imp.body.upload_uri.startsWith(`${srv.url}/v3/`), imp.body.upload_uri);
  const up = new URL(imp.body.upload_uri);
  const upload = await H.raw(srv.url, { method: 'PUT', path: up.pathname + up.search, body: 'email\nnot-an-email\nok@host.test\n', headers: { 'Content-Type': 'text/csv' } });
  assert.equal(upload.status, 200, upload.text);
  let job;
  for (let i = 0; i < 1000; i++) {
    job = await withHost(srv, badHost, { path: `${C}/imports/${imp.body.job_id}` });
    if (H.isTerminal(job.body.status)) break;
    await H.sleep(20);
  }
  assert.ok(job.body.results.errors_url, JSON.stringify(job.body));
  assert.ok(job.body.results.errors_url.startsWith(`${srv.url}/v3/`), job.body.results.errors_url);

  const exp = await withHost(srv, badHost, { method: 'POST', path: `${C}/exports`, body: {} });
  assert.equal(exp.status, 202, exp.text);
  let e;
  for (let i = 0; i < 1000; i++) {
    e = await withHost(srv, badHost, { path: `${C}/exports/${exp.body.id}` });
    if (e.body.status !== 'pending') break;
    await H.sleep(20);
  }
  assert.equal(e.body.status, 'ready', JSON.stringify(e.body));
  assert.ok(e.body.urls.length >= 1);
  for (const u of e.body.urls) assert.ok(u.startsWith(`${srv.url}/v3/`), u);
});

H.test('with --public-url, neither Host nor X-Forwarded-Host is ever used', async () => {
  const base = 'https://contacts.example.net/api';
  const s = await H.startServer({ extraArgs: ['--public-url', base, '--trust-proxy'] });
  try {
    const fwd = 'X-Forwarded-Host: proxy.example.org\r\nX-Forwarded-Proto: http\r\n';
    for (const host of ['valid.example.com:8080', 'evil.com/x', '127.0.0.1']) {
      assert.equal(await selfOf(s, host), `${base}/v3/marketing/field_definitions`, host);
      assert.equal(await selfOf(s, host, fwd), `${base}/v3/marketing/field_definitions`, `${host} + X-Forwarded-Host`);
    }
  } finally {
    await s.stop();
  }
});
