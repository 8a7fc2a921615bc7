// `node bench/agents.mjs`: what reading every other agent adds to a first scan. A HOME with the
// real Claude Code corpus alone (../shared/corpora/real/home/.claude) against a HOME with that
// corpus and every agent sample of ../shared/corpora/agents (Gemini CLI, Copilot CLI, OpenCode,
// pi-agent, OpenClaw JSONL + SQLite, Droid, Cursor) plus the fixtures of the agents without
// public samples (test/fixtures/agents: Copilot's OpenTelemetry export, Amp, Goose, Kilo, Qwen
// Code, Kimi CLI, Codebuff, Hermes), each a cold `token-cost report daily --json` into an empty
// data folder; the median of BENCH_RUNS (default 5) runs, alternating. Needs dist/cli.js (node
// scripts/build.mjs). The Claude corpus is linked (it is read-only); the agent files are copied
// into one HOME (several share `.local/share`).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist/cli.js');
const shared = join(root, '..', 'shared', 'corpora');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const fixtures = join(root, 'test', 'fixtures', 'agents');
const SQLITE = { goose: '.local/share/goose/sessions/sessions.db', kilo: '.local/share/kilo/kilo.db', hermes: '.hermes/state.db' };
const require = createRequire(import.meta.url);
const initSqlJs = require('sql.js');
const SQL = await initSqlJs({ wasmBinary: readFileSync(require.resolve('sql.js/dist/sql-wasm.wasm')) });
for (const f of [cli, join(shared, 'real', 'home', '.claude'), join(shared, 'agents')]) {
  if (!existsSync(f)) {
    console.error(`Missing ${f}.`);
    process.exit(1);
  }
}

function writable(p) {
  chmodSync(p, statSync(p).isDirectory() ? 0o755 : 0o644);
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) writable(join(p, e));
}

function home(withAgents) {
  const h = mkdtempSync(join(tmpdir(), 'tcd-bench-agents-'));
  symlinkSync(join(shared, 'real', 'home', '.claude'), join(h, '.claude'));
  if (!withAgents) return h;
  for (const agent of readdirSync(join(shared, 'agents')).filter((a) => statSync(join(shared, 'agents', a)).isDirectory())) {
    for (const e of readdirSync(join(shared, 'agents', agent)))
      if (e.startsWith('.')) cpSync(join(shared, 'agents', agent, e), join(h, e), { recursive: true });
  }
  for (const agent of readdirSync(fixtures)) if (agent !== 'sql') cpSync(join(fixtures, agent), h, { recursive: true });
  for (const [agent, target] of Object.entries(SQLITE)) {
    const db = new SQL.Database();
    db.exec(readFileSync(join(fixtures, 'sql', `${agent}.sql`), 'utf8'));
    mkdirSync(dirname(join(h, target)), { recursive: true });
    writeFileSync(join(h, target), db.export());
    db.close();
  }
  for (const e of readdirSync(h)) if (e !== '.claude') writable(join(h, e));
  return h;
}

const env = Object.fromEntries(
  Object.entries(process.env).filter(
    ([k]) =>
      !/^(?:CLAUDE_CONFIG_DIR|CODEX_HOME|XDG_\w+|GEMINI_DATA_DIR|COPILOT_\w+|OPENCODE_DATA_DIR|PI_AGENT_DIR|OPENCLAW_DIR|DROID_SESSIONS_DIR|FACTORY_DIR|AMP_DATA_DIR|GOOSE_PATH_ROOT|KILO_DATA_DIR|QWEN_DATA_DIR|KIMI_\w+|CODEBUFF_DATA_DIR|HERMES_HOME|COWORK_CONFIG_DIR)$/.test(
        k,
      ),
  ),
);

function cold(h) {
  const data = mkdtempSync(join(tmpdir(), 'tcd-bench-data-'));
  const t = performance.now();
  const r = spawnSync(process.execPath, [cli, 'report', 'daily', '--json', '--tz', 'UTC', '--data-dir', data], {
    env: { ...env, HOME: h, TZ: 'UTC' },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
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
