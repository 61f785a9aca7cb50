#!/usr/bin/env node
'use strict';
// Formats the results of one bench/run as a plain-text table on stdout. Inputs: the
// driver's JSON, the two wrk outputs (their WRKJSON line), and the facts bench/run
// gathered (date, host, commit, RSS). Missing inputs show as FAILED rows, never as a crash.

const fs = require('node:fs');

function parseArgs(argv) {
  const o = {};
  for (let i = 2; i < argv.length; i += 2) o[argv[i].replace(/^--/, '')] = argv[i + 1] ?? '';
  return o;
}

function readJson(path) {
  try { return JSON.parse(fs.readFileSync(path, 'utf8')); } catch (_) { return null; }
}

function readWrk(path) {
  try {
    const line = fs.readFileSync(path, 'utf8').split('\n').find((l) => l.startsWith('WRKJSON '));
    return line ? JSON.parse(line.slice(8)) : null;
  } catch (_) { return null; }
}

const fmt = (v, d = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');
const int = (v) => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
const pad = (s, n) => String(s).padStart(n);
const padr = (s, n) => String(s).padEnd(n);

function row(label, width, cells, cellWidth = 10) {
  return padr(label, width) + cells.map((c) => pad(c, cellWidth)).join('');
}

function main() {
  const a = parseArgs(process.argv);
  const d = readJson(a.driver);
  const get = readWrk(a['wrk-get']);
  const hz = readWrk(a['wrk-healthz']);
  const out = [];
  const problems = [];

  out.push('contactd benchmark');
  out.push(`date         ${a.date}`);
  out.push(`host         nproc=${a.nproc}, ${a.cpu}; load average (1/5/15 min) at start / end: ${a.load}`);
  out.push(`contactd     ${a.commit}; serve --threads ${a['server-threads']}`);
  out.push('');

  // ---- scenario 1
  const up = d && d.upsert;
  const body = up && up.runs.length ? up.runs[0].bodyBytes : NaN;
  out.push(`1. Upsert: PUT /v3/marketing/contacts, ${int(up ? up.contacts : NaN)} new contacts, ` +
    `${int(body)}-byte body (${fmt(body / 1048576, 2)} MiB; cap 6,291,456)`);
  out.push(`   times from sending the request; completion polled every ${d ? d.opts.pollMs : '-'} ms`);
  out.push('   ' + row('run', 10, ['to 202 ms', 'completed ms', 'polls', 'poll rtt p50', 'poll rtt p90', 'created'], 14));
  if (up) {
    for (const r of up.runs) {
      if (r.ok) {
        out.push('   ' + row(String(r.run), 10, [fmt(r.ms202), fmt(r.msCompleted), int(r.polls),
          fmt(r.pollRtt && r.pollRtt.p50, 2), fmt(r.pollRtt && r.pollRtt.p90, 2), int(r.results.created_count)], 14));
      } else {
        out.push('   ' + row(String(r.run), 10, ['FAILED'], 14) + `  ${r.error}`);
        problems.push(`upsert run ${r.run}: ${r.error}`);
      }
    }
    out.push('   ' + row('median', 10, [fmt(up.median202), fmt(up.medianCompleted)], 14));
    const rate = up.contacts / (up.medianCompleted / 1000);
    out.push(`   apply rate at the median: ${int(rate)} contacts/s`);
  } else {
    out.push('   FAILED: no driver results');
    problems.push('scenarios 1-2: the driver gave no results');
  }
  out.push('');

  // ---- scenario 2
  const del = d && d.delete;
  out.push(`2. Delete identifier: DELETE /v3/marketing/contacts/{id}/identifiers (EXTERNALID), ` +
    `${int(del ? del.deletes : NaN)} contacts one after another`);
  out.push('   first poll right after the 202, then every ' + (d ? d.opts.pollMs : '-') + ' ms');
  out.push('   ' + row('ms', 28, ['p50', 'p90', 'p99', 'max', 'mean'], 9));
  if (del && del.total) {
    const t = del.total;
    const s = del.to202;
    out.push('   ' + row('start -> completed seen', 28, [fmt(t.p50, 2), fmt(t.p90, 2), fmt(t.p99, 2), fmt(t.max, 2), fmt(t.mean, 2)], 9));
    out.push('   ' + row('start -> 202', 28, [fmt(s.p50, 2), fmt(s.p90, 2), fmt(s.p99, 2), fmt(s.max, 2), fmt(s.mean, 2)], 9));
    out.push(`   median ${fmt(t.p50, 2)} ms, p99 ${fmt(t.p99, 2)} ms; median to 202 alone ${fmt(s.p50, 2)} ms`);
    out.push(`   completed at the first poll: ${del.firstPollCompleted}/${del.completed}; failed: ${del.failures}; ` +
      `poll round trip p50 ${fmt(del.pollRtt.p50, 2)} ms, p99 ${fmt(del.pollRtt.p99, 2)} ms`);
    if (del.stoppedEarly) out.push(`   ${del.stoppedEarly}`);
    if (del.failures) {
      problems.push(`${del.failures} deletions failed or were not sent` +
        (del.failureSamples.length ? `, e.g. ${JSON.stringify(del.failureSamples[0])}` : ''));
    }
  } else {
    out.push(`   FAILED: ${del && del.error ? del.error : 'no results'}`);
    problems.push(`delete scenario: ${del && del.error ? del.error : 'no results'}`);
  }
  out.push('');

  // ---- scenario 3
  out.push(`3. wrk ${a['wrk-settings']}, keep-alive` +
    (d ? ` (GET by id rotates over ${int(d.wrkIdCount)} contact ids)` : ''));
  out.push('   ' + row('', 22, ['req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'sock err'], 10));
  const wrkRow = (label, w) => {
    if (!w) {
      problems.push(`wrk ${label}: no result`);
      return '   ' + row(label, 22, ['FAILED'], 10);
    }
    const l = w.latency_us;
    const e = w.errors;
    const sockErr = e.connect + e.read + e.write + e.timeout;
    if (e.status || sockErr) problems.push(`wrk ${label}: ${e.status} non-2xx replies, ${sockErr} socket errors`);
    return '   ' + row(label, 22, [int(w.rps), fmt(l.p50 / 1000, 2), fmt(l.p90 / 1000, 2), fmt(l.p99 / 1000, 2),
      fmt(l.max / 1000, 2), int(e.status), int(sockErr)], 10);
  };
  out.push(wrkRow('GET contact by id', get));
  out.push(wrkRow('GET /healthz', hz));
  if (get && hz) {
    out.push(`   ratio GET-by-id / healthz: throughput ${fmt(get.rps / hz.rps, 2)}, ` +
      `p99 latency ${fmt(get.latency_us.p99 / hz.latency_us.p99, 2)}`);
  }
  out.push('');

  // ---- memory
  out.push('Server memory (kB, /proc/PID/status; RssFile includes the mmap of the database)');
  out.push('   ' + row('', 26, ['VmRSS', 'VmHWM', 'RssAnon', 'RssFile'], 10));
  const kb = (v) => (v === undefined || v === '-' ? '-' : int(Number(v)));
  for (const [label, key] of [['idle at start', 'rss-idle'], ['after scenarios 1-2', 'rss-writes'], ['after scenario 3', 'rss-end']]) {
    const v = String(a[key] || '- - - -').split(/\s+/);
    out.push('   ' + row(label, 26, v.slice(0, 4).map(kb), 10));
  }
  out.push(`   database + WAL at the end: ${fmt(Number(a['db-bytes']) / 1048576, 1)} MiB`);
  const stop = a['stop-rc'] === '' ? 'not stopped' : `exit ${a['stop-rc']} after ${fmt(Number(a['stop-ms']) / 1000, 1)} s`;
  out.push(`   server stop (SIGTERM): ${stop}`);
  if (a['stop-rc'] !== '0') problems.push(`the server did not stop cleanly (${stop})`);
  out.push('');

  if (a.failed !== '0' && !problems.length) problems.push('a step failed (see the log above)');
  if (problems.length) {
    out.push('RESULT: FAILED');
    for (const p of problems) out.push(`   - ${p}`);
  } else {
    out.push('RESULT: ok (every job completed, every request answered 2xx)');
  }
  process.stdout.write(out.join('\n') + '\n');
}

main();
