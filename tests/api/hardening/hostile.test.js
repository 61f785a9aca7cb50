'use strict';
// Hostile input: a programmatically generated corpus of malformed requests sent
// to every endpoint. Every answer must be a 4xx with a SendGrid-shaped JSON
// error (where HTTP itself is broken: a 4xx or a close), never a 5xx, a crash
// or a hang; the server must answer a normal request after each group, and at
// the end the database must hold exactly the contacts the setup created.

const assert = require('node:assert/strict');
const { before, after } = require('node:test');
const H = require('../lib/server.js');

const C = '/v3/marketing/contacts';
const L = '/v3/marketing/lists';
const F = '/v3/marketing/field_definitions';
const SQL = [`' OR 1=1 --`, `"; DROP TABLE contacts; --`, `1; DELETE FROM contacts WHERE 1=1`, `%' OR '%'='`, `\\'); DROP TABLE lists; --`];
const RAND_UUID = '0b0e6f4e-1c1d-4c8e-9f7a-5d3a2b1c0d9e';

let srv;
let key;
let S = {};                 // setup ids
const stats = { cases: 0, byGroup: {} };
let problems = [];

function note(group, label, msg) { problems.push(`[${group}] ${label}: ${msg}`); }

// Check one JSON-level answer. allow2xx: the input is valid after all (e.g. a
// list name made of SQL metacharacters) and may be accepted.
function checkJson(group, label, r, { allow2xx = false, allowStatuses = [], anyBody = false, expectStatus } = {}) {
  if (r.kind !== 'response') return note(group, label, `${r.kind} ${r.error || ''}`);
  if (expectStatus && r.status !== expectStatus) return note(group, label, `expected ${expectStatus}, got ${r.status}: ${r.text.slice(0, 200)}`);
  if (allowStatuses.includes(r.status)) return;
  if (r.status >= 200 && r.status < 300 && allow2xx) return;
  if (r.status < 400 || r.status >= 500) return note(group, label, `status ${r.status}: ${r.text.slice(0, 200)}`);
  if (anyBody) return; // refused by the HTTP layer (e.g. 414), not by contactd's handlers
  if (!H.isSgError(r.body)) return note(group, label, `status ${r.status} without a SendGrid error body: ${r.text.slice(0, 200)}`);
  if (!/application\/json/.test(r.headers['content-type'] || '')) note(group, label, `content-type ${r.headers['content-type']}`);
}

// Check one HTTP-level answer from a raw socket: a 4xx (any body) or a close.
function checkRaw(group, label, r, { allow = [], allowIdleClose = false } = {}) {
  if (r.outcome === 'closed') return;
  if (r.outcome === 'timeout' && !allowIdleClose) return note(group, label, `no answer and no close within 10 s (hang); got so far: ${JSON.stringify(r.rawText)}`);
  if (r.outcome === 'timeout') return;
  if (allow.includes(r.status)) return;
  if (r.status < 400 || r.status >= 500) note(group, label, `status ${r.status}: ${JSON.stringify(r.rawText.slice(0, 200))}`);
}

async function runGroup(name, cases, conc = 8) {
  stats.byGroup[name] = cases.length;
  stats.cases += cases.length;
  await H.pool(cases, conc, async (c) => {
    if (c.raw) {
      const r = await H.rawSend(srv.url, c.raw, { timeoutMs: 10000, after: c.after || 'keep' });
      checkRaw(name, c.label, r, c);
    } else {
      const r = await H.request(srv.url, {
        method: c.method, path: c.path, key: c.noKey ? undefined : key, headers: c.headers || {},
        body: c.body, timeoutMs: 10000,
      });
      checkJson(name, c.label, r, c);
    }
  });
  // The server must still answer a normal request right after the group.
  assert.ok(srv.running, `contactd died during group ${name}\n${srv.logs()}`);
  const h = await H.request(srv.url, { path: `${C}/count`, key });
  assert.equal(h.kind, 'response', `after group ${name}: ${h.kind} ${h.error || ''}`);
  assert.equal(h.status, 200, `after group ${name}: ${h.status} ${h.text}`);
}

