// dom: builds elements. Every value is set as text (textContent, text nodes, attributes):
// nothing here parses HTML, so a contact named "<img src=x onerror=...>" shows those
// characters and runs nothing.

let seq = 0;

// h('button', {type: 'button', onclick: fn, class: 'x'}, 'text', child, [more]).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = true;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function uid(prefix) {
  seq += 1;
  return `${prefix}-${seq}`;
}

// A labelled control: <div><label for=id>text</label><control id=id></div>.
export function field(text, control) {
  if (!control.id) control.id = uid('f');
  return h('div', {}, h('label', { for: control.id }, text), control);
}

// columns: [{title, cell: (row) => node | string}]
export function table(columns, rows, caption) {
  return h('table', {},
    caption ? h('caption', { class: 'muted' }, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.title)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', {}, c.cell(r)))))));
}

// A definition list of [term, value] pairs; values shown as text.
export function dl(pairs) {
  return h('dl', {}, pairs.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function card(title, ...children) {
  return h('section', { class: 'card', 'aria-label': title }, h('h2', {}, title), children);
}

export function button(text, onclick, cls) {
  return h('button', { type: 'button', class: cls, onclick }, text);
}

export function errorLine(err) {
  return h('p', { class: 'error', role: 'alert' }, String(err && err.message ? err.message : err));
}

export function say(text) {
  document.getElementById('status').textContent = text;
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').replace('.000Z', 'Z');
}

// On submit: no page load, out cleared, action run, its failure shown in out.
export function onSubmit(form, out, action) {
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clear(out);
    try { await action(); } catch (e) { out.append(errorLine(e)); }
  });
  return form;
}
