// contacts: the contacts page (count, the 50 newest, SGQL search, search by email or
// identifier, deletion, the chart) and one contact's page (every field, identifiers,
// lists, segments, custom fields; edit as an upsert job; remove one identifier).
import { api, allLists, paths } from './api.js';
import { h, card, table, dl, field, button, errorLine, fmtTime, clear, say, onSubmit } from './dom.js';
import { track, watchJob } from './jobs.js';
import { createdPerDay } from './chart.js';

const IDENTIFIERS = [
  ['email', 'EMAIL'], ['phone_number_id', 'PHONENUMBERID'],
  ['external_id', 'EXTERNALID'], ['anonymous_id', 'ANONYMOUSID'],
];
const EDITABLE = ['first_name', 'last_name', 'unique_name', 'address_line_1', 'address_line_2',
  'city', 'state_province_region', 'postal_code', 'country', 'phone_number', 'whatsapp', 'line', 'facebook'];

function identifiersOf(c) {
  return IDENTIFIERS.filter(([f]) => c[f]).map(([f]) => `${f}: ${c[f]}`).join(', ');
}

// The contacts table, with a checkbox per row for deletion; selected is a Set of ids.
function contactsTable(rows, selected) {
  return table([
    { title: 'Select', cell: (c) => h('input', { type: 'checkbox', 'aria-label': `Select ${c.email || c.id}`,
      onchange: (e) => (e.target.checked ? selected.add(c.id) : selected.delete(c.id)) }) },
    { title: 'Contact', cell: (c) => h('a', { href: `#/contact/${encodeURIComponent(c.id)}` }, c.email || c.external_id || c.phone_number_id || c.anonymous_id || c.id) },
    { title: 'Name', cell: (c) => [c.first_name, c.last_name].filter(Boolean).join(' ') },
    { title: 'Identifiers', cell: identifiersOf },
    { title: 'Created', cell: (c) => fmtTime(c.created_at) },
    { title: 'Updated', cell: (c) => fmtTime(c.updated_at) },
  ], rows);
}

// Where an SGQL error points ("... at position 9: ..."): the query with a caret under it.
function caretLine(query, message) {
  const m = /position (\d+)/.exec(message);
  if (!m) return null;
  const pos = Math.min(Number(m[1]), query.length);
  return h('div', { class: 'caret', 'aria-hidden': 'true' }, `${query}\n${' '.repeat(pos)}^`);
}

export async function contactsPage(page) {
  const selected = new Set();
  const summary = h('p', { class: 'big', id: 'contact-count' }, '…');
  const results = h('div', { id: 'contacts-table' });
  const heading = h('h2', {}, 'Newest contacts');
  const jobs = h('div');
  const del = button('Delete selected', async () => {
    if (!selected.size || !confirm(`Delete ${selected.size} contact(s)?`)) return;
    try {
      const r = await api('DELETE', `${paths.contacts}?ids=${[...selected].map(encodeURIComponent).join(',')}`);
      track(r.job_id, 'delete contacts');
      await watchJob(r.job_id, 'delete contacts', jobs);
      contactsPage(clear(page));
    } catch (e) { jobs.append(errorLine(e)); }
  }, 'danger');
  page.append(card('Contacts', summary, searchForms(results, heading, selected)),
    h('section', { class: 'card', 'aria-labelledby': 'newest' }, Object.assign(heading, { id: 'newest' }), results, h('div', { class: 'row' }, del), jobs));
  const sample = await api('GET', paths.contacts);
  summary.textContent = `${Number(sample.contact_count).toLocaleString('en')} contacts`;
  results.append(contactsTable(sample.result || [], selected));
  // to the frame that shows the data (User Timing, read by bench/console)
  requestAnimationFrame(() => performance.mark('contactd:contacts-shown'));
  const chart = card('Contacts created per day (last 14 days, UTC)');
  page.append(chart);
  createdPerDay(chart, 14);
}

function searchForms(results, heading, selected) {
  const query = h('textarea', { rows: '2', placeholder: "email LIKE '%@example.com'", spellcheck: 'false' });
  const sgqlError = h('div', { id: 'sgql-error' });
  const sgql = h('form', { class: 'search', 'aria-label': 'SGQL search' },
    field('SGQL query', query), h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Search')), sgqlError);
  sgql.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(sgqlError);
    try {
      const r = await api('POST', `${paths.contacts}/search`, { query: query.value });
      heading.textContent = `Search: ${Number(r.contact_count).toLocaleString('en')} match(es), the first ${(r.result || []).length} shown`;
      clear(results).append(contactsTable(r.result || [], selected));
    } catch (e) {
      sgqlError.append(errorLine(e), caretLine(query.value, e.message));
      const m = /position (\d+)/.exec(e.message);
      if (m) query.setSelectionRange(Number(m[1]), Number(m[1]));
    }
  });
  query.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) sgql.requestSubmit();
  });

  const type = h('select', {}, IDENTIFIERS.map(([f]) => h('option', { value: f }, f)));
  const value = h('input', { type: 'search' });
  const findError = h('div');
  const find = h('form', { class: 'row', 'aria-label': 'Find by identifier' }, field('Identifier', type), field('Value', value),
    h('button', { type: 'submit' }, 'Find'), findError);
  onSubmit(find, findError, async () => {
    const v = value.value.trim();
    const r = await (type.value === 'email'
      ? api('POST', `${paths.contacts}/search/emails`, { emails: [v] })
      : api('POST', `${paths.contacts}/search/identifiers/${type.value}`, { identifiers: [v] }))
      .catch((e) => { throw e.status === 404 ? 'No contact has that value.' : e; });
    const found = Object.values(r.result || {}).map((x) => x.contact).filter(Boolean);
    heading.textContent = `Found ${found.length}`;
    clear(results).append(contactsTable(found, selected));
  });
  return [sgql, find];
}

