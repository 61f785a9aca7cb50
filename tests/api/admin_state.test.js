'use strict';
// The admin API's account state (issue 12): GET/PUT /_contactd/accounts/{name}/state with
// chosen ids, validated as the API validates, an exact round trip, chosen ids used through
// @sendgrid/client (segments too, with exact membership once the account's jobs are done),
// and `serve --seed FILE`.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const H = require('./lib/server');
const A = require('./lib/admin');

const { call, test } = H;
const C = '/v3/marketing/contacts';

let s;
before(async () => { s = await A.startAdminServer(); });
after(() => H.stopAll([s]));

const LIST_A = '0c1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';
const LIST_B = '1d2e3f40-5162-4738-89ab-cdef01234567';
const SEG_PRO = '2f3a4b5c-6d7e-4f80-91a2-b3c4d5e6f708';
const SEG_ALL = '3a4b5c6d-7e8f-4091-a2b3-c4d5e6f70819';
const EMPTY = { lists: [], custom_fields: [], contacts: [], segments: [] };
const Q = (cond) => `SELECT contact_id, updated_at FROM contact_data WHERE ${cond}`;

function seededState() {
  return {
    lists: [{ id: LIST_A, name: 'Customers' }, { id: LIST_B, name: 'Newsletter' }],
    custom_fields: [
      { id: 'e49_T', name: 'plan', field_type: 'Text' },
      { id: 'e50_N', name: 'seats', field_type: 'Number' },
      { id: 'e51_D', name: 'renewal', field_type: 'Date' },
    ],
    contacts: [
      {
        id: '8b0d5e7a-1c2f-4a3b-9d4e-5f6a7b8c9d0e', email: 'ada@example.com', first_name: 'Ada',
        list_ids: [LIST_A, LIST_B], custom_fields: { e49_T: 'pro', e50_N: 12 },
        created_at: '2024-01-02T03:04:05Z', updated_at: '2024-02-03T04:05:06Z',
      },
      { id: '9c1e6f8b-2d3a-4b4c-8e5f-6a7b8c9d0e1f', external_id: 'ext-7', list_ids: [] },
      { id: 'ad2f7a9c-3e4b-4c5d-9f60-7b8c9d0e1f2a', email: 'cy@example.com', list_ids: [LIST_B], custom_fields: { e49_T: 'pro' } },
    ],
    segments: [
      { id: SEG_PRO, name: 'pro customers', query_dsl: Q("plan = 'pro'"), parent_list_ids: [LIST_A] },
      { id: SEG_ALL, name: 'example.com', query_dsl: Q("email LIKE '%@example.com'"), parent_list_ids: [] },
    ],
  };
}

// A varied account built with random choices (a seeded generator, so a failure repeats).
function randomState(seed) {
  let x = seed;
  const rnd = (n) => { x = (x * 1103515245 + 12345) % 2147483648; return x % n; };
  const lists = Array.from({ length: 1 + rnd(4) }, (_, i) => ({ id: crypto.randomUUID(), name: `list ${i} ${rnd(1000)}` }));
  const types = ['Text', 'Number', 'Date'];
  const fields = Array.from({ length: rnd(4) }, (_, i) => {
    const t = types[rnd(3)];
    return { id: `e${i + 1 + rnd(3) * 10}_${t[0]}`, name: `f${i}`, field_type: t };
  });
  const value = (t) => (t === 'Text' ? `v${rnd(100)}` : t === 'Number' ? rnd(1000) : '2024-05-06T00:00:00Z');
  const contacts = Array.from({ length: 1 + rnd(30) }, (_, i) => {
    const c = { id: crypto.randomUUID(), email: `p${seed}-${i}@example.com` };
    if (rnd(2)) c.first_name = `N${rnd(50)}`;
    if (rnd(3) === 0) c.phone_number_id = `+1555${String(1000000 + i).slice(-7)}`;
    if (rnd(3) === 0) c.alternate_emails = [`alt${seed}-${i}@example.com`];
    c.list_ids = lists.filter(() => rnd(2)).map((l) => l.id);
    c.custom_fields = {};
    for (const f of fields) if (rnd(2)) c.custom_fields[f.id] = value(f.field_type);
    return c;
  });
  const segments = Array.from({ length: rnd(4) }, (_, i) => ({
    id: crypto.randomUUID(),
    name: `segment ${i} ${rnd(1000)}`,
    query_dsl: Q(rnd(2) ? `first_name = 'N${rnd(50)}'` : `email LIKE 'p${seed}-${rnd(10)}%'`),
    parent_list_ids: rnd(2) ? [lists[rnd(lists.length)].id] : [],
  }));
  return { lists, custom_fields: fields, contacts, segments };
}