// Endpoints that take a JSON body: a valid body, and a way to put a value
// into each of its fields.
function bodyEndpoints() {
  const rec = (extra) => ({ contacts: [{ email: 'h0@hostile.test', external_id: 'hx-0', ...extra }] });
  return [
    { name: 'upsert', method: 'PUT', path: C, valid: rec({ first_name: 'Trunc' }),
      str: (v) => rec({ first_name: v }),
      fields: { contacts: (v) => ({ contacts: v }), list_ids: (v) => ({ ...rec({}), list_ids: v }) } },
    { name: 'batch', method: 'POST', path: `${C}/batch`, valid: { ids: [S.c[0], S.c[1]] },
      str: (v) => ({ ids: [v] }), fields: { ids: (v) => ({ ids: v }), 'ids[0]': (v) => ({ ids: [v] }) } },
    { name: 'search/emails', method: 'POST', path: `${C}/search/emails`, valid: { emails: ['h0@hostile.test'] },
      str: (v) => ({ emails: [v] }), fields: { emails: (v) => ({ emails: v }), 'emails[0]': (v) => ({ emails: [v] }) } },
    { name: 'search/identifiers', method: 'POST', path: `${C}/search/identifiers/email`, valid: { identifiers: ['h0@hostile.test'] },
      str: (v) => ({ identifiers: [v] }),
      fields: { identifiers: (v) => ({ identifiers: v }), 'identifiers[0]': (v) => ({ identifiers: [v] }) } },
    { name: 'delete identifier', method: 'DELETE', path: `${C}/${S.c[0]}/identifiers`,
      valid: { identifier_type: 'EXTERNALID', identifier_value: 'not-carried' },
      str: (v) => ({ identifier_type: 'EMAIL', identifier_value: v }),
      fields: {
        identifier_type: (v) => ({ identifier_type: v, identifier_value: 'x' }),
        identifier_value: (v) => ({ identifier_type: 'EXTERNALID', identifier_value: v }),
      } },
    { name: 'create list', method: 'POST', path: L, valid: { name: 'trunc-list' },
      str: (v) => ({ name: v }), fields: { name: (v) => ({ name: v }) } },
    { name: 'rename list', method: 'PATCH', path: `${L}/${S.list}`, valid: { name: 'hostile-list' },
      str: (v) => ({ name: v }), fields: { name: (v) => ({ name: v }) } },
    { name: 'create field', method: 'POST', path: F, valid: { name: 'trunc_field', field_type: 'Text' },
      str: (v) => ({ name: v, field_type: 'Text' }),
      fields: { name: (v) => ({ name: v, field_type: 'Text' }), field_type: (v) => ({ name: 'typed_field', field_type: v }) } },
    { name: 'rename field', method: 'PATCH', path: `${F}/${S.nick}`, valid: { name: 'nick' },
      str: (v) => ({ name: v }), fields: { name: (v) => ({ name: v }) } },
  ];
}

// JSON text with `v` spliced in raw where the marker string sits.
function splice(obj, rawValue) {
  return Buffer.concat(JSON.stringify(obj).split('"@@RAW@@"').flatMap((part, i, a) =>
    i < a.length - 1 ? [Buffer.from(part, 'utf8'), Buffer.isBuffer(rawValue) ? rawValue : Buffer.from(rawValue, 'utf8')] : [Buffer.from(part, 'utf8')]));
}

const RESERVED = [
  'email', 'phone_number_id', 'external_id', 'anonymous_id', 'first_name', 'last_name', 'unique_name',
  'address_line_1', 'address_line_2', 'city', 'state_province_region', 'country', 'postal_code',
  'phone_number', 'whatsapp', 'line', 'facebook',
];
const MAXLEN = {
  email: 254, external_id: 254, anonymous_id: 254, first_name: 50, last_name: 50, unique_name: 254,
  address_line_1: 100, address_line_2: 100, city: 60, state_province_region: 50, country: 50,
  postal_code: 60, phone_number: 100, whatsapp: 100, line: 100, facebook: 100,
};

let EPS;
let ROUTES;
let setupIds;
const fill = (r, id = r.id) => r.p.replace('{}', id);

before(async () => {
  srv = await H.startServer();
  key = srv.key;
  const url = srv.url;
  {
    // ---- the valid setup
    const f1 = await H.must(url, { method: 'POST', path: F, key, body: { name: 'score', field_type: 'Number' } });
    assert.equal(f1.status, 200, f1.text);
    const f2 = await H.must(url, { method: 'POST', path: F, key, body: { name: 'nick', field_type: 'Text' } });
    const l1 = await H.must(url, { method: 'POST', path: L, key, body: { name: 'hostile-list' } });
    assert.equal(l1.status, 201, l1.text);
    S.score = f1.body.id; S.nick = f2.body.id; S.list = l1.body.id;
    const recs = [0, 1, 2, 3, 4].map((i) => ({ email: `h${i}@hostile.test`, external_id: `hx-${i}`, first_name: `H${i}` }));
    const job = await H.seedContacts(url, key, recs, { list_ids: [S.list] });
    assert.equal(job.status, 'completed');
    S.job = job.id;
    const found = await H.rawSearchEmails(url, key, recs.map((r) => r.email));
    S.c = recs.map((r) => found.body.result[r.email].contact.id);
    const bad = await H.must(url, { method: 'PUT', path: C, key, body: { contacts: [{ external_id: 'hx-0' }] } });
    const badJob = await H.waitJob(url, key, bad.body.job_id);
    assert.equal(badJob.status, 'failed');
    S.badJob = badJob.id;
    setupIds = [...S.c].sort();
    EPS = bodyEndpoints();

    // Every route with its ids filled in, for the path/auth/body-on-GET groups.
    ROUTES = [
      { m: 'PUT', p: C, body: EPS[0].valid }, { m: 'GET', p: C }, { m: 'DELETE', p: `${C}?ids=${RAND_UUID}` },
      { m: 'GET', p: `${C}/count` }, { m: 'POST', p: `${C}/batch`, body: EPS[1].valid },
      { m: 'POST', p: `${C}/search/emails`, body: EPS[2].valid },
      { m: 'POST', p: `${C}/search/identifiers/{}`, id: 'email', body: EPS[3].valid },
      { m: 'GET', p: `${C}/imports/{}`, id: S.job }, { m: 'GET', p: `${C}/imports/{}/errors`, id: S.badJob },
      { m: 'GET', p: `${C}/{}`, id: S.c[0] },
      { m: 'DELETE', p: `${C}/{}/identifiers`, id: S.c[0], body: EPS[4].valid },
      { m: 'POST', p: L, body: { name: 'route-list' } }, { m: 'GET', p: L },
      { m: 'GET', p: `${L}/{}`, id: S.list }, { m: 'PATCH', p: `${L}/{}`, id: S.list, body: { name: 'hostile-list' } },
      { m: 'DELETE', p: `${L}/{}`, id: RAND_UUID },
      { m: 'DELETE', p: `${L}/{}/contacts?contact_ids=${RAND_UUID}`, id: S.list },
      { m: 'GET', p: `${L}/{}/contacts/count`, id: S.list },
      { m: 'POST', p: F, body: { name: 'route_field', field_type: 'Text' } }, { m: 'GET', p: F },
      { m: 'PATCH', p: `${F}/{}`, id: S.nick, body: { name: 'nick' } }, { m: 'DELETE', p: `${F}/{}`, id: 'e999_T' },
      { m: 'GET', p: '/healthz', pub: true },
    ];
  }
});

