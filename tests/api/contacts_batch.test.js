'use strict';
// POST /v3/marketing/contacts/batch: the contacts of up to 100 ids.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, getContact, assert400, freshAccount, upsertOk, idOf, contactsBatch: batch,
  assertContact, test,
} = require('./lib/server');

let srv;
const C = '/v3/marketing/contacts';
before(async () => { srv = await startServer(); });
after(async () => { if (srv) await srv.stop(); });

const UNKNOWN_ID = '0e8f4a52-6a4f-4c1e-9a57-3b2d7c9e1f00';
const UNKNOWN_ID2 = '7d1c3b2a-1111-4222-8333-944455556666';
const account = () => freshAccount(srv, 'contacts-batch');

test('POST /contacts/batch returns the contacts found; unknown ids are left out', async () => {
  const c = account();
  await upsertOk(c, [
    { email: 'b1@example.com', first_name: 'One' },
    { email: 'b2@example.com', first_name: 'Two' },
    { email: 'b3@example.com', first_name: 'Three' },
  ]);
  const id1 = await idOf(c, 'b1@example.com');
  const id3 = await idOf(c, 'b3@example.com');

  const r = await batch(c, [id1, UNKNOWN_ID, id3, 'not-even-a-uuid']);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['result']);
  assert.equal(r.body.result.length, 2, JSON.stringify(r.body));
  const byId = Object.fromEntries(r.body.result.map((x) => [x.id, x]));
  assert.deepEqual(Object.keys(byId).sort(), [id1, id3].sort());
  assertContact(byId[id1], { email: 'b1@example.com', first_name: 'One' });
  assertContact(byId[id3], { email: 'b3@example.com', first_name: 'Three' });
  assert.deepEqual(byId[id1], (await getContact(c, id1)).body, 'same representation as GET /contacts/{id}');

  const none = await batch(c, [UNKNOWN_ID, UNKNOWN_ID2]);
  assert.equal(none.status, 200, JSON.stringify(none.body));
  assert.deepEqual(none.body, { result: [] });

  // 100 ids is the maximum and is accepted.
  const hundred = [id1];
  for (let i = 1; i < 100; i++) hundred.push(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const h = await batch(c, hundred);
  assert.equal(h.status, 200, JSON.stringify(h.body));
  assert.deepEqual(h.body.result.map((x) => x.id), [id1]);
});

test('POST /contacts/batch validation: ids missing/empty/>100/not an array -> 400 ids; non-string -> ids[N]', async () => {
  const c = srv.client;
  const many = [];
  for (let i = 0; i < 101; i++) many.push(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  for (const [body, label] of [[{}, 'missing'], [{ ids: [] }, 'empty'], [{ ids: many }, '101'],
    [{ ids: 'abc' }, 'string'], [{ ids: { a: 1 } }, 'object'], [{ ids: null }, 'null']]) {
    assert400(await call(c, { method: 'POST', url: `${C}/batch`, body }), ['ids'], label);
  }
  assert400(await batch(c, [UNKNOWN_ID, 5]), ['ids[1]'], 'number');
  assert400(await batch(c, [null]), ['ids[0]'], 'null');
  assert400(await batch(c, [UNKNOWN_ID, UNKNOWN_ID2, { id: 'x' }]), ['ids[2]'], 'object');
});
