// `npm run bench:scan`: our scanner against ccusage 20.0.24 on a generated ~500 MB corpus
// (bench/corpus.mjs, cached under bench/.corpus; BENCH_MB to change the size), in one run:
//   cold scan (empty database) with our CLI vs `ccusage claude daily --offline --json`,
//   warm rescan (nothing changed), append-one-line-to-visible latency (engine + watcher, from the
//   append to onDidChange with the new total), and peak RSS of each (/usr/bin/time -v).
// BENCH_BIG_MB=700 adds a single-file check (one 700 MB transcript). Needs `node scripts/build.mjs`
// (dist/cli.js) and `npx tsc -p tsconfig.json` (out/, for the in-process latency part).
import { spawnSync } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus } from './corpus.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const cli = join(root, 'dist/cli.js');
const ccusage = join(root, 'node_modules/.bin/ccusage');
const MB = Number(process.env.BENCH_MB ?? 500);
const BIG_MB = Number(process.env.BENCH_BIG_MB ?? 0);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
for (const f of [cli, ccusage, join(root, 'out/src/core/engine.js')]) {
  if (!existsSync(f)) {
    console.error(`Missing ${f}: run node scripts/build.mjs and npx tsc -p tsconfig.json first.`);
    process.exit(1);
  }
}
const hasTime = existsSync('/usr/bin/time');

