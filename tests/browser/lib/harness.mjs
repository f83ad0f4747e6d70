// Shared browser-test harness: a real parleyd on a free port with its own SQLite database and data folder,
// seeded through its own commands and API, and Debian's chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const PARLEYD = process.env.PARLEYD_PATH;
const SOURCE = process.env.PARLEY_SOURCE_DIR;

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// Starts `parleyd serve`; resolves once it prints its listening line. `env` adds PARLEY_* settings.
export async function startParleyd({ env = {}, config = {} } = {}) {
  if (!PARLEYD || !SOURCE) throw new Error('run through ctest (PARLEYD_PATH and PARLEY_SOURCE_DIR are unset)');
  const dir = mkdtempSync(join(tmpdir(), 'parley-browser-'));
  const port = await freePort();
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const fullEnv = {
    ...process.env,
    PARLEY_DATABASE_URL: `sqlite:${dir}/parley.db`,
    PARLEY_DATA_DIR: dir,
    PARLEY_HTTP_HOST: '127.0.0.1',
    PARLEY_HTTP_PORT: String(port),
    PARLEY_PUBLIC_DIR: join(SOURCE, 'public'),
    PARLEY_ARGON2_MEMORY_KIB: '1024',
    PARLEY_LOG_LEVEL: 'warning',
    PARLEY_ACCESS_LOG: 'false',
    PARLEY_LUA_SCRIPTS_DIR: join(dir, 'scripts'),
    ...env,
  };
  const args = [`--config=${join(dir, 'config.json')}`];
  const run = (cmd, input) =>
    execFileSync(PARLEYD, [...args, ...cmd], { env: fullEnv, cwd: SOURCE, input, encoding: 'utf8' });
  run(['migrate']);
  const child = spawn(PARLEYD, [...args, 'serve'], { env: fullEnv, cwd: SOURCE, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('parleyd did not start:\n' + output)), 15000);
    const onData = (d) => {
      output += d;
      if (output.includes('parleyd listening on')) { clearTimeout(timer); resolve(); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`parleyd exited (${code}):\n${output}`)); });
  });
  child.removeAllListeners('exit');
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    run,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.PARLEY_CHROMIUM || '/usr/bin/chromium',
    // This machine's network is closed: without these Chromium keeps trying to reach Google's services.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}
