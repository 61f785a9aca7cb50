// collections: lists, custom fields and segments: create, rename, delete, counts and
// samples. Segments follow SendGrid's segments 2.0 document; a server without them (404)
// is told plainly.
import { api, allLists, allSegments, paths } from './api.js';
import { h, card, table, field, button, errorLine, clear, fmtTime, say, onSubmit } from './dom.js';
import { track, watchJob } from './jobs.js';

// A one-input form: create or rename.
function oneField(labelText, buttonText, initial, submit) {
  const input = h('input', { type: 'text', value: initial || '', required: true });
  const out = h('div');
  return onSubmit(h('form', { class: 'row', 'aria-label': buttonText }, field(labelText, input),
    h('button', { type: 'submit' }, buttonText), out), out, () => submit(input.value.trim()));
}

function sampleTable(contacts) {
  return table([
    { title: 'Contact', cell: (c) => h('a', { href: `#/contact/${encodeURIComponent(c.id)}` }, c.email || c.id) },
    { title: 'Name', cell: (c) => [c.first_name, c.last_name].filter(Boolean).join(' ') },
  ], contacts || [], 'Sample');
}

// ---- lists --------------------------------------------------------------------------

export async function listsPage(page, openId) {
  const lists = await allLists();
  const jobs = h('div');
  page.append(card('Lists',
    oneField('New list name', 'Create list', '', async (name) => {
      await api('POST', paths.lists, { name });
      say(`Created list ${name}`);
      await listsPage(clear(page));
    }),
    lists.length ? table([
      { title: 'Name', cell: (l) => h('a', { href: `#/lists/${encodeURIComponent(l.id)}` }, l.name) },
      { title: 'Contacts', cell: (l) => String(l.contact_count) },
      { title: 'Id', cell: (l) => h('code', {}, l.id) },
    ], lists) : h('p', { class: 'muted' }, 'No lists yet.'), jobs));
  if (openId) await listDetail(page, openId, jobs);
}

async function listDetail(page, id, jobs) {
  const l = await api('GET', `${paths.list(id)}?contact_sample=true`);
  const del = async (withContacts) => {
    if (!confirm(withContacts ? `Delete list ${l.name} and its contacts?` : `Delete list ${l.name}?`)) return;
    try {
      const r = await api('DELETE', `${paths.list(id)}${withContacts ? '?delete_contacts=true' : ''}`);
      if (r && r.job_id) {
        track(r.job_id, `delete list ${l.name} with contacts`);
        await watchJob(r.job_id, `delete contacts of ${l.name}`, jobs);
      }
      location.hash = '#/lists';
    } catch (e) { jobs.append(errorLine(e)); }
  };
  page.append(card(`List ${l.name}`,
    h('p', {}, `${l.contact_count} contacts`),
    oneField('Rename to', 'Rename list', l.name, async (name) => {
      await api('PATCH', paths.list(id), { name });
      await listsPage(clear(page), id);
    }),
    h('div', { class: 'row' }, button('Delete list', () => del(false), 'danger'),
      button('Delete list and its contacts', () => del(true), 'danger')),
    sampleTable(l.contact_sample)));
}

// ---- custom fields ------------------------------------------------------------------

export async function fieldsPage(page) {
  const defs = await api('GET', paths.fields);
  const custom = defs.custom_fields || [];
  const type = h('select', {}, ['Text', 'Number', 'Date'].map((t) => h('option', { value: t }, t)));
  const name = h('input', { type: 'text', required: true });
  const out = h('div');
  const create = onSubmit(h('form', { class: 'row', 'aria-label': 'Create field' }, field('New field name', name), field('Type', type),
    h('button', { type: 'submit' }, 'Create field'), out), out, async () => {
    await api('POST', paths.fields, { name: name.value.trim(), field_type: type.value });
    await fieldsPage(clear(page));
  });
  page.append(card('Custom fields', create, custom.length ? table([
    { title: 'Name', cell: (f) => f.name },
    { title: 'Type', cell: (f) => f.field_type },
    { title: 'Id', cell: (f) => h('code', {}, f.id) },
    { title: 'Rename', cell: (f) => oneField(`Rename ${f.name} to`, 'Rename', f.name, async (n) => {
      await api('PATCH', paths.field(f.id), { name: n });
      await fieldsPage(clear(page));
    }) },
    { title: 'Delete', cell: (f) => button(`Delete ${f.name}`, async () => {
      if (!confirm(`Delete field ${f.name}? Its values go from every contact.`)) return;
      try { await api('DELETE', paths.field(f.id)); await fieldsPage(clear(page)); } catch (e) { out.append(errorLine(e)); }
    }, 'danger') },
  ], custom) : h('p', { class: 'muted' }, 'No custom fields yet.')),
  card('Reserved fields', h('p', { class: 'muted' }, (defs.reserved_fields || []).map((f) => f.name).join(', '))));
}

// ---- segments -----------------------------------------------------------------------

// A segment's query_dsl is a whole SELECT (SendGrid's form); a bare condition is put in one.
function segmentQuery(text) {
  const t = text.trim();
  return /^select\b/i.test(t) ? t : `SELECT contact_id, updated_at FROM contact_data WHERE ${t}`;
}

export async function segmentsPage(page, openId) {
  const segments = await allSegments();
  if (segments === null) {
    page.append(card('Segments', h('p', { id: 'segments-unavailable' },
      'Segments are not available on this server (GET /v3/marketing/segments/2.0 answered 404).')));
    return;
  }
  const name = h('input', { type: 'text', required: true });
  const dsl = h('textarea', { rows: '2', required: true, spellcheck: 'false', placeholder: "first_name = 'Ada'" });
  const out = h('div');
  const create = onSubmit(h('form', { 'aria-label': 'Create segment' }, h('div', { class: 'row' }, field('New segment name', name)),
    field('Condition (SGQL), or a whole SELECT query', dsl), h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Create segment')), out), out, async () => {
    await api('POST', paths.segments, { name: name.value.trim(), query_dsl: segmentQuery(dsl.value) });
    await segmentsPage(clear(page));
  });
  page.append(card('Segments', create, segments.length ? table([
    { title: 'Name', cell: (s) => h('a', { href: `#/segments/${encodeURIComponent(s.id)}` }, s.name) },
    { title: 'Contacts', cell: (s) => String(s.contacts_count ?? '') },
    { title: 'Updated', cell: (s) => fmtTime(s.updated_at) },
  ], segments) : h('p', { class: 'muted' }, 'No segments yet.')));
  if (openId) await segmentDetail(page, openId);
}

async function segmentDetail(page, id) {
  const s = await api('GET', `${paths.segment(id)}?contacts_sample=true`);
  const out = h('div');
  page.append(card(`Segment ${s.name}`,
    h('p', {}, `${s.contacts_count} contacts`), h('pre', {}, s.query_dsl || ''),
    oneField('Rename to', 'Rename segment', s.name, async (n) => {
      await api('PATCH', paths.segment(id), { name: n });
      await segmentsPage(clear(page), id);
    }),
    button('Delete segment', async () => {
      if (!confirm(`Delete segment ${s.name}?`)) return;
      try { await api('DELETE', paths.segment(id)); location.hash = '#/segments'; } catch (e) { out.append(errorLine(e)); }
    }, 'danger'), out, sampleTable(s.contacts_sample)));
}
