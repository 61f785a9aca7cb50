'use strict';
// Crash safety: mixed concurrent writes, SIGKILL at a random moment, restart on
// the same database, then check that no accepted job was lost or applied twice,
// that no contact is duplicated or half-written, and that SQLite's integrity
// check passes. HARDENING_CRASH_TRIALS overrides the number of trials (20).

const assert = require('node:assert/strict');
const H = require('../lib/server.js');

const TRIALS = Number(process.env.HARDENING_CRASH_TRIALS || 20);
const WORKERS = 6;
const SEEDS_PER_KIND = 4;
const MAX_LISTS_PER_TRIAL = 8;

const rand = (a, b) => a + Math.floor(Math.random() * (b - a + 1));

function recordFor(tag, i) {
  return {
    email: `${tag}-${i}@crash.test`,
    external_id: `ext-${tag}-${i}`,
    first_name: `F${tag}-${i}`.slice(0, 50),
    last_name: `L${i}`,
    city: `City ${tag}`.slice(0, 60),
    postal_code: `${i}${tag.length}`,
  };
}

async function contactsByEmail(url, key, emails) {
  const out = new Map();
  for (let i = 0; i < emails.length; i += 100) {
    const chunk = emails.slice(i, i + 100);
    const r = await H.rawSearchEmails(url, key, chunk);
    if (r.status === 404) continue;
    assert.equal(r.status, 200, `search/emails: ${r.status} ${r.text}`);
    for (const [k, v] of Object.entries(r.body.result)) if (v.contact) out.set(k, v.contact);
  }
  return out;
}

