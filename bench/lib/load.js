#!/usr/bin/env node
'use strict';
// contactd benchmark driver, second part: filling a store through the API, the open-loop
// job latency scenario and the concurrent large upserts. One subcommand a run:
//
//   BENCH_API_KEY=... node bench/lib/load.js load --base URL --out load.json --count 90000
//        --tag T [--chunk 30000] [--target-bytes 6000000] [--poll-ms 5] [--timeout-ms 120000]
//     Upserts --count new contacts in bodies of at most --chunk contacts (each padded like
//     driver.js's scenario 1 to about --target-bytes for a full chunk), sent back to back
//     (each PUT waits for its 202 only), then polls every job until it is completed.
//
//   ... openloop --base URL --out openloop.json [--rate 1000] [--seconds 8] [--poll-ms 5]
//        [--job-timeout-ms 10000] [--tag T]
//     Open loop: job i is sent at t0 + i/rate whatever the answers so far (no coordinated
//     omission: latencies are taken from the scheduled time), each a PUT of one new
//     contact; after its 202 the job is polled (first poll at once, then every --poll-ms)
//     until completed. Reports the achieved rates and request -> 202 / completed latency.
//
//   ... concurrent --base URL --out concurrent.json [--clients 3] [--contacts 30000]
//        [--target-bytes 6000000] [--poll-ms 5] [--timeout-ms 120000] [--tag T]
//     --clients large upserts sent at the same moment on separate connections, then
//     polled until completed (bench/run samples the server's memory meanwhile).
//
// Every wait has a deadline. Exit code 0 when every job completed as expected, 1 otherwise.

const crypto = require('node:crypto');
const fs = require('node:fs');
const { nowMs, makeClient, summarize } = require('./common');
const { buildUpsertBody, waitJob } = require('./driver');

function parseArgs(argv) {
  const opts = {
    cmd: argv[2], chunk: 30000, targetBytes: 6000000, pollMs: 5, timeoutMs: 120000,
    rate: 1000, seconds: 8, jobTimeoutMs: 10000, clients: 3, contacts: 30000,
    tag: crypto.randomBytes(4).toString('hex'),
  };
  const names = {
    '--base': 'base', '--out': 'out', '--count': 'count', '--tag': 'tag', '--chunk': 'chunk',
    '--target-bytes': 'targetBytes', '--poll-ms': 'pollMs', '--timeout-ms': 'timeoutMs',
    '--rate': 'rate', '--seconds': 'seconds', '--job-timeout-ms': 'jobTimeoutMs',
    '--clients': 'clients', '--contacts': 'contacts',
  };
  for (let i = 3; i < argv.length; i += 2) {
    const name = names[argv[i]];
    if (!name || i + 1 >= argv.length) throw new Error(`unknown or incomplete option ${argv[i]}`);
    const v = argv[i + 1];
    opts[name] = ['base', 'out', 'tag'].includes(name) ? v : Number(v);
  }
  opts.key = process.env.BENCH_API_KEY;
  for (const req of ['base', 'out', 'key']) {
    if (!opts[req]) throw new Error(`${req === 'key' ? 'BENCH_API_KEY' : `--${req}`} is required`);
  }
  if (!['load', 'openloop', 'concurrent'].includes(opts.cmd)) {
    throw new Error('usage: load.js load|openloop|concurrent --base URL --out FILE ...');
  }
  return opts;
}

