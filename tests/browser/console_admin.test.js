// The console with an admin token (issue 12's admin API): switch accounts through a key
// made for the chosen account, and see that account's job list.
const assert = require('node:assert/strict');
const { test, upsertOk } = require('../api/lib/server.js');
const { ADMIN_TOKEN: TOKEN, createAccount } = require('../api/lib/admin.js');
const { openPage, screenshot, signIn, serverAndBrowser } = require('./lib.js');

const env = serverAndBrowser({ serverOpts: { extraArgs: ['--admin-token', TOKEN] } });

test('an admin token switches accounts and shows the account\'s jobs', async () => {
  const name = `other-${process.pid}`;
  const made = await createAccount(env.server, name);
  await upsertOk(made.client, [{ email: 'other@example.com', first_name: 'Other' }]);

  const { page, problems } = await openPage(env.browser.context);
  await page.goto(`${env.server.url}/console/`);
  await page.getByLabel('Admin token (optional, to switch accounts)').fill(TOKEN);
  await signIn(page, env.server.url, env.server.key, { keepForm: true });
  const account = page.getByLabel('Account', { exact: true });
  await account.locator(`option[value="${name}"]`).waitFor({ state: 'attached' });
  await account.selectOption(name);
  await page.locator('#contacts-table').getByRole('link', { name: 'other@example.com' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('contactd.account')), name);

  await page.getByRole('link', { name: 'Jobs' }).click();
  await page.getByRole('heading', { name: `All jobs of account ${name}` }).waitFor();
  await page.getByRole('cell', { name: 'upsert' }).first().waitFor();
  await screenshot(page, 'admin-jobs');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(problems, []);
  await page.close();
});
