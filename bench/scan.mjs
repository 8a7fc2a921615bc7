// `npm run bench:scan`: our CLI against ccusage 20.0.24 on generated corpora (bench/corpus.mjs:
// Claude Code transcripts with every edge case, and Codex rollouts; cached under bench/.corpus),
// 500 MB and 2 GB by default (BENCH_MB=500,2048), measured in rounds that run, in turn:
//   ccusage `daily --offline --json` (every agent), then our `daily --json` cold (a new data
//   folder: time to the report on stdout, and to exit), then ours warm (the same folder again,
//   nothing changed: the report cache);
// each under /usr/bin/time -v for peak RSS. Medians of BENCH_RUNS rounds (default 3; 1 for
// corpora over 1 GB unless BENCH_RUNS_LARGE says otherwise). Checks that our totals equal
// ccusage's. Also the growth from the smallest to the largest corpus (cold time ratio), and,
// with BENCH_LATENCY=1, the in-process append-to-onDidChange latency; BENCH_BEFORE_CLI=<dist/cli.js of
// another build> adds that build's cold and warm runs to each round (before/after in one run). Writes bench/results/scan.json.
// Needs `node scripts/build.mjs` (dist/cli.js) and, for BENCH_LATENCY, `npx tsc -p tsconfig.json` (out/).
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCorpus } from './corpus.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const cli = join(root, 'dist/cli.js');
const ccusage = join(root, 'node_modules/.bin/ccusage');
const SIZES = String(process.env.BENCH_MB ?? '500,2048')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RUNS_LARGE = Number(process.env.BENCH_RUNS_LARGE ?? 1);
// Another build's dist/cli.js (e.g. the commit before a change) measured in the same rounds.
const BEFORE = process.env.BENCH_BEFORE_CLI;
for (const f of [cli, ccusage]) {
  if (!existsSync(f)) {
    console.error(`Missing ${f}: run npm ci and node scripts/build.mjs first.`);
    process.exit(1);
  }
}
const hasTime = existsSync('/usr/bin/time');

