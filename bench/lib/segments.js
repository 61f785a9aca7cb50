#!/usr/bin/env node
'use strict';
// bench/segments driver (bench/segments starts the server and gives three keys of three
// fresh accounts). Every figure that is compared is measured in this one run, so ratios
// hold however busy the machine is; the absolute times do not.
//
//   node bench/lib/segments.js --base URL --keys k1,k2,k3 [--contacts 100000] [--runs 3]
//        [--seconds 5] [--concurrency 16]
//
//   1. Writes with and without segments: alternately, a 30,000-contact upsert of new contacts
//      into account 1 (no segments) and into account 2 (20 segments over first_name, city,
//      a custom Number field, email domains and a list), --runs times; PUT -> completed.
//   2. Account 3 gets --contacts contacts; then, alternately, one SGQL search
//      (POST /contacts/search) and the creation of a segment with the same condition until
//      it is VALID (its count exact), --runs times each; medians.
//   3. Reads: GET /segments/2.0/{id} (with its 50-contact sample, and without) and
//      GET /contacts/{id}, wrk at --concurrency connections for --seconds each; req/s.
// Prints one JSON object (stdout). Exit 1 when a step gave an unexpected answer.

const { nowMs, sleep, makeClient, median } = require('./common');

function parseArgs(argv) {
  const o = { contacts: 100000, runs: 3, seconds: 5, concurrency: 16 };
  for (let i = 2; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const k of ['contacts', 'runs', 'seconds', 'concurrency']) o[k] = Number(o[k]);
  o.keys = o.keys.split(',');
  return o;
}

const CITIES = ['Springfield', 'Riverton', 'Lakeside', 'Fairview', 'Georgetown', 'Salem'];
const NAMES = ['Ann', 'Bob', 'Cat', 'Dan', 'Eve', 'Fay', 'Gus', 'Hal'];
const SEG_Q = (cond) => `SELECT contact_id, updated_at FROM contact_data WHERE ${cond}`;

function contacts(tag, from, n, fieldId) {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const c = { email: `${tag}${i}@d${i % 7}.example.com`, first_name: NAMES[i % NAMES.length], city: CITIES[i % CITIES.length] };
    if (fieldId) c.custom_fields = { [fieldId]: i % 100 };
    return c;
  });
}

async function ok(p, status, label) {
  const r = await p;
  if (r.status !== status) throw new Error(`${label}: ${r.status} ${r.body.slice(0, 300)}`);
  return r.json;
}

async function waitJob(client, id) {
  const deadline = nowMs() + 600000;
  for (;;) {
    const j = await ok(client.request('GET', `/v3/marketing/contacts/imports/${id}`), 200, 'job');
    if (j.status !== 'pending') {
      if (j.status !== 'completed') throw new Error(`job ${id}: ${JSON.stringify(j)}`);
      return;
    }
    if (nowMs() > deadline) throw new Error(`job ${id} pending`);
    await sleep(5);
  }
}

// PUT n contacts (30,000 a request) and wait for every job; returns ms.
async function upsertTimed(client, list) {
  const t0 = nowMs();
  const jobs = [];
  for (let i = 0; i < list.length; i += 30000) {
    const j = await ok(client.request('PUT', '/v3/marketing/contacts', { contacts: list.slice(i, i + 30000) }), 202, 'upsert');
    jobs.push(j.job_id);
  }
  for (const id of jobs) await waitJob(client, id);
  return nowMs() - t0;
}

async function waitValid(client, id) {
  const deadline = nowMs() + 600000;
  for (;;) {
    const s = await ok(client.request('GET', `/v3/marketing/segments/2.0/${id}?contacts_sample=false`), 200, 'segment');
    if (s.status.query_validation !== 'PENDING') return s;
    if (nowMs() > deadline) throw new Error(`segment ${id} pending`);
    await sleep(5);
  }
}

// req/s of GET path: wrk (2 threads, `concurrency` connections) when it is installed, as
// bench/run uses it (a Node client parsing 30 KB answers on the same 2 cores would measure
// itself); else a closed loop of this client.
async function readRate(client, base, key, path, seconds, concurrency) {
  const { spawnSync } = require('node:child_process');
  const r = spawnSync('wrk', ['-t2', `-c${concurrency}`, `-d${seconds}s`, '-H', `Authorization: Bearer ${key}`, `${base}${path}`],
    { encoding: 'utf8' });
  const m = /Requests\/sec:\s*([0-9.]+)/.exec(r.stdout || '');
  if (m && !/Non-2xx/.test(r.stdout)) return Number(m[1]);
  if (m) throw new Error(`wrk GET ${path}: non-2xx answers`);
  return closedLoop(client, path, seconds, concurrency);
}

