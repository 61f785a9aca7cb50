#!/usr/bin/env node
'use strict';
// contactd benchmark driver: the write-path scenarios, timed from the client side.
//
//   BENCH_API_KEY=SG.x.y node bench/lib/driver.js --base http://127.0.0.1:PORT --out results.json \
//        --ids-out ids.txt [--runs 3] [--contacts 30000] [--target-bytes 6000000] \
//        [--deletes 1000] [--poll-ms 5] [--upsert-timeout-ms 30000] [--delete-timeout-ms 5000]
//        [--delete-budget-ms 60000] [--max-delete-failures 5] [--body-out upsert.json]
//
// Scenario 1 (upsert): PUT /v3/marketing/contacts with --contacts fresh contacts padded to
//   about --target-bytes of JSON; measures send -> 202 and send -> status `completed` seen
//   by polling GET /v3/marketing/contacts/imports/{id} every --poll-ms.
// Scenario 2 (delete identifier): --deletes contacts with email + external_id are set up,
//   their ids found via search/identifiers/email (100 per request); then, one contact at a
//   time, DELETE .../{id}/identifiers of its EXTERNALID and poll the job (first poll at
//   once, then every --poll-ms) until `completed`; measures request start -> completed seen.
// The ids of existing contacts are written to --ids-out for the wrk GET-by-id scenario, and
// the first upsert body to --body-out (for bench/sqlite_insert, the plain-SQLite reference).
//
// Every wait has a deadline: a job that does not finish in time is recorded as a failure
// and the run goes on. The deletion loop also stops after --max-delete-failures failures
// or --delete-budget-ms in all (the deletions not sent count as failures), so a broken
// server costs a bounded time. Exit code 0 when every job completed as expected, 1 otherwise.

const crypto = require('node:crypto');
const fs = require('node:fs');
const { nowMs, sleep, makeClient, median, summarize } = require('./common');

const UPSERT_CAP_BYTES = 6 * 1024 * 1024; // contactd's body cap for PUT /v3/marketing/contacts
const SEARCH_BATCH = 100;

function parseArgs(argv) {
  const opts = {
    runs: 3, contacts: 30000, targetBytes: 6000000, deletes: 1000, pollMs: 5,
    upsertTimeoutMs: 30000, deleteTimeoutMs: 5000, deleteBudgetMs: 60000, maxDeleteFailures: 5,
    wrkIds: 5000,
  };
  const names = {
    '--base': 'base', '--key': 'key', '--out': 'out', '--ids-out': 'idsOut', '--runs': 'runs',
    '--contacts': 'contacts', '--target-bytes': 'targetBytes', '--deletes': 'deletes',
    '--poll-ms': 'pollMs', '--upsert-timeout-ms': 'upsertTimeoutMs',
    '--delete-timeout-ms': 'deleteTimeoutMs', '--delete-budget-ms': 'deleteBudgetMs',
    '--max-delete-failures': 'maxDeleteFailures', '--wrk-ids': 'wrkIds', '--body-out': 'bodyOut',
  };
  for (let i = 2; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    const v = argv[i + 1];
    opts[name] = ['base', 'key', 'out', 'idsOut', 'bodyOut'].includes(name) ? v : Number(v);
  }
  if (!opts.key) opts.key = process.env.BENCH_API_KEY;
  for (const req of ['base', 'key', 'out']) {
    if (!opts[req]) throw new Error(`--${req} is required${req === 'key' ? ' (or BENCH_API_KEY)' : ''}`);
  }
  return opts;
}

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

// ---- contacts ------------------------------------------------------------------------

const CITIES = ['Springfield', 'Riverton', 'Lakeside', 'Fairview', 'Georgetown', 'Greenville',
  'Franklin', 'Clinton', 'Madison', 'Salem', 'Bristol', 'Dayton'];

// One contact of an upsert run: the identifiers (email, external_id), names and city,
// and an address_line_1 of padLen characters that brings the body to its target size.
function makeContact(tag, i, padLen) {
  const c = {
    email: `user${i}.${tag}@bench.example.com`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
    external_id: `ext-${tag}-${i}`,
    city: CITIES[i % CITIES.length],
  };
  if (padLen > 0) c.address_line_1 = `${100 + (i % 9000)} Benchmark Avenue `.padEnd(padLen, 'x').slice(0, Math.min(padLen, 100));
  return c;
}

function upsertBody(tag, count, padLen) {
  return Buffer.from(JSON.stringify({ contacts: Array.from({ length: count }, (_, i) => makeContact(tag, i, padLen)) }));
}

