'use strict';
// Key scopes: a read-only key gets 403 `access forbidden` on every write
// endpoint (and changes nothing), 200/404 on every read endpoint; a full key
// can write; `key create --scopes bogus` fails.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { before, after } = require('node:test');
const H = require('../lib/server.js');

const C = '/v3/marketing/contacts';
const L = '/v3/marketing/lists';
const F = '/v3/marketing/field_definitions';

let srv;
let full;
let ro;
const S = {};
const RAND = crypto.randomUUID();

before(async () => {
  srv = await H.startServer();
  full = srv.key;
  const f = await H.must(srv.url, { method: 'POST', path: F, key: full, body: { name: 'tier', field_type: 'Text' } });
  const l = await H.must(srv.url, { method: 'POST', path: L, key: full, body: { name: 'scoped' } });
  S.field = f.body.id; S.list = l.body.id;
  const job = await H.seedContacts(srv.url, full, [
    { email: 's0@scope.test', external_id: 'sx0', first_name: 'S0', custom_fields: { tier: 'gold' } },
    { email: 's1@scope.test', external_id: 'sx1' }], { list_ids: [S.list] });
  assert.equal(job.status, 'completed');
  S.job = job.id;
  const bad = await H.must(srv.url, { method: 'PUT', path: C, key: full, body: { contacts: [{ external_id: 'sx0' }] } });
  S.badJob = (await H.waitJob(srv.url, full, bad.body.job_id)).id;
  const found = await H.rawSearchEmails(srv.url, full, ['s0@scope.test', 's1@scope.test']);
  S.c0 = found.body.result['s0@scope.test'].contact.id;
  S.c1 = found.body.result['s1@scope.test'].contact.id;
  const k = H.keyCreate(srv, 'default', 'read');
  assert.equal(k.code, 0, `key create --scopes read: ${k.stderr}`);
  ro = k.key;
});
after(async () => { if (srv) await srv.stop(); });

function writes() {
  return [
    ['PUT', C, { contacts: [{ email: 'ro-new@scope.test' }] }],
    ['PUT', C, { contacts: [{ email: 's0@scope.test', external_id: 'sx0', first_name: 'Changed' }] }],
    ['PUT', C, '{broken'],
    ['DELETE', `${C}?ids=${S.c0}`],
    ['DELETE', `${C}?delete_all_contacts=true`],
    ['DELETE', `${C}/${S.c0}/identifiers`, { identifier_type: 'EXTERNALID', identifier_value: 'sx0' }],
    ['DELETE', `${C}/${crypto.randomUUID()}/identifiers`, { identifier_type: 'EXTERNALID', identifier_value: 'sx0' }],
    ['POST', L, { name: 'ro-list' }],
    ['PATCH', `${L}/${S.list}`, { name: 'ro-renamed' }],
    ['DELETE', `${L}/${S.list}`],
    ['DELETE', `${L}/${S.list}?delete_contacts=true`],
    ['DELETE', `${L}/${S.list}/contacts?contact_ids=${S.c0}`],
    ['POST', F, { name: 'ro_field', field_type: 'Text' }],
    ['PATCH', `${F}/${S.field}`, { name: 'ro_renamed' }],
    ['DELETE', `${F}/${S.field}`],
  ];
}

function reads() {
  return [
    ['GET', C], ['GET', `${C}/count`], ['POST', `${C}/batch`, { ids: [S.c0, S.c1] }],
    ['POST', `${C}/search/emails`, { emails: ['s0@scope.test'] }],
    ['POST', `${C}/search/identifiers/external_id`, { identifiers: ['sx1'] }],
    ['GET', `${C}/imports/${S.job}`], ['GET', `${C}/imports/${S.badJob}/errors`], ['GET', `${C}/${S.c0}`],
    ['GET', `${C}/${RAND}`], ['GET', L], ['GET', `${L}/${S.list}?contact_sample=true`],
    ['GET', `${L}/${S.list}/contacts/count`], ['GET', F], ['GET', '/healthz'],
  ];
}