async function closedLoop(client, path, seconds, concurrency) {
  let n = 0;
  const end = nowMs() + seconds * 1000;
  const worker = async () => {
    while (nowMs() < end) {
      const r = await client.request('GET', path);
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status}`);
      n++;
    }
  };
  const t0 = nowMs();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return n / ((nowMs() - t0) / 1000);
}

async function main() {
  const o = parseArgs(process.argv);
  const [plain, segd, big] = o.keys.map((k) => makeClient(o.base, k, { requestTimeoutMs: 600000, maxSockets: o.concurrency }));
  const out = {};

  // 1. upserts with and without 20 segments
  const field = await ok(segd.request('POST', '/v3/marketing/field_definitions', { name: 'score', field_type: 'Number' }), 200, 'field');
  const list = await ok(segd.request('POST', '/v3/marketing/lists', { name: 'l' }), 201, 'list');
  const conds = [];
  for (const n of NAMES.slice(0, 5)) conds.push(`first_name = '${n}'`);
  for (const c of CITIES.slice(0, 5)) conds.push(`city = '${c}'`);
  for (let k = 0; k < 5; k++) conds.push(`score >= ${k * 20} AND score < ${k * 20 + 10}`);
  for (let k = 0; k < 4; k++) conds.push(`CONTAINS(email_domains, 'd${k}.example.com')`);
  conds.push(`CONTAINS(list_ids, '${list.id}')`);
  for (let k = 0; k < conds.length; k++) {
    await ok(segd.request('POST', '/v3/marketing/segments/2.0', { name: `s${k}`, query_dsl: SEG_Q(conds[k]) }), 201, 'segment');
  }
  const plainField = await ok(plain.request('POST', '/v3/marketing/field_definitions', { name: 'score', field_type: 'Number' }), 200, 'field');
  out.upsert_without = [];
  out.upsert_with = [];
  for (let r = 0; r < o.runs; r++) {
    out.upsert_without.push(await upsertTimed(plain, contacts(`p${r}x`, 0, 30000, plainField.id)));
    out.upsert_with.push(await upsertTimed(segd, contacts(`s${r}x`, 0, 30000, field.id)));
  }
  const seg0 = (await ok(segd.request('GET', '/v3/marketing/segments/2.0'), 200, 'list')).results.find((s) => s.name === 's0');
  out.segment_s0_count = seg0.contacts_count;
  out.segment_s0_expected = Math.ceil(30000 / NAMES.length) * o.runs;

  // 2. search vs segment creation over o.contacts
  await upsertTimed(big, contacts('b', 0, o.contacts));
  out.search = [];
  out.create = [];
  let expected = null;
  for (let r = 0; r < o.runs; r++) {
    const cond = `first_name = '${NAMES[r % NAMES.length]}' AND city LIKE 'S%'`;
    let t0 = nowMs();
    const s = await ok(big.request('POST', '/v3/marketing/contacts/search', { query: cond }), 200, 'search');
    out.search.push(nowMs() - t0);
    t0 = nowMs();
    const seg = await ok(big.request('POST', '/v3/marketing/segments/2.0', { name: `big${r}`, query_dsl: SEG_Q(cond) }), 201, 'create');
    const done = await waitValid(big, seg.id);
    out.create.push(nowMs() - t0);
    if (done.contacts_count !== s.contact_count) throw new Error(`segment counted ${done.contacts_count}, search ${s.contact_count}`);
    expected = s.contact_count;
  }
  out.create_count = expected;

  // 3. reads
  const segs = (await ok(big.request('GET', '/v3/marketing/segments/2.0'), 200, 'list')).results;
  const one = (await ok(big.request('POST', '/v3/marketing/contacts/search', { query: "email = 'b7@d0.example.com'" }), 200, 's')).result[0];
  const rate = (p) => readRate(big, o.base, o.keys[2], p, o.seconds, o.concurrency);
  out.rps_contact = await rate(`/v3/marketing/contacts/${one.id}`);
  out.rps_segment = await rate(`/v3/marketing/segments/2.0/${segs[0].id}`);
  out.rps_segment_nosample = await rate(`/v3/marketing/segments/2.0/${segs[0].id}?contacts_sample=false`);

  const m = (a) => median(a);
  out.ratio_upsert = m(out.upsert_with) / m(out.upsert_without);
  out.ratio_create = m(out.create) / m(out.search);
  out.ratio_get = out.rps_segment / out.rps_contact;
  out.ratio_get_nosample = out.rps_segment_nosample / out.rps_contact;
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
  for (const c of [plain, segd, big]) c.close();
  if (out.segment_s0_count !== out.segment_s0_expected) {
    process.stderr.write(`segment s0 has ${out.segment_s0_count} members, expected ${out.segment_s0_expected}\n`);
    process.exit(1);
  }
}

main().catch((e) => { process.stderr.write(`[bench] ${e.stack || e}\n`); process.exit(1); });
