#!/usr/bin/env node
'use strict';
// The write-path scenarios of bench/backends, for one or more contactd nodes sharing one
// database, timed from the client side.
//
//   BENCH_API_KEY=SG.x.y node bench/lib/backends.js --bases http://127.0.0.1:P1[,http://127.0.0.1:P2]
//        --out results.json --ids-out ids.txt [--runs 3] [--contacts 30000]
//        [--target-bytes 6000000] [--deletes 300] [--poll-ms 5]
//        [--upsert-timeout-ms 30000] [--delete-timeout-ms 5000] [--delete-budget-ms 60000]
//        [--max-delete-failures 5] [--wrk-ids 5000]
//   node bench/lib/backends.js count --bases URL --at-least N [--wrk OUT1,OUT2] --timeout-ms 30000 --out count.json
//
// (a) Large upsert: PUT /v3/marketing/contacts with --contacts fresh contacts (the body of
//     bench/run's scenario 1) sent to the first node; its job is polled on the LAST node
//     (the other one when there are two: completion is seen through the shared database,
//     whichever node applied it) every --poll-ms until `completed`.
// (b) Identifier deletion: --deletes contacts are set up (one upsert on the first node,
//     their ids found by email), then one after another DELETE .../{id}/identifiers of the
//     EXTERNALID, request i on node i mod n; the job is polled on the node that accepted
//     it (first poll at once, then every --poll-ms) until `completed` with deleted_count 1.
// Then ids of existing contacts go to --ids-out for wrk's GET by id.
// `count` waits until GET /v3/marketing/contacts/count reaches --at-least plus the 2xx
// replies in the --wrk outputs (each a one-new-contact PUT accepted) or the deadline
// passes, and records how long it took.
//
// Every wait has a deadline; exit code 0 when every job completed as expected, 1 otherwise.

const crypto = require('node:crypto');
const fs = require('node:fs');
const { nowMs, sleep, makeClient, median, summarize } = require('./common');
const { buildUpsertBody, waitJob, idsByEmail } = require('./driver');

function parseArgs(argv) {
  const opts = {
    cmd: 'run', runs: 3, contacts: 30000, targetBytes: 6000000, deletes: 300, pollMs: 5,
    upsertTimeoutMs: 30000, deleteTimeoutMs: 5000, deleteBudgetMs: 60000, maxDeleteFailures: 5,
    wrkIds: 5000, atLeast: 0, timeoutMs: 30000,
  };
  const names = {
    '--bases': 'bases', '--out': 'out', '--ids-out': 'idsOut', '--runs': 'runs',
    '--contacts': 'contacts', '--target-bytes': 'targetBytes', '--deletes': 'deletes',
    '--poll-ms': 'pollMs', '--upsert-timeout-ms': 'upsertTimeoutMs',
    '--delete-timeout-ms': 'deleteTimeoutMs', '--delete-budget-ms': 'deleteBudgetMs',
    '--max-delete-failures': 'maxDeleteFailures', '--wrk-ids': 'wrkIds',
    '--at-least': 'atLeast', '--timeout-ms': 'timeoutMs', '--wrk': 'wrk',
  };
  let i = 2;
  if (argv[i] === 'count') {
    opts.cmd = 'count';
    i++;
  }
  for (; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    const v = argv[i + 1];
    opts[name] = ['bases', 'out', 'idsOut', 'wrk'].includes(name) ? v : Number(v);
  }
  opts.key = process.env.BENCH_API_KEY;
  if (!opts.bases || !opts.out || !opts.key) throw new Error('--bases, --out and BENCH_API_KEY are required');
  opts.bases = opts.bases.split(',');
  return opts;
}

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

// ---- (a) -------------------------------------------------------------------------------

