// The web console in a real headless Chromium against a real contactd (SQLite, or
// PostgreSQL with CONTACTD_TEST_PG): sign-in, contacts, SGQL errors, a contact's page,
// identifier removal (and the last-identifier failure), lists, a CSV import, an export and
// its download, sign-out; hostile contact values shown as text. (The headers are checked in
// tests/api/console.test.js, on every build.)
const assert = require('node:assert/strict');
const fs = require('node:fs');
const zlib = require('node:zlib');
const os = require('node:os');
const path = require('node:path');
const { test, upsertOk, call } = require('../api/lib/server.js');
const { openPage, screenshot, signIn, serverAndBrowser } = require('./lib.js');

const env = serverAndBrowser();

// A new account with a few contacts: its key and a client.
let accounts = 0;
async function seeded(prefix, contacts) {
  accounts++;
  const key = env.server.createKey(`${prefix}-${accounts}-${process.pid}`);
  const client = env.server.clientFor(key);
  if (contacts.length) await upsertOk(client, contacts);
  return { client, key };
}

test('the whole console flow: contacts, search, identifiers, lists, import, export, sign-out', async () => {
  const { key } = await seeded('console', [
    { email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', external_id: 'ext-ada' },
    { email: 'alan@example.com', first_name: 'Alan', last_name: 'Turing' },
    { external_id: 'only-ext' },
  ]);
  const { page, problems } = await openPage(env.browser.context);

  await signIn(page, env.server.url, key);
  await page.locator('#contacts-table').getByRole('link', { name: 'ada@example.com' }).waitFor();
  assert.match(await page.locator('#contact-count').textContent(), /^3 contacts/);
  assert.equal(await page.locator('#signin').isHidden(), true, 'the sign-in form is hidden once signed in');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('contactd.key')), key);
  assert.ok(!page.url().includes(key), 'the key is never in the URL');
  assert.deepEqual(await env.browser.context.cookies(), []);
  await page.locator('svg.chart rect').first().waitFor({ state: 'attached' });
  await screenshot(page, 'contacts');

  // SGQL: a syntax error shows its position; a good query shows its matches.
  await page.getByLabel('SGQL query').fill("email = 'x' AND");
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.locator('#sgql-error').getByText(/position \d+/).waitFor();
  assert.match(await page.locator('#sgql-error .caret').textContent(), /\^$/);
  await screenshot(page, 'sgql-error');
  await page.getByLabel('SGQL query').fill("first_name = 'Alan'");
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText(/Search: 1 match/).waitFor();
  assert.equal(await page.locator('#contacts-table tbody tr').count(), 1);

  // Find by email: an unknown one says so; any case finds; then open the contact.
  await page.getByLabel('Value').fill('nobody@example.com');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByRole('alert').filter({ hasText: 'No contact has that value.' }).waitFor();
  await page.getByLabel('Value').fill('ADA@example.com');
  await page.getByRole('button', { name: 'Find' }).click();
  await page.getByText('Found 1').waitFor();

  // A contact's page; remove its external_id (completes), then the last identifier fails.
  await page.getByRole('link', { name: 'ada@example.com' }).click();
  await page.getByRole('heading', { name: 'Contact ada@example.com' }).waitFor();
  await page.getByText('Lovelace').first().waitFor();
  await screenshot(page, 'contact');
  await page.getByRole('button', { name: 'Remove external_id' }).click();
  await page.locator('#contact-jobs').getByText(/remove external_id: completed/).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Remove external_id' }).count(), 0);
  await page.getByRole('button', { name: 'Remove email' }).click();
  await page.locator('#contact-jobs').getByText(/remove email: failed/).waitFor();
  const why = await page.locator('#contact-jobs .job-error').textContent();
  assert.match(why, /last/i, `the last-identifier failure is shown: ${why}`);

  // Lists: create one.
  await page.getByRole('link', { name: 'Lists' }).click();
  await page.getByLabel('New list name').fill('Console list');
  await page.getByRole('button', { name: 'Create list' }).click();
  await page.getByRole('link', { name: 'Console list' }).waitFor();
  await screenshot(page, 'lists');

  // Import a CSV (one bad row) and follow it to its end, with the errors table.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'console-csv-'));
  const csv = path.join(dir, 'people.csv');
  fs.writeFileSync(csv, 'Email,First Name,Last Name\nnew1@example.com,New,One\nnew2@example.com,New,Two\nnot-an-email,Bad,Row\n');
  await page.getByRole('link', { name: 'Imports' }).click();
  await page.getByLabel('CSV file', { exact: true }).setInputFiles(csv);
  assert.equal(await page.getByLabel('Field for column Email').inputValue(), '_rf2_T');
  assert.equal(await page.getByLabel('Field for column First Name').inputValue(), '_rf0_T');
  await page.getByLabel('Console list').check();
  await page.getByRole('button', { name: 'Upload and import' }).click();
  await page.locator('#import-progress').getByText(/import people\.csv: errored \(requested 3, created 2/).waitFor();
  await page.locator('#import-progress table').getByText(/not-an-email/).first().waitFor();
  assert.equal(await page.locator('#import-progress progress').evaluate((p) => p.value === p.max), true);
  await screenshot(page, 'import');
  fs.rmSync(dir, { recursive: true, force: true });

  // Export as CSV, follow it, download the file.
  await page.getByRole('link', { name: 'Exports' }).click();
  await page.getByRole('button', { name: 'Start export' }).click();
  const link = page.locator('#export-progress a.download').first();
  await link.waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  assert.match(download.suggestedFilename(), /\.csv\.gz$/);
  const text = zlib.gunzipSync(fs.readFileSync(await download.path())).toString('utf8');
  assert.match(text, /^CONTACT_ID,EMAIL/);
  assert.match(text, /new2@example\.com/);
  await screenshot(page, 'exports');

  // Jobs: the ones started here, with their status.
  await page.getByRole('link', { name: 'Jobs' }).click();
  await page.getByText(/import people\.csv/).waitFor();
  await page.getByRole('cell', { name: /^completed/ }).first().waitFor();
  await screenshot(page, 'jobs');

  // Segments: served or not, the page says which.
  await page.getByRole('link', { name: 'Segments' }).click();
  await page.getByRole('heading', { name: 'Segments' }).waitFor();

  // Sign out: the key is gone.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  assert.equal(await page.locator('nav').isHidden(), true);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(problems, []);
  await page.close();
});

