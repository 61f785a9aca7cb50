'use strict';
// POST /v3/marketing/contacts/search {query}: SGQL operators (=, !=, LIKE, IN,
// IS NULL, BETWEEN, AND/OR/NOT, parentheses, lower()/upper(), CONTAINS), custom
// Number/Date/Text fields, created_at with CURRENT_TIMESTAMP - INTERVAL, SQL's
// three-valued logic, the 50-result cap with contact_count, 400s for bad queries
// and bodies, and account isolation.

const { before, after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, raw, pollJob, upsert, assert400, assertJob, assertTimestamp, errorFields,
  findOne, UUID_RE, RESERVED_STRING_FIELDS, test,
  upsertOk, createList, createField, freshAccount: newAccount,
} = require('./lib/server');

const SEARCH = '/v3/marketing/contacts/search';
const LISTS = '/v3/marketing/lists';
const FD = '/v3/marketing/field_definitions';

let srv;
let A;            // the account with the fixture contacts (the server's own key)
const fx = {};    // list and field ids, contact ids by key

// The fixture contacts, keyed by a short name. `key` of a result contact: its
// email, or its external_id when it has none.
const PEOPLE = {
  alice: {
    email: 'alice@example.com', first_name: 'Alice', last_name: 'Smith', city: 'Berlin',
    alternate_emails: ['alice@work.org'], custom_fields: { age: 30, joined: '2020-05-01', plan: 'gold' },
  },
  bob: {
    email: 'bob@example.com', first_name: 'Bob', last_name: 'Jones', city: 'Paris',
    custom_fields: { age: 45, joined: '2022-01-15', plan: 'silver' },
  },
  carol: {
    email: 'carol@test.org', first_name: 'carol', city: 'Berlin', country: 'DE',
    custom_fields: { age: 22, plan: 'gold' },
  },
  dave: { email: 'dave@example.com', first_name: 'Dave', last_name: 'Smith-Jones' },
  eve: { external_id: 'ext-eve', phone_number_id: '+14155550100', first_name: 'Eve', city: 'Paris' },
  frank: {
    email: 'frank@example.net', first_name: 'FRANK', last_name: '100% Smith', city: 'Zürich',
    custom_fields: { age: 30.5, plan: 'Gold' },
  },
  grace: { email: 'grace@example.com' },
};
const ALL = Object.keys(PEOPLE).sort();
const keyOf = (c) => c.email || c.external_id;
const NAME_BY_KEY = Object.fromEntries(Object.entries(PEOPLE).map(([n, p]) => [p.email || p.external_id, n]));

// ------------------------------------------------------------ local helpers

function freshAccount() {
  return newAccount(srv, 'sgql');
}

function search(client, query) {
  return call(client, { method: 'POST', url: SEARCH, body: { query } });
}

// Run a query that must succeed; check the response shape; return the result.
async function searchOk(client, query) {
  const r = await search(client, query);
  assert.equal(r.status, 200, `${query}: ${r.status} ${JSON.stringify(r.body)}`);
  assert.deepEqual(Object.keys(r.body).sort(), ['_metadata', 'contact_count', 'result'], `${query}: ${JSON.stringify(r.body)}`);
  assert.ok(Array.isArray(r.body.result));
  assert.equal(typeof r.body.contact_count, 'number');
  assert.ok(r.body.result.length <= 50);
  if (r.body.contact_count <= 50) assert.equal(r.body.result.length, r.body.contact_count, `${query}: count`);
  assert.equal(new URL(r.body._metadata.self).pathname, SEARCH);
  return r.body;
}

// The fixture names a query finds in account A, sorted.
async function names(query) {
  const body = await searchOk(A, query);
  return body.result.map((c) => {
    const n = NAME_BY_KEY[keyOf(c)];
    assert.ok(n, `${query}: unexpected contact ${JSON.stringify(c)}`);
    return n;
  }).sort();
}

