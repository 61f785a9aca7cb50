'use strict';
// Durability: a 202 means the job is on disk. Jobs accepted just before a
// SIGTERM or a SIGKILL all finish after a restart on the same database.

const { after } = require('node:test');
const assert = require('node:assert/strict');
const {
  startServer, call, pollJob, upsert, upsertAndWait, searchIds, getContact, assertJob,
  assertContactShape, test,
} = require('./lib/server');

const started = [];
after(async () => {
  for (const s of started) if (s.running) await s.stop();
});

async function newServer() {
  const s = await startServer();
  started.push(s);
  return s;
}

function batchContacts(prefix, r, perReq) {
  const contacts = [];
  for (let i = 0; i < perReq; i++) {
    contacts.push({ email: `${prefix}-${r}-${i}@example.com`, external_id: `${prefix}-${r}-${i}`, first_name: `R${r}` });
  }
  return contacts;
}

// Send nReq upserts of perReq new contacts each, `parallel` at a time (big
// enough that jobs are typically still pending when the burst ends);
// resolve with the job ids once every one has its 202.
async function burst(client, prefix, { nReq = 20, perReq = 1000, parallel = 8 } = {}) {
  const jobIds = new Array(nReq);
  let next = 0;
  async function worker() {
    while (next < nReq) {
      const r = next++;
      const res = await call(client, { method: 'PUT', url: '/v3/marketing/contacts', body: { contacts: batchContacts(prefix, r, perReq) } });
      assert.equal(res.status, 202, `request ${r}: ${res.status} ${JSON.stringify(res.body)}`);
      jobIds[r] = res.body.job_id;
    }
  }
  await Promise.all(Array.from({ length: parallel }, worker));
  return jobIds;
}

// After the restart: every job completed, every contact readable with its data.
async function verifyBurst(client, prefix, jobIds, perReq) {
  for (let r = 0; r < jobIds.length; r++) {
    const job = await pollJob(client, jobIds[r], { timeoutMs: 60000 });
    assertJob(job, {
      id: jobIds[r], status: 'completed', jobType: 'upsert',
      results: { requested_count: perReq, created_count: perReq, updated_count: 0, errored_count: 0 },
    });
    const all = batchContacts(prefix, r, perReq).map((x) => x.external_id);
    for (let off = 0; off < all.length; off += 100) {
      const ids = all.slice(off, off + 100);
      const res = await searchIds(client, 'external_id', ids);
      assert.equal(res.status, 200, `batch ${r}: ${JSON.stringify(res.body)}`);
      for (const id of ids) {
        const entry = res.body.result[id];
        assert.ok(entry && entry.contact, `contact ${id} of job ${jobIds[r]} missing after restart: ${JSON.stringify(entry)}`);
        assert.equal(entry.contact.email, `${id}@example.com`);
        assert.equal(entry.contact.first_name, `R${r}`);
      }
    }
  }
}

// One quick look at the last job before stopping, to report whether the
// restart really had pending work to recover (informational only).
async function lastStatus(t, client, jobIds) {
  const r = await call(client, { method: 'GET', url: `/v3/marketing/contacts/imports/${jobIds[jobIds.length - 1]}` });
  t.diagnostic(`status of the last job at stop time: ${r.body && r.body.status}`);
}

test('SIGTERM right after many 202s: after restart every job completes and every contact is there', async (t) => {
  const srv = await newServer();
  // Something fully done before the burst.
  assertJob(await upsertAndWait(srv.client, [{ email: 'early@example.com', first_name: 'Early' }]), { status: 'completed', results: { created_count: 1 } });
  const early = (await searchIds(srv.client, 'email', ['early@example.com'])).body.result['early@example.com'].contact;

  const jobIds = await burst(srv.client, 'term');
  await lastStatus(t, srv.client, jobIds);
  await srv.restart(); // SIGTERM, asserts exit code 0, starts again on the same db

  await verifyBurst(srv.client, 'term', jobIds, 1000);
  const got = await getContact(srv.client, early.id);
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assertContactShape(got.body, srv.url, { email: 'early@example.com', first_name: 'Early', created_at: early.created_at });

  // The restarted server keeps working normally.
  assertJob(await upsertAndWait(srv.client, [{ email: 'early@example.com', last_name: 'After' }]),
    { status: 'completed', results: { created_count: 0, updated_count: 1 } });
  await srv.stop();
});

test('SIGKILL right after many 202s: after restart every job completes and every contact is there', async (t) => {
  const srv = await newServer();
  assertJob(await upsertAndWait(srv.client, [{ external_id: 'pre-kill', first_name: 'Pre' }]), { status: 'completed', results: { created_count: 1 } });

  const jobIds = await burst(srv.client, 'kill');
  await lastStatus(t, srv.client, jobIds);
  const r = await srv.kill('SIGKILL');
  assert.equal(r.signal, 'SIGKILL');
  await srv.restart();

  await verifyBurst(srv.client, 'kill', jobIds, 1000);
  const pre = await searchIds(srv.client, 'external_id', ['pre-kill']);
  assert.equal(pre.status, 200);
  assert.equal(pre.body.result['pre-kill'].contact.first_name, 'Pre');
  await srv.stop();
});

test('updates of one contact accepted one after another are applied in order across a SIGKILL', async () => {
  const srv = await newServer();
  const ids = [];
  ids.push(await upsert(srv.client, [{ external_id: 'ordered', first_name: 'v0' }]));
  for (let v = 1; v <= 8; v++) {
    ids.push(await upsert(srv.client, [{ external_id: 'ordered', first_name: `v${v}`, [`${v % 2 ? 'city' : 'country'}`]: `c${v}` }]));
  }
  await srv.kill('SIGKILL');
  await srv.restart();
  for (const id of ids) assertJob(await pollJob(srv.client, id, { timeoutMs: 30000 }), { id, status: 'completed', results: { errored_count: 0 } });
  const res = await searchIds(srv.client, 'external_id', ['ordered']);
  assert.equal(res.status, 200);
  const c = res.body.result.ordered.contact;
  assertContactShape(c, srv.url, { first_name: 'v8', city: 'c7', country: 'c8' });
  await srv.stop();
});

test('two restarts in a row keep the data and the key', async () => {
  const srv = await newServer();
  assertJob(await upsertAndWait(srv.client, [{ anonymous_id: 'twice-restarted' }]), { status: 'completed', results: { created_count: 1 } });
  await srv.restart();
  await srv.restart();
  const res = await searchIds(srv.client, 'anonymous_id', ['twice-restarted']);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const bKey = srv.createKey('after-restart');
  const b = srv.clientFor(bKey);
  assert.equal((await searchIds(b, 'anonymous_id', ['twice-restarted'])).status, 404);
  await srv.restart();
  const b2 = srv.clientFor(bKey); // the port changed
  const r = await searchIds(b2, 'anonymous_id', ['twice-restarted']);
  assert.equal(r.status, 404, `B key still valid after restart: ${JSON.stringify(r.body)}`);
  assert.equal((await searchIds(srv.client, 'anonymous_id', ['twice-restarted'])).status, 200);
  await srv.stop();
});