H.test(`crash safety: ${TRIALS} SIGKILL trials on one database`, { timeout: 240000 }, async (t) => {
  const srv = await H.startServer();
  const key = srv.key;
  const totals = {
    trials: 0, requests: 0, answered: 0, connErrors: 0, jobs202: 0, upsertJobs: 0, contactsChecked: 0,
    unansweredUpsertsApplied: 0, unansweredUpsertsAbsent: 0, lists201: 0, deleteJobs: 0, killAfterMs: [],
  };
  const problems = [];
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      if (trial > 0) await srv.start();
      const url = srv.url;
      const T = `t${trial}x${Date.now().toString(36)}`;

      // Seed contacts the deletions will act on.
      const seeds = [];
      for (let i = 0; i < 2 * SEEDS_PER_KIND; i++) seeds.push(recordFor(`seed-${T}`, i));
      const sj = await H.seedContacts(url, key, seeds);
      assert.equal(sj.status, 'completed', `seed job: ${JSON.stringify(sj)}`);
      const seedFound = await contactsByEmail(url, key, seeds.map((s) => s.email));
      assert.equal(seedFound.size, seeds.length);
      const idDelPool = seeds.slice(0, SEEDS_PER_KIND).map((s) => ({ rec: s, id: seedFound.get(s.email).id }));
      const contactDelPool = seeds.slice(SEEDS_PER_KIND).map((s) => ({ rec: s, id: seedFound.get(s.email).id }));

      // Load, then SIGKILL at a random moment.
      const ops = [];
      let stop = false;
      let listsMade = 0;
      const worker = async (w) => {
        let seq = 0;
        while (!stop) {
          seq++;
          const roll = Math.random();
          let op;
          if (roll < 0.15 && idDelPool.length) {
            const s = idDelPool.shift();
            op = { kind: 'delid', seed: s, req: {
              method: 'DELETE', path: `/v3/marketing/contacts/${s.id}/identifiers`,
              body: { identifier_type: 'EXTERNALID', identifier_value: s.rec.external_id } } };
          } else if (roll < 0.3 && contactDelPool.length) {
            const s = contactDelPool.shift();
            op = { kind: 'delcontact', seed: s, req: { method: 'DELETE', path: `/v3/marketing/contacts?ids=${s.id}` } };
          } else if (roll < 0.45 && listsMade < MAX_LISTS_PER_TRIAL) {
            listsMade++;
            const name = `crash-${T}-${w}-${seq}`;
            op = { kind: 'list', name, req: { method: 'POST', path: '/v3/marketing/lists', body: { name } } };
          } else {
            const n = rand(1, 5);
            const recs = [];
            for (let i = 0; i < n; i++) recs.push(recordFor(`u-${T}-${w}-${seq}`, i));
            op = { kind: 'upsert', recs, req: { method: 'PUT', path: '/v3/marketing/contacts', body: { contacts: recs } } };
          }
          ops.push(op);
          op.res = await H.request(url, { ...op.req, key, timeoutMs: 10000 });
        }
      };
      const killAfter = rand(50, 400);
      totals.killAfterMs.push(killAfter);
      const running = Array.from({ length: WORKERS }, (_, w) => worker(w));
      await H.sleep(killAfter);
      stop = true; // no new requests; those in flight meet the kill
      const k = await srv.kill('SIGKILL');
      await Promise.all(running);
      assert.equal(k.signal, 'SIGKILL', `server should have died of SIGKILL: ${JSON.stringify(k)}`);

      // Restart on the same database.
      await srv.start();
      const url2 = srv.url;
      // A sentinel job accepted after everything that was accepted before the
      // kill: when it is terminal, every earlier job has run.
      const sentinel = await H.seedContacts(url2, key, [{ email: `sentinel-${T}@crash.test` }]);
      assert.equal(sentinel.status, 'completed');

      for (const op of ops) {
        totals.requests++;
        const r = op.res;
        const label = `trial ${trial} ${op.kind} ${op.req.method} ${op.req.path}`;
        if (r.kind === 'truncated' || r.kind === 'timeout') {
          problems.push(`${label}: ${r.kind} (${r.error || ''})`);
          continue;
        }
        const answered = r.kind === 'response';
        if (answered) {
          totals.answered++;
          const want = op.kind === 'list' ? 201 : 202;
          if (r.status !== want) { problems.push(`${label}: expected ${want}, got ${r.status} ${r.text}`); continue; }
        } else {
          totals.connErrors++;
        }
        if (op.kind === 'upsert') {
          const found = await contactsByEmail(url2, key, op.recs.map((x) => x.email));
          if (answered) {
            totals.jobs202++; totals.upsertJobs++;
            assert.match(r.body.job_id, H.UUID_RE, `${label}: job_id`);
            const job = await H.waitJob(url2, key, r.body.job_id);
            const res = job.results;
            if (job.status !== 'completed' || res.created_count !== op.recs.length || res.updated_count !== 0 ||
                res.errored_count !== 0 || res.requested_count !== op.recs.length) {
              problems.push(`${label}: job ${job.id} should be completed with created_count ${op.recs.length}: ${JSON.stringify(job)}`);
            }
            if (found.size !== op.recs.length) problems.push(`${label}: ${found.size}/${op.recs.length} contacts exist after a 202`);
          } else if (found.size === 0) {
            totals.unansweredUpsertsAbsent++;
          } else {
            totals.unansweredUpsertsApplied++;
            if (found.size !== op.recs.length) problems.push(`${label}: unanswered upsert half-applied: ${found.size}/${op.recs.length} contacts exist`);
          }
          for (const rec of op.recs) {
            const c = found.get(rec.email);
            if (!c) continue;
            totals.contactsChecked++;
            for (const [f, v] of Object.entries(rec)) {
              if (c[f] !== v) problems.push(`${label}: contact ${rec.email} field ${f} is ${JSON.stringify(c[f])}, expected ${JSON.stringify(v)}`);
            }
          }
        } else if (op.kind === 'delid') {
          const g = await H.must(url2, { path: `/v3/marketing/contacts/${op.seed.id}`, key });
          if (g.status !== 200) { problems.push(`${label}: seed contact gone: ${g.status}`); continue; }
          if (g.body.email !== op.seed.rec.email) problems.push(`${label}: seed email changed: ${g.body.email}`);
          if (answered) {
            totals.jobs202++; totals.deleteJobs++;
            const job = await H.waitJob(url2, key, r.body.job_id);
            if (job.status !== 'completed' || job.results.deleted_count !== 1) problems.push(`${label}: ${JSON.stringify(job)}`);
            if (g.body.external_id !== '') problems.push(`${label}: external_id still ${g.body.external_id} after a completed delete`);
          } else if (g.body.external_id !== '' && g.body.external_id !== op.seed.rec.external_id) {
            problems.push(`${label}: external_id corrupted: ${g.body.external_id}`);
          }
        } else if (op.kind === 'delcontact') {
          const g = await H.must(url2, { path: `/v3/marketing/contacts/${op.seed.id}`, key });
          if (answered) {
            totals.jobs202++; totals.deleteJobs++;
            const job = await H.waitJob(url2, key, r.body.job_id);
            if (job.status !== 'completed' || job.results.deleted_count !== 1) problems.push(`${label}: ${JSON.stringify(job)}`);
            if (g.status !== 404) problems.push(`${label}: contact still there after a completed delete: ${g.status}`);
          } else if (g.status === 200) {
            for (const [f, v] of Object.entries(op.seed.rec)) {
              if (g.body[f] !== v) problems.push(`${label}: surviving contact field ${f} = ${g.body[f]}`);
            }
          } else if (g.status !== 404) {
            problems.push(`${label}: GET contact answered ${g.status}`);
          }
        } else if (op.kind === 'list') {
          const lr = await H.must(url2, { path: '/v3/marketing/lists?page_size=1000', key });
          const match = (lr.body.result || []).filter((l) => l.name === op.name);
          if (answered) {
            totals.lists201++;
            if (match.length !== 1 || match[0].id !== r.body.id) problems.push(`${label}: list ${op.name} answered 201 but found ${match.length} after restart`);
          } else if (match.length > 1) {
            problems.push(`${label}: list ${op.name} exists ${match.length} times`);
          }
          for (const l of match) {
            const d = await H.must(url2, { method: 'DELETE', path: `/v3/marketing/lists/${l.id}`, key });
            assert.equal(d.status, 204, `cleanup list: ${d.status}`);
          }
        }
      }

      // Database-level checks.
      const dup = H.sqlite(srv.dbPath,
        "SELECT email, COUNT(*) FROM contacts WHERE email IS NOT NULL GROUP BY account_id, email HAVING COUNT(*) > 1 " +
        "UNION ALL SELECT external_id, COUNT(*) FROM contacts WHERE external_id IS NOT NULL GROUP BY account_id, external_id HAVING COUNT(*) > 1");
      if (dup) problems.push(`trial ${trial}: duplicated identifiers in the database: ${dup}`);
      const prefix = `u-${T}-`;
      const dbCount = Number(H.sqlite(srv.dbPath, `SELECT COUNT(*) FROM contacts WHERE email LIKE '${prefix}%'`));
      const foundAll = await contactsByEmail(url2, key, ops.filter((o) => o.kind === 'upsert').flatMap((o) => o.recs.map((x) => x.email)));
      if (dbCount !== foundAll.size) problems.push(`trial ${trial}: ${dbCount} contacts of this trial in the database, ${foundAll.size} found through the API`);
      const ic = H.integrityCheck(srv.dbPath);
      if (ic !== 'ok') problems.push(`trial ${trial}: PRAGMA integrity_check: ${ic}`);

      totals.trials++;
      await srv.kill('SIGKILL'); // next trial starts from a crash as well
    }
    // Final: a clean start and stop on the database the crashes left.
    await srv.start();
    const ic = H.integrityCheck(srv.dbPath);
    if (ic !== 'ok') problems.push(`final PRAGMA integrity_check: ${ic}`);
  } finally {
    const ka = totals.killAfterMs;
    totals.killAfterMs = `${Math.min(...ka)}..${Math.max(...ka)} ms`;
    const line = `crash: ${JSON.stringify(totals)}`;
    console.log(line);
    t.diagnostic(line);
    await srv.stop();
  }
  assert.deepEqual(problems, [], `crash-safety problems:\n${problems.join('\n')}`);
  assert.ok(totals.trials >= 20 || TRIALS < 20);
  assert.ok(totals.jobs202 > 0, 'no job was accepted: the load never got going');
});