test('hostile contact values are shown as text and run nothing', async () => {
  const evil = '<img src=x onerror="window.__xss=1">';
  const svgEvil = '<svg onload="window.__xss=2">';
  const { client, key } = await seeded('xss', [
    { email: 'evil@example.com', first_name: evil, last_name: svgEvil, external_id: '"><script>window.__xss=3</script>' },
  ]);
  await call(client, { method: 'POST', url: '/v3/marketing/lists', body: { name: '<b onmouseover=window.__xss=4>list</b>' } });
  const { page, problems } = await openPage(env.browser.context);
  let dialogs = 0;
  page.on('dialog', (d) => { dialogs++; d.dismiss(); });
  await signIn(page, env.server.url, key);
  await page.locator('#contacts-table').getByText(`${evil} ${svgEvil}`).waitFor();
  await page.getByRole('link', { name: 'evil@example.com' }).click();
  await page.getByText(evil, { exact: true }).first().waitFor();
  await page.getByRole('link', { name: 'Lists' }).click();
  await page.getByText('<b onmouseover=window.__xss=4>list</b>').waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('main img, main script, main b').count(), 0);
  assert.equal(dialogs, 0);
  assert.deepEqual(problems, []);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.close();
});

test('a refused key returns to the sign-in form with the reason', async () => {
  const { page } = await openPage(env.browser.context);
  await page.goto(`${env.server.url}/console/`);
  await page.getByLabel('API key').fill('SG.nope.nope');
  await page.getByLabel('API key').press('Enter');
  await page.locator('#signin-error').getByText(/refused/).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.close();
});
