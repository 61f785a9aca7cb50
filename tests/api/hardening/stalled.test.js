'use strict';
// Stalled request lines: bytes that never become an HTTP request line (a TLS ClientHello
// sent to the plain-HTTP port, binary without a line feed, nothing at all) hold a new
// connection only for the short header timeout (5 s), not the 30 s idle timeout, while a
// kept-alive connection between requests still gets the full idle timeout.
// The bounds are generous: this is a behaviour (which timeout applies), not a speed test.

const assert = require('node:assert/strict');
const net = require('node:net');
const { before, after } = require('node:test');
const H = require('../lib/server.js');

const IDLE_S = 30;
let srv;

before(async () => { srv = await H.startServer(); });
after(async () => { if (srv) await srv.stop(); });

// Connect, write `data`, and wait for the server to close; resolves {ms, raw} or
// {timedOut} after limitMs.
function closedAfter(url, data, limitMs) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const t0 = Date.now();
    let raw = '';
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    const timer = setTimeout(() => { sock.destroy(); resolve({ timedOut: true, raw }); }, limitMs);
    sock.on('data', (d) => { raw += d.toString('latin1'); });
    sock.on('error', () => { /* reported through close */ });
    sock.on('close', () => { clearTimeout(timer); resolve({ ms: Date.now() - t0, raw }); });
    sock.on('connect', () => { if (data.length) sock.write(data); });
  });
}

// A TLS 1.2 ClientHello's first bytes: record header, handshake header, version, random.
const clientHello = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03]),
  Buffer.alloc(32, 0x5a), Buffer.from([0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00])]);

H.test('bytes that never make a request line are closed long before the idle timeout', async () => {
  const cases = [
    ['a TLS ClientHello', clientHello],
    ['binary without a line feed', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 1) % 256).filter((b) => b !== 10))],
    ['nothing at all', Buffer.alloc(0)],
    ['half a request line', Buffer.from('GET /v3/marketing/contacts/count HT')],
  ];
  const results = await Promise.all(cases.map(([, data]) => closedAfter(srv.url, data, (IDLE_S - 8) * 1000)));
  results.forEach((r, i) => {
    const label = cases[i][0];
    assert.ok(!r.timedOut, `${label}: still open after ${IDLE_S - 8} s (the idle timeout applied)`);
    assert.ok(r.ms < 12000, `${label}: closed only after ${r.ms} ms`);
    assert.ok(!/HTTP\/1\.1 [23]/.test(r.raw), `${label}: answered as a request: ${r.raw.slice(0, 200)}`);
  });
  const h = await H.request(srv.url, { path: '/healthz' });
  assert.equal(h.status, 200);
});

H.test('a kept-alive connection still gets the idle timeout between requests', async () => {
  const u = new URL(srv.url);
  const sock = net.connect({ host: u.hostname, port: Number(u.port) });
  let raw = '';
  let closed = false;
  sock.on('data', (d) => { raw += d.toString('latin1'); });
  sock.on('close', () => { closed = true; });
  sock.on('error', () => {});
  await new Promise((r) => sock.on('connect', r));
  const get = `GET /v3/marketing/contacts/count HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${srv.key}\r\n\r\n`;
  sock.write(get);
  // Past the header timeout (5 s), well inside the idle timeout (30 s).
  await H.sleep(9000);
  assert.ok(!closed, 'the kept-alive connection was closed by the header timeout');
  sock.write(get);
  const deadline = Date.now() + 10000;
  while ((raw.match(/HTTP\/1\.1 200/g) || []).length < 2 && Date.now() < deadline) await H.sleep(20);
  sock.destroy();
  assert.equal((raw.match(/HTTP\/1\.1 200/g) || []).length, 2, raw.slice(0, 400));
});
