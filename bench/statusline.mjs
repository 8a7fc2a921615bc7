// `node bench/statusline.mjs`: 1,000 consecutive `token-cost statusline` runs (as Claude Code
// runs it after each reply) through the built bin (dist/cli.js; `npm run build` first), each fed
// a status-line JSON with both windows. Reports median and p99 wall time, peak RSS (from 50 runs
// under /usr/bin/time, when present), and checks that no process outlives its run (also with
// --chain). Results go to bench/results/statusline.json. BENCH_RUNS changes the count.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  console.error('Build first: npm run build');
  process.exit(1);
}
const runs = Number(process.env.BENCH_RUNS ?? 1000);
const dataDir = mkdtempSync(join(tmpdir(), 'tcd-bench-statusline-'));
const now = Math.floor(Date.now() / 1000);
const input = (i) =>
  JSON.stringify({
    session_id: 'bench-session',
    version: '2.1.200',
    model: { id: 'claude-opus-4-6', display_name: 'Opus 4.6' },
    cost: { total_cost_usd: 0.01 * i },
    rate_limits: {
      five_hour: { used_percentage: 20 + (i % 50), resets_at: now + 7200 },
      seven_day: { used_percentage: 18, resets_at: now + 3 * 86400 },
    },
  });
const dayStart = Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
writeFileSync(
  join(dataDir, 'today.json'),
  JSON.stringify({
    day: new Date().toISOString().slice(0, 10),
    timeZone: 'UTC',
    start: dayStart,
    end: dayStart + 86_400_000,
    cost: 3.42,
    at: Date.now(),
  }),
);

/** Processes whose command line names the bench's data folder (every run gets it as --data-dir). */
function leftovers() {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((l) => (l.includes(dataDir) || l.includes('sleep 37.123')) && !l.includes(' ps -eo'));
}

const times = [];
// Bare `node -e 0` every fifth run, interleaved, so both see the same load on a shared machine.
const baseline = [];
let failures = 0;
const failed = [];
const fail = (what, r) => {
  failures++;
  if (failed.length < 5)
    failed.push(`${what}: status ${r.status} ${r.signal ?? ''} stdout ${JSON.stringify(r.stdout)} stderr ${JSON.stringify(r.stderr)}`);
};
for (let i = 0; i < runs; i++) {
  if (i % 5 === 0) {
    const b0 = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    baseline.push(performance.now() - b0);
  }
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'statusline', '--data-dir', dataDir], { input: input(i), encoding: 'utf8' });
  times.push(performance.now() - t0);
  if (r.status !== 0 || !r.stdout.includes('5h ') || !r.stdout.includes('$3.42 today')) fail(`run ${i}`, r);
}
const afterPlain = leftovers();

// --chain: a previous status-line command that itself starts a child, and one that hangs (stopped after 2 s).
const chainScript = join(dataDir, 'prev.sh');
writeFileSync(chainScript, 'cat >/dev/null; (sleep 0.01; echo sub) & echo prev; wait\n');
const hangScript = join(dataDir, 'hang.sh');
writeFileSync(hangScript, 'sleep 37.123 & sleep 37.123\n');
const chainTimes = [];
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'statusline', '--data-dir', dataDir, '--chain', `sh ${chainScript}`], {
    input: input(i),
    encoding: 'utf8',
  });
  chainTimes.push(performance.now() - t0);
  if (r.status !== 0 || !r.stdout.includes('prev')) fail(`chained run ${i}`, r);
}
const hang = spawnSync(process.execPath, [cli, 'statusline', '--data-dir', dataDir, '--chain', `sh ${hangScript}`], {
  input: input(0),
  encoding: 'utf8',
});
if (hang.status !== 0) fail('hanging chain', hang);
await new Promise((r) => setTimeout(r, 200));
const afterChain = leftovers();

let peakRssKiB;
let baselinePeakRssKiB;
const cpuMs = [];
const baselineCpuMs = [];
if (existsSync('/usr/bin/time')) {
  peakRssKiB = 0;
  baselinePeakRssKiB = 0;
  const timed = (args, i) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', process.execPath, ...args], { input: input(i), encoding: 'utf8' });
    const [rss, user, sys] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    return { rss, cpu: (user + sys) * 1000 };
  };
  for (let i = 0; i < 50; i++) {
    const t = timed([cli, 'statusline', '--data-dir', dataDir], i);
    peakRssKiB = Math.max(peakRssKiB, t.rss);
    cpuMs.push(t.cpu);
    const b = timed(['-e', '0'], i);
    baselineCpuMs.push(b.cpu);
    baselinePeakRssKiB = Math.max(baselinePeakRssKiB, b.rss);
  }
}
const lines = readFileSync(join(dataDir, 'limits.jsonl'), 'utf8').trim().split('\n').length;

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const result = {
  runs,
  medianMs: Math.round(q(times, 0.5) * 10) / 10,
  p99Ms: Math.round(q(times, 0.99) * 10) / 10,
  chainMedianMs: Math.round(q(chainTimes, 0.5) * 10) / 10,
  hangingChainMs: 'stopped after 2 s',
  peakRssMiB: peakRssKiB !== undefined ? Math.round(peakRssKiB / 102.4) / 10 : null,
  baselineNodePeakRssMiB: baselinePeakRssKiB !== undefined ? Math.round(baselinePeakRssKiB / 102.4) / 10 : null,
  baselineNodeMedianMs: Math.round(q(baseline, 0.5) * 10) / 10,
  baselineNodeP99Ms: Math.round(q(baseline, 0.99) * 10) / 10,
  cpuMedianMs: cpuMs.length ? Math.round(q(cpuMs, 0.5)) : null,
  baselineNodeCpuMedianMs: baselineCpuMs.length ? Math.round(q(baselineCpuMs, 0.5)) : null,
  loadAverage: (await import('node:os')).loadavg().map((x) => Math.round(x * 10) / 10),
  linesWritten: lines,
  failures,
  ...(failed.length ? { failed } : {}),
  leftoverProcesses: afterPlain.length + afterChain.length,
};
console.log(JSON.stringify(result, null, 2));
if (afterPlain.length || afterChain.length) console.error(`Left behind:\n${[...afterPlain, ...afterChain].join('\n')}`);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'statusline.json'), `${JSON.stringify(result, null, 2)}\n`);
rmSync(dataDir, { recursive: true, force: true });
if (failures || afterPlain.length || afterChain.length) process.exit(1);