// Assert a query finds exactly `expected` (fixture names).
async function finds(query, expected) {
  assert.deepEqual(await names(query), [...expected].sort(), query);
}

function assertQuery400(r, label) {
  assert400(r, ['query'], label);
  assert.ok(r.body.errors[0].message.length > 0);
}

// ------------------------------------------------------------------- fixture

before(async () => {
  srv = await startServer();
  A = srv.client;
  fx.l1 = await createList(A, 'L1');
  fx.l2 = await createList(A, 'L2');
  fx.age = await createField(A, 'age', 'Number');
  fx.joined = await createField(A, 'joined', 'Date');
  fx.plan = await createField(A, 'plan', 'Text');
  const { alice, bob, carol, dave, eve, frank, grace } = PEOPLE;
  await upsertOk(A, [alice, bob], { list_ids: [fx.l1.id] });
  await upsertOk(A, [bob, carol], { list_ids: [fx.l2.id] });
  await upsertOk(A, [dave, eve, frank, grace]);
  fx.ids = {};
  for (const [n, p] of Object.entries(PEOPLE)) {
    const c = p.email ? await findOne(A, 'email', p.email) : await findOne(A, 'external_id', p.external_id);
    assert.ok(c, n);
    fx.ids[n] = c.id;
  }
});
after(async () => { if (srv) await srv.stop(); });

// --------------------------------------------------------------------- shape

test('200 {result, contact_count, _metadata}; results are full ContactDetails3', async () => {
  const body = await searchOk(A, "email = 'alice@example.com'");
  assert.equal(body.contact_count, 1);
  const c = body.result[0];
  assert.equal(c.id, fx.ids.alice);
  assert.match(c.id, UUID_RE);
  for (const f of RESERVED_STRING_FIELDS) assert.equal(typeof c[f], 'string', `${f}: ${JSON.stringify(c)}`);
  assert.equal(c.first_name, 'Alice');
  assert.equal(c.city, 'Berlin');
  assert.deepEqual(c.alternate_emails, ['alice@work.org']);
  assert.deepEqual(c.list_ids, [fx.l1.id]);
  assert.deepEqual(c.segment_ids, []);
  assert.deepEqual(c.custom_fields, { age: 30, joined: '2020-05-01T00:00:00Z', plan: 'gold' });
  assertTimestamp(c.created_at, 'created_at');
  assertTimestamp(c.updated_at, 'updated_at');
  assert.ok(c._metadata && new URL(c._metadata.self).pathname === `/v3/marketing/contacts/${c.id}`, JSON.stringify(c._metadata));

  const none = await searchOk(A, "email = 'nobody@example.com'");
  assert.deepEqual(none.result, []);
  assert.equal(none.contact_count, 0);
});

// ----------------------------------------------------------------- operators

test('= and != on reserved fields (case-sensitive; unset fields never compare)', async () => {
  await finds("email = 'bob@example.com'", ['bob']);
  await finds("first_name = 'Alice'", ['alice']);
  await finds("first_name = 'alice'", []);
  await finds("first_name == 'Dave'", ['dave']);
  await finds("city = 'Zürich'", ['frank']);
  await finds("external_id = 'ext-eve'", ['eve']);
  await finds("phone_number_id = '+14155550100'", ['eve']);
  await finds(`contact_id = '${fx.ids.carol}'`, ['carol']);
  // grace has no first name: != is unknown for her, not true.
  await finds("first_name != 'Alice'", ['bob', 'carol', 'dave', 'eve', 'frank']);
  await finds("first_name <> 'Alice'", ['bob', 'carol', 'dave', 'eve', 'frank']);
  await finds("city != 'Berlin'", ['bob', 'eve', 'frank']);
  // String comparisons by code point.
  await finds("last_name > 'Smith'", ['dave']);
  await finds("first_name < 'B'", ['alice']);
});