// A body of `count` contacts tagged `tag`, padded to about targetBytes and always under
// contactd's cap.
function buildUpsertBody(tag, count, targetBytes) {
  const base = upsertBody(tag, count, 0).length;
  // ,"address_line_1":"" costs 20 bytes per contact before its value.
  let pad = Math.max(1, Math.min(100, Math.floor((targetBytes - base) / count) - 20));
  let body = upsertBody(tag, count, pad);
  while (body.length >= UPSERT_CAP_BYTES && pad > 1) {
    pad -= 1;
    body = upsertBody(tag, count, pad);
  }
  if (body.length >= UPSERT_CAP_BYTES) throw new Error(`the upsert body is ${body.length} bytes, over the cap`);
  return body;
}

// ---- jobs ----------------------------------------------------------------------------

// Poll a job until it leaves `pending` or the deadline passes. The first poll is sent at
// once; the next ones at pollMs intervals from the previous poll's start.
async function waitJob(client, jobId, { pollMs, timeoutMs }) {
  const deadline = nowMs() + timeoutMs;
  let polls = 0;
  const rtts = [];   // each poll's round trip
  for (;;) {
    const started = nowMs();
    let r;
    try {
      r = await client.request('GET', `/v3/marketing/contacts/imports/${jobId}`);
    } catch (e) {
      return { status: `error (${e.message})`, tSeen: nowMs(), polls, pollRtt: rtts, job: null };
    }
    polls++;
    rtts.push(r.tEnd - started);
    if (r.status !== 200) {
      return { status: `http-${r.status}`, tSeen: r.tEnd, polls, pollRtt: rtts, job: r.json };
    }
    const st = r.json && r.json.status;
    if (st && st !== 'pending') return { status: st, tSeen: r.tEnd, polls, pollRtt: rtts, job: r.json };
    if (r.tEnd >= deadline) return { status: 'timeout', tSeen: r.tEnd, polls, pollRtt: rtts, job: r.json };
    const wait = started + pollMs - nowMs();
    if (wait > 0) await sleep(wait);
  }
}

// ---- scenario 1 ------------------------------------------------------------------------

