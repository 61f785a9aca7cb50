'use strict';
// /v3/marketing/field_definitions (create, list, rename, delete, limits) and
// custom field values on contacts through PUT /v3/marketing/contacts.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, raw, pollJob, upsert, assert400, assertErrorBody, assertJob, findOne, test,
  upsertOk, createField, freshAccount: newAccount,
} = require('./lib/server');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

const FD = '/v3/marketing/field_definitions';
const CONTACTS = '/v3/marketing/contacts';
const INVALID_IDS_PREFIX = 'invalid custom field ids supplied - ';
const ID_RE = { Text: /^e\d+_T$/, Number: /^e\d+_N$/, Date: /^e\d+_D$/ };

// ------------------------------------------------------------ local helpers

function freshAccount() {
  return newAccount(srv, 'fields');
}

async function listFields(client) {
  const r = await call(client, { method: 'GET', url: FD });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}

function putContacts(client, contacts) {
  return call(client, { method: 'PUT', url: CONTACTS, body: { contacts } });
}

async function contactByEmail(client, email) {
  const c = await findOne(client, 'email', email);
  assert.ok(c, `contact ${email} expected`);
  return c;
}

// ---------------------------------------------------------- create

test('POST /field_definitions creates Text, Number and Date fields: 200 {id, name, field_type, _metadata}', async () => {
  const c = freshAccount();
  const seen = new Set();
  for (const [name, type] of [['nickname', 'Text'], ['orders', 'Number'], ['birthday', 'Date']]) {
    const r = await call(c, { method: 'POST', url: FD, body: { name, field_type: type } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body).sort(), ['_metadata', 'field_type', 'id', 'name']);
    assert.match(r.body.id, ID_RE[type], `${type} field id: ${r.body.id}`);
    assert.equal(r.body.name, name);
    assert.equal(r.body.field_type, type);
    assert.equal(typeof r.body._metadata.self, 'string');
    assert.match(r.body._metadata.self, /^https?:\/\//);
    assert.equal(new URL(r.body._metadata.self).pathname, `${FD}/${r.body.id}`);
    assert.ok(!seen.has(r.body.id), 'ids are distinct');
    seen.add(r.body.id);
  }
});

test('POST /field_definitions: invalid names -> 400 field name', async () => {
  const c = freshAccount();
  const bad = [
    [{ field_type: 'Text' }, 'missing'],
    [{ name: '', field_type: 'Text' }, 'empty'],
    [{ name: 5, field_type: 'Text' }, 'number'],
    [{ name: null, field_type: 'Text' }, 'null'],
    [{ name: '1abc', field_type: 'Text' }, 'leading digit'],
    [{ name: 'has space', field_type: 'Text' }, 'space'],
    [{ name: 'a-b', field_type: 'Text' }, 'dash'],
    [{ name: 'dot.ted', field_type: 'Number' }, 'dot'],
    [{ name: 'émoji', field_type: 'Date' }, 'non-ascii'],
    [{ name: 'x'.repeat(101), field_type: 'Text' }, '101 chars'],
  ];
  for (const [body, label] of bad) {
    assert400(await call(c, { method: 'POST', url: FD, body }), ['name'], label);
  }
  assert.deepEqual((await listFields(c)).custom_fields, [], 'nothing created');

  // Edges that are valid.
  for (const name of ['_x', 'A', 'a1_B2', 'x'.repeat(100)]) {
    const f = await createField(c, name, 'Text');
    assert.equal(f.name, name);
  }
});

test('POST /field_definitions: reserved names (any case) -> 400 field name', async () => {
  const c = freshAccount();
  for (const name of ['first_name', 'EMAIL', 'Created_At', 'updated_at', 'last_name', 'phone_number_id',
    'external_id', 'anonymous_id', 'city', 'Country', 'postal_code', 'alternate_emails']) {
    assert400(await call(c, { method: 'POST', url: FD, body: { name, field_type: 'Text' } }), ['name'], name);
  }
  assert.deepEqual((await listFields(c)).custom_fields, []);
});

test('every reserved field listed by GET /field_definitions is refused as a custom field name', async () => {
  const c = freshAccount();
  const { reserved_fields: reserved } = await listFields(c);
  for (const f of reserved) {
    for (const name of [f.name, f.name.toUpperCase()]) {
      assert400(await call(c, { method: 'POST', url: FD, body: { name, field_type: f.field_type } }), ['name'], name);
    }
  }
  const mine = await createField(c, 'renamable', 'Text');
  for (const f of reserved) {
    assert400(await call(c, { method: 'PATCH', url: `${FD}/${mine.id}`, body: { name: f.name } }), ['name'], `rename to ${f.name}`);
  }
  assert.deepEqual((await listFields(c)).custom_fields, [{ id: mine.id, name: 'renamable', field_type: 'Text' }]);
});

test('POST /field_definitions: duplicate name ignoring case -> 400 field name', async () => {
  const c = freshAccount();
  const f = await createField(c, 'Orders', 'Number');
  assert400(await call(c, { method: 'POST', url: FD, body: { name: 'Orders', field_type: 'Number' } }), ['name'], 'same');
  assert400(await call(c, { method: 'POST', url: FD, body: { name: 'orders', field_type: 'Text' } }), ['name'], 'lower');
  assert400(await call(c, { method: 'POST', url: FD, body: { name: 'ORDERS', field_type: 'Date' } }), ['name'], 'upper');
  assert.deepEqual((await listFields(c)).custom_fields, [{ id: f.id, name: 'Orders', field_type: 'Number' }]);
});

test('POST /field_definitions: field_type missing or not Text/Number/Date -> 400 field field_type', async () => {
  const c = freshAccount();
  for (const ft of [undefined, 'String', 'Boolean', 'Integer', '', 5, null]) {
    const body = { name: 'typed' };
    if (ft !== undefined) body.field_type = ft;
    assert400(await call(c, { method: 'POST', url: FD, body }), ['field_type'], JSON.stringify(ft));
  }
  assert.deepEqual((await listFields(c)).custom_fields, []);
});

test('at most 500 custom fields per account; the 501st -> 400 with field null', async () => {
  const c = freshAccount();
  for (let i = 0; i < 500; i++) await createField(c, `f${i}`, ['Text', 'Number', 'Date'][i % 3]);
  const over = await call(c, { method: 'POST', url: FD, body: { name: 'one_too_many', field_type: 'Text' } });
  assert400(over, [null], '501st');
  const all = await listFields(c);
  assert.equal(all.custom_fields.length, 500);
  assert.ok(!all.custom_fields.some((f) => f.name === 'one_too_many'));

  // Another account is not affected by this one's fields.
  const other = freshAccount();
  await createField(other, 'one_too_many', 'Text');

  // Deleting one frees a slot.
  const del = await call(c, { method: 'DELETE', url: `${FD}/${all.custom_fields[0].id}` });
  assert.equal(del.status, 204);
  const again = await createField(c, 'one_too_many', 'Text');
  assert.notEqual(again.id, all.custom_fields[0].id);
  assert400(await call(c, { method: 'POST', url: FD, body: { name: 'two_too_many', field_type: 'Text' } }), [null], 'full again');
});

// ---------------------------------------------------------- list

test('GET /field_definitions lists custom fields in creation order and the reserved fields', async () => {
  const c = freshAccount();
  const empty = await listFields(c);
  assert.deepEqual(Object.keys(empty).sort(), ['_metadata', 'custom_fields', 'reserved_fields']);
  assert.deepEqual(empty.custom_fields, []);

  const a = await createField(c, 'zeta', 'Text');
  const b = await createField(c, 'alpha', 'Number');
  const d = await createField(c, 'mid', 'Date');
  const r = await listFields(c);
  assert.deepEqual(r.custom_fields, [
    { id: a.id, name: 'zeta', field_type: 'Text' },
    { id: b.id, name: 'alpha', field_type: 'Number' },
    { id: d.id, name: 'mid', field_type: 'Date' },
  ]);
  assert.equal(new URL(r._metadata.self).pathname, FD);

  assert.ok(Array.isArray(r.reserved_fields) && r.reserved_fields.length > 0);
  const byName = {};
  for (const f of r.reserved_fields) {
    assert.match(f.id, /^_rf\d+_[TND]$/, `reserved id ${f.id}`);
    assert.ok(['Text', 'Number', 'Date'].includes(f.field_type), JSON.stringify(f));
    assert.equal(f.id.slice(-1), f.field_type[0], `id suffix matches type: ${JSON.stringify(f)}`);
    if ('read_only' in f) assert.equal(typeof f.read_only, 'boolean');
    for (const k of Object.keys(f)) assert.ok(['id', 'name', 'field_type', 'read_only'].includes(k), `unexpected key ${k}`);
    byName[f.name] = f;
  }
  assert.equal(new Set(r.reserved_fields.map((f) => f.id)).size, r.reserved_fields.length, 'reserved ids distinct');
  for (const n of ['first_name', 'last_name', 'email', 'city', 'country', 'postal_code', 'phone_number_id', 'external_id', 'anonymous_id']) {
    assert.ok(byName[n], `reserved field ${n} listed`);
    assert.equal(byName[n].field_type, 'Text');
    assert.notEqual(byName[n].read_only, true, `${n} is writable`);
  }
  for (const n of ['created_at', 'updated_at']) {
    assert.ok(byName[n], `reserved field ${n} listed`);
    assert.equal(byName[n].field_type, 'Date');
    assert.equal(byName[n].read_only, true, `${n} is read-only`);
  }
  // Custom and reserved never share ids.
  for (const f of r.custom_fields) assert.ok(!r.reserved_fields.some((x) => x.id === f.id));
});

// ---------------------------------------------------------- rename

test('PATCH /field_definitions/{id} renames: same id and type; contacts show the new name', async () => {
  const c = freshAccount();
  const f = await createField(c, 'score', 'Number');
  const other = await createField(c, 'taken', 'Text');
  await upsertOk(c, [{ email: 'ren@example.com', custom_fields: { [f.id]: 7, [other.id]: 'x' } }]);
  assert.deepEqual((await contactByEmail(c, 'ren@example.com')).custom_fields, { score: 7, taken: 'x' });

  const r = await call(c, { method: 'PATCH', url: `${FD}/${f.id}`, body: { name: 'rating' } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.id, f.id);
  assert.equal(r.body.name, 'rating');
  assert.equal(r.body.field_type, 'Number');
  assert.deepEqual((await listFields(c)).custom_fields, [
    { id: f.id, name: 'rating', field_type: 'Number' },
    { id: other.id, name: 'taken', field_type: 'Text' },
  ]);
  assert.deepEqual((await contactByEmail(c, 'ren@example.com')).custom_fields, { rating: 7, taken: 'x' });

  // The new name works as an upsert key; the old one no longer does.
  await upsertOk(c, [{ email: 'ren@example.com', custom_fields: { rating: 8 } }]);
  assert.deepEqual((await contactByEmail(c, 'ren@example.com')).custom_fields, { rating: 8, taken: 'x' });
  const old = await putContacts(c, [{ email: 'ren@example.com', custom_fields: { score: 9 } }]);
  assert400(old, ['custom_fields'], 'old name');
  // The old name is free for a new field.
  await createField(c, 'score', 'Text');

  // Renaming onto another field's name (any case) or a reserved name is not allowed.
  assert400(await call(c, { method: 'PATCH', url: `${FD}/${f.id}`, body: { name: 'TAKEN' } }), ['name'], 'duplicate');
  assert400(await call(c, { method: 'PATCH', url: `${FD}/${f.id}`, body: { name: 'first_name' } }), ['name'], 'reserved');
  assert400(await call(c, { method: 'PATCH', url: `${FD}/${f.id}`, body: { name: 'bad name' } }), ['name'], 'invalid');
  assert400(await call(c, { method: 'PATCH', url: `${FD}/${f.id}`, body: {} }), ['name'], 'missing');
  assert.equal((await listFields(c)).custom_fields[0].name, 'rating', 'failed renames change nothing');
});

test('PATCH /field_definitions: unknown id -> 404 custom_field_id; reserved id -> 400', async () => {
  const c = freshAccount();
  const r = await call(c, { method: 'PATCH', url: `${FD}/e999_T`, body: { name: 'ghost' } });
  assertErrorBody(r, 404);
  assert.equal(r.body.errors[0].field, 'custom_field_id');
  const garbage = await call(c, { method: 'PATCH', url: `${FD}/nonsense`, body: { name: 'ghost' } });
  assertErrorBody(garbage, 404);

  const res = await call(c, { method: 'PATCH', url: `${FD}/_rf0_T`, body: { name: 'renamed_first' } });
  assertErrorBody(res, 400, 'reserved id');
  const fields = await listFields(c);
  assert.equal(fields.reserved_fields.find((f) => f.id === '_rf0_T').name, 'first_name');
  assert.deepEqual(fields.custom_fields, []);
});

// ---------------------------------------------------------- delete

test('DELETE /field_definitions/{id} -> 204; its values vanish; 404 afterwards and for unknown ids', async () => {
  const c = freshAccount();
  const keep = await createField(c, 'keep_me', 'Text');
  const drop = await createField(c, 'drop_me', 'Number');
  await upsertOk(c, [
    { email: 'd1@example.com', custom_fields: { keep_me: 'k1', drop_me: 1 } },
    { email: 'd2@example.com', custom_fields: { drop_me: 2 } },
  ]);

  const del = await call(c, { method: 'DELETE', url: `${FD}/${drop.id}` });
  assert.equal(del.status, 204, JSON.stringify(del.body));
  assert.ok(del.body === undefined || del.body === '' || del.body === null, `empty body: ${JSON.stringify(del.body)}`);
  assert.deepEqual((await listFields(c)).custom_fields, [{ id: keep.id, name: 'keep_me', field_type: 'Text' }]);
  assert.deepEqual((await contactByEmail(c, 'd1@example.com')).custom_fields, { keep_me: 'k1' });
  assert.deepEqual((await contactByEmail(c, 'd2@example.com')).custom_fields, {});

  const again = await call(c, { method: 'DELETE', url: `${FD}/${drop.id}` });
  assertErrorBody(again, 404, 'second delete');
  assertErrorBody(await call(c, { method: 'DELETE', url: `${FD}/e4242_N` }), 404, 'unknown');
  // The deleted id is no longer usable in upserts.
  assert400(await putContacts(c, [{ email: 'd1@example.com', custom_fields: { [drop.id]: 3 } }]), ['custom_fields'], 'deleted id');

  // Re-creating the same name gives a new id and no resurrected values.
  const re = await createField(c, 'drop_me', 'Number');
  assert.notEqual(re.id, drop.id, 'ids are not reused');
  assert.deepEqual((await contactByEmail(c, 'd2@example.com')).custom_fields, {});
});

// ---------------------------------------------------------- values on contacts

test('upsert custom_fields by id and by name (any case); contacts show values keyed by name', async () => {
  const c = freshAccount();
  const t = await createField(c, 'Nickname', 'Text');
  const n = await createField(c, 'orders', 'Number');
  const d = await createField(c, 'signup', 'Date');

  await upsertOk(c, [
    { email: 'byid@example.com', custom_fields: { [t.id]: 'Ace', [n.id]: 12, [d.id]: '2024-01-31' } },
    { email: 'byname@example.com', custom_fields: { nickname: 'Bee', ORDERS: '3.5', SignUp: '01/31/2024' } },
    { email: 'bytime@example.com', custom_fields: { Nickname: '', orders: '-2', signup: '2024-02-29T13:14:15Z' } },
  ]);
  assert.deepEqual((await contactByEmail(c, 'byid@example.com')).custom_fields,
    { Nickname: 'Ace', orders: 12, signup: '2024-01-31T00:00:00Z' });
  const byName = await contactByEmail(c, 'byname@example.com');
  assert.deepEqual(byName.custom_fields, { Nickname: 'Bee', orders: 3.5, signup: '2024-01-31T00:00:00Z' });
  assert.equal(typeof byName.custom_fields.orders, 'number', 'numeric string stored as a number');
  assert.deepEqual((await contactByEmail(c, 'bytime@example.com')).custom_fields,
    { orders: -2, signup: '2024-02-29T13:14:15Z' });
});

test('a custom_fields key written with JSON escapes is read as custom_fields (the catalog is read for it too)', async () => {
  // contactd reads the account's fields only for a body that may name one; a key spelt
  // with \u escapes must still find them, and an unknown field still be refused.
  const key = srv.createKey(`fields-escaped-${process.pid}`);
  const c = srv.clientFor(key);
  await createField(c, 'Nickname', 'Text');
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
  const ok = await raw(srv.url, {
    method: 'PUT', path: CONTACTS, headers,
    body: '{"contacts":[{"email":"escaped@example.com","custom\\u005ffields":{"Nickname":"Esc"}}]}',
  });
  assert.equal(ok.status, 202, ok.text);
  assertJob(await pollJob(c, ok.body.job_id), { status: 'completed', results: { created_count: 1 } });
  assert.deepEqual((await contactByEmail(c, 'escaped@example.com')).custom_fields, { Nickname: 'Esc' });
  const bad = await raw(srv.url, {
    method: 'PUT', path: CONTACTS, headers,
    body: '{"contacts":[{"email":"escaped2@example.com","custom\\u005ffields":{"nope":"x"}}]}',
  });
  assert.equal(bad.status, 400, bad.text);
  assert.match(bad.text, /invalid custom field ids supplied - nope/);
});

test('custom field values merge per field; an empty string clears one field', async () => {
  const c = freshAccount();
  await createField(c, 'color', 'Text');
  await createField(c, 'size', 'Number');
  await createField(c, 'since', 'Date');
  await upsertOk(c, [{ email: 'merge@example.com', custom_fields: { color: 'red', size: 10, since: '2020-05-06' } }]);
  await upsertOk(c, [{ email: 'merge@example.com', custom_fields: { size: 11 } }]);
  assert.deepEqual((await contactByEmail(c, 'merge@example.com')).custom_fields,
    { color: 'red', size: 11, since: '2020-05-06T00:00:00Z' });
  // No custom_fields at all: everything kept.
  await upsertOk(c, [{ email: 'merge@example.com', first_name: 'M' }]);
  assert.deepEqual((await contactByEmail(c, 'merge@example.com')).custom_fields,
    { color: 'red', size: 11, since: '2020-05-06T00:00:00Z' });
  await upsertOk(c, [{ email: 'merge@example.com', custom_fields: { color: '' } }]);
  assert.deepEqual((await contactByEmail(c, 'merge@example.com')).custom_fields,
    { size: 11, since: '2020-05-06T00:00:00Z' });
  await upsertOk(c, [{ email: 'merge@example.com', custom_fields: { since: '', size: '' } }]);
  assert.deepEqual((await contactByEmail(c, 'merge@example.com')).custom_fields, {});
});

test('Text values: up to 1000 characters, strings only', async () => {
  const c = freshAccount();
  const t = await createField(c, 'bio', 'Text');
  await upsertOk(c, [{ email: 'text@example.com', custom_fields: { bio: 'b'.repeat(1000) } }]);
  assert.equal((await contactByEmail(c, 'text@example.com')).custom_fields.bio, 'b'.repeat(1000));
  // The limit counts characters, not bytes.
  await upsertOk(c, [{ email: 'utf8@example.com', custom_fields: { bio: 'é'.repeat(1000) } }]);
  assert.equal((await contactByEmail(c, 'utf8@example.com')).custom_fields.bio, 'é'.repeat(1000));
  assert400(await putContacts(c, [{ email: 'utf8@example.com', custom_fields: { bio: 'é'.repeat(1001) } }]),
    ['contacts[0].custom_fields.bio'], '1001 two-byte chars');

  assert400(await putContacts(c, [{ email: 'text@example.com', custom_fields: { bio: 'b'.repeat(1001) } }]),
    ['contacts[0].custom_fields.bio'], '1001 chars');
  assert400(await putContacts(c, [{ email: 'other@example.com' }, { email: 'text@example.com', custom_fields: { [t.id]: 42 } }]),
    [`contacts[1].custom_fields.${t.id}`], 'number for Text (by id, second contact)');
  assert400(await putContacts(c, [{ email: 'text@example.com', custom_fields: { bio: ['x'] } }]),
    ['contacts[0].custom_fields.bio'], 'array for Text');
  assert.equal((await contactByEmail(c, 'text@example.com')).custom_fields.bio, 'b'.repeat(1000), 'unchanged');
  assert.equal(await findOne(c, 'email', 'other@example.com'), null, 'a rejected request writes nothing');
});

test('Number values: JSON numbers or numeric strings; others -> 400 contacts[N].custom_fields.<key>', async () => {
  const c = freshAccount();
  const n = await createField(c, 'qty', 'Number');
  await upsertOk(c, [
    { email: 'n1@example.com', custom_fields: { qty: 0 } },
    { email: 'n2@example.com', custom_fields: { qty: '42' } },
    { email: 'n3@example.com', custom_fields: { qty: -7.25 } },
  ]);
  assert.deepEqual((await contactByEmail(c, 'n1@example.com')).custom_fields, { qty: 0 });
  assert.deepEqual((await contactByEmail(c, 'n2@example.com')).custom_fields, { qty: 42 });
  assert.deepEqual((await contactByEmail(c, 'n3@example.com')).custom_fields, { qty: -7.25 });

  for (const v of ['abc', '12abc', true, { v: 1 }, [1], '1,5']) {
    assert400(await putContacts(c, [{ email: 'n1@example.com', custom_fields: { qty: v } }]),
      ['contacts[0].custom_fields.qty'], `qty=${JSON.stringify(v)}`);
  }
  assert400(await putContacts(c, [{ email: 'n1@example.com', custom_fields: { QTY: 'x' } }]),
    ['contacts[0].custom_fields.QTY'], 'field named as supplied');
  assert400(await putContacts(c, [{ email: 'n1@example.com' }, { email: 'n2@example.com' }, { email: 'n3@example.com', custom_fields: { [n.id]: 'nan' } }]),
    [`contacts[2].custom_fields.${n.id}`], 'by id, third contact');
  assert.deepEqual((await contactByEmail(c, 'n1@example.com')).custom_fields, { qty: 0 }, 'unchanged');
});

test('Number strings must be plain decimal numbers: hex, NaN and Infinity are rejected', async () => {
  const c = freshAccount();
  await createField(c, 'amount', 'Number');
  await upsertOk(c, [{ email: 'dec@example.com', custom_fields: { amount: '1.5e3' } }]);
  assert.deepEqual((await contactByEmail(c, 'dec@example.com')).custom_fields, { amount: 1500 });
  for (const v of ['0x10', '0X1F', 'NaN', 'Infinity', '-inf', ' 12', '12 ']) {
    assert400(await putContacts(c, [{ email: 'dec@example.com', custom_fields: { amount: v } }]),
      ['contacts[0].custom_fields.amount'], `amount=${JSON.stringify(v)}`);
  }
  assert.deepEqual((await contactByEmail(c, 'dec@example.com')).custom_fields, { amount: 1500 }, 'unchanged');
});

test('Date values: three accepted formats, impossible dates rejected', async () => {
  const c = freshAccount();
  await createField(c, 'when', 'Date');
  const ok = [
    ['2024-01-31', '2024-01-31T00:00:00Z'],
    ['01/31/2024', '2024-01-31T00:00:00Z'],
    ['2024-02-29', '2024-02-29T00:00:00Z'],
    ['12/01/1999', '1999-12-01T00:00:00Z'],
    ['2023-07-04T08:09:10Z', '2023-07-04T08:09:10Z'],
  ];
  for (const [i, [input, shown]] of ok.entries()) {
    await upsertOk(c, [{ email: `date${i}@example.com`, custom_fields: { when: input } }]);
    assert.deepEqual((await contactByEmail(c, `date${i}@example.com`)).custom_fields, { when: shown }, input);
  }
  for (const v of ['2023-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '31/01/2024', '02/30/2024',
    'yesterday', '2024-1-5', '2024-01-31T25:00:00Z', -20240131, 1.5, true]) {
    assert400(await putContacts(c, [{ email: 'date0@example.com', custom_fields: { when: v } }]),
      ['contacts[0].custom_fields.when'], `when=${JSON.stringify(v)}`);
  }
  assert.deepEqual((await contactByEmail(c, 'date0@example.com')).custom_fields, { when: '2024-01-31T00:00:00Z' }, 'unchanged');
});

test('unknown custom field keys -> 400 field custom_fields "invalid custom field ids supplied - ..."', async () => {
  const c = freshAccount();
  await createField(c, 'known', 'Text');
  const r = await putContacts(c, [
    { email: 'u1@example.com', custom_fields: { known: 'ok', nope_one: 'x' } },
    { email: 'u2@example.com', custom_fields: { e9999_T: 'y' } },
  ]);
  assert400(r, ['custom_fields'], 'unknown keys');
  const msg = r.body.errors[0].message;
  assert.ok(msg.startsWith(INVALID_IDS_PREFIX), `message: ${msg}`);
  assert.deepEqual(msg.slice(INVALID_IDS_PREFIX.length).split(',').sort(), ['e9999_T', 'nope_one']);
  assert.equal(await findOne(c, 'email', 'u1@example.com'), null, 'nothing written');

  // A reserved field name is not a custom field.
  const res = await putContacts(c, [{ email: 'u3@example.com', custom_fields: { first_name: 'x' } }]);
  assert400(res, ['custom_fields'], 'reserved name as custom field key');
  assert.equal(res.body.errors[0].message, `${INVALID_IDS_PREFIX}first_name`);
});

test('custom field values read the same through every contact endpoint, after a rename and after a delete', async () => {
  const c = freshAccount();
  const lr = await call(c, { method: 'POST', url: '/v3/marketing/lists', body: { name: 'cf-views' } });
  assert.equal(lr.status, 201);
  const listId = lr.body.id;
  const n = await createField(c, 'visits', 'Number');
  await createField(c, 'joined', 'Date');
  await createField(c, 'tier', 'Text');
  const jobId = await upsert(c, [{ email: 'views@example.com', custom_fields: { visits: 3, joined: '03/04/2021', tier: 'gold' } }], { list_ids: [listId] });
  assertJob(await pollJob(c, jobId), { status: 'completed', results: { errored_count: 0 } });

  async function everyView() {
    const base = await contactByEmail(c, 'views@example.com');
    const views = { identifiers: base };
    const byId = await call(c, { method: 'GET', url: `${CONTACTS}/${base.id}` });
    views.get = byId.body;
    views.batch = (await call(c, { method: 'POST', url: `${CONTACTS}/batch`, body: { ids: [base.id] } })).body.result[0];
    views.emails = (await call(c, { method: 'POST', url: `${CONTACTS}/search/emails`, body: { emails: ['views@example.com'] } })).body.result['views@example.com'].contact;
    views.sample = (await call(c, { method: 'GET', url: `/v3/marketing/lists/${listId}?contact_sample=true` })).body.contact_sample[0];
    views.recent = (await call(c, { method: 'GET', url: CONTACTS })).body.result.find((x) => x.id === base.id);
    return views;
  }
  async function assertAll(expected, label) {
    const views = await everyView();
    for (const [k, v] of Object.entries(views)) {
      assert.ok(v, `${label}: contact missing from ${k}`);
      assert.deepEqual(v.custom_fields, expected, `${label}: custom_fields through ${k}`);
      assert.deepEqual(v, views.get, `${label}: ${k} differs from GET /contacts/{id}`);
    }
  }

  await assertAll({ visits: 3, joined: '2021-03-04T00:00:00Z', tier: 'gold' }, 'initial');
  const ren = await call(c, { method: 'PATCH', url: `${FD}/${n.id}`, body: { name: 'Page_Views' } });
  assert.equal(ren.status, 200, JSON.stringify(ren.body));
  await assertAll({ Page_Views: 3, joined: '2021-03-04T00:00:00Z', tier: 'gold' }, 'after rename');
  const del = await call(c, { method: 'DELETE', url: `${FD}/${n.id}` });
  assert.equal(del.status, 204);
  await assertAll({ joined: '2021-03-04T00:00:00Z', tier: 'gold' }, 'after delete');
});

test('Number values keep their precision', async () => {
  const c = freshAccount();
  await createField(c, 'precise', 'Number');
  for (const [i, v] of [3.14159265358979, 123456789, 12345678901234, 0.1, -2.5e-7, 9007199254740991].entries()) {
    await upsertOk(c, [{ email: `p${i}@example.com`, custom_fields: { precise: v } }]);
    assert.deepEqual((await contactByEmail(c, `p${i}@example.com`)).custom_fields, { precise: v }, String(v));
  }
  await upsertOk(c, [{ email: 'ps@example.com', custom_fields: { precise: '123456789.125' } }]);
  assert.deepEqual((await contactByEmail(c, 'ps@example.com')).custom_fields, { precise: 123456789.125 });
});

test('renaming a field to its own name or a different case of it is allowed', async () => {
  const c = freshAccount();
  const f = await createField(c, 'loyalty', 'Text');
  for (const name of ['loyalty', 'Loyalty']) {
    const r = await call(c, { method: 'PATCH', url: `${FD}/${f.id}`, body: { name } });
    assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.name, name);
    assert.equal(r.body.id, f.id);
  }
  assert.deepEqual((await listFields(c)).custom_fields, [{ id: f.id, name: 'Loyalty', field_type: 'Text' }]);
});

test('a field deleted and re-created while an upsert setting it is queued: no old value resurfaces', async () => {
  const c = freshAccount();
  const f = await createField(c, 'volatile', 'Number');
  const contacts = [];
  for (let i = 0; i < 1500; i++) contacts.push({ external_id: `vol-${i}`, custom_fields: { volatile: i } });
  const jobId = await upsert(c, contacts);
  assert.equal((await call(c, { method: 'DELETE', url: `${FD}/${f.id}` })).status, 204);
  const f2 = await createField(c, 'volatile', 'Text');
  assert.notEqual(f2.id, f.id);
  const job = await pollJob(c, jobId, { timeoutMs: 30000 });
  assert.equal(job.results.created_count + job.results.errored_count, 1500, JSON.stringify(job));
  for (const i of [0, 749, 1499]) {
    const ct = await findOne(c, 'external_id', `vol-${i}`);
    if (ct) assert.deepEqual(ct.custom_fields, {}, `vol-${i}: a value of the deleted Number field shows under the new Text field`);
  }
});