test('LIKE and NOT LIKE: % and _ wildcards, case-sensitive, escapes', async () => {
  await finds("email LIKE '%@example.com'", ['alice', 'bob', 'dave', 'grace']);
  await finds("email NOT LIKE '%@example.com'", ['carol', 'frank']);
  await finds("first_name LIKE '_ob'", ['bob']);
  await finds("first_name LIKE 'a%'", []);
  await finds("first_name LIKE 'A%'", ['alice']);
  await finds("last_name LIKE '%Jones%'", ['bob', 'dave']);
  await finds("last_name LIKE '100\\% %'", ['frank']);
  await finds("last_name LIKE '%\\%%'", ['frank']);
  await finds("email LIKE '%'", ['alice', 'bob', 'carol', 'dave', 'frank', 'grace']);
});

test('IN and NOT IN', async () => {
  await finds("city IN ('Berlin', 'Paris')", ['alice', 'bob', 'carol', 'eve']);
  await finds("city NOT IN ('Berlin', 'Paris')", ['frank']);
  await finds("first_name IN ('Alice')", ['alice']);
  await finds('age IN (30, 45)', ['alice', 'bob']);
  await finds("age IN ('22', 30.5)", ['carol', 'frank']);
});

test('IS NULL and IS NOT NULL, for reserved and custom fields', async () => {
  await finds('first_name IS NULL', ['grace']);
  await finds('city IS NULL', ['dave', 'grace']);
  await finds('city IS NOT NULL', ['alice', 'bob', 'carol', 'eve', 'frank']);
  await finds('email IS NULL', ['eve']);
  await finds('age IS NULL', ['dave', 'eve', 'grace']);
  await finds('joined IS NOT NULL', ['alice', 'bob']);
  await finds('plan IS NOT NULL', ['alice', 'bob', 'carol', 'frank']);
});

test('AND, OR, NOT and parentheses: precedence and three-valued logic', async () => {
  await finds("city = 'Berlin' AND last_name = 'Smith'", ['alice']);
  await finds("city = 'Berlin' OR city = 'Paris'", ['alice', 'bob', 'carol', 'eve']);
  // AND binds tighter than OR.
  await finds("city = 'Berlin' OR city = 'Paris' AND first_name = 'Bob'", ['alice', 'bob', 'carol']);
  await finds("(city = 'Berlin' OR city = 'Paris') AND first_name = 'Bob'", ['bob']);
  await finds("(city = 'Berlin' OR city = 'Paris') AND (first_name = 'Bob' OR first_name = 'carol')", ['bob', 'carol']);
  await finds("NOT city = 'Berlin'", ['bob', 'eve', 'frank']);
  await finds("NOT (city = 'Berlin' OR city = 'Paris')", ['frank']);
  await finds("NOT NOT city = 'Paris'", ['bob', 'eve']);
  // Unknown OR true is true; unknown AND false is false.
  await finds("city = 'Nowhere' OR email LIKE 'grace%'", ['grace']);
  // dave: unknown AND false = false, NOT false = true; grace: NOT unknown = unknown.
  await finds("NOT (city = 'Berlin' AND first_name = 'X')", ['alice', 'bob', 'carol', 'dave', 'eve', 'frank']);
  await finds("NOT (city = 'Berlin' OR first_name = 'X')", ['bob', 'eve', 'frank']);
  // keywords, functions and field names ignore case
  await finds("EMAIL = 'bob@example.com' and City like 'Par%'", ['bob']);
  await finds("city is null or CITY = 'Zürich'", ['dave', 'frank', 'grace']);
});

test('lower() and upper()', async () => {
  await finds("lower(first_name) = 'frank'", ['frank']);
  await finds("LOWER(first_name) = 'carol'", ['carol']);
  await finds("upper(first_name) = 'ALICE'", ['alice']);
  await finds("lower(first_name) LIKE 'a%'", ['alice']);
  await finds("lower(city) = 'zürich'", ['frank']);
  await finds("upper(city) = 'ZÜRICH'", ['frank']);
  await finds("lower(plan) = 'gold'", ['alice', 'carol', 'frank']);
  await finds("lower(first_name) IN ('bob', 'eve')", ['bob', 'eve']);
});