async function scenarioUpsert(client, opts, runTag) {
  const runs = [];
  for (let r = 1; r <= opts.runs; r++) {
    const tag = `${runTag}u${r}`;
    const body = buildUpsertBody(tag, opts.contacts, opts.targetBytes);
    if (r === 1 && opts.bodyOut) fs.writeFileSync(opts.bodyOut, body);
    const t0 = nowMs();
    let res;
    try {
      res = await client.request('PUT', '/v3/marketing/contacts', body);
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
    const w = await waitJob(client, res.json.job_id, { pollMs: opts.pollMs, timeoutMs: opts.upsertTimeoutMs });
    const results = (w.job && w.job.results) || {};
    const ok = w.status === 'completed' && results.created_count === opts.contacts && !results.errored_count;
    const run = {
      run: r, tag, bodyBytes: body.length, ok, jobStatus: w.status, ms202: t202,
      msCompleted: w.tSeen - t0, polls: w.polls, pollRtt: summarize(w.pollRtt), results,
    };
    if (!ok) run.error = `job ${res.json.job_id} ended ${w.status} (${JSON.stringify(results)})`;
    runs.push(run);
    log(`upsert run ${r}: ${body.length} bytes, 202 after ${t202.toFixed(1)} ms, ${w.status} after ${(w.tSeen - t0).toFixed(1)} ms (${w.polls} polls, poll round trip p50 ${run.pollRtt.p50.toFixed(2)} ms)`);
  }
  const good = runs.filter((x) => x.ok);
  return {
    contacts: opts.contacts,
    runs,
    failures: runs.length - good.length,
    median202: median(good.map((x) => x.ms202)),
    medianCompleted: median(good.map((x) => x.msCompleted)),
  };
}

// ---- ids via search ----------------------------------------------------------------------

async function idsByEmail(client, emails) {
  const ids = new Map();
  for (let i = 0; i < emails.length; i += SEARCH_BATCH) {
    const batch = emails.slice(i, i + SEARCH_BATCH);
    const r = await client.request('POST', '/v3/marketing/contacts/search/identifiers/email', { identifiers: batch });
    if (r.status !== 200 || !r.json || !r.json.result) {
      throw new Error(`search/identifiers/email answered ${r.status}: ${r.body.slice(0, 200)}`);
    }
    for (const email of batch) {
      const hit = r.json.result[email];
      if (hit && hit.contact && hit.contact.id) ids.set(email, hit.contact.id);
    }
  }
  return ids;
}

// ---- scenario 2 ------------------------------------------------------------------------

async function scenarioDelete(client, opts, runTag) {
  const tag = `${runTag}d`;
  const contacts = Array.from({ length: opts.deletes }, (_, i) => ({
    email: `del${i}.${tag}@bench.example.com`,
    external_id: `delext-${tag}-${i}`,
    first_name: `Del${i}`,
  }));
  const tSetup = nowMs();
  const put = await client.request('PUT', '/v3/marketing/contacts', { contacts });
  if (put.status !== 202) throw new Error(`delete setup: PUT answered ${put.status}: ${put.body.slice(0, 200)}`);
  const w = await waitJob(client, put.json.job_id, { pollMs: opts.pollMs, timeoutMs: Math.min(opts.upsertTimeoutMs, 15000) });
  if (w.status !== 'completed') throw new Error(`delete setup: upsert job ended ${w.status}`);
  const ids = await idsByEmail(client, contacts.map((c) => c.email));
  if (ids.size !== contacts.length) throw new Error(`delete setup: found ${ids.size} of ${contacts.length} contacts`);
  log(`delete setup: ${contacts.length} contacts ready in ${(nowMs() - tSetup).toFixed(0)} ms`);

  const total = [];     // request start -> completed seen
  const to202 = [];     // request start -> 202 received
  const polls = [];
  const pollRtt = [];   // round trip of each poll
  const failures = [];
  let firstPollCompleted = 0;
  const budgetEnd = nowMs() + opts.deleteBudgetMs;
  let stoppedEarly = null;
  for (let i = 0; i < contacts.length; i++) {
    if (failures.length >= opts.maxDeleteFailures || nowMs() > budgetEnd) {
      stoppedEarly = `stopped after ${i} of ${contacts.length} deletions (${failures.length} failures, ` +
        `${(nowMs() - budgetEnd + opts.deleteBudgetMs).toFixed(0)} ms)`;
      log(`delete: ${stoppedEarly}`);
      break;
    }
    const id = ids.get(contacts[i].email);
    const body = { identifier_type: 'EXTERNALID', identifier_value: contacts[i].external_id };
    const t0 = nowMs();
    let r;
    try {
      r = await client.request('DELETE', `/v3/marketing/contacts/${id}/identifiers`, body);
    } catch (e) {
      failures.push({ i, id, error: e.message });
      continue;
    }
    if (r.status !== 202 || !r.json || !r.json.job_id) {
      failures.push({ i, id, error: `DELETE answered ${r.status}: ${r.body.slice(0, 200)}` });
      continue;
    }
    const w = await waitJob(client, r.json.job_id, { pollMs: opts.pollMs, timeoutMs: opts.deleteTimeoutMs });
    const results = (w.job && w.job.results) || {};
    if (w.status !== 'completed' || results.deleted_count !== 1) {
      failures.push({ i, id, error: `job ${r.json.job_id} ended ${w.status} (${JSON.stringify(results)})` });
      continue;
    }
    to202.push(r.tEnd - t0);
    total.push(w.tSeen - t0);
    polls.push(w.polls);
    pollRtt.push(...w.pollRtt);
    if (w.polls === 1) firstPollCompleted++;
  }
  const s = summarize(total);
  log(`delete: ${total.length} completed, ${failures.length} failed; p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms`);
  return {
    deletes: contacts.length,
    completed: total.length,
    failures: contacts.length - total.length,
    stoppedEarly,
    failureSamples: failures.slice(0, 5),
    total: s,
    to202: summarize(to202),
    polls: summarize(polls),
    pollRtt: summarize(pollRtt),
    firstPollCompleted,
    ids: contacts.map((c) => ids.get(c.email)),
  };
}

// ---- main ------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv);
  const client = makeClient(opts.base, opts.key);
  const runTag = crypto.randomBytes(4).toString('hex');
  const out = { runTag, opts: { ...opts, key: undefined } };

  const health = await client.request('GET', '/healthz', null, { auth: false });
  if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);

  log(`scenario 1: ${opts.runs} upserts of ${opts.contacts} contacts`);
  out.upsert = await scenarioUpsert(client, opts, runTag);

  log(`scenario 2: ${opts.deletes} identifier deletions`);
  try {
    out.delete = await scenarioDelete(client, opts, runTag);
  } catch (e) {
    log(`scenario 2 failed: ${e.message}`);
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
      const found = await idsByEmail(client, [...new Set(emails)]);
      wrkIds.push(...found.values());
    } catch (e) {
      log(`collecting ids for wrk: ${e.message}`);
    }
  }
  out.wrkIdCount = wrkIds.length;
  if (opts.idsOut && wrkIds.length) fs.writeFileSync(opts.idsOut, wrkIds.join('\n') + '\n');

  fs.writeFileSync(opts.out, JSON.stringify(out, null, 2));
  client.close();
  const failed = out.upsert.failures + (out.delete.failures || 0);
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
  main().catch((e) => {
    log(`driver error: ${e.stack || e.message}`);
    process.exitCode = 2;
  });
}

module.exports = { buildUpsertBody, waitJob, idsByEmail };
