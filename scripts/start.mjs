// `npm start`: build, package and start the extension in a real VS Code over your own data
// (~/.claude, ~/.config/claude or $CLAUDE_CONFIG_DIR). Desktop `code` when it is on PATH;
// otherwise VS Code's server in the browser, on a printed localhost URL (port 8686, or PORT /
// --port). The first browser start installs what it needs and says so step by step; later starts
// reuse the cache.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import systemDeps from './system-deps.cjs';
import { cacheDir, installVsCodeServer, installVsix, repoRoot, startServer, vsCodeServerInstalled } from '../test/runner/vscodeServer.mjs';

const DEFAULT_PORT = 8686;
const usage = 'npm start -- [--port N] [--browser]   (or PORT=N npm start)';
let flags;
try {
  ({ values: flags } = parseArgs({ options: { port: { type: 'string' }, browser: { type: 'boolean' } } }));
} catch (e) {
  console.error(`${e.message}\nUsage: ${usage}`);
  process.exit(2);
}
const portText = flags.port ?? (process.env.PORT || String(DEFAULT_PORT));
const port = Number(portText);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(
    `Not a port number: "${portText}" (from ${flags.port !== undefined ? '--port' : 'PORT'}); use 1-65535, or 0 for any free port.`,
  );
  process.exit(2);
}

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
/** Runs `fn`; a failure ends `npm start` with its message rather than a stack trace. */
const orStop = async (fn) => {
  try {
    return await fn();
  } catch (e) {
    console.error(`\n${e.message}`);
    process.exit(1);
  }
};
const buildAndPackage = () => {
  // package.mjs reports every bundle and every file of the .vsix; its summary line is enough
  // here, and all of it is shown when it fails.
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/package.mjs')], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    process.exit(r.status ?? 1);
  }
  console.log(
    `      ${
      r.stdout
        .split('\n')
        .find((l) => l.includes('.vsix:'))
        ?.replace(/: (\d+ KiB).*/, ': $1') ?? 'packaged'
    }`,
  );
};

const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode && !process.env.TOKEN_COST_BROWSER && !flags.browser) {
  console.log('Building and packaging the extension…');
  buildAndPackage();
  console.log('Starting desktop VS Code with the extension loaded from this folder…');
  run('code', ['--new-window', `--extensionDevelopmentPath=${repoRoot}`, process.cwd()]);
  process.exit(0);
}

/** Resolves whether 127.0.0.1:`p` can be listened on right now. */
const portFree = (p) =>
  new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(p, '127.0.0.1', () => s.close(() => res(true)));
  });
// Checked first, so a busy port costs a second, not a build and an install.
if (port !== 0 && !(await portFree(port))) {
  console.error(
    `Port ${port} on 127.0.0.1 is already in use (another \`npm start\`?). Start on another port:\n\n    PORT=${port + 1} npm start\n\nor \`npm start -- --port ${port + 1}\` (0 picks any free port).`,
  );
  process.exit(1);
}

const TOTAL = 6;
let n = 0;
const started = Date.now();
const step = (title) => console.log(`[${++n}/${TOTAL}] ${title}`);
const cached = vsCodeServerInstalled();
if (!cached)
  console.log(`First start: VS Code's server is not in ${cacheDir} yet; installing it once (a few minutes). Later starts take seconds.\n`);

step('System packages');
// libkrb5-dev is only needed while code-server builds, so a cached server needs nothing.
const packages = systemDeps.ensureSystemPackagesOrExit(cached ? [] : ['libkrb5-dev'], { again: 'npm start' });
console.log(`      ${packages.installed.length ? `installed ${packages.installed.join(', ')}` : 'nothing to install'}`);
await orStop(() => installVsCodeServer({ step }));

step('Building and packaging the extension');
buildAndPackage();

step("Installing the extension into VS Code's server");
const state = join(repoRoot, '.vscode-test', 'start');
const dirs = { extensionsDir: join(state, 'ext'), userDataDir: join(state, 'user'), serverDataDir: join(state, 'server') };
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
const vsix = readdirSync(repoRoot).find((f) => /^token-cost-dashboard-.*\.vsix$/.test(f));
const installed = await orStop(() => installVsix({ vsix: join(repoRoot, vsix), home: homedir(), isolate: false, ...dirs }));
console.log(`      ${installed.split('\n').pop()}`);

step(`Starting VS Code's server on 127.0.0.1:${port || '(any free port)'}`);
const server = await orStop(() =>
  startServer({ home: homedir(), isolate: false, port: port || undefined, settings: null, smokeTestDriver: false, ...dirs }),
);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
console.log(`      ready in ${((Date.now() - started) / 1000).toFixed(0)} s. Ctrl+C stops the server.`);
console.log(
  `\nToken Cost Dashboard is running in VS Code; open this in a browser:\n\n    ${server.url}/?folder=${encodeURIComponent(process.cwd())}\n`,
);