test('CONTAINS on list_ids, alternate_emails and email_domains', async () => {
  await finds(`CONTAINS(list_ids, '${fx.l1.id}')`, ['alice', 'bob']);
  await finds(`CONTAINS(list_ids, '${fx.l2.id}')`, ['bob', 'carol']);
  await finds(`CONTAINS(list_ids, '${fx.l2.id}') AND NOT CONTAINS(list_ids, '${fx.l1.id}')`, ['carol']);
  await finds(`NOT CONTAINS(list_ids, '${fx.l1.id}') AND NOT CONTAINS(list_ids, '${fx.l2.id}')`, ['dave', 'eve', 'frank', 'grace']);
  await finds("CONTAINS(list_ids, '0e8f4a52-6a4f-4c1e-9a57-3b2d7c9e1f00')", []);
  await finds("contains(alternate_emails, 'alice@work.org')", ['alice']);
  await finds("CONTAINS(email_domains, 'work.org')", ['alice']);
  await finds("CONTAINS(email_domains, 'EXAMPLE.NET')", ['frank']);
  await finds('list_ids IS NULL', ['dave', 'eve', 'frank', 'grace']);
});

test('custom Number fields compare as numbers', async () => {
  await finds('age > 29', ['alice', 'bob', 'frank']);
  await finds('age >= 30', ['alice', 'bob', 'frank']);
  await finds('age > 30', ['bob', 'frank']);
  await finds('age < 30', ['carol']);
  await finds('age <= 30', ['alice', 'carol']);
  await finds('age = 30.5', ['frank']);
  await finds("age = '45'", ['bob']);
  await finds('age != 30', ['bob', 'carol', 'frank']);
  await finds('age > 100', []);
  await finds('age BETWEEN 25 AND 40', ['alice', 'frank']);
  await finds('age NOT BETWEEN 25 AND 40', ['bob', 'carol']);
  await finds('age > -1 AND age < 23', ['carol']);
  // by field id too
  await finds(`${fx.age.id} >= 45`, ['bob']);
});

test('custom Date fields compare as instants, in any accepted date format', async () => {
  await finds("joined > '2021-01-01'", ['bob']);
  await finds("joined < '2021-01-01'", ['alice']);
  await finds("joined = '2020-05-01'", ['alice']);
  await finds("joined = '05/01/2020'", ['alice']);
  await finds("joined = '2020-05-01T00:00:00Z'", ['alice']);
  await finds("joined >= '2020-05-01T00:00:01Z'", ['bob']);
  await finds("joined BETWEEN '2020-01-01' AND '2022-12-31'", ['alice', 'bob']);
  await finds("joined IN ('2022-01-15', '1999-01-01')", ['bob']);
  await finds('joined < CURRENT_DATE', ['alice', 'bob']);
  await finds("joined > TIMESTAMP '2022-01-14T23:59:59Z'", ['bob']);
});

test('custom Text fields compare as strings', async () => {
  await finds("plan = 'gold'", ['alice', 'carol']);
  await finds("plan != 'gold'", ['bob', 'frank']);
  await finds("plan LIKE 'G%'", ['frank']);
  await finds("plan IN ('silver', 'Gold')", ['bob', 'frank']);
});

