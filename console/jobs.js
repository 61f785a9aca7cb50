// jobs: the jobs started from this console (kept in sessionStorage with the key), their
// live status, and, with an admin token, the account's whole job list.
import { api, admin, follow, jobDone, localPath, paths, session } from './api.js';
import { h, card, table, errorLine, fmtTime, clear } from './dom.js';

const STORE = 'contactd.jobs';

function tracked() {
  try { return JSON.parse(sessionStorage.getItem(STORE) || '[]'); } catch { return []; }
}

// Remember a job started here (newest first, at most 100).
export function track(id, label) {
  const list = tracked().filter((j) => j.id !== id);
  list.unshift({ id, label, at: new Date().toISOString() });
  sessionStorage.setItem(STORE, JSON.stringify(list.slice(0, 100)));
}

export function forgetJobs() {
  sessionStorage.removeItem(STORE);
}

// The per-record errors of a finished job (its errors_url), or [].
export async function jobErrors(job) {
  const url = job.results && job.results.errors_url;
  if (!url) return [];
  const body = await api('GET', localPath(url));
  return body.errors || [];
}

export function errorsTable(errors) {
  return table([
    { title: 'Record', cell: (e) => String(e.index) },
    { title: 'Identifiers', cell: (e) => Object.entries(e.identifiers || {}).map(([k, v]) => `${k}: ${v}`).join(', ') },
    { title: 'Error', cell: (e) => e.message },
  ], errors, 'Errored records');
}

function counts(r) {
  r = r || {};
  return `requested ${r.requested_count ?? 0}, created ${r.created_count ?? 0}, updated ${r.updated_count ?? 0}, ` +
    `deleted ${r.deleted_count ?? 0}, errored ${r.errored_count ?? 0}`;
}

// A live view of one job: status, counts, a progress bar, and its errors once finished.
// Resolves with the final job body.
export async function watchJob(id, label, into, { errorsAsTable = false } = {}) {
  const status = h('p', { class: 'job-status' }, `${label}: pending`);
  const bar = h('progress', { max: '1', value: '0', 'aria-label': `${label} progress` });
  const errs = h('div');
  into.append(h('div', { class: 'job', 'data-job': id }, status, bar, errs));
  try {
    const job = await follow(paths.job(id), jobDone, (j) => {
      const r = j.results || {};
      const done = (r.created_count || 0) + (r.updated_count || 0) + (r.deleted_count || 0) + (r.errored_count || 0);
      bar.max = Math.max(1, r.requested_count || 0);
      bar.value = j.status === 'pending' ? Math.min(done, bar.max) : bar.max;
      status.textContent = `${label}: ${j.status} (${counts(r)})`;
      status.className = `job-status ${j.status === 'completed' ? 'ok' : j.status === 'pending' ? '' : 'error'}`;
    });
    const errors = await jobErrors(job);
    if (errors.length && errorsAsTable) errs.append(errorsTable(errors.slice(0, 1000)));
    else if (errors.length) errs.append(h('p', { class: 'error job-error', role: 'alert' }, errors.map((e) => e.message).join('\n')));
    return job;
  } catch (e) {
    errs.append(errorLine(e));
    throw e;
  }
}

function jobRow(j, cell) {
  return h('tr', {}, h('td', {}, j.label || j.kind || ''), h('td', {}, h('code', {}, j.id)),
    cell, h('td', {}, fmtTime(j.at || j.accepted_at)));
}

export async function jobsPage(page) {
  const mine = tracked();
  const body = h('tbody');
  page.append(card('Jobs started from this console',
    mine.length ? h('table', {}, h('thead', {}, h('tr', {}, ['Job', 'Id', 'Status', 'Started'].map((t) => h('th', { scope: 'col' }, t)))), body)
      : h('p', { class: 'muted' }, 'No job started here yet.')));
  for (const j of mine) {
    const cell = h('td', {}, '…');
    body.append(jobRow(j, cell));
    follow(paths.job(j.id), jobDone, (s) => { cell.textContent = `${s.status} (${counts(s.results)})`; })
      .catch((e) => { cell.textContent = e.message; });
  }
  if (session.admin && session.account) await adminJobs(page);
}

async function adminJobs(page) {
  const box = card(`All jobs of account ${session.account}`);
  page.append(box);
  try {
    const body = await admin('GET', `/_contactd/accounts/${encodeURIComponent(session.account)}/jobs?limit=100`);
    const rows = body.result || [];
    box.append(rows.length ? table([
      { title: 'Kind', cell: (j) => j.kind },
      { title: 'Id', cell: (j) => h('code', {}, j.id) },
      { title: 'Status', cell: (j) => j.status },
      { title: 'Counts', cell: (j) => counts(j) },
      { title: 'Accepted', cell: (j) => fmtTime(j.accepted_at) },
      { title: 'Finished', cell: (j) => fmtTime(j.finished_at) },
    ], rows) : h('p', { class: 'muted' }, 'No jobs.'));
  } catch (e) {
    clear(box).append(h('h2', {}, 'All jobs of the account'), errorLine(e));
  }
}
