#!/usr/bin/env node
'use strict';
// bench/fairness driver: one account's burst of heavy SGQL searches against another
// account's trivial one, timed from the client on the monotonic clock.
//
//   node bench/lib/fairness.js --base URL --key-a KEY --key-b KEY --contacts N [--burst 4]
//        [--runs 3]
//     Account A (key-a) gets N contacts (PUT /v3/marketing/contacts, 30,000 a request,
//     every job polled until completed). Then: the heavy query alone on A, median of
//     --runs (t_heavy); and --runs rounds of a burst of --burst heavy searches on A with,
//     50 ms later, one search on B's empty account (t_b: from B's request to its answer).
//     Prints one JSON line {t_heavy_ms, t_b_ms (median), ratio: t_b / t_heavy, ...}.
//     A fair pool answers B at once (ratio near 0); first come, first served makes B wait
//     for A's searches ahead of it (ratio about 1 or more with two workers).

const { nowMs, sleep, makeClient, median } = require('./common');

const SEARCH = '/v3/marketing/contacts/search';
// Matches nothing, reads every contact and runs four LIKEs on each: a heavy scan.
const HEAVY = { query: "email LIKE '%zzq%' OR first_name LIKE '%qqz%' OR last_name LIKE '%zqz%' OR city LIKE '%qzq%'" };

function parseArgs(argv) {
  const o = { burst: 4, runs: 3 };
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '').replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    o[name] = ['contacts', 'burst', 'runs'].includes(name) ? Number(argv[i + 1]) : argv[i + 1];
  }
  return o;
}

async function seed(client, n) {
  const jobs = [];
  for (let i = 0; i < n; i += 30000) {
    const contacts = [];
    for (let k = i; k < Math.min(n, i + 30000); k++)
      contacts.push({ email: `u${k}@fair.example.com`, first_name: `F${k}`, last_name: `L${k}`, city: 'Springfield' });
    const r = await client.request('PUT', '/v3/marketing/contacts', { contacts });
    if (r.status !== 202) throw new Error(`upsert: ${r.status} ${r.body.slice(0, 200)}`);
    jobs.push(r.json.job_id);
  }
  for (const id of jobs) {
    for (;;) {
      const r = await client.request('GET', `/v3/marketing/contacts/imports/${id}`);
      if (r.json && r.json.status !== 'pending') break;
      await sleep(50);
    }
  }
}

async function timed(client, body) {
  const t0 = nowMs();
  const r = await client.request('POST', SEARCH, body);
  if (r.status !== 200) throw new Error(`search: ${r.status} ${r.body.slice(0, 200)}`);
  return r.tEnd - t0;
}

async function main() {
  const o = parseArgs(process.argv);
  const a = makeClient(o.base, o.keyA, { requestTimeoutMs: 120000, maxSockets: o.burst + 1 });
  const b = makeClient(o.base, o.keyB, { requestTimeoutMs: 120000 });
  await seed(a, o.contacts);
  const alone = [];
  for (let i = 0; i < o.runs; i++) alone.push(await timed(a, HEAVY));
  const tb = [];
  for (let i = 0; i < o.runs; i++) {
    const burst = [];
    for (let k = 0; k < o.burst; k++) burst.push(timed(a, HEAVY));
    await sleep(50);
    tb.push(await timed(b, HEAVY));
    await Promise.all(burst);
  }
  const tHeavy = median(alone);
  const tB = median(tb);
  console.log(JSON.stringify({ contacts: o.contacts, burst: o.burst, t_heavy_ms: Math.round(tHeavy), t_b_ms: Math.round(tB), t_b_runs_ms: tb.map(Math.round), ratio: Number((tB / tHeavy).toFixed(3)) }));
  a.close();
  b.close();
}

main().catch((e) => { process.stderr.write(`[bench] ${e.stack || e}\n`); process.exit(1); });
