// app: the console's shell. Sign-in (API key, optional admin token), the account switcher,
// sign-out, and a hash router (#/contacts, #/contact/<id>, ...) that draws one page at a
// time into #page. Pages are modules; each takes the page element and fills it.
import { admin, session } from './api.js';
import { h, clear, errorLine, say } from './dom.js';
import { contactsPage, contactPage } from './contacts.js';
import { listsPage, fieldsPage, segmentsPage } from './collections.js';
import { importsPage, exportsPage } from './transfer.js';
import { jobsPage, forgetJobs } from './jobs.js';

const $ = (id) => document.getElementById(id);

const routes = {
  contacts: contactsPage,
  contact: contactPage,
  lists: listsPage,
  fields: fieldsPage,
  segments: segmentsPage,
  imports: importsPage,
  exports: exportsPage,
  jobs: jobsPage,
};

let drawn = 0;  // counts renders, so that a slow page never draws over a newer one

async function render() {
  const signedIn = Boolean(session.key);
  $('signin').hidden = signedIn;
  $('nav').hidden = !signedIn;
  $('session').hidden = !signedIn;
  const page = clear($('page'));
  say('');
  if (!signedIn) {
    $('key').focus();
    return;
  }
  const [name, ...args] = (location.hash.replace(/^#\/?/, '') || 'contacts').split('/');
  const draw = routes[name] || contactsPage;
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#/${name === 'contact' ? 'contacts' : name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const mine = ++drawn;
  const holder = h('div');
  page.append(holder);
  try {
    await draw(holder, ...args.map(decodeURIComponent));
  } catch (e) {
    if (mine === drawn) holder.append(errorLine(e));
  }
}

// Show the page of hash (always when force, else only from the default '#/'). A new hash
// renders through hashchange, so render here only when it stays: rendering twice would
// fetch the page's data twice.
function go(hash, force) {
  const here = location.hash || '#/';
  const target = here === '#/' || force ? hash : here;
  if (target !== here) location.hash = target;
  else render();
}

async function fillAccounts() {
  const select = $('account');
  const show = Boolean(session.admin);
  select.hidden = !show;
  $('account-label').hidden = !show;
  if (!show) return;
  try {
    const body = await admin('GET', '/_contactd/accounts');
    const names = (body.result || []).map((a) => a.name);
    clear(select).append(h('option', { value: '' }, session.account ? session.account : '(the signed-in key)'),
      ...names.filter((n) => n !== session.account).map((n) => h('option', { value: n }, n)));
  } catch (e) {
    say(`Admin API: ${e.message}`);
  }
}

// Switch account: a new full key for it, made through the admin API, replaces the key.
async function switchAccount() {
  const name = $('account').value;
  if (!name) return;
  try {
    const made = await admin('POST', `/_contactd/accounts/${encodeURIComponent(name)}/keys`, { scopes: 'full' });
    session.useAccount(name, made.key);
    forgetJobs();
    say(`Now on account ${name}`);
    await fillAccounts();
    go('#/contacts', true);
  } catch (e) {
    say(`Switching account: ${e.message}`);
  }
}

function signIn(ev) {
  ev.preventDefault();
  const key = $('key').value.trim();
  const token = $('admin-token').value.trim();
  if (!key) return;
  performance.mark('contactd:signin');   // bench/console measures from here
  session.signIn(key, token);
  $('key').value = '';
  $('admin-token').value = '';
  $('signin-error').textContent = '';
  go('#/contacts');
  fillAccounts();
}

function signOut(message) {
  session.clear();
  clear($('account'));
  $('signin-error').textContent = message || '';
  render();
  say(message ? '' : 'Signed out');
}

$('signin').addEventListener('submit', signIn);
$('signout').addEventListener('click', () => signOut());
$('account').addEventListener('change', switchAccount);
window.addEventListener('hashchange', render);
window.addEventListener('contactd:unauthorized', () => signOut('The key was refused (401): sign in again.'));
render();
fillAccounts();