function corpus(mb, seed) {
  const dir = join(root, 'bench/.corpus', `all-${mb}mb-seed${seed}`);
  if (!existsSync(join(dir, '.done'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const t = performance.now();
    const s = generateCorpus({ out: dir, sizeMb: mb, seed, tz: 'UTC', codex: true });
    writeFileSync(join(dir, '.done'), JSON.stringify({ files: s.files, bytes: s.bytes, usageLines: s.usageLines }));
    console.log(
      `generated ${dir}: ${(s.bytes / 1048576).toFixed(0)} MB, ${s.files} files, ${s.usageLines} usage lines in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
  }
  return dir;
}

/**
 * Runs a command: ms to its first byte on stdout (the report) and to its exit, its CPU time (user
 * + system, all threads) and peak RSS in MB (from /usr/bin/time -v), and its stdout.
 */
function run(cmd, args, env) {
  const [file, argv] = hasTime ? ['/usr/bin/time', ['-v', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t = performance.now();
    let first;
    const out = [];
    let err = '';
    const child = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => {
      first ??= performance.now() - t;
      out.push(d);
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${err.slice(-2000)}`));
      const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
      const user = /User time \(seconds\): ([\d.]+)/.exec(err);
      const sys = /System time \(seconds\): ([\d.]+)/.exec(err);
      const cpuMs = user && sys ? (Number(user[1]) + Number(sys[1])) * 1000 : NaN;
      resolve({ firstMs: first ?? ms, ms, cpuMs, rssMb: m ? Number(m[1]) / 1024 : NaN, stdout: Buffer.concat(out).toString('utf8') });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Only the corpus: no CLAUDE_CONFIG_DIR or XDG folders from the caller's environment.
const baseEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CODEX_HOME'].includes(k)),
);
const envFor = (home) => ({ ...baseEnv, HOME: home, TZ: 'UTC' });
const fmt = (ms) => `${(ms / 1000).toFixed(2)} s`;
const x = (a, b, digits = 2) => `${(a / b).toFixed(digits)}x`;

function sameTotals(a, b) {
  return (
    ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'].every((k) => a[k] === b[k]) &&
    Math.abs(a.totalCost - b.totalCost) <= 1e-6 * Math.abs(b.totalCost)
  );
}

async function compare(home, label, runs) {
  const env = envFor(home);
  const cc = [];
  const cold = [];
  const warm = [];
  const before = { cold: [], warm: [] };
  let equal = true;
  for (let i = 0; i < runs; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'tcd-bench-scan-'));
    const c = await run(ccusage, ['daily', '--offline', '--json', '-z', 'UTC'], env);
    const o = await run(process.execPath, [cli, 'daily', '--json', '--tz', 'UTC', '--data-dir', dataDir], env);
    const w = await run(process.execPath, [cli, 'daily', '--json', '--tz', 'UTC', '--data-dir', dataDir], env);
    rmSync(dataDir, { recursive: true, force: true });
    if (BEFORE) {
      const beforeDir = mkdtempSync(join(tmpdir(), 'tcd-bench-before-'));
      before.cold.push(await run(process.execPath, [BEFORE, 'daily', '--json', '--tz', 'UTC', '--data-dir', beforeDir], env));
      before.warm.push(await run(process.execPath, [BEFORE, 'daily', '--json', '--tz', 'UTC', '--data-dir', beforeDir], env));
      rmSync(beforeDir, { recursive: true, force: true });
      const b = before.cold.at(-1);
      console.log(
        `  round ${i + 1}, before: cold ${fmt(b.firstMs)} to the report, ${fmt(b.ms)} to exit, ${b.rssMb.toFixed(0)} MB; warm ${fmt(before.warm.at(-1).ms)}`,
      );
    }
    const ccTotals = JSON.parse(c.stdout).totals;
    equal &&= sameTotals(JSON.parse(o.stdout).totals, ccTotals) && w.stdout === o.stdout;
    cc.push(c);
    cold.push(o);
    warm.push(w);
    console.log(
      `  round ${i + 1}: ccusage ${fmt(c.ms)} ${c.rssMb.toFixed(0)} MB; ours cold ${fmt(o.firstMs)} to the report, ${fmt(o.ms)} to exit, ${o.rssMb.toFixed(0)} MB; warm ${fmt(w.ms)}`,
    );
  }
  const r = {
    label,
    runs,
    ccusageMs: median(cc.map((v) => v.ms)),
    ccusageCpuMs: median(cc.map((v) => v.cpuMs)),
    ccusageRssMb: median(cc.map((v) => v.rssMb)),
    coldReportMs: median(cold.map((v) => v.firstMs)),
    coldExitMs: median(cold.map((v) => v.ms)),
    coldCpuMs: median(cold.map((v) => v.cpuMs)),
    coldRssMb: median(cold.map((v) => v.rssMb)),
    warmMs: median(warm.map((v) => v.ms)),
    warmCpuMs: median(warm.map((v) => v.cpuMs)),
    warmRssMb: median(warm.map((v) => v.rssMb)),
    // Each round's ratio, then their median: the rounds' loads differ more than the programs do.
    coldReportRatio: median(cc.map((c, i) => cold[i].firstMs / c.ms)),
    coldExitRatio: median(cc.map((c, i) => cold[i].ms / c.ms)),
    coldCpuRatio: median(cc.map((c, i) => cold[i].cpuMs / c.cpuMs)),
    warmRatio: median(cc.map((c, i) => warm[i].ms / c.ms)),
    totalsEqual: equal,
    ...(BEFORE
      ? {
          before: {
            coldReportMs: median(before.cold.map((v) => v.firstMs)),
            coldExitMs: median(before.cold.map((v) => v.ms)),
            coldRssMb: median(before.cold.map((v) => v.rssMb)),
            warmMs: median(before.warm.map((v) => v.ms)),
            coldCpuMs: median(before.cold.map((v) => v.cpuMs)),
            coldReportRatio: median(cc.map((c, i) => before.cold[i].firstMs / c.ms)),
            warmRatio: median(cc.map((c, i) => before.warm[i].ms / c.ms)),
          },
        }
      : {}),
  };
  console.log(`${label} (medians of ${runs})`);
  console.log(
    `  ccusage daily --offline --json           ${fmt(r.ccusageMs)}   CPU ${fmt(r.ccusageCpuMs)}   peak RSS ${r.ccusageRssMb.toFixed(0)} MB`,
  );
  console.log(
    `  ours cold, to the report                 ${fmt(r.coldReportMs)}   ${r.coldReportRatio.toFixed(2)}x (median of the rounds' ratios; target <= 0.8x)`,
  );
  console.log(
    `  ours cold, to exit (database written)    ${fmt(r.coldExitMs)}   ${r.coldExitRatio.toFixed(2)}x   CPU ${fmt(r.coldCpuMs)} (${r.coldCpuRatio.toFixed(2)}x)   peak RSS ${r.coldRssMb.toFixed(0)} MB, ${x(r.coldRssMb, r.ccusageRssMb)} (target <= 1.0x)`,
  );
  console.log(
    `  ours warm (nothing changed)              ${fmt(r.warmMs)}   ${r.warmRatio.toFixed(3)}x (target <= 0.1x)   CPU ${fmt(r.warmCpuMs)}   peak RSS ${r.warmRssMb.toFixed(0)} MB`,
  );
  if (r.before) {
    const b = r.before;
    console.log(
      `  before: cold ${fmt(b.coldReportMs)} to the report (${b.coldReportRatio.toFixed(2)}x), ${fmt(b.coldExitMs)} to exit, CPU ${fmt(b.coldCpuMs)}, ${b.coldRssMb.toFixed(0)} MB (${x(b.coldRssMb, r.ccusageRssMb)}); warm ${fmt(b.warmMs)} (${b.warmRatio.toFixed(3)}x)`,
    );
  }
  console.log(`  totals equal to ccusage's (and warm = cold): ${equal}`);
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
  const engine = await UsageEngine.open({
    dbFile: join(dataDir, 'usage.sqlite'),
    roots: () => roots,
    prices: () => prices,
    costMode: () => 'auto',
  });
  await engine.scan();
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
      isSidechain: false,
      cwd: '/home/me/app',
      sessionId: 'bench',
      type: 'assistant',
      timestamp: new Date().toISOString(),
      requestId: `req_bench_${Date.now()}_${i}`,
      message: {
        id: `msg_bench_${Date.now()}_${i}`,
        model: 'claude-sonnet-4-5-20250929',
        usage: { input_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: output },
      },
    });
    const t = performance.now();
    appendFileSync(file, `${line}\n`);
    samples.push((await seen) - t);
    await new Promise((r) => setTimeout(r, 300));
  }
  await watcher.close();
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
  const r = { inProcessWarmMs: median(warmSamples), latencyMedianMs: median(samples), latencyMaxMs: Math.max(...samples) };
  console.log(
    `append one line -> onDidChange (engine + watcher): median ${r.latencyMedianMs.toFixed(0)} ms, max ${r.latencyMaxMs.toFixed(0)} ms; warm in-process rescan ${r.inProcessWarmMs.toFixed(0)} ms`,
  );
  return r;
}