async function scenarioUpsert(clients, opts, runTag) {
  const send = clients[0];
  const poll = clients[clients.length - 1];
  const runs = [];
  for (let r = 1; r <= opts.runs; r++) {
    const tag = `${runTag}u${r}`;
    const body = buildUpsertBody(tag, opts.contacts, opts.targetBytes);
    const t0 = nowMs();
    let res;
    try {
      res = await send.request('PUT', '/v3/marketing/contacts', body);
    } catch (e) {
      runs.push({ run: r, bodyBytes: body.length, ok: false, error: e.message });
      log(`upsert run ${r}: ${e.message}`);
      continue;
    }
    const t202 = res.tEnd - t0;
    if (res.status !== 202 || !res.json || !res.json.job_id) {
      runs.push({ run: r, bodyBytes: body.length, ok: false, error: `PUT answered ${res.status}: ${res.body.slice(0, 200)}` });
      log(`upsert run ${r}: PUT answered ${res.status}`);
      continue;
    }
    const w = await waitJob(poll, res.json.job_id, { pollMs: opts.pollMs, timeoutMs: opts.upsertTimeoutMs });
    const results = (w.job && w.job.results) || {};
    const ok = w.status === 'completed' && results.created_count === opts.contacts && !results.errored_count;
    const run = {
      run: r, tag, bodyBytes: body.length, ok, jobStatus: w.status, ms202: t202,
      msCompleted: w.tSeen - t0, polls: w.polls, pollRtt: summarize(w.pollRtt), results,
    };
    if (!ok) run.error = `job ${res.json.job_id} ended ${w.status} (${JSON.stringify(results)})`;
    runs.push(run);
    log(`upsert run ${r}: ${body.length} bytes, 202 after ${t202.toFixed(1)} ms, ${w.status} after ${(w.tSeen - t0).toFixed(1)} ms`);
  }
  const good = runs.filter((x) => x.ok);
  return {
    contacts: opts.contacts,
    sentTo: 0,
    polledOn: clients.length - 1,
    runs,
    failures: runs.length - good.length,
    median202: median(good.map((x) => x.ms202)),
    medianCompleted: median(good.map((x) => x.msCompleted)),
  };
}

// ---- (b) -------------------------------------------------------------------------------

