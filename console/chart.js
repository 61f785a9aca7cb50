// chart: contacts created per day, drawn as SVG bars from the API alone.
//
// How it scales: the API has no per-day aggregate, so each day is one SGQL count,
// `created_at >= TIMESTAMP '<day>' AND created_at < TIMESTAMP '<next day>'`, whose answer
// carries contact_count (the number of all matches) and at most 50 contacts: N days cost
// N scans of the account on the server, whatever the number of contacts created, and never
// a download of the contacts. They run one at a time after the contacts are shown (the
// server has two workers for slow searches: one stays free for the user's own search), and
// the bars fill in as the answers arrive, so the chart never delays the page. A finished
// day's count is kept in sessionStorage for the key, so coming back to the page costs one
// scan (today's), not N; a contact deleted since is counted until the tab is closed.
import { api, paths, session } from './api.js';
import { errorLine } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 560;
const H = 140;
const PAD = 24;

function svg(tag, attrs, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function dayStart(offset) {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  d.setUTCDate(d.getUTCDate() - offset);
  return d;
}

const iso = (d) => d.toISOString().replace('.000Z', 'Z');

export async function createdPerDay(into, days) {
  const bucket = [];
  for (let i = days - 1; i >= 0; i--) bucket.push({ from: dayStart(i), to: dayStart(i - 1), count: null });
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': `Contacts created per day over the last ${days} days` });
  const title = svg('title', {}, 'Contacts created per day');
  root.append(title);
  into.append(root);
  const keyId = (session.key || '').split('.')[1] || '';
  const cacheKey = (b) => `contactd.chart.${keyId}.${iso(b.from)}`;
  const today = dayStart(0).getTime();
  for (const b of bucket) {
    const cached = sessionStorage.getItem(cacheKey(b));
    if (cached !== null && b.from.getTime() < today) b.count = Number(cached);
  }
  drawBars(root, title, bucket);
  try {
    for (const b of bucket.filter((x) => x.count === null).reverse()) {
      const r = await api('POST', `${paths.contacts}/search`, {
        query: `created_at >= TIMESTAMP '${iso(b.from)}' AND created_at < TIMESTAMP '${iso(b.to)}'`,
      });
      b.count = r.contact_count;
      if (b.from.getTime() < today) sessionStorage.setItem(cacheKey(b), String(b.count));
      if (!root.isConnected) return;      // the page was left: stop asking
      drawBars(root, title, bucket);
    }
  } catch (e) {
    into.append(errorLine(e));
  }
}

function drawBars(root, title, bucket) {
  root.replaceChildren(title);
  const max = Math.max(1, ...bucket.map((b) => b.count || 0));
  const bw = (W - PAD) / bucket.length;
  root.append(svg('text', { x: 0, y: 10 }, String(max)));
  bucket.forEach((b, i) => {
    const x = PAD + i * bw;
    const hgt = b.count ? Math.max(1, ((H - 2 * PAD) * b.count) / max) : 0;
    const bar = svg('rect', { x: x + 2, y: H - PAD - hgt, width: Math.max(1, bw - 4), height: hgt });
    bar.append(svg('title', {}, `${b.from.toISOString().slice(0, 10)}: ${b.count === null ? '…' : b.count}`));
    root.append(bar);
    if ((bucket.length - 1 - i) % 2 === 0 || bucket.length <= 7) {  // today always labelled
      root.append(svg('text', { x, y: H - 8 }, b.from.toISOString().slice(5, 10)));
    }
  });
}