const results = { date: new Date().toISOString(), machine: `${process.platform} ${process.arch}, node ${process.version}`, corpora: [] };
for (const mb of SIZES) {
  const home = corpus(mb, 1);
  const size = JSON.parse(readFileSync(join(home, '.done'), 'utf8'));
  console.log(`\ncorpus: ${home} (${(size.bytes / 1048576).toFixed(0)} MB, ${size.files} files, ${size.usageLines} usage lines)`);
  results.corpora.push({
    mb,
    bytes: size.bytes,
    files: size.files,
    usageLines: size.usageLines,
    ...(await compare(home, `${mb} MB corpus`, mb > 1024 ? RUNS_LARGE : RUNS)),
  });
}
if (results.corpora.length > 1) {
  const small = results.corpora[0];
  const large = results.corpora.at(-1);
  results.growth = {
    from: small.mb,
    to: large.mb,
    bytesRatio: large.bytes / small.bytes,
    oursCold: large.coldReportMs / small.coldReportMs,
    oursColdExit: large.coldExitMs / small.coldExitMs,
    ccusage: large.ccusageMs / small.ccusageMs,
  };
  const g = results.growth;
  console.log(
    `\ngrowth ${g.from} MB -> ${g.to} MB (${g.bytesRatio.toFixed(2)}x the bytes): ours cold ${g.oursCold.toFixed(2)}x to the report, ${g.oursColdExit.toFixed(2)}x to exit (target <= 4.4x); ccusage ${g.ccusage.toFixed(2)}x`,
  );
}
if (process.env.BENCH_LATENCY === '1') results.latency = await latency(corpus(SIZES[0], 1));
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/scan.json'), JSON.stringify(results, null, 2));
console.log(`\nwritten to bench/results/scan.json`);
