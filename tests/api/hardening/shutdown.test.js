'use strict';
// Graceful shutdown under load: ~32 clients upsert continuously, SIGTERM
// arrives; every request gets a complete 202 or a connection error (never a
// truncated or invalid answer), the process exits 0 within 30 s, and after a
// restart every job that got a 202 is found and reaches a terminal state.

const assert = require('node:assert/strict');
const http = require('node:http');
const H = require('../lib/server.js');

const CLIENTS = 32;
const ROUNDS = Number(process.env.HARDENING_SHUTDOWN_ROUNDS || 4);

H.test(`SIGTERM under load (${ROUNDS} rounds): complete answers or connection errors, exit 0, no accepted job lost`, { timeout: 200000 }, async (t) => {
  const srv = await H.startServer();
  const problems = [];
  try {
   for (let round = 0; round < ROUNDS; round++) {
    const url = srv.url;
    const key = srv.key;
    const results = [];
    let termSent = false;
    const agents = [];
    const client = async (w) => {
      // Half the clients reuse connections: a request may be in flight on a
      // kept-alive connection when the server stops accepting.
      const agent = w % 2 ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false;
      if (agent) agents.push(agent);
      for (let seq = 0; ; seq++) {
        const recs = Array.from({ length: 1 + (seq % 4) }, (_, i) => ({ email: `sd-${round}-${w}-${seq}-${i}@shutdown.test`, first_name: `W${w}` }));
        const r = await H.request(url, { method: 'PUT', path: '/v3/marketing/contacts', key, body: { contacts: recs }, agent, timeoutMs: 40000 });
        results.push({ w, seq, recs, r, afterTerm: termSent });
        if (r.kind !== 'response' && termSent) return;
        if (r.kind === 'response' && r.status !== 202) return;
        if (results.length > 200000) return;
      }
    };
    const running = Array.from({ length: CLIENTS }, (_, w) => client(w));
    await H.sleep(1500);
    const t0 = Date.now();
    const proc = srv.proc;
    const exited = new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve({ code: proc.exitCode, signal: proc.signalCode });
      proc.once('exit', (code, signal) => resolve({ code, signal }));
    });
    termSent = true;
    proc.kill('SIGTERM');
    let hangTimer;
    const ex = await Promise.race([exited, new Promise((r) => { hangTimer = setTimeout(() => r(null), 30000); })]);
    clearTimeout(hangTimer);
    const exitMs = Date.now() - t0;
    if (!ex) proc.kill('SIGKILL');
    srv.killedProc = proc; // its exit is checked here, not again by stop()
    await Promise.all(running);
    for (const a of agents) a.destroy();
    await H.sleep(50);
    const fatal = srv.logs().split('\n').filter((l) => /fatal|error|abort|sanitizer/i.test(l)).join('\n');
    if (!ex) problems.push(`round ${round}: contactd did not exit within 30 s of SIGTERM\n${fatal}`);
    else if (ex.signal !== null || ex.code !== 0) problems.push(`round ${round}: contactd died of ${ex.signal || `exit code ${ex.code}`} ${exitMs} ms after SIGTERM under load:\n${fatal}`);

    // A request that arrives on a kept-alive connection after SIGTERM gets a complete
    // 503 with a JSON error and Connection: close (README): a clean answer too.
    const refused = (x) => x.r.kind === 'response' && x.r.status === 503 && x.afterTerm &&
      x.r.body && x.r.body.errors && /shutting down/.test(x.r.body.errors[0].message);
    const bad = results.filter((x) => !(x.r.kind === 'connection-error' || refused(x) ||
      (x.r.kind === 'response' && x.r.status === 202 && x.r.body && H.UUID_RE.test(x.r.body.job_id))));
    const accepted = results.filter((x) => x.r.kind === 'response' && x.r.status === 202);
    const connErr = results.filter((x) => x.r.kind === 'connection-error');
    const line = `shutdown round ${round}: ${results.length} requests, ${accepted.length} got 202 (${accepted.filter((x) => x.afterTerm).length} of them answered after SIGTERM was sent), ` +
      `${connErr.length} connection errors, ${results.filter(refused).length} refused with 503 while stopping, ${bad.length} bad answers; exit after ${exitMs} ms`;
    console.log(line);
    t.diagnostic(line);
    for (const x of bad.slice(0, 10)) problems.push(`round ${round}: neither a complete 202, a 503 while stopping, nor a connection error: ${x.r.kind} ${x.r.status || ''} ${x.r.error || ''} ${(x.r.text || '').slice(0, 100)}`);
    assert.ok(accepted.length > 0);

    // Restart: every 202 is a job that exists and finishes, with its contacts.
    await srv.start();
    const lost = [];
    await H.pool(accepted, 8, async (x) => {
      const j = await H.request(srv.url, { path: `/v3/marketing/contacts/imports/${x.r.body.job_id}`, key });
      if (j.status !== 200) { lost.push(`job ${x.r.body.job_id}: ${j.status}`); return; }
      const job = await H.waitJob(srv.url, key, x.r.body.job_id, 30000);
      if (job.status !== 'completed' || job.results.created_count !== x.recs.length) lost.push(`job ${job.id}: ${JSON.stringify(job)}`);
    });
    for (const l of lost.slice(0, 10)) problems.push(`round ${round}: accepted job lost or wrong after restart: ${l}`);
    const emails = accepted.flatMap((x) => x.recs.map((r) => r.email));
    const n = Number(H.sqlite(srv.dbPath, `SELECT COUNT(*) FROM contacts WHERE email LIKE 'sd-${round}-%@shutdown.test'`));
    if (n < emails.length) problems.push(`round ${round}: ${n} contacts in the database, fewer than the ${emails.length} accepted`);
    const ic = H.integrityCheck(srv.dbPath);
    if (ic !== 'ok') problems.push(`round ${round}: integrity_check: ${ic}`);
   }
  } finally {
    await srv.stop();
  }
  assert.deepEqual(problems, [], problems.join('\n'));
});
