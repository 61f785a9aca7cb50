'use strict';
// The command line: every command's help, named errors for bad flags, values and
// environment variables (exit 2), --flag=value and --flag value, the version, no
// database created by a command that must not create one, and the first key printed
// only once the server listens. The man page is checked against the help texts.

const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { BIN, REPO, KEY_RE, startServer, raw, test } = require('./lib/server');

// Run contactd in an empty directory with a clean environment (no CONTACTD_* from the
// caller); returns {code, stdout, stderr, dir, files}.
function run(args, { env = {}, dir } = {}) {
  const cwd = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-cli-'));
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CONTACTD_')));
  const r = spawnSync(BIN, args, { cwd, env: { ...clean, ...env }, encoding: 'utf8', timeout: 20000 });
  const files = fs.readdirSync(cwd);
  if (!dir) fs.rmSync(cwd, { recursive: true, force: true });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, files };
}

const COMMANDS = ['serve', 'key', 'account', 'state', 'healthcheck', 'help', 'version'];

test('contactd help and no arguments print the overview naming every command', () => {
  const r = run(['help']);
  assert.equal(r.code, 0, r.stderr);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c}\\b`, 'm'));
  const none = run([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /usage: contactd COMMAND/);
  assert.equal(run(['--help']).stdout, r.stdout);
});

for (const c of COMMANDS) {
  test(`contactd ${c} -h / --help / help ${c}: its own usage, exit 0`, () => {
    const long = run([c, '--help']);
    assert.equal(long.code, 0, long.stderr);
    assert.match(long.stdout, new RegExp(`^usage: contactd ${c}`));
    assert.equal(long.stderr, '');
    assert.deepEqual(long.files, []);
    assert.equal(run([c, '-h']).stdout, long.stdout);
    assert.equal(run(['help', c]).stdout, long.stdout);
  });
}

test('serve --help gives every option with its environment variable and default', () => {
  const out = run(['serve', '--help']).stdout;
  for (const [flag, env] of [['--listen', 'CONTACTD_LISTEN'], ['--db', 'CONTACTD_DB'],
    ['--threads', 'CONTACTD_THREADS'], ['--rate-limit', 'CONTACTD_RATE_LIMIT'],
    ['--export-ttl', 'CONTACTD_EXPORT_TTL'], ['--public-url', 'CONTACTD_PUBLIC_URL'],
    ['--trust-proxy', 'CONTACTD_TRUST_PROXY'], ['--tls-cert', 'CONTACTD_TLS_CERT'],
    ['--tls-key', 'CONTACTD_TLS_KEY'], ['--metrics-token', 'CONTACTD_METRICS_TOKEN'],
    ['--log-format', 'CONTACTD_LOG_FORMAT'], ['--no-access-log', 'CONTACTD_ACCESS_LOG']]) {
    assert.ok(out.includes(flag), `serve --help lacks ${flag}`);
    assert.ok(out.includes(env), `serve --help lacks ${env}`);
  }
  assert.match(out, /default 127\.0\.0\.1:3000/);
  assert.match(out, /CONTACTD_API_KEY/);
});

test('an unknown command or option is named, exit 2', () => {
  const cases = [
    [['bogus'], /contactd: unknown command 'bogus'/],
    [['serve', '--bogus'], /contactd: serve: unknown option '--bogus'/],
    [['serve', '--bogus=1'], /contactd: serve: unknown option '--bogus'/],
    [['serve', '-x'], /contactd: serve: unknown option '-x'/],
    [['serve', 'extra'], /contactd: serve: unexpected argument 'extra'/],
    [['serve', '--threads'], /contactd: serve: option '--threads' needs a value/],
    [['serve', '--trust-proxy=yes'], /contactd: serve: option '--trust-proxy' takes no value/],
    [['key', 'list', '--bogus'], /contactd: key: unknown option '--bogus'/],
    [['key', 'frobnicate'], /contactd: key: unknown action 'frobnicate'/],
    [['key'], /contactd: key: which action/],
    [['key', 'create'], /contactd: key: create: --account NAME is required/],
    [['key', 'revoke'], /contactd: key: revoke: which KEY_ID/],
    [['key', 'create', '--account', 'a', '--scopes', 'admin'], /contactd: key: --scopes: 'admin'/],
    [['key', 'list', '--account', 'a'], /contactd: key: list: --account and --scopes go with key create/],
    [['healthcheck', '--bogus'], /contactd: healthcheck: unknown option '--bogus'/],
    [['healthcheck', '--url', 'ftp://x'], /contactd: healthcheck: --url: 'ftp:\/\/x' is not an http:\/\/ URL/],
    [['healthcheck', '--timeout=0'], /contactd: healthcheck: --timeout: '0' is not a number from 1 to 300/],
    [['help', 'bogus'], /contactd: help: unknown command 'bogus'/],
    [['version', 'extra'], /contactd: version: unexpected argument 'extra'/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.deepEqual(r.files, [], `${args.join(' ')} created ${r.files}`);
  }
});

test('bad values of flags and environment variables are named, exit 2, nothing created', () => {
  const cases = [
    [['serve', '--listen', '127.0.0.1:99999'], {}, /--listen: port '99999' is not a number from 1 to 65535/],
    [['serve', '--listen=127.0.0.1:http'], {}, /--listen: port 'http'/],
    [['serve', '--listen', 'localhost'], {}, /--listen: 'localhost' is not HOST:PORT/],
    [['serve', '--threads', '0'], {}, /--threads: '0' is not a number from 1 to 256/],
    [['serve', '--threads=many'], {}, /--threads: 'many'/],
    [['serve', '--rate-limit', '10'], {}, /--rate-limit: '10' is not N\/SECONDS/],
    [['serve', '--export-ttl', '-5'], {}, /--export-ttl: '-5'/],
    [['serve', '--log-format', 'xml'], {}, /--log-format: 'xml' is not text or json/],
    [['serve', '--public-url', 'contacts.example.com'], {}, /--public-url: 'contacts.example.com' is not an http/],
    [['serve', '--public-url', 'https://x.example/?a=1'], {}, /--public-url/],
    [['serve', '--tls-cert', '/nonexistent.pem'], {}, /--tls-cert and --tls-key go together/],
    [['serve'], { CONTACTD_THREADS: 'abc' }, /serve: CONTACTD_THREADS: 'abc' is not a number from 1 to 256/],
    [['serve'], { CONTACTD_LISTEN: '0.0.0.0:65536' }, /serve: CONTACTD_LISTEN: port '65536'/],
    [['serve'], { CONTACTD_RATE_LIMIT: 'fast' }, /serve: CONTACTD_RATE_LIMIT: 'fast'/],
    [['serve'], { CONTACTD_EXPORT_TTL: '1h' }, /serve: CONTACTD_EXPORT_TTL: '1h'/],
    [['serve'], { CONTACTD_LOG_FORMAT: 'yaml' }, /serve: CONTACTD_LOG_FORMAT: 'yaml'/],
    [['serve'], { CONTACTD_TRUST_PROXY: 'maybe' }, /serve: CONTACTD_TRUST_PROXY: 'maybe'/],
    [['serve'], { CONTACTD_ACCESS_LOG: 'sometimes' }, /serve: CONTACTD_ACCESS_LOG: 'sometimes'/],
    [['serve'], { CONTACTD_PUBLIC_URL: 'ftp://x' }, /serve: CONTACTD_PUBLIC_URL: 'ftp:\/\/x'/],
    [['serve'], { CONTACTD_TLS_KEY: '/k.pem' }, /--tls-cert and --tls-key go together/],
    [['healthcheck'], { CONTACTD_LISTEN: 'nowhere' }, /healthcheck: CONTACTD_LISTEN: 'nowhere' is not HOST:PORT/],
  ];
  for (const [args, env, re] of cases) {
    const r = run(args, { env });
    const label = `${JSON.stringify(env)} ${args.join(' ')}`;
    assert.equal(r.code, 2, `${label}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, re, label);
    assert.deepEqual(r.files, [], `${label} created ${r.files}`);
  }
});

