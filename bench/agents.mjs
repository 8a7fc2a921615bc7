// `node bench/agents.mjs`: what reading every other agent adds to a first scan. A HOME with the
// real Claude Code corpus alone (../shared/corpora/real/home/.claude) against a HOME with that
// corpus and every agent sample of ../shared/corpora/agents (Gemini CLI, Copilot CLI, OpenCode,
// pi-agent, OpenClaw JSONL + SQLite, Droid, Cursor), each a cold `token-cost report daily --json`
// into an empty data folder; the median of BENCH_RUNS (default 5) runs, alternating. Needs
// dist/cli.js (node scripts/build.mjs). The corpus is linked, not copied (it is read-only).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli.js');
const shared = join(root, '..', 'shared', 'corpora');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const AGENT_DIRS = { gemini: '.gemini', copilot: '.copilot', opencode: '.local', pi: '.pi', openclaw: '.openclaw', droid: '.factory', cursor: '.cursor' };
for (const f of [cli, join(shared, 'real', 'home', '.claude'), join(shared, 'agents')]) {
  if (!existsSync(f)) {
    console.error(`Missing ${f}.`);
    process.exit(1);
  }
}

function home(withAgents) {
  const h = mkdtempSync(join(tmpdir(), 'tcd-bench-agents-'));
  symlinkSync(join(shared, 'real', 'home', '.claude'), join(h, '.claude'));
  if (withAgents) for (const [agent, dir] of Object.entries(AGENT_DIRS)) symlinkSync(join(shared, 'agents', agent, dir), join(h, dir));
  return h;
}

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(?:CLAUDE_CONFIG_DIR|CODEX_HOME|XDG_\w+|GEMINI_DATA_DIR|COPILOT_\w+|OPENCODE_DATA_DIR|PI_AGENT_DIR|OPENCLAW_DIR|DROID_SESSIONS_DIR|FACTORY_DIR)$/.test(k)));

function cold(h) {
  const data = mkdtempSync(join(tmpdir(), 'tcd-bench-data-'));
  const t = performance.now();
  const r = spawnSync(process.execPath, [cli, 'report', 'daily', '--json', '--tz', 'UTC', '--data-dir', data], { env: { ...env, HOME: h, TZ: 'UTC' }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t;
  rmSync(data, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(r.stderr);
  return { ms, requests: JSON.parse(r.stdout).daily.length };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const alone = home(false);
const all = home(true);
const a = [];
const b = [];
for (let i = 0; i < RUNS; i++) {
  a.push(cold(alone).ms);
  b.push(cold(all).ms);
}
const ma = median(a);
const mb = median(b);
console.log(`Claude corpus alone:               ${(ma / 1000).toFixed(2)} s (median of ${RUNS})`);
console.log(`Claude corpus + every agent sample: ${(mb / 1000).toFixed(2)} s (median of ${RUNS})`);
console.log(`added: ${(((mb - ma) / ma) * 100).toFixed(1)} % (target: at most 20 %)`);
for (const h of [alone, all]) rmSync(h, { recursive: true, force: true });