// Wait until none of the account's jobs is pending (the segments' evaluations among them).
async function jobsDone(name) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const r = await A.admin(s, 'GET', `/accounts/${name}/jobs?status=pending`);
    assert.equal(r.status, 200, r.text);
    if (r.body.result.length === 0) return;
    assert.ok(Date.now() < deadline, `jobs of ${name} still pending`);
    await H.sleep(20);
  }
}

async function getState(name) {
  const r = await A.admin(s, 'GET', `/accounts/${name}/state`);
  assert.equal(r.status, 200, r.text);
  return r.body;
}

test('chosen ids are kept and used unchanged through @sendgrid/client', async () => {
  const a = await A.createAccount(s, A.uniqueName('state'));
  const put = await A.admin(s, 'PUT', `/accounts/${a.name}/state`, seededState());
  assert.equal(put.status, 204, put.text);
  const lists = await call(a.client, { method: 'GET', url: '/v3/marketing/lists' });
  assert.deepEqual(lists.body.result.map((l) => [l.id, l.name, l.contact_count]).sort(),
    [[LIST_A, 'Customers', 1], [LIST_B, 'Newsletter', 2]]);
  const f = await call(a.client, { method: 'GET', url: '/v3/marketing/field_definitions' });
  assert.deepEqual(f.body.custom_fields.map((x) => x.id), ['e49_T', 'e50_N', 'e51_D']);
  // Upsert with the chosen list id and custom field id.
  await H.upsertOk(a.client, [{ email: 'bob@example.com', custom_fields: { e49_T: 'free', e51_D: '2025-01-01T00:00:00Z' } }], { list_ids: [LIST_B] });
  const bob = await H.findOne(a.client, 'email', 'bob@example.com');
  assert.deepEqual(bob.list_ids, [LIST_B]);
  assert.equal(bob.custom_fields.plan, 'free');
  const ada = await H.getContact(a.client, '8b0d5e7a-1c2f-4a3b-9d4e-5f6a7b8c9d0e');
  assert.equal(ada.status, 200);
  assert.equal(ada.body.first_name, 'Ada');
  assert.equal(ada.body.created_at, '2024-01-02T03:04:05Z');
  assert.deepEqual(ada.body.custom_fields, { plan: 'pro', seats: 12 });
  // A field created afterwards gets an id past the chosen ones.
  const g = await H.createField(a.client, 'later', 'Text');
  assert.equal(g.id, 'e52_T');
});

