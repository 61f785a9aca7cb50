#!/usr/bin/env node
'use strict';
// Formats the results of one bench/backends run as a plain-text table on stdout: one row
// per figure, one column per set-up (SQLite 1 node | PostgreSQL 1 node | PostgreSQL 2
// nodes). Inputs: --work DIR with a directory per set-up (driver.json, wrk-*-K.txt,
// count.json, stops.txt, load-*.txt, hwm-K.txt, error.txt) and the facts bench/backends
// gathered. Missing inputs show as "-" and make the result FAILED, never a crash.
// Exit code 0 when the run is complete (--failed 0 and nothing missing), 1 otherwise.

const fs = require('node:fs');

function parseArgs(argv) {
  const o = {};
  for (let i = 2; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1] ?? '';
  return o;
}
function readJson(path) {
  try { return JSON.parse(fs.readFileSync(path, 'utf8')); } catch (_) { return null; }
}
function readText(path) {
  try { return fs.readFileSync(path, 'utf8').trim(); } catch (_) { return null; }
}
function readWrk(path) {
  try {
    const line = fs.readFileSync(path, 'utf8').split('\n').find((l) => l.startsWith('WRKJSON '));
    return line ? JSON.parse(line.slice(8)) : null;
  } catch (_) { return null; }
}

const ok = (v) => typeof v === 'number' && Number.isFinite(v);
const fmt = (v, d = 1) => (ok(v) ? v.toFixed(d) : '-');
const int = (v) => (ok(v) ? Math.round(v).toLocaleString('en-US') : '-');
const ms = (us) => (ok(us) ? us / 1000 : NaN);

const LABELS = { sqlite: 'SQLite 1 node', pg1: 'PostgreSQL 1 node', pg2: 'PostgreSQL 2 nodes' };
const NODES = { sqlite: 1, pg1: 1, pg2: 2 };

// The wrk outputs of one load on every node of a set-up, combined: req/s summed; latency
// percentiles and max are the worst node's (wrk's histograms cannot be merged from its
// summary); errors summed. null when a node's output is missing.
function wrkSum(dir, name, nodes) {
  const ws = [];
  for (let k = 0; k < nodes; k++) {
    const w = readWrk(`${dir}/wrk-${name}-${k}.txt`);
    if (!w) return null;
    ws.push(w);
  }
  const worst = (f) => Math.max(...ws.map(f));
  return {
    rps: ws.reduce((s, w) => s + w.rps, 0),
    rps2xx: ws.reduce((s, w) => s + (w.requests ? w.rps * (w.requests - w.errors.status) / w.requests : 0), 0),
    perNode: ws.map((w) => w.rps),
    requests: ws.reduce((s, w) => s + w.requests, 0),
    p50: worst((w) => w.latency_us.p50),
    p99: worst((w) => w.latency_us.p99),
    max: worst((w) => w.latency_us.max),
    non2xx: ws.reduce((s, w) => s + w.errors.status, 0),
    sockErr: ws.reduce((s, w) => s + w.errors.connect + w.errors.read + w.errors.write + w.errors.timeout, 0),
  };
}