async function snapshot(key) {
  const out = {};
  for (const [m, p, b] of reads()) {
    const r = await H.must(srv.url, { method: m, path: p, key, body: b });
    out[`${m} ${p}`] = r.status;
  }
  out.c0 = (await H.must(srv.url, { path: `${C}/${S.c0}`, key })).text.replace(/"updated_at":"[^"]*"/, '');
  out.lists = (await H.must(srv.url, { path: L, key })).body.result.map((l) => `${l.id}:${l.name}:${l.contact_count}`).join(',');
  out.fields = JSON.stringify((await H.must(srv.url, { path: F, key })).body.custom_fields);
  out.count = (await H.must(srv.url, { path: `${C}/count`, key })).body.contact_count;
  return out;
}

H.test('a read-only key gets 403 access forbidden on every write endpoint, and nothing changes', async () => {
  const before = await snapshot(full);
  for (const [m, p, b] of writes()) {
    const r = await H.must(srv.url, { method: m, path: p, key: ro, body: b });
    H.assertSgError(r, 403, `read-only ${m} ${p}`);
    assert.equal(r.body.errors[0].message, 'access forbidden', `${m} ${p}: ${r.text}`);
  }
  await H.sleep(100);
  assert.deepEqual(await snapshot(full), before, 'a refused write changed something');
});

H.test('a read-only key reads: 200/404 on every read endpoint, never 403, same answers as a full key', async () => {
  for (const [m, p, b] of reads()) {
    const r = await H.must(srv.url, { method: m, path: p, key: ro, body: b });
    const f = await H.must(srv.url, { method: m, path: p, key: full, body: b });
    assert.ok(r.status === 200 || r.status === 404, `read-only ${m} ${p}: ${r.status} ${r.text}`);
    assert.equal(r.status, f.status, `${m} ${p}: read-only ${r.status}, full ${f.status}`);
  }
});

H.test('a full key can use every write endpoint', async () => {
  const url = srv.url;
  const w = async (m, p, b, status) => {
    const r = await H.must(url, { method: m, path: p, key: full, body: b });
    assert.equal(r.status, status, `full ${m} ${p}: ${r.status} ${r.text}`);
    return r;
  };
  const up = await w('PUT', C, { contacts: [{ email: 's2@scope.test', external_id: 'sx2' }] }, 202);
  await H.waitJob(url, full, up.body.job_id);
  const l2 = await w('POST', L, { name: 'full-list' }, 201);
  await w('PATCH', `${L}/${l2.body.id}`, { name: 'full-list-2' }, 200);
  const f2 = await w('POST', F, { name: 'full_field', field_type: 'Number' }, 200);
  await w('PATCH', `${F}/${f2.body.id}`, { name: 'full_field_2' }, 200);
  await w('DELETE', `${F}/${f2.body.id}`, undefined, 204);
  const di = await w('DELETE', `${C}/${S.c1}/identifiers`, { identifier_type: 'EXTERNALID', identifier_value: 'sx1' }, 202);
  assert.equal((await H.waitJob(url, full, di.body.job_id)).status, 'completed');
  const lr = await w('DELETE', `${L}/${S.list}/contacts?contact_ids=${S.c1}`, undefined, 202);
  assert.equal((await H.waitJob(url, full, lr.body.job_id)).status, 'completed');
  await w('DELETE', `${L}/${l2.body.id}`, undefined, 204);
  const dc = await w('DELETE', `${C}?ids=${S.c1}`, undefined, 202);
  assert.equal((await H.waitJob(url, full, dc.body.job_id)).results.deleted_count, 1);
});

H.test('key create --scopes with an unknown scope exits non-zero and prints no key', () => {
  for (const bogus of ['bogus', 'write', 'full,read', '']) {
    const r = H.keyCreate(srv, 'default', bogus);
    assert.notEqual(r.code, 0, `--scopes ${JSON.stringify(bogus)} exited 0: ${r.stdout}`);
    assert.equal(r.key, null, `--scopes ${JSON.stringify(bogus)} printed a key`);
  }
  const list = srv.listKeys();
  assert.match(list, /\bread\b/, `key list shows the read-only key: ${list}`);
});