test('created_at and updated_at against CURRENT_TIMESTAMP and INTERVAL', async () => {
  await finds('created_at > CURRENT_TIMESTAMP - INTERVAL 1 DAY', ALL);
  await finds('created_at > CURRENT_TIMESTAMP - INTERVAL 2 HOURS', ALL);
  await finds('created_at < CURRENT_TIMESTAMP - INTERVAL 1 DAY', []);
  await finds('created_at <= CURRENT_TIMESTAMP', ALL);
  await finds('created_at > CURRENT_TIMESTAMP + INTERVAL 1 MINUTE', []);
  await finds("created_at > NOW() - INTERVAL '7' DAY", ALL);
  await finds('updated_at >= created_at', ALL);
  await finds('updated_at > CURRENT_TIMESTAMP - INTERVAL 1 WEEK AND city = \'Paris\'', ['bob', 'eve']);
  await finds("created_at > '2000-01-01'", ALL);
  await finds("created_at < '2000-01-01'", []);
  await finds('created_at IS NULL', []);
  await finds('last_clicked IS NULL', ALL);
});

test('a search sees the latest data', async () => {
  const c = freshAccount();
  await upsertOk(c, [{ email: 'change@example.com', city: 'Before' }]);
  assert.equal((await searchOk(c, "city = 'Before'")).contact_count, 1);
  await upsertOk(c, [{ email: 'change@example.com', city: 'After' }]);
  assert.equal((await searchOk(c, "city = 'Before'")).contact_count, 0);
  assert.equal((await searchOk(c, "city = 'After'")).contact_count, 1);
});

test('at most 50 results; contact_count counts every match', async () => {
  const c = freshAccount();
  const contacts = [];
  for (let i = 0; i < 60; i++) contacts.push({ email: `cap${i}@cap.example`, first_name: i < 55 ? 'Many' : 'Few' });
  contacts.push({ email: 'other@elsewhere.example' });
  await upsertOk(c, contacts);
  const all = await searchOk(c, "email LIKE '%@cap.example'");
  assert.equal(all.contact_count, 60);
  assert.equal(all.result.length, 50);
  const emails = all.result.map((x) => x.email);
  assert.equal(new Set(emails).size, 50, 'no contact twice');
  for (const e of emails) assert.match(e, /^cap\d+@cap\.example$/);
  const many = await searchOk(c, "first_name = 'Many'");
  assert.equal(many.contact_count, 55);
  assert.equal(many.result.length, 50);
  const few = await searchOk(c, "first_name = 'Few'");
  assert.equal(few.contact_count, 5);
  assert.deepEqual(few.result.map((x) => x.email).sort(), [55, 56, 57, 58, 59].map((i) => `cap${i}@cap.example`));
  const exactly50 = await searchOk(c, "first_name = 'Many' AND email NOT IN ('cap0@cap.example', 'cap1@cap.example', 'cap2@cap.example', 'cap3@cap.example', 'cap4@cap.example')");
  assert.equal(exactly50.contact_count, 50);
  assert.equal(exactly50.result.length, 50);
});

test('string literals: doubled and escaped quotes, double quotes; field against field; NULL literals', async () => {
  const c = freshAccount();
  await upsertOk(c, [
    { email: 'ob@example.com', first_name: "O'Brien", last_name: "O'Brien", city: 'Zürich' },
    { email: 'nq@example.com', first_name: 'Plain', last_name: 'Other' },
  ]);
  const emails = async (q) => (await searchOk(c, q)).result.map((x) => x.email).sort();
  assert.deepEqual(await emails("first_name = 'O''Brien'"), ['ob@example.com']);
  assert.deepEqual(await emails("first_name = 'O\\'Brien'"), ['ob@example.com']);
  assert.deepEqual(await emails(`first_name = "O'Brien"`), ['ob@example.com']);
  assert.deepEqual(await emails('first_name = last_name'), ['ob@example.com']);
  assert.deepEqual(await emails('first_name != last_name'), ['nq@example.com']);
  assert.deepEqual(await emails("city LIKE 'Z_rich'"), ['ob@example.com'], '_ is one character, not one byte');
  assert.deepEqual(await emails('email = NULL'), [], 'comparing with NULL is never true');
  assert.deepEqual(await emails('email != NULL'), []);
  assert.deepEqual(await emails("city IN ('Zürich', NULL)"), ['ob@example.com']);
  assert.deepEqual(await emails("city NOT IN ('x', NULL)"), []);
  assert.deepEqual(await emails('1 = 1'), ['nq@example.com', 'ob@example.com']);
  assert.deepEqual(await emails('1 = 0'), []);
});

