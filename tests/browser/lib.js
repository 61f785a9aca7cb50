// Browser test helpers: Debian's chromium (never a downloaded browser) driven by
// playwright-core, with a fresh profile per launch and no network beyond contactd.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { after, before } = require('node:test');
const { chromium } = require('playwright-core');
const { startServer, stopAll } = require('../api/lib/server.js');

const CHROMIUM = process.env.CONTACTD_CHROMIUM || '/usr/bin/chromium';
const OUT = path.join(__dirname, 'out');

async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

// A page that records what must never happen: script errors and CSP violations.
async function openPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // (4xx answers the console expects, an SGQL syntax error say, are logged as failed
  // loads: they are not problems)
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  return { page, problems };
}

async function screenshot(page, name) {
  fs.mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true });
}

// Sign in with key (Enter submits); keepForm: the page is open already and other fields
// of the form are filled.
async function signIn(page, url, key, { keepForm = false } = {}) {
  if (!keepForm) await page.goto(`${url}/console/`);
  await page.getByLabel('API key').fill(key);
  await page.getByLabel('API key').press('Enter');
  await page.locator('#contact-count').filter({ hasText: 'contacts' }).waitFor();
}

// One contactd and one browser for a test file, started before its tests and stopped after
// them; env.server and env.browser once started. skip: start nothing.
function serverAndBrowser({ serverOpts, skip } = {}) {
  const env = {};
  before(async () => {
    if (skip) return;
    env.server = await startServer(serverOpts);
    env.browser = await launch();
  });
  after(async () => {
    if (env.browser) await env.browser.close();
    await stopAll([env.server]);
  });
  return env;
}

module.exports = { launch, openPage, screenshot, signIn, serverAndBrowser, OUT };