async function scenarioDelete(clients, opts, runTag) {
  const tag = `${runTag}d`;
  const contacts = Array.from({ length: opts.deletes }, (_, i) => ({
    email: `del${i}.${tag}@bench.example.com`,
    external_id: `delext-${tag}-${i}`,
    first_name: `Del${i}`,
  }));
  const first = clients[0];
  const tSetup = nowMs();
  const put = await first.request('PUT', '/v3/marketing/contacts', { contacts });
  if (put.status !== 202) throw new Error(`delete setup: PUT answered ${put.status}: ${put.body.slice(0, 200)}`);
  const w0 = await waitJob(first, put.json.job_id, { pollMs: opts.pollMs, timeoutMs: 15000 });
  if (w0.status !== 'completed') throw new Error(`delete setup: upsert job ended ${w0.status}`);
  const ids = await idsByEmail(first, contacts.map((c) => c.email));
  if (ids.size !== contacts.length) throw new Error(`delete setup: found ${ids.size} of ${contacts.length} contacts`);
  log(`delete setup: ${contacts.length} contacts ready in ${(nowMs() - tSetup).toFixed(0)} ms`);

  const n = clients.length;
  const total = [];
  const to202 = [];
  const byNode = Array.from({ length: n }, () => []);
  const failures = [];
  let firstPollCompleted = 0;
  const budgetEnd = nowMs() + opts.deleteBudgetMs;
  let stoppedEarly = null;
  for (let i = 0; i < contacts.length; i++) {
    if (failures.length >= opts.maxDeleteFailures || nowMs() > budgetEnd) {
      stoppedEarly = `stopped after ${i} of ${contacts.length} deletions (${failures.length} failures)`;
      log(`delete: ${stoppedEarly}`);
      break;
    }
    const node = i % n;
    const client = clients[node];
    const id = ids.get(contacts[i].email);
    const body = { identifier_type: 'EXTERNALID', identifier_value: contacts[i].external_id };
    const t0 = nowMs();
    let r;
    try {
      r = await client.request('DELETE', `/v3/marketing/contacts/${id}/identifiers`, body);
    } catch (e) {
      failures.push({ i, node, id, error: e.message });
      continue;
    }
    if (r.status !== 202 || !r.json || !r.json.job_id) {
      failures.push({ i, node, id, error: `DELETE answered ${r.status}: ${r.body.slice(0, 200)}` });
      continue;
    }
    const w = await waitJob(client, r.json.job_id, { pollMs: opts.pollMs, timeoutMs: opts.deleteTimeoutMs });
    const results = (w.job && w.job.results) || {};
    if (w.status !== 'completed' || results.deleted_count !== 1) {
      failures.push({ i, node, id, error: `job ${r.json.job_id} ended ${w.status} (${JSON.stringify(results)})` });
      continue;
    }
    to202.push(r.tEnd - t0);
    total.push(w.tSeen - t0);
    byNode[node].push(w.tSeen - t0);
    if (w.polls === 1) firstPollCompleted++;
  }
  const s = summarize(total);
  log(`delete: ${total.length} completed, ${failures.length} failed; p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
  return {
    deletes: contacts.length,
    nodes: n,
    completed: total.length,
    failures: contacts.length - total.length,
    stoppedEarly,
    failureSamples: failures.slice(0, 5),
    total: s,
    to202: summarize(to202),
    byNode: byNode.map(summarize),
    firstPollCompleted,
    ids: contacts.map((c) => ids.get(c.email)),
  };
}

// ---- count -------------------------------------------------------------------------------

async function countContacts(client) {
  const r = await client.request('GET', '/v3/marketing/contacts/count');
  if (r.status !== 200 || !r.json || typeof r.json.contact_count !== 'number') {
    throw new Error(`contacts/count answered ${r.status}: ${r.body.slice(0, 200)}`);
  }
  return r.json.contact_count;
}

// 2xx replies in wrk outputs (their WRKJSON line): responses minus non-2xx (wrk counts a
// status of 400 or more as an error; contactd answers these PUTs 202 or an error).
function wrk2xx(files) {
  let n = 0;
  for (const f of files) {
    const line = fs.readFileSync(f, 'utf8').split('\n').find((l) => l.startsWith('WRKJSON '));
    if (!line) throw new Error(`no WRKJSON line in ${f}`);
    const w = JSON.parse(line.slice(8));
    n += w.requests - w.errors.status;
  }
  return n;
}

async function waitCount(opts) {
  const accepted = opts.wrk ? wrk2xx(opts.wrk.split(',')) : 0;
  const before = opts.atLeast;
  opts.atLeast = before + accepted;
  const client = makeClient(opts.bases[0], opts.key);
  const t0 = nowMs();
  const deadline = t0 + opts.timeoutMs;
  let count = -1;
  let error = null;
  for (;;) {
    try {
      count = await countContacts(client);
      error = null;
    } catch (e) {
      error = e.message;
    }
    if (count >= opts.atLeast || nowMs() >= deadline) break;
    await sleep(50);
  }
  client.close();
  const out = { count, before, accepted, atLeast: opts.atLeast, ok: count >= opts.atLeast, ms: nowMs() - t0, error };
  fs.writeFileSync(opts.out, JSON.stringify(out, null, 2));
  log(`contacts: ${count} (at least ${opts.atLeast} expected) after ${out.ms.toFixed(0)} ms`);
  process.exitCode = out.ok ? 0 : 1;
}

// ---- main ------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv);
  if (opts.cmd === 'count') return waitCount(opts);
  const clients = opts.bases.map((b) => makeClient(b, opts.key));
  const runTag = crypto.randomBytes(4).toString('hex');
  const out = { runTag, nodes: clients.length, opts: { ...opts, key: undefined } };

  for (const c of clients) {
    const health = await c.request('GET', '/healthz', null, { auth: false });
    if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);
  }

  log(`(a) ${opts.runs} upserts of ${opts.contacts} contacts on ${clients.length} node(s)`);
  out.upsert = await scenarioUpsert(clients, opts, runTag);

  log(`(b) ${opts.deletes} identifier deletions on ${clients.length} node(s)`);
  try {
    out.delete = await scenarioDelete(clients, opts, runTag);
  } catch (e) {
    log(`(b) failed: ${e.message}`);
    out.delete = { error: e.message, failures: opts.deletes };
  }

  // ids for wrk: the deletion contacts plus a sample of the upserted ones.
  const wrkIds = [...(out.delete.ids || [])];
  delete out.delete.ids;
  const good = out.upsert.runs.filter((x) => x.ok);
  if (good.length && wrkIds.length < opts.wrkIds) {
    const want = opts.wrkIds - wrkIds.length;
    const emails = [];
    for (let k = 0; emails.length < want && k < opts.contacts * good.length; k++) {
      const run = good[k % good.length];
      const i = Math.floor(k / good.length) * 7 % opts.contacts;
      emails.push(`user${i}.${run.tag}@bench.example.com`);
    }
    try {
      const found = await idsByEmail(clients[0], [...new Set(emails)]);
      wrkIds.push(...found.values());
    } catch (e) {
      log(`collecting ids for wrk: ${e.message}`);
    }
  }
  out.wrkIdCount = wrkIds.length;
  if (opts.idsOut && wrkIds.length) fs.writeFileSync(opts.idsOut, wrkIds.join('\n') + '\n');
  try {
    out.contactsAfter = await countContacts(clients[0]);
  } catch (e) {
    log(`count: ${e.message}`);
  }

  fs.writeFileSync(opts.out, JSON.stringify(out, null, 2));
  for (const c of clients) c.close();
  const failed = out.upsert.failures + (out.delete.failures || 0);
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  log(`backends driver error: ${e.stack || e.message}`);
  process.exitCode = 2;
});
