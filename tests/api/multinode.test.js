'use strict';
// Several contactd nodes over one PostgreSQL database (DESIGN.md, "PostgreSQL and many
// nodes"): two nodes started together with the same key share every account and job; any
// node finishes the jobs another accepted, in acceptance order, each exactly once, even
// after the accepting node is SIGKILLed; and a database outage answers 503 until the
// database is back, after which the node recovers by itself.
//
// Needs CONTACTD_TEST_PG=<postgres:// URL of a throwaway cluster> (scripts/test sets it in
// its PostgreSQL step); without it every test is skipped.

const { after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const zlib = require('node:zlib');
const H = require('./lib/server');

const { call, pollJob, test } = H;

const PG = process.env.CONTACTD_TEST_PG;
const SKIP = PG ? false
  : 'multi-node tests need PostgreSQL: set CONTACTD_TEST_PG=<postgres:// URL of a test cluster>';

const C = '/v3/marketing/contacts';

const started = [];
after(() => H.stopAll(started.filter((s) => s.running)));

// Start `n` nodes at the same moment on database `db` with the same key (the bootstrap of
// CONTACTD_API_KEY and the migrations race).
async function startNodes(db, key, n = 2) {
  const nodes = await Promise.all(Array.from({ length: n }, () => H.startServer({ key, db })));
  started.push(...nodes);
  return nodes;
}

async function accepted(res, label) {
  assert.equal(res.status, 202, `${label}: ${res.status} ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body.job_id, 'string', `${label}: ${JSON.stringify(res.body)}`);
  return res.body.job_id;
}

// A contact as both nodes must show it, without what names the node.
function portable(c) {
  const { _metadata, ...rest } = c;
  return rest;
}

// A job status as both nodes must show it: errors_url names the node that answered.
function portableJob(job) {
  if (!job || !job.results || typeof job.results.errors_url !== 'string') return job;
  return { ...job, results: { ...job.results, errors_url: new URL(job.results.errors_url).pathname } };
}

// Search `values` of one identifier type in chunks of 100; returns Map value -> contact
// (absent values are not in the map).
async function searchAll(client, type, values) {
  const found = new Map();
  for (let off = 0; off < values.length; off += 100) {
    const chunk = values.slice(off, off + 100);
    const res = await H.searchIds(client, type, chunk);
    if (res.status === 404) continue;
    assert.equal(res.status, 200, `search ${type}: ${res.status} ${JSON.stringify(res.body)}`);
    for (const v of chunk) {
      const e = res.body.result[v];
      assert.ok(e, `search ${type}: no result entry for ${v}: ${JSON.stringify(res.body).slice(0, 300)}`);
      if (e.contact) found.set(v, e.contact);
      else assert.equal(e.error, 'contact not found', `search ${type}=${v}: ${JSON.stringify(e)}`);
    }
  }
  return found;
}

async function count(client) {
  const res = await call(client, { method: 'GET', url: `${C}/count` });
  assert.equal(res.status, 200, `count: ${res.status} ${JSON.stringify(res.body)}`);
  assert.ok(res.body.billable_count >= res.body.contact_count); // deleted this month: still billable
  return res.body.contact_count;
}

// ------------------------------------------------------------------ 1. mixed stream

// Each logical contact runs one chain: a create (waited for, to learn the contact id),
// then a pattern of order-dependent operations sent back to back (each waits only for
// its 202), alternating nodes. The pattern's outcome depends on the order the jobs ran.
const PATTERNS = [
  // P0: update, delete the external_id, then an upsert by email alone. That upsert is an
  // update only if the identifier deletion ran before it (otherwise it omits an existing
  // identifier and errors).
  'update-delident-upsert',
  // P1: update, delete the contact, upsert by email alone: a new contact (new id) only if
  // the deletion ran first.
  'update-delete-recreate',
  // P2: delete the email identifier, upsert that adds it back, then an update that adds a
  // phone number (which needs the email present, i.e. the re-add applied).
  'delident-readd-update',
  // P3: update, then delete the contact: it ends deleted.
  'update-delete',
  // P4: five updates in a row: the last one's fields win.
  'updates',
];

async function runChain(ctx, acct, k) {
  const pattern = PATTERNS[k % PATTERNS.length];
  const email = `mn-${acct.name}-${k}@multi.example.com`;
  const ext = `ext-${acct.name}-${k}`;
  let j = 0;
  // Alternate the nodes within the chain, starting on a different node per contact.
  const client = () => acct.clients[(k + j++) % 2];
  const jobs = ctx.jobs;
  // One look at a just-accepted job through the next node: was it still pending?
  const peek = async (jobId) => {
    const r = await call(acct.clients[(k + j) % 2], { method: 'GET', url: `${C}/imports/${jobId}` });
    assert.equal(r.status, 200, `job ${jobId} right after its 202, through the other node: ${r.status} ${JSON.stringify(r.body)}`);
    if (r.body.status === 'pending') ctx.pendingAt202++;
  };
  const put = async (contact, expect) => {
    const jobId = await accepted(await call(client(), { method: 'PUT', url: C, body: { contacts: [contact] } }), `PUT ${email}`);
    jobs.push({ acct, jobId, label: `${pattern} ${email} upsert ${JSON.stringify(contact)}`, jobType: 'upsert',
      status: expect.errored ? 'failed' : 'completed',
      results: { requested_count: 1, created_count: 0, updated_count: 0, deleted_count: 0, errored_count: 0, ...expect } });
    ctx.ops++;
    await peek(jobId);
    return jobId;
  };
  const delIdent = async (id, type, value) => {
    const jobId = await accepted(await H.deleteIdentifier(client(), id, type, value), `DELETE ${id}/identifiers ${type}`);
    jobs.push({ acct, jobId, label: `${pattern} ${email} delete identifier ${type}=${value}`, jobType: 'delete', status: 'completed',
      results: { requested_count: 1, created_count: 0, updated_count: 0, deleted_count: 1, errored_count: 0 } });
    ctx.ops++;
    await peek(jobId);
    return jobId;
  };
  const delContact = async (id) => {
    const jobId = await accepted(await call(client(), { method: 'DELETE', url: `${C}?ids=${id}` }), `DELETE ?ids=${id}`);
    jobs.push({ acct, jobId, label: `${pattern} ${email} delete contact ${id}`, jobType: 'delete', status: 'completed',
      results: { requested_count: 1, created_count: 0, updated_count: 0, deleted_count: 1, errored_count: 0 } });
    ctx.ops++;
    await peek(jobId);
    return jobId;
  };

  // The create, waited for through the other node, and the id read there too.
  const createJob = await put({ email, external_id: ext, first_name: 'v0' }, { created_count: 1 });
  await pollJob(client(), createJob, { timeoutMs: 30000 });
  const c0 = await H.findOne(client(), 'email', email);
  assert.ok(c0, `${email} not found after its create job finished`);
  const id = c0.id;

  // exp: the final state; null = no contact with this email.
  const exp = { acct, email, ext, pattern, oldId: id };
  switch (pattern) {
    case 'update-delident-upsert':
      await put({ email, external_id: ext, first_name: 'v1', last_name: 'L1' }, { updated_count: 1 });
      await delIdent(id, 'EXTERNALID', ext);
      await put({ email, first_name: 'v2' }, { updated_count: 1 });
      Object.assign(exp, { live: true, sameId: true, fields: { email, external_id: '', first_name: 'v2', last_name: 'L1' } });
      break;
    case 'update-delete-recreate':
      await put({ email, external_id: ext, first_name: 'v1' }, { updated_count: 1 });
      await delContact(id);
      await put({ email, first_name: 'v3' }, { created_count: 1 });
      Object.assign(exp, { live: true, sameId: false, fields: { email, external_id: '', first_name: 'v3', last_name: '' } });
      break;
    case 'delident-readd-update': {
      const phone = `+1415${String(5550000 + k).padStart(7, '0')}`;
      await delIdent(id, 'EMAIL', email);
      await put({ external_id: ext, email, first_name: 'v4' }, { updated_count: 1 });
      await put({ external_id: ext, email, phone_number_id: phone, first_name: 'v5' }, { updated_count: 1 });
      Object.assign(exp, { live: true, sameId: true, fields: { email, external_id: ext, phone_number_id: phone, first_name: 'v5' } });
      break;
    }
    case 'update-delete':
      await put({ email, external_id: ext, first_name: 'v1' }, { updated_count: 1 });
      await delContact(id);
      Object.assign(exp, { live: false });
      break;
    case 'updates':
      for (let v = 1; v <= 5; v++) {
        await put({ email, external_id: ext, first_name: `u${v}`, ...(v % 2 ? { city: `city${v}` } : {}) }, { updated_count: 1 });
      }
      Object.assign(exp, { live: true, sameId: true, fields: { email, external_id: ext, first_name: 'u5', city: 'city5' } });
      break;
    default:
      throw new Error(pattern);
  }
  ctx.expected.push(exp);
}

test('two nodes, one database: a mixed stream sent alternately to both runs every job once, in order, and both read the same state',
  { skip: SKIP, timeout: 240000 }, async (t) => {
    const db = H.freshPgDatabase();
    const key = H.makeTestKey();
    const [A, B] = await startNodes(db, key);
    // A second account, created through the CLI on the shared database.
    const key2 = A.createKey('multinode-second');
    const accts = [
      { name: 'a1', key, clients: [A.clientFor(key), B.clientFor(key)] },
      { name: 'a2', key: key2, clients: [A.clientFor(key2), B.clientFor(key2)] },
    ];
    // Both nodes accept both keys (the bootstrap raced; the second key came from the CLI).
    for (const a of accts) for (const c of a.clients) assert.equal(await count(c), 0);

    const PER_ACCOUNT = 36;
    // Big fillers in each account during the stream, so that the small jobs queue up
    // behind them (pending at their 202) and either node's writer may claim them.
    const FILLS = 3;
    const FILL_PER = 1500;
    const fillEmails = (a, f) => Array.from({ length: FILL_PER }, (_, i) => `fill-${a.name}-${f}-${i}@multi.example.com`);
    const chains = [];
    for (let k = 0; k < PER_ACCOUNT; k++) for (const a of accts) chains.push([a, k]);
    const ctx = { ops: 0, pendingAt202: 0, jobs: [], expected: [] };
    let streaming = true;
    const t0 = Date.now();
    const filler = async (a, ai) => {
      for (let f = 0; f < FILLS; f++) {
        const deadline = Date.now() + 60000;
        while (streaming && ctx.ops < (f + 1) * 70 + ai * 20 && Date.now() < deadline) await H.sleep(5);
        const contacts = fillEmails(a, f).map((email) => ({ email, first_name: `fill${f}` }));
        const jobId = await accepted(await call(a.clients[(f + ai) % 2], { method: 'PUT', url: C, body: { contacts } }), `fill ${f}`);
        ctx.jobs.push({ acct: a, jobId, label: `${a.name} fill ${f}`, jobType: 'upsert', status: 'completed',
          results: { requested_count: FILL_PER, created_count: FILL_PER, updated_count: 0, deleted_count: 0, errored_count: 0 } });
      }
    };
    const fillers = accts.map((a, ai) => filler(a, ai));
    let next = 0;
    const worker = async () => {
      while (next < chains.length) {
        const [a, k] = chains[next++];
        await runChain(ctx, a, k);
      }
    };
    try {
      await Promise.all(Array.from({ length: 8 }, worker));
    } finally {
      streaming = false;
      await Promise.allSettled(fillers);
    }
    await Promise.all(fillers);
    const msg = `${ctx.ops} small operations over ${chains.length} contacts in 2 accounts, plus ` +
      `${FILLS * accts.length} fillers of ${FILL_PER}: ${ctx.jobs.length} jobs; ${ctx.pendingAt202} small jobs ` +
      `still pending right after their 202; stream took ${Date.now() - t0} ms`;
    t.diagnostic(msg);
    process.stderr.write(`multinode: ${msg}\n`);

    // Every job terminal, polled through either node, with exactly the results the stream
    // implies (a job run twice would count twice or error on the second run).
    const totals = { created_count: 0, updated_count: 0, deleted_count: 0, errored_count: 0 };
    for (let i = 0; i < ctx.jobs.length; i++) {
      const jb = ctx.jobs[i];
      const job = await pollJob(jb.acct.clients[i % 2], jb.jobId, { timeoutMs: 30000 });
      let ok = false;
      try {
        H.assertJob(job, { id: jb.jobId, status: jb.status, jobType: jb.jobType, results: jb.results });
        ok = true;
      } finally {
        if (!ok) {
          const errs = job.results && job.results.errored_count
            ? await call(jb.acct.clients[0], { method: 'GET', url: job.results.errors_url }) : null;
          process.stderr.write(`job of "${jb.label}": ${JSON.stringify(job)}\nerrors: ${JSON.stringify(errs && errs.body)}\n`);
        }
      }
      for (const k of Object.keys(totals)) totals[k] += job.results[k];
      // The other node reports the very same status.
      const other = await call(jb.acct.clients[(i + 1) % 2], { method: 'GET', url: `${C}/imports/${jb.jobId}` });
      assert.equal(other.status, 200);
      assert.deepEqual(portableJob(other.body), portableJob(job), `job ${jb.jobId} reads differently on the two nodes`);
    }
    const want = { created_count: 0, updated_count: 0, deleted_count: 0, errored_count: 0 };
    for (const jb of ctx.jobs) for (const k of Object.keys(want)) want[k] += jb.results[k];
    assert.deepEqual(totals, want);
    t.diagnostic(`totals: ${JSON.stringify(totals)}; all jobs terminal ${Date.now() - t0} ms after the stream began`);

    // Final state, per account, read through both nodes.
    for (const a of accts) {
      const exps = ctx.expected.filter((e) => e.acct === a);
      const live = exps.filter((e) => e.live);
      const [cA, cB] = a.clients;
      const total = live.length + FILLS * FILL_PER;
      assert.equal(await count(cA), total, `${a.name}: contact_count on node A`);
      assert.equal(await count(cB), total, `${a.name}: contact_count on node B`);
      for (let f = 0; f < FILLS; f++) {
        const fa = await searchAll(cA, 'email', fillEmails(a, f));
        const fb = await searchAll(cB, 'email', fillEmails(a, f));
        assert.equal(fa.size, FILL_PER, `${a.name} fill ${f} on A`);
        assert.equal(fb.size, FILL_PER, `${a.name} fill ${f} on B`);
        for (const [e, c] of fa) {
          assert.equal(c.id, fb.get(e).id);
          assert.equal(c.first_name, `fill${f}`);
        }
      }

      const emails = exps.map((e) => e.email);
      const byEmailA = await searchAll(cA, 'email', emails);
      const byEmailB = await searchAll(cB, 'email', emails);
      const exts = exps.map((e) => e.ext);
      const byExtA = await searchAll(cA, 'external_id', exts);
      const byExtB = await searchAll(cB, 'external_id', exts);
      const ids = new Set();
      for (const e of exps) {
        const ca = byEmailA.get(e.email);
        const cb = byEmailB.get(e.email);
        const label = `${a.name} ${e.email} (${e.pattern})`;
        if (!e.live) {
          assert.equal(ca, undefined, `${label}: deleted, but node A finds ${JSON.stringify(ca)}`);
          assert.equal(cb, undefined, `${label}: deleted, but node B finds ${JSON.stringify(cb)}`);
          assert.equal(byExtA.get(e.ext), undefined, `${label}: deleted, but its external_id still matches on A`);
          assert.equal(byExtB.get(e.ext), undefined, `${label}: deleted, but its external_id still matches on B`);
        } else {
          assert.ok(ca, `${label}: not found on node A`);
          assert.ok(cb, `${label}: not found on node B`);
          assert.deepEqual(portable(ca), portable(cb), `${label}: nodes disagree`);
          for (const [f, v] of Object.entries(e.fields)) assert.equal(ca[f], v, `${label}: ${f} ${JSON.stringify(ca)}`);
          if (e.sameId) assert.equal(ca.id, e.oldId, `${label}: the contact's id changed`);
          else assert.notEqual(ca.id, e.oldId, `${label}: re-created after its deletion, it must have a new id`);
          assert.ok(!ids.has(ca.id), `${label}: id ${ca.id} shared with another logical contact`);
          ids.add(ca.id);
          if (e.fields.external_id) {
            assert.equal(byExtA.get(e.ext) && byExtA.get(e.ext).id, ca.id, `${label}: external_id search on A`);
            assert.equal(byExtB.get(e.ext) && byExtB.get(e.ext).id, ca.id, `${label}: external_id search on B`);
          } else {
            assert.equal(byExtA.get(e.ext), undefined, `${label}: deleted external_id still matches on A`);
            assert.equal(byExtB.get(e.ext), undefined, `${label}: deleted external_id still matches on B`);
          }
          // GET by id through both nodes.
          const gA = await H.getContact(cA, ca.id);
          const gB = await H.getContact(cB, ca.id);
          assert.equal(gA.status, 200, `${label}: GET on A ${JSON.stringify(gA.body)}`);
          assert.equal(gB.status, 200, `${label}: GET on B ${JSON.stringify(gB.body)}`);
          assert.deepEqual(portable(gA.body), portable(gB.body), `${label}: GET differs between nodes`);
          assert.deepEqual(portable(gA.body), portable(ca), `${label}: GET differs from search`);
        }
        if (!e.live || !e.sameId) {
          // The deleted contact's id is gone everywhere.
          for (const [n, c] of [['A', cA], ['B', cB]]) {
            const g = await H.getContact(c, e.oldId);
            assert.equal(g.status, 404, `${label}: deleted id ${e.oldId} on node ${n}: ${g.status} ${JSON.stringify(g.body)}`);
          }
        }
      }
      assert.equal(ids.size, live.length);
      // The sample endpoint agrees too.
      const sA = await call(cA, { method: 'GET', url: C });
      const sB = await call(cB, { method: 'GET', url: C });
      assert.equal(sA.status, 200);
      assert.equal(sB.status, 200);
      assert.equal(sA.body.contact_count, total);
      assert.equal(sB.body.contact_count, total);
      assert.deepEqual(sA.body.result.map((c) => c.id).sort(), sB.body.result.map((c) => c.id).sort());
    }
  });

