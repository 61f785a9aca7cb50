#!/usr/bin/env node
'use strict';
// Formats the results of one bench/run as a plain-text table on stdout. Inputs: the
// driver's JSON, the two wrk outputs (their WRKJSON line), and the facts bench/run
// gathered (date, host, commit, RSS); with --work DIR, also the files of sections 4-8
// found there (wrk-*.txt, rss-*.txt, load-*.json, openloop.json, concurrent.json,
// sqlite-insert.txt, bulk-*.txt, stores.txt, stops.txt) and the targets table. Missing
// inputs show as FAILED rows, never as a crash.

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
  if (a.mode) out.push(`mode         ${a.mode}; bench/run took ${a['run-seconds']} s after the build`);
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

  if (a.work) more(a, out, problems, d);

  if (a.failed !== '0' && !problems.length) problems.push('a step failed (see the log above)');
  if (problems.length) {
    out.push('RESULT: FAILED');
    for (const p of problems) out.push(`   - ${p}`);
  } else {
    out.push('RESULT: ok (every job completed, every request answered 2xx)');
  }
  process.stdout.write(out.join('\n') + '\n');
}

// ---- the scenarios added for the benchmark-suite issue: stores, durable writes, memory ----

function readText(path) {
  try { return fs.readFileSync(path, 'utf8'); } catch (_) { return null; }
}

function tagged(path, tag) { // every "TAG {json}" line of a file, parsed
  const text = readText(path);
  if (!text) return [];
  return text.split('\n').filter((l) => l.startsWith(`${tag} `)).map((l) => {
    try { return JSON.parse(l.slice(tag.length + 1)); } catch (_) { return null; }
  }).filter(Boolean);
}

const STORE_NAMES = { '10k': '10k', '100k': '100k', '1m': '1M', '10m': '10M' };
const MET = (ok) => (ok === null ? 'not measured' : ok ? 'met' : 'NOT MET');