function corpus(mb, seed) {
  const dir = join(root, 'bench/.corpus', `claude-${mb}mb-seed${seed}`);
  if (!existsSync(join(dir, '.done'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const t = performance.now();
    const s = generateCorpus({ out: dir, sizeMb: mb, seed, tz: 'UTC' });
    writeFileSync(join(dir, '.done'), JSON.stringify({ files: s.files, bytes: s.bytes, usageLines: s.usageLines }));
    console.log(`generated ${dir}: ${(s.bytes / 1048576).toFixed(0)} MB, ${s.files} files, ${s.usageLines} usage lines in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return dir;
}

/** Runs a command; wall time in ms and peak RSS in MB (from /usr/bin/time -v). */
function run(cmd, args, env) {
  const full = hasTime ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, args];
  const t = performance.now();
  const r = spawnSync(full[0], full[1], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { ms, rssMb: m ? Number(m[1]) / 1024 : NaN, stdout: r.stdout };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Only the corpus: no CLAUDE_CONFIG_DIR or XDG folders from the caller's environment.
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CODEX_HOME'].includes(k)));
const envFor = (home) => ({ ...baseEnv, HOME: home, TZ: 'UTC' });
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;

function compareScan(home, label) {
  const env = envFor(home);
  const cc = [];
  for (let i = 0; i < RUNS; i++) cc.push(run(ccusage, ['claude', 'daily', '--offline', '--json', '-z', 'UTC'], env));
  const cold = [];
  const dataDirs = [];
  for (let i = 0; i < RUNS; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tcd-bench-scan-'));
    dataDirs.push(dataDir);
    cold.push(run(process.execPath, [cli, 'report', 'daily', '--json', '--tz', 'UTC', '--data-dir', dataDir], env));
  }
  const warm = [];
  for (let i = 0; i < RUNS; i++) warm.push(run(process.execPath, [cli, 'report', 'daily', '--json', '--tz', 'UTC', '--data-dir', dataDirs[0]], env));
  const ccTotals = JSON.parse(cc[0].stdout).totals;
  const ourTotals = JSON.parse(cold[0].stdout).totals;
  const same = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'].every((k) => ccTotals[k] === ourTotals[k]) &&
    Math.abs(ccTotals.totalCost - ourTotals.totalCost) <= 1e-6 * ccTotals.totalCost;
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  const r = {
    label,
    ccusageMs: median(cc.map((x) => x.ms)), ccusageRssMb: median(cc.map((x) => x.rssMb)),
    coldMs: median(cold.map((x) => x.ms)), coldRssMb: median(cold.map((x) => x.rssMb)),
    warmMs: median(warm.map((x) => x.ms)), warmRssMb: median(warm.map((x) => x.rssMb)),
    totalsEqual: same,
  };
  console.log(`\n${label}`);
  console.log(`  ccusage claude daily --offline --json   ${fmt(r.ccusageMs)}   peak RSS ${r.ccusageRssMb.toFixed(0)} MB`);
  console.log(`  ours, cold (empty database)             ${fmt(r.coldMs)}   peak RSS ${r.coldRssMb.toFixed(0)} MB   ratio ${(r.coldMs / r.ccusageMs).toFixed(2)}x (target <= 0.8x)`);
  console.log(`  ours, warm (nothing changed)            ${fmt(r.warmMs)}   peak RSS ${r.warmRssMb.toFixed(0)} MB   ratio ${(r.warmMs / r.ccusageMs).toFixed(3)}x (target <= 0.02x)`);
  console.log(`  RSS ratio (cold vs ccusage)             ${(r.coldRssMb / r.ccusageRssMb).toFixed(2)}x (target <= 1.5x)`);
  console.log(`  totals equal to ccusage: ${same}`);
  return r;
}

/** In-process: engine + watcher, time from appending one line to onDidChange showing it. */
async function latency(home) {
  const { UsageEngine } = require(join(root, 'out/src/core/engine.js'));
  const { TranscriptWatcher } = require(join(root, 'out/src/core/ingest/watcher.js'));
  const { PriceTable } = require(join(root, 'out/src/core/pricing/pricing.js'));
  const { totals } = require(join(root, 'out/src/core/query.js'));
  const roots = [join(home, '.claude', 'projects'), join(home, '.config', 'claude', 'projects')];
  const prices = new PriceTable();
  const dataDir = mkdtempSync(join(tmpdir(), 'tcd-bench-latency-'));
  const engine = await UsageEngine.open({ dbFile: join(dataDir, 'usage.sqlite'), roots: () => roots, prices: () => prices, costMode: () => 'auto' });
  const t0 = performance.now();
  await engine.scan();
  const inProcessCold = performance.now() - t0;
  // What the extension does every 30 s and on each watcher event: a rescan with nothing new.
  const warmSamples = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await engine.scan();
    warmSamples.push(performance.now() - t);
  }
  const watcher = new TranscriptWatcher({ roots: () => roots, onChange: () => void engine.scan() });
  watcher.refreshRoots();
  await watcher.ready();
  const target = readdirSync(join(roots[0], '-home-me-app')).find((f) => f.endsWith('.jsonl'));
  const file = join(roots[0], '-home-me-app', target);
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const before = totals(engine.store).outputTokens;
    const output = 1000 + i;
    const seen = new Promise((resolve) => {
      const sub = engine.onDidChange(() => {
        if (totals(engine.store).outputTokens === before + output) {
          sub.dispose();
          resolve(performance.now());
        }
      });
    });
    const line = JSON.stringify({
      isSidechain: false, cwd: '/home/me/app', sessionId: 'bench', type: 'assistant', timestamp: new Date().toISOString(), requestId: `req_bench_${Date.now()}_${i}`,
      message: { id: `msg_bench_${Date.now()}_${i}`, model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output } },
    });
    const t = performance.now();
    appendFileSync(file, `${line}\n`);
    samples.push((await seen) - t);
    await new Promise((r) => setTimeout(r, 300));
  }
  await watcher.close();
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
  const r = { inProcessColdMs: inProcessCold, inProcessWarmMs: median(warmSamples), latencyMedianMs: median(samples), latencyMaxMs: Math.max(...samples) };
  console.log(`\nappend one line -> onDidChange with the new total (engine + chokidar watcher, 150 ms debounce)`);
  console.log(`  median ${r.latencyMedianMs.toFixed(0)} ms, max ${r.latencyMaxMs.toFixed(0)} ms over ${samples.length} appends (target <= 1000 ms)`);
  console.log(`in-process (the extension): cold scan ${fmt(inProcessCold)}, warm rescan with nothing changed ${r.inProcessWarmMs.toFixed(0)} ms`);
  return r;
}

/** One transcript of `mb` MB: a long session, mostly tool output, every request unique. */
function bigFile(mb) {
  const home = join(root, 'bench/.corpus', `single-${mb}mb`);
  const file = join(home, '.claude/projects/-home-me-big/big-session.jsonl');
  if (existsSync(join(home, '.done'))) return home;
  rmSync(home, { recursive: true, force: true });
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  const pad = 'x'.repeat(20_000);
  let bytes = 0;
  let i = 0;
  while (bytes < mb * 1048576) {
    const at = new Date(Date.UTC(2026, 9, 1) + i * 20_000).toISOString();
    const lines = [
      JSON.stringify({ type: 'user', cwd: '/home/me/big', sessionId: 'big', timestamp: at, message: { role: 'user', content: [{ type: 'tool_result', content: pad }] } }),
      JSON.stringify({
        isSidechain: false, cwd: '/home/me/big', sessionId: 'big', type: 'assistant', timestamp: at, requestId: `req_${i}`,
        message: { id: `msg_${i}`, model: i % 3 ? 'claude-sonnet-4-5-20250929' : 'claude-opus-4-5-20251101', content: [{ type: 'text', text: pad.slice(0, 2000) }],
          usage: { input_tokens: 10 + (i % 50), cache_creation_input_tokens: i % 7 ? 0 : 3000, cache_read_input_tokens: 20_000 + (i % 1000), output_tokens: 100 + (i % 900) } },
      }),
    ];
    const buf = Buffer.from(`${lines.join('\n')}\n`);
    writeSync(fd, buf);
    bytes += buf.length;
    i++;
  }
  closeSync(fd);
  writeFileSync(join(home, '.done'), String(bytes));
  return home;
}

const results = { date: new Date().toISOString(), machine: `${process.platform} ${process.arch}, node ${process.version}`, corpusMb: MB };
const home = corpus(MB, 1);
const size = JSON.parse(String(spawnSync('cat', [join(home, '.done')]).stdout));
console.log(`corpus: ${home} (${(size.bytes / 1048576).toFixed(0)} MB, ${size.files} files, ${size.usageLines} usage lines)`);
results.scan = compareScan(home, `${MB} MB corpus`);
results.latency = await latency(home);
console.log(`  warm in-process vs ccusage: ${(results.latency.inProcessWarmMs / results.scan.ccusageMs).toFixed(3)}x (target <= 0.02x)`);
if (BIG_MB > 0) {
  const big = bigFile(BIG_MB);
  console.log(`\nsingle file: ${(statSync(join(big, '.claude/projects/-home-me-big/big-session.jsonl')).size / 1048576).toFixed(0)} MB`);
  results.bigFile = compareScan(big, `one ${BIG_MB} MB transcript`);
}
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/scan.json'), JSON.stringify(results, null, 2));
console.log(`\nwritten to bench/results/scan.json`);