after(async () => { if (srv) await srv.stop(); });

H.test('hostile JSON-level corpus against every endpoint', { timeout: 150000 }, async (t) => {
  const url = srv.url;
  problems = [];
  {
    // ---- 1. broken and truncated JSON
    {
      const broken = ['', ' ', '{', '}', '[', '{"a":}', '{"a" 1}', "{'a':1}", 'nul', 'tru', '{"a":1,}', '[1,2,]',
        '{} trailing', '{}{}', '"just a string"', '123', 'null', '[]', '{"a":"unterminated}'];
      const cases = [];
      for (const ep of EPS) {
        for (const b of broken) cases.push({ label: `${ep.name} body ${JSON.stringify(b)}`, method: ep.method, path: ep.path, body: b });
        const v = JSON.stringify(ep.valid);
        for (const cut of [1, Math.floor(v.length / 4), Math.floor(v.length / 2), v.length - 1]) {
          cases.push({ label: `${ep.name} truncated at ${cut}`, method: ep.method, path: ep.path, body: v.slice(0, cut) });
        }
      }
      await runGroup('broken JSON', cases);
    }

    // ---- 2. invalid UTF-8 and NUL bytes inside strings
    {
      const bytes = {
        'lone 0xff': Buffer.from([0x22, 0x61, 0xff, 0x62, 0x22]),
        'overlong /': Buffer.from([0x22, 0xc0, 0xaf, 0x22]),
        'encoded surrogate': Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]),
        'cut multibyte': Buffer.from([0x22, 0xe2, 0x82, 0x22]),
        'raw NUL': Buffer.from([0x22, 0x61, 0x00, 0x62, 0x22]),
        'escaped NUL': Buffer.from('"a\\u0000b"'),
        'lone surrogate escape': Buffer.from('"\\ud800"'),
        'bad escape': Buffer.from('"\\x41"'),
      };
      const cases = [];
      for (const ep of EPS) {
        for (const [n, b] of Object.entries(bytes)) {
          cases.push({ label: `${ep.name} ${n}`, method: ep.method, path: ep.path, body: splice(ep.str('@@RAW@@'), b) });
        }
        cases.push({ label: `${ep.name} NUL before body`, method: ep.method, path: ep.path, body: Buffer.concat([Buffer.from([0]), Buffer.from(JSON.stringify(ep.valid))]) });
      }
      await runGroup('UTF-8 and NUL', cases);
    }

    // ---- 3. huge numbers
    {
      const nums = ['1e400', '-1e400', '99999999999999999999999', '-99999999999999999999999'];
      const cases = [];
      for (const ep of EPS) {
        for (const [fname, mk] of Object.entries(ep.fields)) {
          for (const n of nums) cases.push({ label: `${ep.name} ${fname}=${n}`, method: ep.method, path: ep.path, body: splice(mk('@@RAW@@'), n) });
        }
      }
      for (const n of nums) {
        cases.push({ label: `upsert custom score=${n}`, method: 'PUT', path: C,
          body: splice({ contacts: [{ email: 'h0@hostile.test', external_id: 'hx-0', custom_fields: { score: '@@RAW@@' } }] }, n) });
        cases.push({ label: `batch ids=[${n}]`, method: 'POST', path: `${C}/batch`, body: splice({ ids: '@@RAW@@' }, `[${n}]`) });
        cases.push({ label: `lists page_size=${n}`, method: 'GET', path: `${L}?page_size=${n}` });
      }
      await runGroup('huge numbers', cases);
    }

    // ---- 4. deep nesting (10,000 levels)
    {
      const deepArr = '['.repeat(10000) + ']'.repeat(10000);
      const deepObj = '{"a":'.repeat(10000) + '1' + '}'.repeat(10000);
      const cases = [];
      for (const ep of EPS) {
        cases.push({ label: `${ep.name} body = 10k nested arrays`, method: ep.method, path: ep.path, body: deepArr });
        cases.push({ label: `${ep.name} body = 10k nested objects`, method: ep.method, path: ep.path, body: deepObj });
        const f = Object.values(ep.fields)[0];
        cases.push({ label: `${ep.name} field = 10k nested arrays`, method: ep.method, path: ep.path, body: splice(f('@@RAW@@'), deepArr) });
      }
      cases.push({ label: 'upsert custom_fields = 10k nested objects', method: 'PUT', path: C,
        body: splice({ contacts: [{ email: 'h0@hostile.test', custom_fields: '@@RAW@@' }] }, deepObj) });
      await runGroup('deep nesting', cases, 4);
    }

    // ---- 5. wrong JSON types in every field
    {
      const cases = [];
      const strWrong = [null, true, 42, 1.5, [], {}, ['x']];
      const arrWrong = [null, true, 42, 's', {}, [42], [null], [{}], [true]];
      for (const f of RESERVED) {
        for (const v of strWrong) {
          const recd = f === 'email' ? { [f]: v, external_id: 'hx-0' } : { email: 'h0@hostile.test', external_id: 'hx-0', [f]: v };
          if (f === 'external_id') delete recd.external_id, recd.external_id = v;
          cases.push({ label: `upsert contacts[0].${f}=${JSON.stringify(v)}`, method: 'PUT', path: C, body: { contacts: [recd] } });
        }
      }
      const h0 = { email: 'h0@hostile.test', external_id: 'hx-0' };
      for (const v of [null, 's', 42, {}, [42], [null], [{}], ['not-an-email'], Array(6).fill('x@y.co')]) {
        cases.push({ label: `upsert alternate_emails=${JSON.stringify(v)}`, method: 'PUT', path: C, body: { contacts: [{ ...h0, alternate_emails: v }] } });
      }
      for (const v of [null, 's', 42, [], [1], { score: true }, { score: {} }, { score: [] }, { score: 'abc' }, { nick: {} }, { nick: [] }, { unknown_field: 'x' }]) {
        cases.push({ label: `upsert custom_fields=${JSON.stringify(v)}`, method: 'PUT', path: C, body: { contacts: [{ ...h0, custom_fields: v }] } });
      }
      for (const v of [null, true, 42, 's', 1.5]) {
        cases.push({ label: `upsert contacts[0]=${JSON.stringify(v)}`, method: 'PUT', path: C, body: { contacts: [v] } });
      }
      for (const ep of EPS) {
        for (const [fname, mk] of Object.entries(ep.fields)) {
          const wrong = /\[0\]$|^name$|^identifier_|^field_type$/.test(fname) ? strWrong : arrWrong;
          for (const v of wrong) cases.push({ label: `${ep.name} ${fname}=${JSON.stringify(v)}`, method: ep.method, path: ep.path, body: mk(v) });
        }
      }
      await runGroup('wrong types', cases);
    }

    // ---- 6. over-long strings and too many items
    {
      const cases = [];
      const h0 = { email: 'h0@hostile.test', external_id: 'hx-0' };
      for (const [f, max] of Object.entries(MAXLEN)) {
        let v = 'a'.repeat(max + 1);
        if (f === 'email') v = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`; // 260 chars
        const recd = f === 'email' ? { email: v } : { ...h0, [f]: v };
        cases.push({ label: `upsert ${f} of ${v.length} chars`, method: 'PUT', path: C, body: { contacts: [recd] } });
      }
      cases.push({ label: 'upsert custom nick of 1001 chars', method: 'PUT', path: C, body: { contacts: [{ ...h0, custom_fields: { nick: 'n'.repeat(1001) } }] } });
      cases.push({ label: 'upsert first_name of 1 MB', method: 'PUT', path: C, body: { contacts: [{ ...h0, first_name: 'x'.repeat(1 << 20) }] } });
      for (const ep of EPS.slice(1)) {
        // batch leaves out ids that match nothing (README): 200 with an empty result is fine there.
        const ok = ep.name === 'batch' ? [200] : [];
        cases.push({ label: `${ep.name} string of 60,000 chars`, method: ep.method, path: ep.path, body: ep.str('z'.repeat(60000)), allowStatuses: ok });
        cases.push({ label: `${ep.name} string of 70,000 chars (over 64 KiB)`, method: ep.method, path: ep.path, body: ep.str('z'.repeat(70000)) });
        cases.push({ label: `${ep.name} string of 255 chars`, method: ep.method, path: ep.path, body: ep.str('q'.repeat(255)), allowStatuses: ok });
      }
      cases.push({ label: 'list name of 101 chars', method: 'POST', path: L, body: { name: 'l'.repeat(101) } });
      cases.push({ label: 'field name of 101 chars', method: 'POST', path: F, body: { name: 'f'.repeat(101), field_type: 'Text' } });
      // 30,001 contacts and other over-count arrays.
      const many = Array.from({ length: 30001 }, (_, i) => ({ email: `many${i}@hostile.test` }));
      cases.push({ label: 'upsert 30,001 contacts', method: 'PUT', path: C, body: { contacts: many } });
      cases.push({ label: 'upsert 101 list_ids', method: 'PUT', path: C, body: { contacts: [h0], list_ids: Array(101).fill(S.list) } });
      cases.push({ label: 'batch 101 ids', method: 'POST', path: `${C}/batch`, body: { ids: Array(101).fill(S.c[0]) } });
      cases.push({ label: 'emails 101', method: 'POST', path: `${C}/search/emails`, body: { emails: Array.from({ length: 101 }, (_, i) => `e${i}@x.co`) } });
      cases.push({ label: 'identifiers 101', method: 'POST', path: `${C}/search/identifiers/external_id`, body: { identifiers: Array.from({ length: 101 }, (_, i) => `v${i}`) } });
      // 1,001 UUIDs make a 37 KB URL: the 32 KiB request-line limit answers first.
      cases.push({ label: 'delete 1,001 ids', method: 'DELETE', path: `${C}?ids=${Array(1001).fill(RAND_UUID).join(',')}`, anyBody: true });
      // 501 ids fit the request head but exceed the documented 500: contactd's own 400.
      cases.push({ label: 'delete 501 ids', method: 'DELETE', path: `${C}?ids=${Array(501).fill(RAND_UUID).join(',')}`, expectStatus: 400 });
      cases.push({ label: 'list remove 501 ids', method: 'DELETE', path: `${L}/${S.list}/contacts?contact_ids=${Array(501).fill(RAND_UUID).join(',')}`, expectStatus: 400 });
      await runGroup('over-long and over-count', cases, 4);
    }

    // ---- 7. duplicate keys
    {
      const cases = [];
      for (const ep of EPS) {
        const v = JSON.stringify(ep.valid);
        const k = v.slice(1, v.indexOf(':'));
        const dupBody = `{${k}:null,${v.slice(1)}`;
        cases.push({ label: `${ep.name} duplicate key ${k}`, method: ep.method, path: ep.path, body: dupBody });
        cases.push({ label: `${ep.name} duplicate key ${k} (same value)`, method: ep.method, path: ep.path, body: `{${v.slice(1, -1)},${v.slice(1, -1)}}` });
      }
      cases.push({ label: 'upsert duplicate key inside a record', method: 'PUT', path: C,
        body: '{"contacts":[{"email":"h0@hostile.test","external_id":"hx-0","first_name":"a","first_name":"b"}]}' });
      cases.push({ label: 'upsert duplicate email key inside a record', method: 'PUT', path: C,
        body: '{"contacts":[{"email":"h0@hostile.test","email":"new-dup@hostile.test"}]}' });
      cases.push({ label: 'upsert duplicate key inside custom_fields', method: 'PUT', path: C,
        body: '{"contacts":[{"email":"h0@hostile.test","external_id":"hx-0","custom_fields":{"score":1,"score":2}}]}' });
      await runGroup('duplicate keys', cases);
    }

    // ---- 8. SQL metacharacters in every string field, path id and query
    {
      const cases = [];
      const h0 = { email: 'h0@hostile.test', external_id: 'hx-0' };
      for (const s of SQL) {
        // An upsert is validated whole: a record with a bad custom_fields is refused
        // however its strings look; the strings still go through the decoder.
        for (const f of RESERVED) {
          cases.push({ label: `upsert ${f}=${s} (refused record)`, method: 'PUT', path: C,
            body: { contacts: [{ ...(f === 'email' ? {} : h0), [f]: s, custom_fields: [] }] } });
        }
        cases.push({ label: `upsert email=${s}`, method: 'PUT', path: C, body: { contacts: [{ email: s }] } });
        cases.push({ label: `upsert phone_number_id=${s}`, method: 'PUT', path: C, body: { contacts: [{ phone_number_id: s }] } });
        cases.push({ label: `upsert alternate_emails=[${s}]`, method: 'PUT', path: C, body: { contacts: [{ ...h0, alternate_emails: [s] }] } });
        cases.push({ label: `upsert custom key ${s}`, method: 'PUT', path: C, body: { contacts: [{ ...h0, custom_fields: { [s]: 'x' } }] } });
        cases.push({ label: `upsert list_ids=[${s}]`, method: 'PUT', path: C, body: { contacts: [h0], list_ids: [s] } });
        cases.push({ label: `batch ids=[${s}]`, method: 'POST', path: `${C}/batch`, body: { ids: [s] }, allowStatuses: [200] });
        cases.push({ label: `search emails [${s}]`, method: 'POST', path: `${C}/search/emails`, body: { emails: [s] } });
        for (const type of ['email', 'phone_number_id', 'external_id', 'anonymous_id']) {
          cases.push({ label: `search ${type} [${s}]`, method: 'POST', path: `${C}/search/identifiers/${type}`, body: { identifiers: [s] } });
        }
        cases.push({ label: `search type ${s}`, method: 'POST', path: `${C}/search/identifiers/${encodeURIComponent(s)}`, body: { identifiers: ['x'] } });
        cases.push({ label: `delete identifier type ${s}`, method: 'DELETE', path: `${C}/${S.c[0]}/identifiers`, body: { identifier_type: s, identifier_value: 'x' } });
        cases.push({ label: `delete identifier EXTERNALID value ${s} (a job that fails)`, method: 'DELETE', path: `${C}/${S.c[0]}/identifiers`,
          body: { identifier_type: 'EXTERNALID', identifier_value: s }, allow2xx: true });
        cases.push({ label: `create list named ${s} (valid name)`, method: 'POST', path: L, body: { name: `${s} #${SQL.indexOf(s)}` }, allow2xx: true });
        cases.push({ label: `create field named ${s}`, method: 'POST', path: F, body: { name: s, field_type: 'Text' } });
        cases.push({ label: `create field type ${s}`, method: 'POST', path: F, body: { name: 'sqlish', field_type: s } });
        cases.push({ label: `rename field to ${s}`, method: 'PATCH', path: `${F}/${S.nick}`, body: { name: s } });
        const e = encodeURIComponent(s);
        for (const r of ROUTES.filter((x) => x.id)) {
          cases.push({ label: `${r.m} ${r.p} id=${s}`, method: r.m, path: fill(r, e), body: r.body });
        }
        cases.push({ label: `delete ids=${s}`, method: 'DELETE', path: `${C}?ids=${e}` });
        cases.push({ label: `delete delete_all_contacts=${s}`, method: 'DELETE', path: `${C}?delete_all_contacts=${e}` });
        cases.push({ label: `lists page_token=${s}`, method: 'GET', path: `${L}?page_token=${e}` });
        cases.push({ label: `lists page_size=${s}`, method: 'GET', path: `${L}?page_size=${e}` });
        cases.push({ label: `list contact_sample=${s}`, method: 'GET', path: `${L}/${S.list}?contact_sample=${e}` });
        cases.push({ label: `list remove contact_ids=${s}`, method: 'DELETE', path: `${L}/${S.list}/contacts?contact_ids=${e}` });
        cases.push({ label: `list delete delete_contacts=${s}`, method: 'DELETE', path: `${L}/${RAND_UUID}?delete_contacts=${e}` });
        cases.push({ label: `Authorization Bearer ${s}`, method: 'GET', path: `${C}/count`, noKey: true, headers: { Authorization: `Bearer ${s}` } });
      }
      await runGroup('SQL metacharacters', cases);
    }

    // ---- 9. bad percent-encoding, traversal and odd ids in paths
    {
      const ids = ['%zz', '%', '%2', '..%2F..%2F..%2Fetc%2Fpasswd', '..%2f', '%2e%2e', '%2e%2e%2f%2e%2e%2fhealthz', 'a%00b', '%FF%FE',
        '%C3%A9', 'x'.repeat(5000), '%252e%252e', `${RAND_UUID}%2F..`, '%20', '+'];
      const cases = [];
      for (const r of ROUTES.filter((x) => x.id)) {
        for (const id of ids) cases.push({ label: `${r.m} ${r.p} id=${id.slice(0, 40)}`, method: r.m, path: fill(r, id), body: r.body });
      }
      cases.push({ label: 'GET /v3/marketing/contacts/../../../etc/passwd', raw: `GET /v3/marketing/contacts/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nConnection: close\r\n\r\n` });
      cases.push({ label: 'GET /v3/marketing/lists/..%2F..%2Fcontacts', method: 'GET', path: `${L}/..%2F..%2Fcontacts` });
      await runGroup('path ids', cases);
    }

    // ---- 10. malformed Authorization on every /v3 route
    {
      // (the scheme is case-insensitive and may be followed by several spaces: RFC 9110 11.4, so
      // `bearer KEY` and `Bearer  KEY` are valid and not in this list)
      const auths = [undefined, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${key}x`, `Bearer ${key.slice(0, -1)}`,
        `Token ${key}`, `Bearer ${key.replace('SG.', 'XX.')}`, 'Bearer SG.', 'Bearer SG..', `Bearer SG.${'a'.repeat(10000)}.b`,
        'Bearer SG.testkey0001.', `Bearer ${key} extra`];
      const cases = [];
      for (const r of ROUTES.filter((x) => !x.pub)) {
        for (const a of auths) {
          cases.push({ label: `${r.m} ${r.p} Authorization=${JSON.stringify((a || '').slice(0, 30))}`, method: r.m, path: fill(r),
            body: r.body, noKey: true, headers: a === undefined ? {} : { Authorization: a } });
        }
      }
      await runGroup('authorization', cases);
    }

    // ---- 11. bodies on GET (and on DELETE-by-query)
    {
      const cases = [];
      const gets = ROUTES.filter((r) => r.m === 'GET');
      const baseline = {};
      for (const r of gets) baseline[fill(r)] = (await H.must(url, { path: fill(r), key })).status;
      for (const r of gets) {
        const p = fill(r);
        for (const [n, b] of Object.entries({ 'small JSON': '{"contacts":[{"email":"get-body@hostile.test"}]}', 'broken JSON': '{{{', 'NUL bytes': Buffer.from([0, 0, 0, 0x7b]) })) {
          cases.push({ label: `GET ${p} with a ${n} body (ignored)`, method: 'GET', path: p, body: b, allowStatuses: [baseline[p]] });
        }
        cases.push({ label: `GET ${p} with a 20 KB body (over 16 KiB)`, method: 'GET', path: p, body: 'x'.repeat(20000), expectStatus: 413 });
      }
      for (const p of [`${C}?ids=${RAND_UUID}`, `${L}/${RAND_UUID}`, `${F}/e999_T`, `${L}/${S.list}/contacts?contact_ids=${RAND_UUID}`]) {
        cases.push({ label: `DELETE ${p} with a 20 KB body`, method: 'DELETE', path: p, body: 'x'.repeat(20000), expectStatus: 413 });
      }
      await runGroup('bodies on GET', cases);
    }

    t.diagnostic(`JSON-level cases ${stats.cases}`);
    assert.deepEqual(problems, [], `${problems.length} hostile-input problems:\n${problems.join('\n')}`);
  }
});

H.test('hostile HTTP-level corpus over raw sockets', { timeout: 60000 }, async (t) => {
  problems = [];
  {
    // ---- 12. HTTP-level breakage over raw sockets
    {
      const A = `Authorization: Bearer ${key}\r\n`;
      const req = (m, p, extra = '', body = '') => `${m} ${p} HTTP/1.1\r\nHost: x\r\n${A}${extra}Connection: close\r\n\r\n${body}`;
      const cases = [
        { label: 'Content-Length: abc', raw: req('POST', L, 'Content-Length: abc\r\n') },
        { label: 'Content-Length: -1', raw: req('POST', L, 'Content-Length: -1\r\n') },
        { label: 'Content-Length: 1e3', raw: req('POST', L, 'Content-Length: 1e3\r\n') },
        { label: 'Content-Length: 18446744073709551617', raw: req('PUT', C, 'Content-Length: 18446744073709551617\r\n') },
        { label: 'two different Content-Lengths', raw: req('POST', L, 'Content-Length: 2\r\nContent-Length: 30\r\n', '{}') },
        { label: 'Content-Length and chunked', raw: req('POST', L, 'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n') },
        { label: 'Transfer-Encoding: gzip on PUT', raw: req('PUT', C, 'Transfer-Encoding: gzip\r\n', 'abc') },
        { label: 'Transfer-Encoding: bogus on POST', raw: req('POST', L, 'Transfer-Encoding: bogus\r\n', '{"name":"te"}') },
        { label: 'Transfer-Encoding: chunked, bogus', raw: req('POST', L, 'Transfer-Encoding: chunked, bogus\r\n', '5\r\nhello\r\n0\r\n\r\n') },
        { label: 'Transfer-Encoding: bogus on GET', raw: req('GET', `${C}/count`, 'Transfer-Encoding: bogus\r\n') },
        { label: 'chunk size zz', raw: req('POST', L, 'Transfer-Encoding: chunked\r\n', 'zz\r\nhello\r\n0\r\n\r\n') },
        { label: 'chunk size overflow', raw: req('POST', L, 'Transfer-Encoding: chunked\r\n', 'ffffffffffffffffff\r\nhello\r\n0\r\n\r\n') },
        { label: 'chunked body over 64 KiB', raw: req('POST', L, 'Transfer-Encoding: chunked\r\n', `11170\r\n${'a'.repeat(0x11170)}\r\n0\r\n\r\n`) },
        { label: 'truncated chunked body, then close', raw: req('POST', L, 'Transfer-Encoding: chunked\r\n', '10\r\n{"na'), after: 'destroy' },
        { label: 'Content-Length longer than the body, then close', raw: req('POST', L, 'Content-Length: 100\r\n', '{"name":"x"}'), after: 'destroy' },
        { label: 'bad HTTP version', raw: 'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n', allow: [505] },
        { label: 'no HTTP version', raw: 'GET /healthz\r\n\r\n' },
        { label: 'request line only a method', raw: 'GET\r\n\r\n' },
        { label: 'garbage request line', raw: 'garbage\r\n\r\n' },
        // README: libmicrohttpd reads a line that starts with a NUL byte as a blank line and
        // waits for a request line; the idle timeout (30 s) closes the connection.
        { label: 'NUL bytes in the request line', raw: '\x00\x01\x02garbage\r\n\r\n', allowIdleClose: true },
        // README (Reliability and security): libmicrohttpd ends the request line and a header
        // value at a raw NUL byte, so these read as the request before the NUL: a valid one.
        { label: 'NUL byte in the path', raw: `GET ${C}/count\x00junk HTTP/1.1\r\nHost: x\r\n${A}Connection: close\r\n\r\n`, allow: [200] },
        { label: 'NUL byte in the Authorization value', raw: `GET ${C}/count HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\x00junk\r\nConnection: close\r\n\r\n`, allow: [200] },
        { label: 'header without a colon', raw: req('GET', `${C}/count`, 'BogusHeader\r\n') },
        // RFC 9112 5.1: 400 on whitespace between a field name and the colon (framing.test.js).
        { label: 'whitespace before the colon', raw: req('GET', `${C}/count`, 'X-Name : x\r\n') },
        // RFC 9112 5.2: obs-fold may be rejected or replaced by spaces.
        { label: 'obs-fold continuation line', raw: req('GET', `${C}/count`, 'X-A: a\r\n folded\r\n'), allow: [200] },
        { label: 'bare LF line endings', raw: `GET /healthz HTTP/1.1\nHost: x\n\n`, allow: [200] },
        { label: '40 KB URL', raw: req('GET', `${C}/${'a'.repeat(40000)}`) },
        { label: '2,000 small headers', raw: req('GET', `${C}/count`, Array.from({ length: 2000 }, (_, i) => `X-H${i}: v\r\n`).join('')) },
        { label: 'binary garbage', raw: Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) & 255)) },
      ];
      for (const r of ROUTES) {
        cases.push({ label: `40 KB header on ${r.m} ${r.p}`, raw: req(r.m, fill(r), `X-Big: ${'b'.repeat(40000)}\r\n`) });
      }
      await runGroup('HTTP framing (raw sockets)', cases, 12);
    }

    t.diagnostic(`HTTP-level cases ${stats.byGroup['HTTP framing (raw sockets)']}`);
    assert.deepEqual(problems, [], `${problems.length} HTTP-level problems:\n${problems.join('\n')}`);
  }
});

H.test('after the corpus: contactd is alive and the data is exactly the setup', async (t) => {
  const url = srv.url;
  problems = [];
  {
    assert.ok(srv.running, 'contactd must still be running');
    const dbIds = H.sqlite(srv.dbPath, 'SELECT id FROM contacts ORDER BY id').split('\n').filter(Boolean);
    const cnt = await H.must(url, { path: `${C}/count`, key });
    for (let i = 0; i < 5; i++) {
      const g = await H.must(url, { path: `${C}/${S.c[i]}`, key });
      if (g.status !== 200 || g.body.email !== `h${i}@hostile.test` || g.body.external_id !== `hx-${i}`) {
        problems.push(`[final] setup contact h${i} changed: ${g.status} ${g.text.slice(0, 200)}`);
      }
    }
    const tables = H.sqlite(srv.dbPath, "SELECT name FROM sqlite_master WHERE type='table' AND name IN ('contacts','lists','jobs','api_keys') ORDER BY name");
    console.log(`hostile: corpus size ${stats.cases} ${JSON.stringify(stats.byGroup)}`);
    t.diagnostic(`corpus size ${stats.cases}`);
    assert.ok(stats.cases >= 300, `corpus too small: ${stats.cases}`);
    assert.equal(tables, 'api_keys\ncontacts\njobs\nlists');
    assert.deepEqual(dbIds, setupIds, 'the database must hold exactly the setup contacts');
    assert.equal(cnt.body.contact_count, 5);
    assert.deepEqual(problems, [], problems.join('\n'));
  }
});

// NUL bytes in query values, path ids and header values must not be cut off
// silently: the truncated value may mean something else entirely.
H.test('NUL bytes (%00) in query values and ids are refused, not truncated', { timeout: 60000 }, async () => {
  const s = await H.startServer();
  try {
    const k = s.key;
    const job = await H.seedContacts(s.url, k, [{ email: 'n0@nul.test' }, { email: 'n1@nul.test' }]);
    assert.equal(job.status, 'completed');
    const found = await H.rawSearchEmails(s.url, k, ['n0@nul.test']);
    const id0 = found.body.result['n0@nul.test'].contact.id;
    const out = [];
    const get = await H.request(s.url, { path: `${C}/${id0}%00junk`, key: k });
    if (get.status !== 404 && get.status !== 400) out.push(`GET ${C}/{id}%00junk answered ${get.status} (the id was read as {id})`);
    // (A raw NUL byte in a header ends its value in libmicrohttpd: documented, see the
    // HTTP framing group.)
    const del = await H.request(s.url, { method: 'DELETE', path: `${C}?delete_all_contacts=true%00junk`, key: k });
    if (del.status !== 400) out.push(`DELETE ${C}?delete_all_contacts=true%00junk answered ${del.status} ${del.text}`);
    if (del.status === 202) await H.waitJob(s.url, k, del.body.job_id);
    const cnt = await H.must(s.url, { path: `${C}/count`, key: k });
    if (cnt.body.contact_count !== 2) out.push(`after it, contact_count is ${cnt.body.contact_count}, expected 2`);
    assert.deepEqual(out, [], out.join('\n'));
  } finally {
    await s.stop();
  }
});