function main() {
  const a = parseArgs(process.argv);
  const setups = (a.setups || 'sqlite pg1 pg2').split(/\s+/).filter(Boolean);
  const problems = [];
  const S = setups.map((name) => {
    const dir = `${a.work}/${name}`;
    const nodes = NODES[name];
    const s = {
      name, nodes, label: LABELS[name],
      error: readText(`${dir}/error.txt`),
      d: readJson(`${dir}/driver.json`),
      count: readJson(`${dir}/count.json`),
      get: wrkSum(dir, 'get', nodes),
      hz: wrkSum(dir, 'healthz', nodes),
      put: wrkSum(dir, 'upsert', nodes),
      load: readText(`${dir}/load-start.txt`),
      loadEnd: readText(`${dir}/load-end.txt`),
      stops: (readText(`${dir}/stops.txt`) || '').split('\n').filter(Boolean).map((l) => l.split(' ').filter(Boolean)),
      hwm: Array.from({ length: nodes }, (_, k) => Number(readText(`${dir}/hwm-${k}.txt`) || NaN)),
    };
    const L = LABELS[name];
    if (s.error) {
      problems.push(`${L}: ${s.error}`);
      return s;
    }
    if (!s.d) problems.push(`${L}: no results of (a)/(b)`);
    else {
      if (s.d.upsert.failures) problems.push(`${L}: ${s.d.upsert.failures} upsert run(s) failed: ${s.d.upsert.runs.filter((r) => !r.ok).map((r) => r.error).join('; ')}`);
      if (s.d.delete.error) problems.push(`${L}: deletion scenario: ${s.d.delete.error}`);
      else if (s.d.delete.failures) problems.push(`${L}: ${s.d.delete.failures} deletion(s) failed: ${JSON.stringify(s.d.delete.failureSamples)}`);
    }
    for (const [k, w] of [['GET by id', s.get], ['healthz', s.hz], ['PUT 1 contact', s.put]]) {
      if (!w) problems.push(`${L}: no wrk result for ${k}`);
      else if (w.non2xx || w.sockErr) problems.push(`${L}: wrk ${k}: ${w.non2xx} non-2xx replies, ${w.sockErr} socket errors`);
    }
    if (!s.count) problems.push(`${L}: contacts not counted after (d)`);
    else if (!s.count.ok && s.count.error) problems.push(`${L}: contacts could not be counted after (d): ${s.count.error}`);
    for (const [label, rc, stopMs, ...rest] of s.stops) {
      if (rc !== '0' || rest.length) problems.push(`${L}: contactd ${label} stopped with exit ${rc} ${rest.join(' ')}`.trim());
    }
    if (s.stops.length < nodes) problems.push(`${L}: ${nodes - s.stops.length} node(s) not stopped cleanly`);
    return s;
  });

  // Rows are collected first (a string, or [label, cells]) so that the columns fit the widest cell.
  const W0 = 44;
  const out = [];
  const row = (label, f) => out.push([label, S.map((s) => String(f(s)))]);
  const head = (t) => out.push(t);
  const up = (s) => s.d && s.d.upsert;
  const del = (s) => s.d && s.d.delete && !s.d.delete.error ? s.d.delete : null;
  const pw = (s) => `-t${Math.max(1, Math.floor(Number(a['wrk-threads']) / s.nodes))} -c${Math.floor(Number(a['wrk-connections']) / s.nodes)}`;

  out.push('contactd benchmark: SQLite vs PostgreSQL, one and two nodes (bench/backends)');
  out.push(`date         ${a.date}`);
  out.push(`host         nproc=${a.nproc}, ${a.cpu}; load average (1/5/15 min) at start / end: ${a.load}`);
  out.push(`contactd     ${a.commit}; serve --threads ${a['server-threads']} per node`);
  out.push(`PostgreSQL   ${a.pg}; one fresh database per set-up, same machine`);
  out.push(`             (SQLite: WAL, synchronous=FULL, a fresh file)`);
  out.push(`run          ${setups.map((x) => LABELS[x]).join(', then ')}; bench/backends took ${a['run-seconds']} s after the build`);
  out.push('');
  row('', (s) => s.label);
  row('load average at set-up start (1/5/15)', (s) => s.load || '-');
  const body = S.map((s) => up(s) && up(s).runs.length ? up(s).runs[0].bodyBytes : NaN).find(ok);
  const nruns = S.map((s) => up(s) && up(s).runs.length).find(Boolean) || 0;
  head(`(a) upsert of ${int(S.map((s) => up(s) && up(s).contacts).find(Boolean))} new contacts, ${int(body)}-byte body; median of ${nruns} runs`);
  head('    (2 nodes: sent to node 1, polled on node 2 every 5 ms)');
  row('    to 202, ms', (s) => fmt(up(s) && up(s).median202));
  row('    completed, ms', (s) => fmt(up(s) && up(s).medianCompleted));
  row('    completed, ms, each run', (s) => (up(s) ? up(s).runs.map((r) => (r.ok ? Math.round(r.msCompleted) : 'X')).join(' / ') : '-'));
  row('    apply rate, contacts/s', (s) => int(up(s) && up(s).contacts / (up(s).medianCompleted / 1000)));
  const nd = S.map((s) => del(s) && del(s).deletes).find(Boolean);
  head(`(b) DELETE .../{id}/identifiers -> job completed seen, ${int(nd)} in sequence`);
  head('    (2 nodes: alternating, each job polled on the node that took it)');
  row('    p50, ms', (s) => fmt(del(s) && del(s).total.p50, 2));
  row('    p90, ms', (s) => fmt(del(s) && del(s).total.p90, 2));
  row('    p99, ms', (s) => fmt(del(s) && del(s).total.p99, 2));
  row('    max, ms', (s) => fmt(del(s) && del(s).total.max, 2));
  row('    to 202 alone p50 / p99, ms', (s) => (del(s) ? `${fmt(del(s).to202.p50, 2)} / ${fmt(del(s).to202.p99, 2)}` : '-'));
  row('    completed at the first poll', (s) => (del(s) ? `${del(s).firstPollCompleted}/${del(s).completed}` : '-'));
  head(`(c) wrk ${a['wrk-connections']} connections in all, keep-alive, ${a['wrk-seconds']} s; 2 nodes: one wrk per node, req/s summed`);
  row('    wrk per node', pw);
  row('    GET contact by id, req/s', (s) => int(s.get && s.get.rps));
  row('      per node', (s) => (s.get && s.nodes > 1 ? s.get.perNode.map(int).join(' + ') : ''));
  row('      p50 / p99, ms (worst node)', (s) => (s.get ? `${fmt(ms(s.get.p50), 2)} / ${fmt(ms(s.get.p99), 2)}` : '-'));
  row('    GET /healthz, req/s', (s) => int(s.hz && s.hz.rps));
  row('      p50 / p99, ms (worst node)', (s) => (s.hz ? `${fmt(ms(s.hz.p50), 2)} / ${fmt(ms(s.hz.p99), 2)}` : '-'));
  row('    ratio GET by id / healthz', (s) => (s.get && s.hz ? fmt(s.get.rps / s.hz.rps, 2) : '-'));
  head(`(d) durable writes: wrk PUT of 1 new contact, ${a['wrk-connections']} connections in all, ${a['wrk-seconds']} s`);
  row('    2xx req/s (durable writes/s)', (s) => int(s.put && s.put.rps2xx));
  row('      per node', (s) => (s.put && s.nodes > 1 ? s.put.perNode.map(int).join(' + ') : ''));
  row('      p50 / p99, ms (worst node)', (s) => (s.put ? `${fmt(ms(s.put.p50), 2)} / ${fmt(ms(s.put.p99), 2)}` : '-'));
  head(`    after wrk: every accepted contact applied (GET .../contacts/count) after, s; or jobs still pending at ${a['drain-seconds']} s`);
  row('    all applied after, s / pending', (s) => (s.count ? (s.count.ok ? fmt(s.count.ms / 1000, 1)
    : `${int(s.count.atLeast - s.count.count)} of ${int(s.count.accepted)} pending`) : '-'));
  head('checks');
  row('    non-2xx / socket errors (all wrk)', (s) => [s.get, s.hz, s.put].every(Boolean)
    ? `${[s.get, s.hz, s.put].reduce((n, w) => n + w.non2xx, 0)} / ${[s.get, s.hz, s.put].reduce((n, w) => n + w.sockErr, 0)}` : '-');
  row('    contacts at the end', (s) => int(s.count && s.count.count));
  row('    node VmHWM, MB', (s) => (s.hwm.every(ok) ? s.hwm.map((h) => fmt(h / 1024, 0)).join(' + ') : '-'));
  row('    server stop (SIGTERM): exit, s', (s) => (s.stops.length ? s.stops.map((x) => `${x[1]}, ${fmt(Number(x[2]) / 1000, 1)}`).join(' | ') : '-'));
  out.push('');
  const failed = a.failed !== '0' || problems.length > 0;
  if (failed) {
    out.push('RESULT: FAILED');
    for (const p of problems) out.push(`  - ${p}`);
    if (!problems.length) out.push('  - a step failed (see the log above)');
  } else {
    const backlog = S.filter((s) => s.count && !s.count.ok).map((s) => s.label);
    out.push('RESULT: ok (every job of (a) and (b) completed, every wrk request got a 2xx' +
      (backlog.length ? `; jobs of (d) still pending at the deadline on ${backlog.join(', ')})` : ', every accepted contact was applied)'));
  }
  out.push('');
  out.push('Notes: the machine is shared and every process (nodes, PostgreSQL, wrk, the driver) runs on the');
  out.push(`same ${a.nproc} cores, so two nodes are not expected to scale here; compare columns of one run, and runs`);
  out.push('with each other, before drawing conclusions. 2 nodes: latency percentiles are the worse node\'s.');
  const W = Math.max(16, ...out.filter(Array.isArray).flatMap(([, cells]) => cells.map((c) => c.length + 3)));
  const lines = out.map((r) => (Array.isArray(r) ? r[0].padEnd(W0) + r[1].map((c) => c.padStart(W)).join('') : r));
  process.stdout.write(lines.join('\n') + '\n');
  process.exitCode = failed ? 1 : 0;
}

main();
