// api: the console's one door to contactd. The API key and the admin token live in
// sessionStorage only (gone with the tab; never in a URL, a cookie or a log), and are sent
// as Bearer headers to this same origin.

const KEY = 'contactd.key';
const ADMIN = 'contactd.admin';
const ACCOUNT = 'contactd.account';
const C = '/v3/marketing/contacts';

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  get admin() { return sessionStorage.getItem(ADMIN); },
  get account() { return sessionStorage.getItem(ACCOUNT); },
  signIn(key, admin) {
    sessionStorage.setItem(KEY, key);
    if (admin) sessionStorage.setItem(ADMIN, admin);
  },
  useAccount(name, key) {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(ACCOUNT, name);
  },
  clear() { sessionStorage.clear(); },
};

export class ApiError extends Error {
  constructor(status, body) {
    const errors = body && Array.isArray(body.errors) ? body.errors : [];
    const text = errors.length
      ? errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('\n')
      : `HTTP ${status}`;
    super(text);
    this.status = status;
    this.errors = errors;
  }
}

async function send(method, path, body, token, isAdmin) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store', credentials: 'omit',
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    const err = new ApiError(res.status, json);
    if (res.status === 401 && !isAdmin) window.dispatchEvent(new Event('contactd:unauthorized'));
    throw err;
  }
  return json;
}

// A /v3/ call with the API key. Throws ApiError for any non-2xx answer.
export function api(method, path, body) {
  return send(method, path, body, session.key || '', false);
}

// An admin API call (/_contactd/...) with the admin token.
export function admin(method, path, body) {
  return send(method, path, body, session.admin || '', true);
}

export const paths = {
  contacts: C,
  contact: (id) => `${C}/${encodeURIComponent(id)}`,
  job: (id) => `${C}/imports/${encodeURIComponent(id)}`,
  lists: '/v3/marketing/lists',
  list: (id) => `/v3/marketing/lists/${encodeURIComponent(id)}`,
  fields: '/v3/marketing/field_definitions',
  field: (id) => `/v3/marketing/field_definitions/${encodeURIComponent(id)}`,
  segments: '/v3/marketing/segments/2.0',
  segment: (id) => `/v3/marketing/segments/2.0/${encodeURIComponent(id)}`,
  exports: `${C}/exports`,
  export: (id) => `${C}/exports/${encodeURIComponent(id)}`,
};

// The path of a URL the server gave (errors_url, upload_uri): same origin, so only the
// path and query are used, whatever host name the server saw.
export function localPath(url) {
  const u = new URL(url, location.href);
  return u.pathname + u.search;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Poll GET url until done(body); onUpdate(body) after each answer. Backs off to 1 s.
export async function follow(url, done, onUpdate) {
  let wait = 100;
  for (;;) {
    const body = await api('GET', url);
    if (onUpdate) onUpdate(body);
    if (done(body)) return body;
    await sleep(wait);
    wait = Math.min(1000, wait * 2);
  }
}

export const jobDone = (j) => j.status !== 'pending';

// Every list of the account (follows the pages), as [{id, name, contact_count}].
export async function allLists() {
  const out = [];
  let path = `${paths.lists}?page_size=1000`;
  while (path) {
    const page = await api('GET', path);
    out.push(...(page.result || []));
    const next = page._metadata && page._metadata.next;
    path = next && (page.result || []).length ? localPath(next) : null;
  }
  return out;
}

// The segments, or null when this server has no segments API (404).
export async function allSegments() {
  try {
    const body = await api('GET', paths.segments);
    if (Array.isArray(body)) return body;
    return body.results || body.result || [];
  } catch (e) {
    if (e.status === 404) return null;
    throw e;
  }
}