test('dates: time zones, DATE literals, calendar intervals', async () => {
  const c = freshAccount();
  await createField(c, 'at', 'Date');
  await upsertOk(c, [
    { email: 'noon@example.com', custom_fields: { at: '2020-05-01T15:00:00Z' } },
    { email: 'jan31@example.com', custom_fields: { at: '2024-01-31' } },
  ]);
  const emails = async (q) => (await searchOk(c, q)).result.map((x) => x.email).sort();
  assert.deepEqual(await emails("at = '2020-05-01T17:00:00+02:00'"), ['noon@example.com']);
  assert.deepEqual(await emails("at < '2020-05-01T15:00:01Z' AND at > '2020-05-01T14:59:59Z'"), ['noon@example.com']);
  assert.deepEqual(await emails("at = DATE '2020-05-01'"), [], 'DATE drops the time of day of the literal only');
  assert.deepEqual(await emails("at > DATE '2020-04-30' + INTERVAL 1 DAY AND at < DATE '2020-05-02'"), ['noon@example.com']);
  // Jan 31 + 1 month = Feb 29 (2024 is a leap year).
  assert.deepEqual(await emails("at + INTERVAL 1 MONTH = '2024-02-29'"), ['jan31@example.com']);
  assert.deepEqual(await emails("at = TIMESTAMP '2024-03-31' - INTERVAL 2 MONTHS"), ['jan31@example.com']);
  assert.deepEqual(await emails("at + INTERVAL 1 YEAR > '2025-01-30'"), ['jan31@example.com']);
});

test('limits: nesting deeper than 64, more than 4096 terms, queries over 64 KiB -> 400', async () => {
  const nest = (n) => `${'('.repeat(n)}email IS NULL${')'.repeat(n)}`;
  await finds(nest(60), ['eve']);
  assertQuery400(await search(A, nest(65)), '65 levels');
  assertQuery400(await search(A, nest(5000)), '5000 levels');
  assertQuery400(await search(A, `${'NOT '.repeat(200)}email IS NULL`), '200 NOTs');
  const items = (n) => Array.from({ length: n }, (_, i) => `'x${i}'`).join(',');
  await finds(`city IN (${items(1000)}, 'Paris')`, ['bob', 'eve']);
  assertQuery400(await search(A, `city IN (${items(5000)})`), '5000 IN items');
  // The request body itself is limited to 64 KiB as well, so an over-long query may be
  // refused as a too-large body.
  const long = await search(A, `email = '${'x'.repeat(70 * 1024)}'`);
  assert.ok([400, 413].includes(long.status), `over 64 KiB: ${long.status} ${JSON.stringify(long.body)}`);
  await finds(`email = '${'x'.repeat(60 * 1024)}'`, []);
  assertQuery400(await search(A, "created_at > CURRENT_TIMESTAMP - INTERVAL 100001 DAY"), 'interval too large');
});

// -------------------------------------------------------------------- errors

test('syntax errors -> 400 on field "query"', async () => {
  for (const q of [
    '', '   ', "email = 'a@example.com' AND", "email =", "(email = 'a@example.com'", "email = 'a@example.com')",
    "email = 'unterminated", "email LIKE", "city IN ()", "city IN 'Berlin'", "email IS 'x'",
    "email 'x'", "AND email = 'x'", "email = 'x' OR OR city = 'y'", "email === 'x'", 'age > > 3',
    "CONTAINS(list_ids)", "city = 'a' city = 'b'", "created_at > CURRENT_TIMESTAMP - INTERVAL 1 FORTNIGHT",
    'age BETWEEN 1', '#',
  ]) {
    assertQuery400(await search(A, q), JSON.stringify(q));
  }
});