function more(a, out, problems, d) {
  const dir = a.work;
  const wrk = (name) => readWrk(`${dir}/wrk-${name}.txt`);
  const targets = [];   // [label, measured, met (true/false/null)]
  const stores = (readText(`${dir}/stores.txt`) || '').trim().split('\n').filter(Boolean)
    .map((l) => { const [label, how] = l.split(' '); return { label, how }; });
  const storeHow = (s) => {
    if (s.how === 'api') {
      const l = readJson(`${dir}/load-${s.label}.json`);
      return l ? `through the API: ${int(l.count)} contacts more in ${l.jobs.length} upsert(s), ` +
        `${fmt(l.totalMs / 1000, 1)} s (${int(l.rate)} contacts/s)` : 'through the API: FAILED';
    }
    const b = tagged(`${dir}/bulk-${s.label}.txt`, 'STOREJSON')[0];
    const bytes = Number(readText(`${dir}/bulk-${s.label}.bytes`));
    return b ? `bulk-built by bench/store_tool (rows written directly in contactd's schema, ` +
      `not through the API): ${int(b.rows)} rows in ${fmt(b.insert_ms / 1000, 1)} s + indexes ` +
      `${fmt(b.index_ms / 1000, 1)} s; ${fmt(bytes / 1048576, 0)} MiB` : 'bulk-built: FAILED';
  };
  const wrkCheck = (label, w) => {
    if (!w) { problems.push(`wrk ${label}: no result`); return; }
    const e = w.errors;
    const sockErr = e.connect + e.read + e.write + e.timeout;
    if (e.status || sockErr) problems.push(`wrk ${label}: ${e.status} non-2xx replies, ${sockErr} socket errors`);
  };
  const cols = ['req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'sock err'];
  const wrkCells = (w) => {
    if (!w) return ['FAILED'];
    const l = w.latency_us;
    const e = w.errors;
    return [int(w.rps), fmt(l.p50 / 1000, 2), fmt(l.p90 / 1000, 2), fmt(l.p99 / 1000, 2),
      fmt(l.max / 1000, 2), int(e.status), int(e.connect + e.read + e.write + e.timeout)];
  };

  // ---- 4. reads at 100k and 1M (10M) vs healthz
  out.push(`4. Reads vs the constant reply on larger stores: wrk ${a['wrk-settings']}, keep-alive;`);
  out.push('   per store, in this order on one server: 2 s warm-up, GET /healthz, then the three reads,');
  out.push(`   each rotating over 10,000 contacts spread over the store (search: 1 identifier a request)`);
  const readStores = stores.filter((s) => s.label !== '10k');
  for (const s of readStores) {
    const name = STORE_NAMES[s.label] || s.label;
    out.push(`   ${name} contacts, ${storeHow(s)}`);
    out.push('   ' + row('', 24, [...cols, 'x healthz'], 10));
    const hz = wrk(`${s.label}-healthz`);
    out.push('   ' + row('GET /healthz', 24, wrkCells(hz), 10));
    wrkCheck(`${name} healthz`, hz);
    for (const [kind, label] of [['get', 'GET contact by id'], ['email', 'search email'], ['extid', 'search external_id']]) {
      const w = wrk(`${s.label}-${kind}`);
      wrkCheck(`${name} ${label}`, w);
      const ratio = w && hz ? w.rps / hz.rps : NaN;
      out.push('   ' + row(label, 24, [...wrkCells(w), w ? fmt(ratio, 2) : ''], 10));
      if (kind === 'get') {
        targets.push([`GET by id >= 0.6 x healthz req/s (${name})`, `${fmt(ratio, 2)} (${int(w && w.rps)} / ${int(hz && hz.rps)})`,
          Number.isFinite(ratio) ? ratio >= 0.6 : null]);
      }
    }
  }
  if (!readStores.length) out.push('   not run');
  if (!stores.some((s) => s.label === '1m')) out.push('   1M store skipped (BENCH_QUICK=1)');
  out.push('');

  // ---- 5. durable writes
  out.push(`5. Durable writes: wrk ${a['wrk-settings']} on the 100k store (a 202 means the job is committed to disk)`);
  out.push('   ' + row('', 30, cols, 10));
  const del = wrk('w-delete');
  const ups = wrk('w-upsert');
  out.push('   ' + row('DELETE identifier (EXTERNALID)', 30, wrkCells(del), 10));
  out.push('   ' + row('PUT 1 new contact', 30, wrkCells(ups), 10));
  if (del) {
    out.push(`   DELETE targets: ${int(del.targets)} distinct (id, external_id) pairs` +
      (del.wrapped ? `; the list ran out ${del.wrapped} time(s): later jobs named removed identifiers (202, then failed)` : '; none deleted twice'));
  }
  if (del || ups) {
    wrkCheck('DELETE identifier', del);
    wrkCheck('PUT 1 contact', ups);
    targets.push(['>= 10,000 durable writes/s: DELETE identifier', `${int(del && del.rps)}/s`, del ? del.rps >= 10000 : null]);
    targets.push(['>= 10,000 durable writes/s: PUT 1 contact', `${int(ups && ups.rps)}/s`, ups ? ups.rps >= 10000 : null]);
  } else if (stores.some((s) => s.label === '100k')) {
    problems.push('durable writes: no results');
  }
  const ol = readJson(`${dir}/openloop.json`);
  if (ol) {
    out.push(`   Open loop (bench/openloop, C): PUT of 1 new contact offered at ${int(ol.rate)} jobs/s for ${fmt(ol.seconds, 0)} s, ` +
      `then GET .../imports/{id} at once and every ${fmt(ol.pollMs, 0)} ms until completed`);
    out.push(`   achieved: sent ${fmt(ol.sendRate, 0)}/s, 202 ${fmt(ol.acceptedRate, 0)}/s, completed ${fmt(ol.completedRate, 0)}/s; ` +
      `${int(ol.completed)}/${int(ol.jobs)} completed, ${int(ol.failures)} failed; ${int(ol.connections)} connections; ` +
      `completed at the first poll: ${int(ol.firstPollCompleted)}`);
    out.push('   ' + row('ms, from the scheduled send', 30, ['p50', 'p90', 'p99', 'max', 'mean'], 10));
    for (const [label, s] of [['request -> 202', ol.to202], ['request -> completed seen', ol.toCompleted],
      ['send lag (client)', ol.lag]]) {
      out.push('   ' + row(label, 30, [fmt(s.p50, 2), fmt(s.p90, 2), fmt(s.p99, 2), fmt(s.max, 2), fmt(s.mean, 2)], 10));
    }
    if (ol.failures) problems.push(`open loop: ${ol.failures} jobs failed (${ol.firstError})`);
    const rateOk = ol.completedRate >= 0.95 * ol.rate;
    targets.push([`request -> completed p99 < 50 ms at ${int(ol.rate)} jobs/s`,
      `${fmt(ol.toCompleted.p99, 1)} ms (achieved ${fmt(ol.completedRate, 0)}/s)`,
      ol.toCompleted.n ? ol.toCompleted.p99 < 50 && rateOk : null]);
  } else {
    out.push('   Open loop: FAILED (no results)');
    if (stores.some((s) => s.label === '100k')) problems.push('open loop: no results');
  }
  out.push('');

  // ---- 6. the 30k upsert vs plain SQLite
  const up = d && d.upsert;
  const sq = tagged(`${dir}/sqlite-insert.txt`, 'SQLITEJSON');
  const sqSum = sq.find((x) => x.summary);
  out.push(`6. The ${int(up ? up.contacts : NaN)}-contact upsert vs a plain SQLite insert of the same rows`);
  out.push(`   contactd (scenario 1, median of ${up ? up.runs.length : '-'}): to 202 ${fmt(up && up.median202)} ms, ` +
    `completed ${fmt(up && up.medianCompleted)} ms`);
  if (sqSum) {
    out.push(`   plain SQLite (bench/sqlite_insert; SQLite ${sqSum.sqlite}): the same ${int(sqSum.rows)} rows into contactd's ` +
      `contacts table (${sqSum.columns} columns, its ${sqSum.schema_statements - 1} indexes, from the store's migrations),`);
    out.push(`   WAL, synchronous=FULL, one transaction, BEGIN..COMMIT: median ${fmt(sqSum.median_ms)} ms ` +
      `(runs ${sq.filter((x) => !x.summary).map((x) => fmt(x.ms, 0)).join(' / ')} ms)`);
    const r = up ? up.medianCompleted / sqSum.median_ms : NaN;
    out.push(`   ratio completed / plain insert: ${fmt(r, 2)}; to 202 / plain insert: ${fmt(up && up.median202 / sqSum.median_ms, 2)}`);
    targets.push(['30k upsert: completed <= 3 x plain SQLite insert', `${fmt(r, 2)} x (${fmt(up && up.medianCompleted, 0)} / ${fmt(sqSum.median_ms, 0)} ms)`,
      Number.isFinite(r) ? r <= 3 : null]);
  } else {
    out.push('   plain SQLite insert: FAILED (no results)');
    problems.push('sqlite_insert: no results');
  }
  if (up) {
    targets.splice(targets.length - (sqSum ? 1 : 0), 0,
      ['30k upsert: 202 < 250 ms (median)', `${fmt(up.median202, 0)} ms`, Number.isFinite(up.median202) ? up.median202 < 250 : null],
      ['30k upsert: completed < 1 s (median)', `${fmt(up.medianCompleted, 0)} ms`, Number.isFinite(up.medianCompleted) ? up.medianCompleted < 1000 : null]);
  }
  out.push('');

  // ---- 7. memory under load
  out.push('7. Server memory under load (kB; VmRSS sampled every 0.1 s from /proc/PID/status, the maximum per load;');
  out.push('   RssFile, the rest of VmRSS, includes the mmap of the database and grows with the data read)');
  out.push('   ' + row('', 44, ['max VmRSS', 'max RssAnon', 'VmHWM after'], 13));
  const rssLine = (label, key) => {
    const t = readText(`${dir}/rss-${key}.txt`);
    if (!t) return;
    const v = t.trim().split(/\s+/);
    const kb = (x) => (x === undefined || x === '-' ? '-' : int(Number(x)));
    out.push('   ' + row(label, 44, [kb(v[0]), kb(v[1]), kb(v[2])], 13));
  };
  const idle = String(a['rss-idle'] || '-').split(/\s+/)[0];
  out.push('   ' + row('idle, fresh server (VmRSS)', 44, [int(Number(idle))], 13));
  rssLine('scenarios 1-2 (3 upserts, 1,000 deletions)', 'scen12');
  rssLine('scenario 3 (wrk GET by id, healthz)', 'scen3');
  rssLine('filling the 10k store (API)', 'load-10k');
  rssLine('filling the 100k store (API)', 'load-100k');
  rssLine('wrk reads, 100k store', 'reads-100k');
  rssLine('durable writes (wrk DELETE, PUT)', 'writes');
  rssLine('open loop', 'openloop');
  for (const s of readStores.filter((x) => x.label !== '100k')) {
    rssLine(`wrk reads, ${STORE_NAMES[s.label] || s.label} store`, `reads-${s.label}`);
  }
  const conc = readJson(`${dir}/concurrent.json`);
  const peakIdle = (readText(`${dir}/rss-peak-idle.txt`) || '-').trim().split(/\s+/)[0];
  rssLine('three concurrent 6 MB upserts (fresh server)', 'concurrent');
  const concRss = (readText(`${dir}/rss-concurrent.txt`) || '').trim().split(/\s+/);
  const peak = Number(concRss[2]);
  if (conc) {
    out.push(`   three concurrent upserts of ${int(conc.contacts)} contacts (${int(conc.bytes)} bytes each), ` +
      `fresh server (idle VmRSS ${int(Number(peakIdle))} kB): 202 after ${conc.runs.map((r) => fmt(r.ms202, 0)).join(' / ')} ms, ` +
      `completed after ${conc.runs.map((r) => fmt(r.msCompleted, 0)).join(' / ')} ms; peak VmHWM ${int(peak)} kB`);
    if (conc.failures) problems.push(`concurrent upserts: ${conc.failures} failed (${conc.runs.filter((r) => !r.ok).map((r) => r.error).join('; ')})`);
  } else {
    out.push('   three concurrent upserts: FAILED (no results)');
    problems.push('concurrent upserts: no results');
  }
  targets.push(['idle RSS < 20 MB', `${fmt(Number(idle) / 1024, 1)} MiB`, Number.isFinite(Number(idle)) ? Number(idle) < 20 * 1024 : null]);
  targets.push(['peak with three concurrent 6 MB upserts < 500 MB', `${fmt(peak / 1024, 0)} MiB (VmHWM)`,
    Number.isFinite(peak) && conc ? peak < 500 * 1024 : null]);
  out.push('');

  // ---- 8. cost growth
  out.push(`8. How the cost of one read grows: wrk -t1 -c1 -d${a['lat-seconds']}s (one request at a time), latency in ms;`);
  out.push(`   p99 under ${a['wrk-settings']} from section 4 alongside`);
  out.push('   ' + row('store', 8, ['GET p50', 'GET p99', 'email p50', 'email p99', 'ext p50', 'ext p99'], 11) +
    row('', 1, ['GET p99@64', 'email p99@64', 'ext p99@64'], 14) + '  built');
  let largest = null;
  for (const label of ['10k', '100k', '1m', '10m']) {
    const s = stores.find((x) => x.label === label);
    const name = STORE_NAMES[label];
    if (!s) {
      out.push('   ' + row(name, 8, ['not measured'], 12) + (label === '10m' ? '  (opt-in: BENCH_10M=1, full mode)' : '  (BENCH_QUICK=1)'));
      continue;
    }
    const g = wrk(`${label}-lat-get`), e = wrk(`${label}-lat-email`), x = wrk(`${label}-lat-extid`);
    for (const [k, w] of [['GET', g], ['search email', e], ['search external_id', x]]) wrkCheck(`${name} ${k} (1 connection)`, w);
    const ms = (w, p) => (w ? fmt(w.latency_us[p] / 1000, 3) : '-');
    const g64 = wrk(`${label}-get`), e64 = wrk(`${label}-email`), x64 = wrk(`${label}-extid`);
    out.push('   ' + row(name, 8, [ms(g, 'p50'), ms(g, 'p99'), ms(e, 'p50'), ms(e, 'p99'), ms(x, 'p50'), ms(x, 'p99')], 11) +
      row('', 1, [ms(g64, 'p99'), ms(e64, 'p99'), ms(x64, 'p99')], 14) + `  ${s.how === 'api' ? 'API' : 'bulk'}`);
    if (e && x) largest = { name, p99: Math.max(e.latency_us.p99, x.latency_us.p99) / 1000 };
  }
  const at10m = stores.some((s) => s.label === '10m') && largest && largest.name === '10M';
  targets.push(['identifier lookup p99 < 2 ms at 10M (1 connection)',
    largest ? `${fmt(largest.p99, 3)} ms at ${largest.name}${at10m ? '' : ' (10M not run)'}` : '-',
    at10m ? largest.p99 < 2 : null]);
  out.push('');

  // ---- targets
  const order = ['GET by id', 'identifier lookup', '>= 10,000', 'request ->', '30k upsert: 202', '30k upsert: completed <',
    '30k upsert: completed <=', 'idle RSS', 'peak'];
  targets.sort((p, q) => order.findIndex((o) => p[0].startsWith(o)) - order.findIndex((o) => q[0].startsWith(o)));
  out.push('Targets');
  out.push('   ' + padr('target', 56) + padr('measured', 40) + 'status');
  for (const [label, measured, ok] of targets) out.push('   ' + padr(label, 56) + padr(measured, 40) + MET(ok));
  const met = targets.filter((t) => t[2] === true).length;
  out.push(`   ${met} of ${targets.length} met, ${targets.filter((t) => t[2] === false).length} not met, ` +
    `${targets.filter((t) => t[2] === null).length} not measured`);
  out.push('');

  const stops = (readText(`${dir}/stops.txt`) || '').trim().split('\n').filter(Boolean);
  const bad = stops.filter((l) => l.split(' ')[1] !== '0');
  if (bad.length) problems.push(`servers that did not stop cleanly: ${bad.join(', ')}`);
  const signalled = (readText(`${dir}/signalled.txt`) || '').trim().split('\n').filter(Boolean);
  if (signalled.length) {
    problems.push(`contactd (${signalled.join(', ')}) received SIGTERM/SIGINT from outside the benchmark ` +
      '(its stderr says so and it exited 0 before bench/run stopped it); the figures after that point are not valid');
  }
}

main();