test('a TLS file that cannot be read is named, exit 2', () => {
  const r = run(['serve', '--tls-cert', '/nonexistent/c.pem', '--tls-key', '/nonexistent/k.pem']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /--tls-cert: cannot read a PEM file at \/nonexistent\/c\.pem/);
});

test('--version and version print the version and the commit', () => {
  const r = run(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^contactd \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}|unknown)\)\n$/);
  assert.equal(run(['version']).stdout, r.stdout);
});

test('only serve and key create create a database; the others say there is none', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-cli-'));
  try {
    for (const args of [['key', 'list'], ['key', 'revoke', 'abc'], ['key', 'list', '--db', 'other.db'],
      ['healthcheck', '--url', 'http://127.0.0.1:1/readyz', '--timeout', '1'], ['version'], ['help']]) {
      const r = run(args, { dir });
      assert.notEqual(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.deepEqual(r.files, [], `${args.join(' ')} created ${r.files}`);
    }
    const list = run(['key', 'list'], { dir });
    assert.equal(list.code, 1);
    assert.match(list.stderr, /contactd: key: no database at \.\/contactd\.db/);
    const env = run(['key', 'list'], { dir, env: { CONTACTD_DB: path.join(dir, 'env.db') } });
    assert.match(env.stderr, /no database at .*env\.db/);
    const created = run(['key', 'create', '--account=acme', '--scopes=read', '--db', 'k.db'], { dir });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, KEY_RE);
    assert.ok(fs.existsSync(path.join(dir, 'k.db')));
    const listed = run(['key', '--db=k.db', 'list'], { dir });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /acme\s+read/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--flag=value and --flag value are both accepted by serve', async () => {
  const s = await startServer({ extraArgs: ['--export-ttl=60', '--rate-limit', '1000/60', '--log-format=text'] });
  try {
    const r = await raw(s.url, { path: '/healthz' });
    assert.equal(r.status, 200);
  } finally {
    await s.stop();
  }
});