test('seeded segments keep their ids and count exactly once the jobs are done', async () => {
  const a = await A.createAccount(s, A.uniqueName('stateseg'));
  const put = await A.admin(s, 'PUT', `/accounts/${a.name}/state`, seededState());
  assert.equal(put.status, 204, put.text);
  await jobsDone(a.name);
  const seg = async (id) => {
    const r = await call(a.client, { method: 'GET', url: `/v3/marketing/segments/2.0/${id}` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  // cy is pro but not on the parent list; ada is both
  const pro = await seg(SEG_PRO);
  assert.equal(pro.name, 'pro customers');
  assert.deepEqual(pro.parent_list_ids, [LIST_A]);
  assert.equal(pro.status.query_validation, 'VALID');
  assert.equal(pro.contacts_count, 1);
  assert.deepEqual(pro.contacts_sample.map((c) => c.email), ['ada@example.com']);
  const all = await seg(SEG_ALL);
  assert.equal(all.contacts_count, 2);
  assert.deepEqual(all.contacts_sample.map((c) => c.email).sort(), ['ada@example.com', 'cy@example.com']);
  // the state shows them as it was given, sorted by id
  assert.deepEqual((await getState(a.name)).segments, seededState().segments);
  // a PUT refused while being applied (two contacts with one email) changes nothing, and
  // the contacts it had written before the refusal never count as members
  const clash = seededState();
  for (let i = 0; i < 2; i++) clash.contacts.push({ id: crypto.randomUUID(), email: 'dee@example.com', list_ids: [] });
  const refused = await A.admin(s, 'PUT', `/accounts/${a.name}/state`, clash);
  assert.equal(refused.status, 400, refused.text);
  await jobsDone(a.name);
  assert.equal((await seg(SEG_ALL)).contacts_count, 2);
  assert.equal((await getState(a.name)).contacts.length, seededState().contacts.length);
  // a second PUT replaces them: a state without segments leaves none
  const bare = seededState();
  delete bare.segments;
  assert.equal((await A.admin(s, 'PUT', `/accounts/${a.name}/state`, bare)).status, 204);
  assert.deepEqual((await getState(a.name)).segments, []);
  const gone = await call(a.client, { method: 'GET', url: `/v3/marketing/segments/2.0/${SEG_PRO}` });
  assert.equal(gone.status, 404);
});

test('state round trip, property style: export, reset, import, export again', async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const a = await A.createAccount(s, A.uniqueName(`rt${seed}`));
    const put = await A.admin(s, 'PUT', `/accounts/${a.name}/state`, randomState(seed));
    assert.equal(put.status, 204, `seed ${seed}: ${put.text}`);
    // some API work on top, so the export holds what the API made too
    await H.upsertOk(a.client, [{ email: `api${seed}@example.com`, last_name: 'Api' }]);
    await H.createList(a.client, `api list ${seed}`);
    const first = await getState(a.name);
    assert.equal((await A.admin(s, 'POST', `/accounts/${a.name}/reset`)).status, 204);
    assert.deepEqual(await getState(a.name), EMPTY);
    const again = await A.admin(s, "PUT", `/accounts/${a.name}/state`, first);
    assert.equal(again.status, 204, again.text);
    assert.deepEqual(await getState(a.name), first, `seed ${seed}: the round trip is exact`);
  }
});

test('a bad state is refused with 400 naming the entry, and nothing changes', async () => {
  const a = await A.createAccount(s, A.uniqueName('bad'));
  assert.equal((await A.admin(s, 'PUT', `/accounts/${a.name}/state`, seededState())).status, 204);
  const before = await getState(a.name);
  const cases = [
    [(st) => { st.lists[1].id = 'nope'; }, ['lists[1].id']],
    [(st) => { st.lists[1].name = 'Customers'; }, ['lists[1].name']],
    // a list name follows the API's rule (POST /lists): not blank, at most 100 characters
    [(st) => { st.lists[1].name = ' '; }, ['lists[1].name']],
    [(st) => { st.lists[1].name = 'l'.repeat(101); }, ['lists[1].name']],
    [(st) => { st.custom_fields[0].id = 'e49_N'; }, ['custom_fields[0].id']],
    [(st) => { st.custom_fields[1].field_type = 'Boolean'; }, ['custom_fields[1].field_type']],
    [(st) => { st.contacts[0].email = 'not an email'; }, ['contacts[0].email']],
    [(st) => { st.contacts[1].list_ids = ['2e3f4051-6273-4849-9abc-def012345678']; }, ['contacts[1].list_ids[0]']],
    [(st) => { st.contacts[1].id = st.contacts[0].id; }, ['contacts[1].id']],
    [(st) => { st.contacts[0].created_at = 'yesterday'; }, ['contacts[0].created_at']],
    [(st) => { st.contacts[0].created_at = '2021-02-30T10:00:00Z'; }, ['contacts[0].created_at']],
    [(st) => { st.contacts[0].custom_fields = { e99_T: 'x' }; }, ['contacts']],
    [(st) => { st.contacts[1].email = 'ada@example.com'; delete st.contacts[1].external_id; }, ['contacts[1]']],
    [(st) => { st.extra = 1; }, ['extra']],
    [(st) => { st.segments[1].query_dsl = Q('email = '); }, ['segments[1].query_dsl']],
    [(st) => { st.segments[0].query_dsl = Q("favourite = 'x'"); }, ['segments[0].query_dsl']],
    [(st) => { st.segments[1].name = 'pro customers'; }, ['segments[1].name']],
    [(st) => { st.segments[1].name = ' '; }, ['segments[1].name']],
    [(st) => { st.segments[1].parent_list_ids = ['2e3f4051-6273-4849-9abc-def012345678']; }, ['segments[1].parent_list_ids[0]']],
    [(st) => { st.segments[0].parent_list_ids = [LIST_A, LIST_B]; }, ['segments[0].parent_list_ids']],
    [(st) => { st.segments[0].id = 'not-a-uuid'; }, ['segments[0].id']],
    [(st) => { st.segments[1].id = SEG_PRO; }, ['segments[1].id']],
    [(st) => { st.segments[0].colour = 'red'; }, ['segments[0].colour']],
    [(st) => { st.segments = {}; }, ['segments']],
  ];
  for (const [change, fields] of cases) {
    const st = seededState();
    change(st);
    H.assert400(await A.admin(s, 'PUT', `/accounts/${a.name}/state`, st), fields, JSON.stringify(fields));
  }
  assert.deepEqual(await getState(a.name), before, 'nothing changed');
  H.assertErrorBody(await A.admin(s, 'PUT', '/accounts/no-such/state', seededState()), 404);
  H.assertErrorBody(await A.admin(s, 'GET', '/accounts/no-such/state'), 404);
});

test('serve --seed FILE creates the accounts with their state', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-seed-'));
  const file = path.join(dir, 'seed.json');
  fs.writeFileSync(file, JSON.stringify({ accounts: { seeded: seededState(), other: { lists: [{ id: LIST_A, name: 'X' }] } } }));
  const srv = await A.startAdminServer({ extraArgs: ['--seed', file] });
  try {
    const st = await A.admin(srv, 'GET', '/accounts/seeded/state');
    assert.equal(st.status, 200);
    assert.equal(st.body.contacts.length, 3);
    assert.deepEqual(st.body.lists, seededState().lists);
    const other = await A.admin(srv, 'GET', '/accounts/other/state');
    assert.deepEqual(other.body.lists, [{ id: LIST_A, name: 'X' }]);
    const k = await A.admin(srv, 'POST', '/accounts/seeded/keys', { scopes: 'read' });
    const c = srv.clientFor(k.body.key);
    assert.equal((await call(c, { method: "GET", url: `${C}/count` })).body.contact_count, 3);
  } finally {
    await srv.stop();
  }
  // A bad seed file stops the server with the reason.
  fs.writeFileSync(file, JSON.stringify({ accounts: { bad: { lists: [{ id: 'x', name: 'y' }] } } }));
  await assert.rejects(A.startAdminServer({ extraArgs: ['--seed', file] }), /accounts\.bad\.lists\[0\]\.id/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('contactd state get|put|reset on the database', async () => {
  const { execFileSync } = require('node:child_process');
  const a = await A.createAccount(s, A.uniqueName('clistate'));
  const run = (args, input) => execFileSync(H.BIN, ['state', ...args, '--db', s.dbPath], { encoding: 'utf8', input });
  run(['put', a.name, '-'], JSON.stringify(seededState()));
  const got = JSON.parse(run(['get', a.name]));
  assert.deepEqual(got, await getState(a.name));
  assert.deepEqual(got.lists, seededState().lists);
  run(['reset', a.name]);
  assert.deepEqual(await getState(a.name), EMPTY);
  const bad = seededState();
  bad.lists[0].id = 'x';
  assert.throws(() => run(['put', a.name, '-'], JSON.stringify(bad)), /lists\[0\]\.id/);
});
