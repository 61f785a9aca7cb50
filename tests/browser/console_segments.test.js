// The console's segments page against SendGrid's segments 2.0 API: create, open (count and
// sample), rename, delete.
const assert = require('node:assert/strict');
const { test, upsertOk } = require('../api/lib/server.js');
const { openPage, screenshot, signIn, serverAndBrowser } = require('./lib.js');

const env = serverAndBrowser();

test('segments: create, open, rename, delete', async () => {
  const key = env.server.createKey(`segments-${process.pid}`);
  await upsertOk(env.server.clientFor(key), [{ email: 'ada@example.com', first_name: 'Ada' }, { email: 'bob@example.com', first_name: 'Bob' }]);
  const { page, problems } = await openPage(env.browser.context);
  await signIn(page, env.server.url, key);
  await page.getByRole('link', { name: 'Segments' }).click();
  {
    await page.getByLabel('New segment name').fill('Adas');
    await page.getByLabel('Condition (SGQL), or a whole SELECT query').fill("first_name = 'Ada'");
    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('link', { name: 'Adas' }).click();
    await page.getByRole('heading', { name: 'Segment Adas' }).waitFor();
    await screenshot(page, 'segment');
    await page.getByLabel('Rename to').fill('Ada only');
    await page.getByRole('button', { name: 'Rename segment' }).click();
    await page.getByRole('heading', { name: 'Segment Ada only' }).waitFor();
    page.once('dialog', (d) => d.accept());
    await page.getByRole('button', { name: 'Delete segment' }).click();
    await page.getByText('No segments yet.').waitFor();
  }
  assert.deepEqual(problems, []);
  await page.close();
});
