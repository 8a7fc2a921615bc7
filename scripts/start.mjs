// `npm start`: build, package and start the extension in a real VS Code over your own data
// (~/.claude, ~/.config/claude or $CLAUDE_CONFIG_DIR). Desktop `code` when it is on PATH;
// otherwise VS Code's server in the browser, on a printed localhost URL.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { installVsix, repoRoot, startServer } from '../test/runner/vscodeServer.mjs';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: repoRoot, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(process.execPath, [join(repoRoot, 'scripts/package.mjs')]);

const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode && !process.env.TOKEN_COST_BROWSER) {
  console.log('Starting desktop VS Code with the extension loaded from this folder…');
  run('code', ['--new-window', `--extensionDevelopmentPath=${repoRoot}`, process.cwd()]);
  process.exit(0);
}

const state = join(repoRoot, '.vscode-test', 'start');
const dirs = { extensionsDir: join(state, 'ext'), userDataDir: join(state, 'user'), serverDataDir: join(state, 'server') };
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
const vsix = readdirSync(repoRoot).find((f) => /^token-cost-dashboard-.*\.vsix$/.test(f));
console.log(installVsix({ vsix: join(repoRoot, vsix), home: homedir(), isolate: false, ...dirs }).split('\n').pop());
const port = Number(process.env.PORT || 8686);
const server = await startServer({ home: homedir(), isolate: false, port, settings: null, smokeTestDriver: false, ...dirs });
console.log(`\nToken Cost Dashboard is running in VS Code at:\n\n    ${server.url}/?folder=${encodeURIComponent(process.cwd())}\n`);
console.log('Open it in a browser. Ctrl+C stops the server.');
const stop = async () => { await server.stop(); process.exit(0); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
