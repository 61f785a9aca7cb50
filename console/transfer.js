// transfer: CSV imports (pick a file, map its columns to fields suggested from the header
// row, choose lists, PUT /imports, upload to upload_uri, follow the job) and exports
// (start, follow, download).
import { api, allLists, allSegments, follow, localPath, paths } from './api.js';
import { h, card, table, field, errorLine, clear, fmtTime, onSubmit } from './dom.js';
import { track, watchJob } from './jobs.js';

// The header row of a CSV text: cells split on commas outside double quotes.
export function headerRow(text) {
  const cells = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { cells.push(cell); cell = ''; } else if (ch === '\n' || ch === '\r') break;
    else cell += ch;
  }
  cells.push(cell);
  return cells;
}

const norm = (s) => s.trim().toLowerCase().replace(/^\ufeff/, '').replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
const ALIASES = { e_mail: 'email', email_address: 'email', mail: 'email', firstname: 'first_name', first: 'first_name',
  given_name: 'first_name', lastname: 'last_name', last: 'last_name', surname: 'last_name', family_name: 'last_name',
  phone: 'phone_number', mobile: 'phone_number', zip: 'postal_code', zip_code: 'postal_code', state: 'state_province_region' };

// The field a header names, or '' (skip): by name, ignoring case and punctuation.
export function suggest(header, fields) {
  const n = norm(header);
  const want = ALIASES[n] || n;
  const hit = fields.find((f) => norm(f.name) === want || norm(f.name).replace(/_/g, '') === want.replace(/_/g, ''));
  return hit ? hit.id : '';
}

function listChoices(lists, legend) {
  const boxes = lists.map((l) => {
    const cb = h('input', { type: 'checkbox', value: l.id });
    return [cb, h('label', { class: 'check' }, cb, ` ${l.name}`)];
  });
  const set = h('fieldset', {}, h('legend', {}, legend),
    boxes.length ? boxes.map(([, label]) => label) : h('span', { class: 'muted' }, 'none'));
  return { set, chosen: () => boxes.filter(([cb]) => cb.checked).map(([cb]) => cb.value) };
}

export async function importsPage(page) {
  const [defs, lists] = await Promise.all([api('GET', paths.fields), allLists()]);
  const fields = [...(defs.reserved_fields || []).filter((f) => !f.read_only), ...(defs.custom_fields || [])];
  const file = h('input', { type: 'file', accept: '.csv,.gz,text/csv' });
  const mapping = h('div', { id: 'import-mapping' });
  const lc = listChoices(lists, 'Add the contacts to lists');
  const out = h('div', { id: 'import-progress' });
  const start = h('button', { type: 'submit', disabled: true }, 'Upload and import');
  let selects = [];
  file.addEventListener('change', async () => {
    clear(mapping);
    selects = [];
    const f = file.files[0];
    if (!f) return;
    const head = headerRow(await f.slice(0, 65536).text());
    selects = head.map((col) => {
      const s = h('select', {}, h('option', { value: '' }, '(skip)'), fields.map((fd) => h('option', { value: fd.id }, fd.name)));
      s.value = suggest(col, fields);
      return [col, s];
    });
    mapping.append(table([
      { title: 'Column', cell: ([col]) => col },
      { title: 'Field', cell: ([col, s]) => { s.setAttribute('aria-label', `Field for column ${col}`); return s; } },
    ], selects));
    start.disabled = false;
  });
  const form = h('form', { 'aria-label': 'Import a CSV file' }, field('CSV file', file), mapping, lc.set,
    h('div', { class: 'row' }, start));
  onSubmit(form, out, async () => {
    start.disabled = true;
    try {
      const job = await api('PUT', `${paths.contacts}/imports`, {
        file_type: 'csv', field_mappings: selects.map(([, s]) => s.value || null), list_ids: lc.chosen(),
      });
      const headers = {};
      for (const x of job.upload_headers || []) headers[x.header] = x.value;
      const up = await fetch(localPath(job.upload_uri), { method: 'PUT', headers, body: file.files[0], credentials: 'omit' });
      if (!up.ok) {
        const b = await up.json().catch(() => null);
        throw new Error((b && b.errors ? b.errors.map((e) => e.message).join('\n') : `upload answered ${up.status}`));
      }
      track(job.job_id, `import ${file.files[0].name}`);
      await watchJob(job.job_id, `import ${file.files[0].name}`, out, { errorsAsTable: true });
    } finally {
      start.disabled = false;
    }
  });
  page.append(card('Import contacts from CSV', h('p', { class: 'muted' },
    'The first row is the header; columns are matched to fields by name, and you may change each.'), form, out));
}

// ---- exports ------------------------------------------------------------------------

// Saved as export-<id>-<n>.csv.gz (or .json.gz): the files are gzip, as SendGrid's are.
function exportLinks(x) {
  const ext = `${x.file_type === 'json' ? 'json' : 'csv'}${/\.gz$/.test(new URL(x.urls?.[0] || 'http://x/', location.href).pathname) ? '.gz' : ''}`;
  return (x.urls || []).map((u, i) => h('a', { href: localPath(u), download: `export-${x.id}-${i + 1}.${ext}`, class: 'download' },
    `Download file ${i + 1}`));
}

export async function exportsPage(page) {
  const [lists, segments, past] = await Promise.all([allLists(), allSegments().catch(() => null),
    api('GET', paths.exports).catch(() => ({ result: [] }))]);
  const lc = listChoices(lists, 'Lists (none: every contact)');
  const sc = segments ? listChoices(segments, 'Segments') : null;
  const type = h('select', {}, h('option', { value: 'csv' }, 'CSV'), h('option', { value: 'json' }, 'JSON lines'));
  const size = h('input', { type: 'number', min: '1', max: '5000', value: '5000' });
  const out = h('div', { id: 'export-progress' });
  const form = h('form', { 'aria-label': 'Start an export' }, lc.set, sc ? sc.set : null,
    h('div', { class: 'row' }, field('File type', type), field('Max file size (MB)', size), h('button', { type: 'submit' }, 'Start export')));
  onSubmit(form, out, async () => {
    const body = { file_type: type.value, max_file_size: Number(size.value) };
    if (lc.chosen().length) body.list_ids = lc.chosen();
    if (sc && sc.chosen().length) body.segment_ids = sc.chosen();
    const r = await api('POST', paths.exports, body);
    const status = h('p', {}, 'Export: pending');
    out.append(status);
    const x = await follow(paths.export(r.id), (e) => e.status !== 'pending', (e) => {
      status.textContent = `Export: ${e.status}${e.contact_count !== undefined ? ` (${e.contact_count} contacts)` : ''}`;
    });
    if (x.status === 'ready') out.append(h('p', { class: 'row' }, exportLinks(x)));
    else out.append(errorLine(x.message || 'the export failed'));
  });
  page.append(card('Export contacts', form, out), card('Recent exports', (past.result || []).length ? table([
    { title: 'Started', cell: (x) => fmtTime(x.created_at) },
    { title: 'Status', cell: (x) => x.status },
    { title: 'Type', cell: (x) => x.file_type },
    { title: 'Contacts', cell: (x) => String(x.contact_count ?? '') },
    { title: 'Files', cell: (x) => exportLinks(x) },
  ], past.result) : h('p', { class: 'muted' }, 'None.')));
}