export async function contactPage(page, id) {
  const [c, lists] = await Promise.all([api('GET', paths.contact(id)), allLists().catch(() => [])]);
  const names = new Map(lists.map((l) => [l.id, l.name]));
  const jobs = h('div', { id: 'contact-jobs' });
  const plain = Object.entries(c).filter(([k, v]) => typeof v !== 'object' || v === null);
  page.append(
    card(`Contact ${c.email || c.id}`, dl(plain.map(([k, v]) => [k, v === null ? '' : String(v)])),
      h('h3', {}, 'Alternate emails'), h('p', {}, (c.alternate_emails || []).join(', ') || '—')),
    card('Identifiers', identifiersTable(c, jobs, page), jobs),
    h('div', { class: 'grid2' },
      card('Lists', (c.list_ids || []).length
        ? h('ul', {}, c.list_ids.map((l) => h('li', {}, h('a', { href: `#/lists/${encodeURIComponent(l)}` }, names.get(l) || l))))
        : h('p', { class: 'muted' }, 'In no list.')),
      card('Segments', (c.segment_ids || []).length
        ? h('ul', {}, c.segment_ids.map((s) => h('li', {}, s))) : h('p', { class: 'muted' }, 'In no segment.'))),
    card('Custom fields', Object.keys(c.custom_fields || {}).length
      ? dl(Object.entries(c.custom_fields).map(([k, v]) => [k, String(v)])) : h('p', { class: 'muted' }, 'None set.')),
    editForm(c, jobs, page),
    card('Delete', button('Delete this contact', async () => {
      if (!confirm('Delete this contact?')) return;
      try {
        const r = await api('DELETE', `${paths.contacts}?ids=${encodeURIComponent(c.id)}`);
        track(r.job_id, 'delete contact');
        await watchJob(r.job_id, 'delete contact', jobs);
        location.hash = '#/contacts';
      } catch (e) { jobs.append(errorLine(e)); }
    }, 'danger')));
}

function identifiersTable(c, jobs, page) {
  const present = IDENTIFIERS.filter(([f]) => c[f]);
  return table([
    { title: 'Type', cell: ([f]) => f },
    { title: 'Value', cell: ([f]) => c[f] },
    { title: 'Action', cell: ([f, type]) => button(`Remove ${f}`, async () => {
      try {
        const r = await api('DELETE', `${paths.contact(c.id)}/identifiers`, { identifier_type: type, identifier_value: c[f] });
        track(r.job_id, `remove ${f}`);
        const job = await watchJob(r.job_id, `remove ${f}`, jobs);
        if (job.status === 'completed') {
          say(`Removed ${f}`);
          const kept = h('div');
          kept.append(...jobs.childNodes);
          await contactPage(clear(page), c.id);
          page.querySelector('#contact-jobs').append(...kept.childNodes);
        }
      } catch (e) { jobs.append(errorLine(e)); }
    }, 'secondary') },
  ], present);
}

// Edit: an upsert of this contact carrying all its identifiers (SendGrid's matching rule),
// the changed reserved fields and custom fields.
function editForm(c, jobs, page) {
  const inputs = EDITABLE.map((f) => [f, h('input', { type: 'text', value: c[f] || '' })]);
  const custom = Object.entries(c.custom_fields || {}).map(([k, v]) => [k, h('input', { type: 'text', value: String(v) })]);
  const form = h('form', { 'aria-label': 'Edit contact' },
    h('div', { class: 'row' }, inputs.map(([f, i]) => field(f, i))),
    custom.length ? h('div', { class: 'row' }, custom.map(([f, i]) => field(`custom: ${f}`, i))) : null,
    h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Save (upsert job)')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const rec = {};
    for (const [f] of IDENTIFIERS) if (c[f]) rec[f] = c[f];
    for (const [f, i] of inputs) if (i.value !== (c[f] || '')) rec[f] = i.value;
    const cf = {};
    for (const [f, i] of custom) if (i.value !== String(c.custom_fields[f])) cf[f] = i.value;
    if (Object.keys(cf).length) rec.custom_fields = cf;
    try {
      const r = await api('PUT', paths.contacts, { contacts: [rec] });
      track(r.job_id, 'edit contact');
      const job = await watchJob(r.job_id, 'edit contact', jobs);
      if (job.status === 'completed') await contactPage(clear(page), c.id);
    } catch (e) { jobs.append(errorLine(e)); }
  });
  return card('Edit', form);
}