test('unknown fields and functions, and type mismatches -> 400 on field "query"', async () => {
  for (const q of [
    "favourite_colour = 'blue'", "custom_fields = 'x'", "foo(email) = 'x'", "email_address = 'x'",
    "age = 'abc'", "age LIKE '3%'", "joined = 'not a date'", "joined = '2021-02-30'", "CONTAINS(first_name, 'x')",
    "CONTAINS(age, 1)", "list_ids = 'x'", "created_at > 'yesterday'", "lower(age) = '3'",
  ]) {
    assertQuery400(await search(A, q), JSON.stringify(q));
  }
  const r = await search(A, "favourite_colour = 'blue'");
  assert.match(r.body.errors[0].message, /favourite_colour/);
});

test('query missing, not a string, bad bodies -> 400; unknown body keys are ignored', async () => {
  const post = (body) => raw(srv.url, {
    method: 'POST', path: SEARCH, body,
    headers: { Authorization: `Bearer ${srv.key}`, 'Content-Type': 'application/json' },
  });
  for (const body of [{}, { query: null }, { query: 5 }, { query: ['email IS NULL'] }, { query: { q: 1 } }, { query: true }]) {
    assert400(await post(body), ['query'], JSON.stringify(body));
  }
  // page_size / page_token are what users send to the live service: ignored
  assert.equal((await post({ query: 'email IS NULL', page_size: 10, page_token: 'x' })).status, 200, 'unknown keys');
  assert400(await post({ query: 5, extra: 1 }), ['query'], 'a bad query with an unknown key');
  for (const body of ['[]', '"email IS NULL"', '{"query": "email IS NULL"', 'not json']) {
    const r = await post(body);
    assert.equal(r.status, 400, `${body}: ${r.text}`);
    errorFields(r.body);
  }
  // A NUL character in the query is refused (as invalid JSON or on field query).
  const nul = await post({ query: "email = 'a\u0000b'" });
  assert.equal(nul.status, 400, nul.text);
  errorFields(nul.body);
});

// ----------------------------------------------------------------- isolation

test('an account searches only its own contacts, fields and lists', async () => {
  const B = freshAccount();
  await upsertOk(B, [{ email: 'b1@example.com', first_name: 'Alice', city: 'Berlin' }, { email: 'alice@example.com' }]);
  const b = await searchOk(B, "email LIKE '%'");
  assert.deepEqual(b.result.map((x) => x.email).sort(), ['alice@example.com', 'b1@example.com']);
  assert.equal(b.contact_count, 2);
  const sameEmail = await searchOk(B, "email = 'alice@example.com'");
  assert.equal(sameEmail.contact_count, 1);
  assert.notEqual(sameEmail.result[0].id, fx.ids.alice, 'B finds its own alice, not A\'s');
  assert.equal((await searchOk(B, "first_name = 'Alice'")).result[0].email, 'b1@example.com');
  // A's custom field does not exist in B.
  assertQuery400(await search(B, 'age > 1'), 'A\'s field in B');
  assertQuery400(await search(B, `${fx.age.id} > 1`), 'A\'s field id in B');
  // A's list id matches nothing in B.
  assert.equal((await searchOk(B, `CONTAINS(list_ids, '${fx.l1.id}')`)).contact_count, 0);
  // ... and A still sees only its own.
  await finds("first_name = 'Alice'", ['alice']);
  assert.equal((await searchOk(A, "email LIKE '%'")).contact_count, 6);
  assert.equal((await searchOk(A, "email = 'b1@example.com'")).contact_count, 0);
  // A fresh account with no contacts: an empty result.
  const empty = await searchOk(freshAccount(), 'email IS NOT NULL OR email IS NULL');
  assert.deepEqual(empty, { ...empty, result: [], contact_count: 0 });
});