function log(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

// ---- load --------------------------------------------------------------------------------

async function cmdLoad(opts) {
  const client = makeClient(opts.base, opts.key, { requestTimeoutMs: opts.timeoutMs });
  const out = { count: opts.count, tag: opts.tag, jobs: [], failures: 0 };
  const t0 = nowMs();
  const accepted = [];
  for (let start = 0, k = 0; start < opts.count; start += opts.chunk, k++) {
    const n = Math.min(opts.chunk, opts.count - start);
    // The tag names the chunk, so every contact is new: user<i>.<tag>c<k>@...
    const body = buildUpsertBody(`${opts.tag}c${k}`, n, Math.round(opts.targetBytes * n / opts.chunk));
    const ts = nowMs();
    const r = await client.request('PUT', '/v3/marketing/contacts', body);
    if (r.status !== 202 || !r.json || !r.json.job_id) {
      out.failures++;
      out.jobs.push({ k, n, error: `PUT answered ${r.status}: ${r.body.slice(0, 200)}` });
      log(`load: chunk ${k} answered ${r.status}`);
      continue;
    }
    accepted.push({ k, n, bytes: body.length, jobId: r.json.job_id, ts, ms202: r.tEnd - ts });
  }
  for (const a of accepted) {
    const w = await waitJob(client, a.jobId, { pollMs: opts.pollMs, timeoutMs: opts.timeoutMs });
    const results = (w.job && w.job.results) || {};
    const ok = w.status === 'completed' && results.created_count === a.n;
    if (!ok) out.failures++;
    out.jobs.push({ k: a.k, n: a.n, bytes: a.bytes, ms202: a.ms202, msCompleted: w.tSeen - a.ts, status: w.status, ok });
  }
  out.totalMs = nowMs() - t0;
  out.rate = opts.count / (out.totalMs / 1000);
  log(`load: ${opts.count} contacts in ${accepted.length} upserts, ${out.totalMs.toFixed(0)} ms (${Math.round(out.rate)} contacts/s), ${out.failures} failures`);
  client.close();
  return out;
}

// ---- open loop ---------------------------------------------------------------------------

async function cmdOpenLoop(opts) {
  const client = makeClient(opts.base, opts.key, { requestTimeoutMs: opts.jobTimeoutMs, maxSockets: 1024 });
  const total = Math.round(opts.rate * opts.seconds);
  const interval = 1000 / opts.rate;
  const lag = [];          // actual send time - scheduled time
  const to202 = [];        // scheduled -> 202
  const toDone = [];       // scheduled -> completed seen
  const fromSend = [];     // actual send -> completed seen
  const polls = [];
  const failures = [];
  let firstPoll = 0;
  let last202 = 0;
  let lastDone = 0;
  let lastSend = 0;
  const pending = [];

  async function one(i, tSched) {
    const tSend = nowMs();
    lastSend = tSend;
    lag.push(tSend - tSched);
    const body = JSON.stringify({ contacts: [{
      email: `o${i}.${opts.tag}@bench.example.com`, external_id: `o-${opts.tag}-${i}`, first_name: `Open${i}`,
    }] });
    let r;
    try {
      r = await client.request('PUT', '/v3/marketing/contacts', body);
    } catch (e) {
      failures.push({ i, error: e.message });
      return;
    }
    if (r.status !== 202 || !r.json || !r.json.job_id) {
      failures.push({ i, error: `PUT answered ${r.status}: ${r.body.slice(0, 200)}` });
      return;
    }
    to202.push(r.tEnd - tSched);
    last202 = Math.max(last202, r.tEnd);
    const w = await waitJob(client, r.json.job_id, { pollMs: opts.pollMs, timeoutMs: opts.jobTimeoutMs });
    const results = (w.job && w.job.results) || {};
    if (w.status !== 'completed' || results.created_count !== 1) {
      failures.push({ i, error: `job ended ${w.status} (${JSON.stringify(results)})` });
      return;
    }
    toDone.push(w.tSeen - tSched);
    fromSend.push(w.tSeen - tSend);
    polls.push(w.polls);
    if (w.polls === 1) firstPoll++;
    lastDone = Math.max(lastDone, w.tSeen);
  }

  // Warm the connection pool a little so that the first jobs do not all pay a connect.
  await Promise.all(Array.from({ length: 16 }, () => client.request('GET', '/healthz', null, { auth: false })));
  const t0 = nowMs() + 20;
  let sent = 0;
  await new Promise((resolve) => {
    const tick = () => {
      const now = nowMs();
      const due = Math.min(total, Math.floor((now - t0) / interval) + 1);
      while (sent < due) {
        pending.push(one(sent, t0 + sent * interval));
        sent++;
      }
      if (sent < total) setTimeout(tick, Math.max(0, Math.min(1, t0 + sent * interval - nowMs()))); else resolve();
    };
    setTimeout(tick, Math.max(0, t0 - nowMs()));
  });
  await Promise.all(pending);
  client.close();
  const sendWindow = (lastSend - t0) / 1000;
  const out = {
    rate: opts.rate, seconds: opts.seconds, jobs: total, pollMs: opts.pollMs,
    sendRate: total > 1 ? (total - 1) / sendWindow : NaN,
    acceptedRate: to202.length / ((last202 - t0) / 1000),
    completedRate: toDone.length / ((lastDone - t0) / 1000),
    accepted: to202.length, completed: toDone.length, failures: failures.length,
    failureSamples: failures.slice(0, 5), firstPollCompleted: firstPoll,
    lag: summarize(lag), to202: summarize(to202), toCompleted: summarize(toDone),
    sendToCompleted: summarize(fromSend), polls: summarize(polls),
  };
  log(`open loop: ${total} jobs offered at ${opts.rate}/s, sent at ${out.sendRate.toFixed(0)}/s, ` +
    `${out.completed} completed (${out.completedRate.toFixed(0)}/s); completed p50 ${out.toCompleted.p50.toFixed(2)} ms, ` +
    `p99 ${out.toCompleted.p99.toFixed(2)} ms; ${out.failures} failures`);
  return out;
}

// ---- concurrent large upserts -------------------------------------------------------------

async function cmdConcurrent(opts) {
  const bodies = Array.from({ length: opts.clients }, (_, k) => buildUpsertBody(`${opts.tag}p${k}`, opts.contacts, opts.targetBytes));
  // One client (agent) each: separate connections, sent at the same moment.
  const clients = bodies.map(() => makeClient(opts.base, opts.key, { requestTimeoutMs: opts.timeoutMs }));
  await Promise.all(clients.map((c) => c.request('GET', '/healthz', null, { auth: false })));
  const t0 = nowMs();
  const runs = await Promise.all(bodies.map(async (body, k) => {
    const c = clients[k];
    let r;
    try {
      r = await c.request('PUT', '/v3/marketing/contacts', body);
    } catch (e) {
      return { k, ok: false, error: e.message };
    }
    if (r.status !== 202 || !r.json || !r.json.job_id) return { k, ok: false, error: `PUT answered ${r.status}: ${r.body.slice(0, 200)}` };
    const ms202 = r.tEnd - t0;
    const w = await waitJob(c, r.json.job_id, { pollMs: opts.pollMs, timeoutMs: opts.timeoutMs });
    const results = (w.job && w.job.results) || {};
    const ok = w.status === 'completed' && results.created_count === opts.contacts;
    return { k, ok, bytes: body.length, ms202, msCompleted: w.tSeen - t0, status: w.status, ...(ok ? {} : { error: `job ended ${w.status}` }) };
  }));
  for (const c of clients) c.close();
  const failures = runs.filter((r) => !r.ok).length;
  const out = { clients: opts.clients, contacts: opts.contacts, bytes: bodies[0].length, runs, failures,
    allCompletedMs: Math.max(...runs.map((r) => r.msCompleted || 0)) };
  log(`concurrent: ${opts.clients} x ${bodies[0].length} bytes; 202 after ${runs.map((r) => (r.ms202 || NaN).toFixed(0)).join('/')} ms, ` +
    `completed after ${runs.map((r) => (r.msCompleted || NaN).toFixed(0)).join('/')} ms; ${failures} failures`);
  return out;
}

async function main() {
  const opts = parseArgs(process.argv);
  let out;
  if (opts.cmd === 'load') out = await cmdLoad(opts);
  else if (opts.cmd === 'openloop') out = await cmdOpenLoop(opts);
  else out = await cmdConcurrent(opts);
  fs.writeFileSync(opts.out, JSON.stringify(out, null, 2));
  process.exitCode = out.failures ? 1 : 0;
}

main().catch((e) => {
  log(`load.js error: ${e.stack || e.message}`);
  process.exitCode = 2;
});