// ------------------------------------------------------------- 2. SIGKILL one node

function bigBatch(r, n) {
  const contacts = [];
  for (let i = 0; i < n; i++) contacts.push({ email: `big-${r}-${i}@kill.example.com`, external_id: `big-${r}-${i}`, first_name: `B${r}` });
  return contacts;
}

test('SIGKILL the node that accepted the jobs: the other node finishes every one exactly once; the restarted node reads the same state',
  { skip: SKIP, timeout: 240000 }, async (t) => {
    const db = H.freshPgDatabase();
    const key = H.makeTestKey();
    const [A, B] = await startNodes(db, key);
    const cA = A.client;
    const cB = B.client;

    // 20 seeded contacts, for the small order-dependent jobs.
    const SEEDS = 20;
    const seeds = Array.from({ length: SEEDS }, (_, i) => ({ email: `seed-${i}@kill.example.com`, external_id: `seed-${i}`, first_name: 'seed' }));
    H.assertJob(await pollJob(cB, await H.upsert(cB, seeds), { timeoutMs: 30000 }),
      { status: 'completed', results: { created_count: SEEDS, errored_count: 0 } });
    const seedIds = (await searchAll(cB, 'email', seeds.map((s) => s.email)));
    assert.equal(seedIds.size, SEEDS);
    const sid = (i) => seedIds.get(`seed-${i}@kill.example.com`).id;

    const BIG = 10;
    const PER = 5000;
    const jobs = []; // {jobId, label, status, jobType, results}
    const bodies = Array.from({ length: BIG }, (_, r) => ({ contacts: bigBatch(r, PER) }));
    // All big upserts at once, so that most of their work is still pending at their 202s.
    const bigSend = async (r) => {
      const jobId = await accepted(await call(cA, { method: 'PUT', url: C, body: bodies[r] }), `big upsert ${r}`);
      jobs.push({ jobId, label: `big upsert ${r}`, jobType: 'upsert', status: 'completed',
        results: { requested_count: PER, created_count: PER, updated_count: 0, deleted_count: 0, errored_count: 0 } });
    };
    // Small jobs at the same time: per seed a short chain whose outcome depends on its
    // jobs running in order.
    const smallChain = async (i) => {
      const s = seeds[i];
      if (i < 10) {
        // Update, then delete its external_id: it ends with first_name 'after', no external_id.
        let jobId = await H.upsert(cA, [{ email: s.email, external_id: s.external_id, first_name: 'after' }]);
        jobs.push({ jobId, label: `seed ${i} update`, jobType: 'upsert', status: 'completed',
          results: { requested_count: 1, created_count: 0, updated_count: 1, deleted_count: 0, errored_count: 0 } });
        jobId = await accepted(await H.deleteIdentifier(cA, sid(i), 'EXTERNALID', s.external_id), `seed ${i} delete identifier`);
        jobs.push({ jobId, label: `seed ${i} delete external_id`, jobType: 'delete', status: 'completed',
          results: { requested_count: 1, created_count: 0, updated_count: 0, deleted_count: 1, errored_count: 0 } });
      } else if (i < 15) {
        // Delete it, then upsert it again by email alone: a new contact.
        let jobId = await accepted(await call(cA, { method: 'DELETE', url: `${C}?ids=${sid(i)}` }), `seed ${i} delete`);
        jobs.push({ jobId, label: `seed ${i} delete contact`, jobType: 'delete', status: 'completed',
          results: { requested_count: 1, created_count: 0, updated_count: 0, deleted_count: 1, errored_count: 0 } });
        jobId = await H.upsert(cA, [{ email: s.email, first_name: 'reborn' }]);
        jobs.push({ jobId, label: `seed ${i} re-create`, jobType: 'upsert', status: 'completed',
          results: { requested_count: 1, created_count: 1, updated_count: 0, deleted_count: 0, errored_count: 0 } });
      } else {
        // Omits the existing external_id: the record errors, the contact stays as it was.
        const jobId = await H.upsert(cA, [{ email: s.email, first_name: 'never' }]);
        jobs.push({ jobId, label: `seed ${i} bad upsert`, jobType: 'upsert', status: 'failed',
          results: { requested_count: 1, created_count: 0, updated_count: 0, deleted_count: 0, errored_count: 1 } });
      }
    };
    const t0 = Date.now();
    await Promise.all([
      ...Array.from({ length: BIG }, (_, r) => bigSend(r)),
      ...Array.from({ length: SEEDS }, (_, i) => smallChain(i)),
    ]);
    const tAccepted = Date.now() - t0;

    // Every 202 has arrived: kill the node that accepted them.
    const k = await A.kill('SIGKILL');
    assert.equal(k.signal, 'SIGKILL');
    let pending = 0;
    for (const jb of jobs) {
      const r = await call(cB, { method: 'GET', url: `${C}/imports/${jb.jobId}` });
      assert.equal(r.status, 200, `job ${jb.jobId} unknown to node B after A's death: ${JSON.stringify(r.body)}`);
      if (r.body.status === 'pending') pending++;
    }
    const msg = `${jobs.length} jobs accepted by node A in ${tAccepted} ms (${BIG} x ${PER} contacts + ` +
      `${jobs.length - BIG} small); ${pending} still pending when A was SIGKILLed`;
    t.diagnostic(msg);
    process.stderr.write(`multinode: ${msg}\n`);

    // Node B finishes them all.
    const deadline = Date.now() + 60000;
    for (const jb of jobs) {
      const job = await pollJob(cB, jb.jobId, { timeoutMs: Math.max(1000, deadline - Date.now()), intervalMs: 50 });
      H.assertJob(job, { id: jb.jobId, status: jb.status, jobType: jb.jobType, results: jb.results });
    }
    t.diagnostic(`node B finished them ${Date.now() - t0 - tAccepted} ms after the kill`);

    // Every contact exactly once.
    const expectedCount = SEEDS + BIG * PER;
    assert.equal(await count(cB), expectedCount);
    for (let r = 0; r < BIG; r++) {
      const exts = bigBatch(r, PER).map((c) => c.external_id);
      const found = await searchAll(cB, 'external_id', exts);
      assert.equal(found.size, PER, `big batch ${r}: ${PER - found.size} contacts missing`);
      for (const [x, c] of found) {
        assert.equal(c.email, `${x}@kill.example.com`);
        assert.equal(c.first_name, `B${r}`);
      }
    }
    const seedState = await searchAll(cB, 'email', seeds.map((s) => s.email));
    for (let i = 0; i < SEEDS; i++) {
      const c = seedState.get(seeds[i].email);
      if (i < 10) {
        assert.ok(c, `seed ${i} missing`);
        assert.equal(c.first_name, 'after');
        assert.equal(c.external_id, '', `seed ${i}: external_id deleted after the update`);
      } else if (i < 15) {
        assert.ok(c, `seed ${i} missing`);
        assert.notEqual(c.id, sid(i), `seed ${i}: deleted then re-created, it must have a new id`);
        assert.equal(c.first_name, 'reborn');
        assert.equal(c.external_id, '');
      } else {
        assert.ok(c, `seed ${i} missing`);
        assert.equal(c.first_name, 'seed');
        assert.equal(c.external_id, seeds[i].external_id);
      }
    }

    // The restarted node A reads the same.
    await A.start();
    const cA2 = A.client;
    assert.equal(await count(cA2), expectedCount);
    const seedStateA = await searchAll(cA2, 'email', seeds.map((s) => s.email));
    assert.equal(seedStateA.size, seedState.size);
    for (const [e, c] of seedState) assert.deepEqual(portable(seedStateA.get(e)), portable(c), `seed ${e} differs between nodes`);
    for (let r = 0; r < BIG; r++) {
      const sample = bigBatch(r, PER).filter((_, i) => i % 400 === 0).map((c) => c.external_id);
      const a = await searchAll(cA2, 'external_id', sample);
      const b = await searchAll(cB, 'external_id', sample);
      assert.equal(a.size, sample.length);
      for (const [x, c] of a) assert.deepEqual(portable(c), portable(b.get(x)));
    }
    for (const jb of jobs) {
      const ra = await call(cA2, { method: 'GET', url: `${C}/imports/${jb.jobId}` });
      const rb = await call(cB, { method: 'GET', url: `${C}/imports/${jb.jobId}` });
      assert.equal(ra.status, 200);
      assert.deepEqual(portableJob(ra.body), portableJob(rb.body), `job ${jb.jobId} (${jb.label}) differs between nodes`);
    }
  });

