'use strict';
// Shared helpers of the contactd benchmark: a keep-alive HTTP client with a deadline
// on every request, a monotonic clock, and order statistics.

const http = require('node:http');

// Milliseconds on the monotonic clock, with sub-microsecond resolution.
function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// One client per server: a keep-alive agent so that timings do not include TCP
// handshakes, and the key in every /v3 request.
function makeClient(base, key, { requestTimeoutMs = 30000, maxSockets = 8 } = {}) {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets, keepAliveMsecs: 1000 });

  // Resolves to {status, body (string), json (parsed or null), tEnd (ms, monotonic)};
  // rejects on a network error or when the reply takes longer than requestTimeoutMs.
  function request(method, path, body, { auth = true } = {}) {
    return new Promise((resolve, reject) => {
      const headers = { Accept: 'application/json' };
      let payload = null;
      if (body !== undefined && body !== null) {
        payload = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(payload.length);
      }
      if (auth) headers.Authorization = `Bearer ${key}`;
      const req = http.request({
        host: url.hostname, port: url.port, method, path, headers, agent,
      }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const tEnd = nowMs();
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
          resolve({ status: res.statusCode, body: text, json, tEnd });
        });
        res.on('error', reject);
      });
      req.setTimeout(requestTimeoutMs, () => {
        req.destroy(new Error(`${method} ${path}: no reply within ${requestTimeoutMs} ms`));
      });
      req.on('error', reject);
      if (payload) req.end(payload); else req.end();
    });
  }

  return { request, close: () => agent.destroy() };
}

// Nearest-rank percentile of an ascending array (p in 0..100).
function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  const mean = s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN;
  return {
    n: s.length,
    min: s[0],
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1],
    mean,
  };
}

module.exports = { nowMs, sleep, makeClient, percentile, median, summarize };
