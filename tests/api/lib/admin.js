'use strict';
// Helpers for the admin API's tests (/_contactd/, issue 12): a server started with an
// admin token, and raw requests carrying it.

const H = require('./server');

const ADMIN_TOKEN = `admin-${H.randomSecret(24)}`;

function startAdminServer(opts = {}) {
  return H.startServer({ ...opts, extraArgs: ['--admin-token', ADMIN_TOKEN, ...(opts.extraArgs || [])] });
}

// An admin request: {status, headers, text, body}.
function admin(s, method, path, body, token = ADMIN_TOKEN) {
  const headers = token === null ? {} : { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  return H.raw(s.url, { method, path: `/_contactd${path}`, headers, body });
}

// Create an account through the admin API; returns {name, key, client}.
async function createAccount(s, name, parent) {
  const body = parent === undefined ? { name } : { name, parent };
  const r = await admin(s, 'POST', '/accounts', body);
  if (r.status !== 201) throw new Error(`create account ${name}: ${r.status} ${r.text}`);
  return { ...r.body, client: s.clientFor(r.body.key) };
}

let seq = 0;
function uniqueName(prefix) {
  seq++;
  return `${prefix}-${seq}-${process.pid}`;
}

module.exports = { ADMIN_TOKEN, startAdminServer, admin, createAccount, uniqueName };