// Start `contactd serve` with no CONTACTD_API_KEY; resolves with the process and the
// stdout seen so far once it says it is listening (or rejects with its output).
function serveRaw(args, dir) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CONTACTD_')));
  const proc = spawn(BIN, ['serve', ...args], { cwd: dir, env: clean, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`no start:\n${out}\n${err}`)); }, 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      if (KEY_RE.test(out) || /listening on .*\n[^]*\n/.test(out)) { clearTimeout(timer); resolve({ proc, out: () => out, err: () => err }); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ proc, code, out: () => out, err: () => err }); });
  });
}

test('the first key is printed after "listening on"; a start that fails creates none', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contactd-cli-'));
  const busy = net.createServer();
  await new Promise((r) => busy.listen(0, '127.0.0.1', r));
  try {
    const port = busy.address().port;
    const failed = await serveRaw(['--listen', `127.0.0.1:${port}`, '--db', 'first.db'], dir);
    await new Promise((r) => (failed.proc.exitCode !== null ? r() : failed.proc.on('exit', r)));
    assert.equal(failed.proc.exitCode, 1, failed.err());
    assert.doesNotMatch(failed.out(), KEY_RE, 'a key was printed by a start that failed');
    const s = await serveRaw(['--listen', '127.0.0.1:0', '--db', 'first.db'], dir);
    const out = s.out();
    const listening = out.indexOf('listening on');
    const key = out.search(KEY_RE);
    assert.ok(listening >= 0 && key > listening, `expected the key after "listening on":\n${out}`);
    s.proc.kill('SIGTERM');
    await new Promise((r) => (s.proc.exitCode !== null ? r() : s.proc.on('exit', r)));
    assert.equal(s.proc.exitCode, 0, s.err());
  } finally {
    busy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the man page documents every option and environment variable of every help text', () => {
  const man = fs.readFileSync(path.join(REPO, 'dist', 'contactd.1'), 'utf8').replace(/\\-/g, '-');
  for (const c of COMMANDS) {
    const help = run([c, '--help']).stdout;
    for (const word of new Set(help.match(/--[a-z][a-z-]+|CONTACTD_[A-Z_]+/g) || [])) {
      assert.ok(man.includes(word), `dist/contactd.1 does not mention ${word} (from contactd ${c} --help)`);
    }
  }
  assert.match(man, /\.TH CONTACTD 1/);
});
