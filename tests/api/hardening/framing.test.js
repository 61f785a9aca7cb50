'use strict';
// Request framing (RFC 9112 section 6): a request whose body boundary two HTTP parsers
// could read differently is answered 400 and its connection closed, so that the bytes
// after its headers never run as a request of their own (request smuggling). Every case
// below carries a smuggled `DELETE ?delete_all_contacts=true` after its body: the test
// asserts exactly one answer, the close, and that the contact is still there.

const assert = require('node:assert/strict');
const net = require('node:net');
const { before, after } = require('node:test');
const H = require('../lib/server.js');

const C = '/v3/marketing/contacts';
const EMAIL = 'frame0@framing.test';
let srv;
let key;
let contactId;

before(async () => {
  srv = await H.startServer();
  key = srv.key;
  const job = await H.seedContacts(srv.url, key, [{ email: EMAIL }]);
  assert.equal(job.status, 'completed');
  const f = await H.rawSearchEmails(srv.url, key, [EMAIL]);
  contactId = f.body.result[EMAIL].contact.id;
});
after(async () => { if (srv) await srv.stop(); });

// Write `data` on a fresh connection and read until the server closes it (or timeoutMs).
// Resolves {closed, responses: [{status, headers, text}], raw}. Responses are split by
// their Content-Length, so a second answer on the same connection shows as a second entry.
function exchange(url, data, timeoutMs = 10000) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    let buf = Buffer.alloc(0);
    const finish = (closed) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ closed, responses: splitResponses(buf), raw: buf.toString('latin1') });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
    sock.on('error', () => { /* reported through close */ });
    sock.on('close', () => finish(true));
    sock.on('connect', () => sock.write(data));
  });
}

function splitResponses(buf) {
  const out = [];
  let rest = buf;
  for (;;) {
    const r = H.parseRawResponse(rest, { eof: true });
    if (!r || r.malformed) break;
    out.push({ status: r.status, headers: r.headers, text: r.body.toString('utf8') });
    const headEnd = rest.indexOf('\r\n\r\n') + 4;
    const len = r.headers['content-length'] !== undefined ? Number(r.headers['content-length']) : rest.length - headEnd;
    rest = rest.subarray(headEnd + len);
    if (!rest.length) break;
  }
  return out;
}

const body = JSON.stringify({ emails: [EMAIL] });
const chunked = `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`;
const head = (extra, method = 'POST', path = `${C}/search/emails`) =>
  `${method} ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\n${extra}\r\n`;
const smuggled = () =>
  `DELETE ${C}?delete_all_contacts=true HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n\r\n`;

// Ambiguous framings, each followed by its body and the smuggled request.
const cases = () => [
  ['Content-Length and chunked', head(`Content-Length: ${chunked.length}\r\nTransfer-Encoding: chunked\r\n`) + chunked],
  ['chunked and Content-Length (other order)', head(`Transfer-Encoding: chunked\r\nContent-Length: 3\r\n`) + chunked],
  ['Content-Length and chunked on a GET', head('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', 'GET', `${C}/count`) + '0\r\n\r\n'],
  ['two Transfer-Encoding: chunked', head('Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n') + chunked],
  ['Transfer-Encoding chunked, then identity', head('Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n') + chunked],
  ['two equal Content-Length', head(`Content-Length: ${body.length}\r\nContent-Length: ${body.length}\r\n`) + body],
  ['two different Content-Length', head(`Content-Length: ${body.length}\r\nContent-Length: 0\r\n`) + body],
  ['obs-folded Content-Length (empty first line)', head(`Content-Length:\r\n ${body.length}\r\n`) + body],
  ['obs-folded Content-Length (value split)', head(`Content-Length: ${String(body.length)[0]}\r\n ${String(body.length).slice(1)}\r\n`) + body],
  ['obs-folded Transfer-Encoding', head('Transfer-Encoding:\r\n chunked\r\n') + chunked],
  ['obs-folded Transfer-Encoding with a Content-Length', head(`Content-Length: ${body.length}\r\nTransfer-Encoding:\r\n\tchunked\r\n`) + chunked],
  ['white space before the colon of Transfer-Encoding', head('Transfer-Encoding : chunked\r\n') + chunked],
  ['non-decimal Content-Length beside chunked', head('Content-Length: +3\r\nTransfer-Encoding: chunked\r\n') + chunked],
];

async function contactStillThere(label) {
  // A write queued after any smuggled delete job runs after it: once it is done, a
  // delete that had been accepted would have taken the contact.
  const job = await H.seedContacts(srv.url, key, [{ email: 'barrier@framing.test' }]);
  assert.equal(job.status, 'completed');
  const g = await H.must(srv.url, { path: `${C}/${contactId}`, key });
  assert.equal(g.status, 200, `${label}: the contact is gone: the smuggled DELETE ran`);
}

H.test('ambiguous framing gets one 400 in SendGrid shape, Connection: close, and the close', async () => {
  for (const [label, bytes] of cases()) {
    const r = await exchange(srv.url, bytes + smuggled());
    assert.ok(r.closed, `${label}: the connection was left open: ${r.raw.slice(0, 300)}`);
    assert.equal(r.responses.length, 1, `${label}: expected exactly one answer: ${r.raw.slice(0, 600)}`);
    const [a] = r.responses;
    assert.equal(a.status, 400, `${label}: ${a.status} ${a.text}`);
    assert.equal((a.headers.connection || '').toLowerCase(), 'close', `${label}: no Connection: close`);
    assert.ok(H.isSgError(JSON.parse(a.text)), `${label}: not SendGrid's error shape: ${a.text}`);
    await contactStillThere(label);
  }
});

// A lone Content-Length that is not a plain number never reaches contactd's handlers:
// libmicrohttpd answers 400 itself (an HTML body; 0.9.75 writes its header block twice)
// and closes. What matters holds: a 400, the close, and nothing after it runs.
H.test('a lone non-decimal Content-Length is refused by libmicrohttpd with 400 and a close', async () => {
  for (const v of ['+20', '0x14', '20, 20', '1e1', '-1', '']) {
    const r = await exchange(srv.url, head(`Content-Length: ${v}\r\n`) + body + smuggled());
    assert.ok(r.closed, `Content-Length '${v}': the connection was left open`);
    const statuses = [...r.raw.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1]));
    assert.ok(statuses.length >= 1 && statuses.every((s) => s === 400), `Content-Length '${v}': ${r.raw.slice(0, 400)}`);
    await contactStillThere(`Content-Length '${v}'`);
  }
});

// The control: the same harness does see a second answer when framing is sound (a
// pipelined request after a plain chunked body runs), so the cases above can fail.
H.test('a sound chunked request followed by a pipelined one gets two answers', async () => {
  const second = `GET ${C}/count HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nConnection: close\r\n\r\n`;
  const r = await exchange(srv.url, head('Transfer-Encoding: chunked\r\n') + chunked + second);
  assert.equal(r.responses.length, 2, r.raw.slice(0, 600));
  assert.equal(r.responses[1].status, 200, r.raw.slice(0, 600));
});

H.test('the server answers normally on new connections afterwards', async () => {
  const g = await H.must(srv.url, { path: `${C}/${contactId}`, key });
  assert.equal(g.status, 200);
});