// ------------------------------------------------------------- 3. database outage

// A TCP proxy in front of the cluster: down() closes every connection through it and
// refuses new ones (as a stopped server would: ECONNREFUSED), up() listens again on the
// same port. The cluster itself keeps running for the other test files that share it.
function pgProxy(target) {
  const t = new URL(target);
  const socks = new Set();
  let server;
  let port = 0;
  const listen = () => new Promise((resolve, reject) => {
    server = net.createServer((client) => {
      const upstream = net.connect({ host: t.hostname, port: Number(t.port || 5432) });
      socks.add(client);
      socks.add(upstream);
      const drop = () => { client.destroy(); upstream.destroy(); socks.delete(client); socks.delete(upstream); };
      client.on('error', drop);
      upstream.on('error', drop);
      client.on('close', drop);
      upstream.on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => { port = server.address().port; resolve(); });
  });
  return {
    start: listen,
    get port() { return port; },
    async down() {
      await new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of socks) s.destroy();
        socks.clear();
      });
    },
    up: listen,
    async close() { await this.down(); },
  };
}

test('database outage: requests answer 503 with a JSON error while PostgreSQL is unreachable, and succeed again by themselves after',
  { skip: SKIP, timeout: 180000 }, async (t) => {
    const db = H.freshPgDatabase();
    const proxy = pgProxy(db);
    await proxy.start();
    const viaProxy = new URL(db);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const [A] = await startNodes(viaProxy.toString(), H.makeTestKey(), 1);
    const c = A.client;
    try {
      const seed = Array.from({ length: 5 }, (_, i) => ({ email: `out-${i}@outage.example.com`, external_id: `out-${i}` }));
      H.assertJob(await pollJob(c, await H.upsert(c, seed)), { status: 'completed', results: { created_count: 5 } });
      const ids = await searchAll(c, 'email', seed.map((s) => s.email));
      const id0 = ids.get(seed[0].email).id;
      // A big job accepted just before the outage (it may still be running when it starts).
      const bigJob = await H.upsert(c, bigBatch('out', 5000));

      await proxy.down();
      const during = [
        ['GET count', { method: 'GET', path: `${C}/count` }],
        ['GET contact', { method: 'GET', path: `${C}/${id0}` }],
        ['GET sample', { method: 'GET', path: C }],
        ['search', { method: 'POST', path: `${C}/search/identifiers/email`, body: { identifiers: [seed[1].email] } }],
        ['search emails', { method: 'POST', path: `${C}/search/emails`, body: { emails: [seed[1].email] } }],
        ['GET job', { method: 'GET', path: `${C}/imports/${bigJob}` }],
        ['PUT upsert', { method: 'PUT', path: C, body: { contacts: [{ email: 'during@outage.example.com' }] } }],
        ['DELETE identifier', { method: 'DELETE', path: `${C}/${id0}/identifiers`, body: { identifier_type: 'EXTERNALID', identifier_value: 'out-0' } }],
        ['DELETE contacts', { method: 'DELETE', path: `${C}?ids=${id0}` }],
        ['POST list', { method: 'POST', path: '/v3/marketing/lists', body: { name: 'during-outage' } }],
      ];
      // Twice over: the first round may meet connections the node still thinks are open,
      // the second must be refused at connect (and the key cache has expired by then).
      for (const round of [1, 2]) {
        for (const [label, r] of during) {
          const res = await H.raw(A.url, { ...r, headers: { Authorization: `Bearer ${A.key}`, 'Content-Type': 'application/json' }, timeoutMs: 15000 });
          assert.equal(res.status, 503, `round ${round}, ${label} during the outage: ${res.status} ${res.text}`);
          assert.ok(res.body && Array.isArray(res.body.errors) && res.body.errors.length >= 1 &&
            typeof res.body.errors[0].message === 'string', `round ${round}, ${label}: not a JSON error: ${res.text}`);
        }
        if (round === 1) await H.sleep(1200);
      }
      assert.ok(A.running, 'the node exited during the outage');

      await proxy.up();
      // It recovers by itself: the first success within a bounded time...
      const deadline = Date.now() + 30000;
      let n503 = 0;
      for (;;) {
        const r = await call(c, { method: 'GET', url: `${C}/count` });
        if (r.status === 200) break;
        assert.equal(r.status, 503, `after the outage: ${r.status} ${JSON.stringify(r.body)}`);
        n503++;
        assert.ok(Date.now() < deadline, 'still 503 30 s after the database came back');
        await H.sleep(100);
      }
      t.diagnostic(`${n503} answers of 503 after the database came back before the first 200`);
      // ...then every request works, without retries.
      const failures = [];
      for (let i = 0; i < 20; i++) {
        for (const [label, r] of [
          ['count', { method: 'GET', url: `${C}/count` }],
          ['contact', { method: 'GET', url: `${C}/${id0}` }],
          ['search', { method: 'POST', url: `${C}/search/identifiers/email`, body: { identifiers: [seed[1].email] } }],
        ]) {
          const res = await call(c, r);
          if (res.status !== 200) failures.push(`${label} #${i}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
      assert.deepEqual(failures, [], 'reads after recovery');
      const job = await pollJob(c, bigJob, { timeoutMs: 60000 });
      H.assertJob(job, { status: 'completed', results: { requested_count: 5000, created_count: 5000, errored_count: 0 } });
      const after = await pollJob(c, await H.upsert(c, [{ email: 'after@outage.example.com' }]), { timeoutMs: 30000 });
      H.assertJob(after, { status: 'completed', results: { created_count: 1 } });
      const di = await H.deleteIdentifier(c, id0, 'EXTERNALID', 'out-0');
      H.assertJob(await pollJob(c, await accepted(di, 'delete identifier after'), { timeoutMs: 30000 }),
        { status: 'completed', results: { deleted_count: 1 } });
      // Nothing written during the outage: 5 + 5000 + 1 contacts, no list.
      assert.equal(await count(c), 5 + 5000 + 1);
      assert.equal(await H.findOne(c, 'email', 'during@outage.example.com'), null);
      const lists = await call(c, { method: 'GET', url: '/v3/marketing/lists' });
      assert.equal(lists.status, 200);
      assert.equal(lists.body.result.length, 0, `a list created during the outage exists: ${JSON.stringify(lists.body)}`);
      await A.stop();
    } finally {
      await proxy.close().catch(() => {});
    }
  });

// ------------------------------------------------- 4. exports and imports across nodes

// Export files and import uploads live in the database, so the URLs one node hands out work
// on every node: an export accepted by A is run by whichever node claims it and downloaded
// through B; an import reserved on A takes its file through B.
test('exports and imports across nodes: a URL from one node works on the other',
  { skip: SKIP, timeout: 120000 }, async () => {
    const db = H.freshPgDatabase();
    const key = H.makeTestKey();
    const [A, B] = await startNodes(db, key);
    const a = A.clientFor(key);
    const b = B.clientFor(key);
    const emails = Array.from({ length: 300 }, (_, i) => `xn-${i}@nodes.example.com`);
    await accepted(await call(a, { method: 'PUT', url: C, body: { contacts: emails.map((email) => ({ email })) } }), 'PUT');

    // export through A, without waiting for the upsert: it runs after it
    const posted = await call(a, { method: 'POST', url: `${C}/exports`, body: { file_type: 'csv' } });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    let exp;
    for (let i = 0; i < 500; i++) {
      exp = await call(b, { method: 'GET', url: `${C}/exports/${posted.body.id}` });
      assert.equal(exp.status, 200, JSON.stringify(exp.body));
      if (exp.body.status !== 'pending') break;
      await H.sleep(20);
    }
    assert.equal(exp.body.status, 'ready', JSON.stringify(exp.body));
    assert.equal(exp.body.contact_count, 300);
    const url = new URL(exp.body.urls[0]);
    assert.equal(url.origin, new URL(B.url).origin, 'the urls name the node that was asked');
    const viaA = await fetch(`${A.url}${url.pathname}${url.search}`);
    const viaB = await fetch(url);
    assert.equal(viaA.status, 200);
    assert.equal(viaB.status, 200);
    // export files are gzip, as the live service's are
    const textA = zlib.gunzipSync(Buffer.from(await viaA.arrayBuffer())).toString('utf8');
    const textB = zlib.gunzipSync(Buffer.from(await viaB.arrayBuffer())).toString('utf8');
    assert.equal(textA, textB, 'both nodes serve the same file');
    const rows = textA.trim().split('\n');
    assert.equal(rows.length, 301, 'a header and 300 contacts');
    assert.deepEqual(new Set(rows.slice(1).map((r) => r.split(',')[1])), new Set(emails));

    // import reserved on A, uploaded to B, status read on A
    const reserved = await call(a, { method: 'PUT', url: `${C}/imports`,
      body: { file_type: 'csv', field_mappings: ['_rf2_T', '_rf0_T'] } });
    assert.equal(reserved.status, 200, JSON.stringify(reserved.body));
    const up = new URL(reserved.body.upload_uri);
    const csv = 'email,first_name\n' + emails.map((e) => `${e},Imported`).join('\n') + '\n';
    const put = await fetch(`${B.url}${up.pathname}${up.search}`, { method: 'PUT', body: csv });
    assert.equal(put.status, 200, await put.text());
    const job = await pollJob(a, reserved.body.job_id, { timeoutMs: 30000 });
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.results.updated_count, 300);
    const c = await H.findOne(b, 'email', emails[7]);
    assert.equal(c.first_name, 'Imported');
  });
