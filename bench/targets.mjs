// `npm run bench:targets`: issue 17's whole table in one run. Runs bench/scan.mjs (CLI against
// ccusage, 500 MB and 2 GB), then bench/extension.mjs and bench/dashboard.mjs when they exist,
// and prints every measure with ccusage's figure, ours, the ratio, the target and whether it was
// met, from bench/results/{scan,extension,dashboard}.json (a row whose results file or figure is
// missing prints "not run"). Time ratios are the median of each round's ratio (ccusage and ours
// run back to back, so they share the machine's load). `--table` prints the table from the results already there, running nothing.
// It builds first (bundles, .vsix, out/). Environment variables of the benches (BENCH_MB, BENCH_RUNS, …) pass through.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = (name) => {
  try {
    return JSON.parse(readFileSync(join(root, 'bench/results', `${name}.json`), 'utf8'));
  } catch {
    return undefined;
  }
};

if (!process.argv.includes('--table')) {
  // What the benches run: the bundles and the .vsix (scripts/package.mjs builds both) and the compiled core in out/.
  console.log('== build: scripts/package.mjs and tsc');
  for (const args of [
    [join(root, 'scripts/package.mjs')],
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')],
  ]) {
    const b = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
  for (const bench of ['scan', 'extension', 'dashboard']) {
    const file = join(root, 'bench', `${bench}.mjs`);
    if (!existsSync(file)) {
      console.log(`\n== bench/${bench}.mjs: not there, skipped`);
      continue;
    }
    console.log(`\n== bench/${bench}.mjs`);
    const r = spawnSync(process.execPath, [file], { stdio: 'inherit', cwd: root });
    if (r.status !== 0)
      console.log(`bench/${bench}.mjs failed (exit ${r.status ?? r.signal}); its rows use whatever results file it left.`);
  }
}

const scan = results('scan');
const ext = results('extension');
const dash = results('dashboard');
const small = scan?.corpora?.find((c) => c.mb === 500) ?? scan?.corpora?.[0];
const large = scan?.corpora && scan.corpora.length > 1 ? scan.corpora.at(-1) : undefined;
const ms = (v) => (v === undefined ? undefined : `${Math.round(v)} ms`);
const s = (v) => (v === undefined ? undefined : `${(v / 1000).toFixed(2)} s`);
const mb = (v) => (v === undefined ? undefined : `${Math.round(v)} MB`);

/** measure, ccusage's figure, ours, ratio (ours / ccusage), target text, met (boolean), or undefined when not run. */
const rows = [
  small && [
    'cold scan, time to the report (500 MB)',
    s(small.ccusageMs),
    s(small.coldReportMs),
    small.coldReportRatio,
    '<= 0.8x',
    (r) => r <= 0.8,
  ],
  small && [
    'cold scan, CPU time (all threads)',
    s(small.ccusageCpuMs),
    s(small.coldCpuMs),
    small.coldCpuRatio ?? small.coldCpuMs / small.ccusageCpuMs,
    '(no target)',
    undefined,
  ],
  small && [
    'cold scan, time to exit (database written)',
    s(small.ccusageMs),
    s(small.coldExitMs),
    small.coldExitRatio ?? small.coldExitMs / small.ccusageMs,
    '(no target)',
    undefined,
  ],
  small && ['warm run, nothing changed', s(small.ccusageMs), s(small.warmMs), small.warmRatio, '<= 0.1x', (r) => r <= 0.1],
  small && [
    `peak RSS, cold (${small.mb} MB)`,
    mb(small.ccusageRssMb),
    mb(small.coldRssMb),
    small.coldRssMb / small.ccusageRssMb,
    '<= 1.0x',
    (r) => r <= 1.0,
  ],
  large && [
    `peak RSS, cold (${large.mb} MB)`,
    mb(large.ccusageRssMb),
    mb(large.coldRssMb),
    large.coldRssMb / large.ccusageRssMb,
    '<= 1.0x',
    (r) => r <= 1.0,
  ],
  scan?.growth && [
    `${scan.growth.to >= 2048 ? '2 GB' : `${scan.growth.to} MB`} cold / ${scan.growth.from} MB cold`,
    `${scan.growth.ccusage.toFixed(2)}x`,
    `${scan.growth.oursCold.toFixed(2)}x`,
    undefined,
    '<= 4.4x',
    () => scan.growth.oursCold <= 4.4,
  ],
  ext?.appendToStatusBar && [
    'appended line to status bar (p95)',
    '-',
    `${ms(ext.appendToStatusBar.p95Ms)} (median ${ms(ext.appendToStatusBar.medianMs)}, max ${ms(ext.appendToStatusBar.maxMs)})`,
    undefined,
    '<= 250 ms',
    () => ext.appendToStatusBar.p95Ms <= 250,
  ],
  dash?.filterChange && [
    'dashboard filter change at 1M requests, p95',
    '-',
    `${ms(dash.filterChange.p95Ms)} (median ${ms(dash.filterChange.medianMs)})`,
    undefined,
    '<= 100 ms',
    () => dash.filterChange.p95Ms <= 100,
  ],
];
const names = [
  'cold scan, time to the report (500 MB)',
  'cold scan, CPU time (all threads)',
  'cold scan, time to exit (database written)',
  'warm run, nothing changed',
  'peak RSS, cold (500 MB)',
  'peak RSS, cold (2 GB)',
  '2 GB cold / 500 MB cold',
  'appended line to status bar (p95)',
  'dashboard filter change at 1M requests, p95',
];
const targets = ['<= 0.8x', '(no target)', '(no target)', '<= 0.1x', '<= 1.0x', '<= 1.0x', '<= 4.4x', '<= 250 ms', '<= 100 ms'];
const table = rows.map((r, i) => {
  if (!r) return [names[i], 'not run', 'not run', '', targets[i], 'not run'];
  const [name, theirs, ours, ratio, target, met] = r;
  const verdict = met === undefined ? '' : met(ratio) ? 'met' : 'missed';
  return [name, theirs, ours, ratio === undefined ? '' : `${ratio.toFixed(ratio < 0.1 ? 3 : 2)}x`, target, verdict];
});
const head = ['measure', 'ccusage', 'ours', 'ratio', 'target', 'met/missed'];
const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\nIssue 17 targets${scan ? ` (scan: ${scan.date}, ${scan.machine})` : ''}`);
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table) console.log(line(r));
if (small && !small.totalsEqual) console.log("\nWARNING: our totals differ from ccusage's on the 500 MB corpus.");
else if (small)
  console.log(`\nTotals equal to ccusage's: ${scan.corpora.map((c) => `${c.mb} MB ${c.totalsEqual ? 'yes' : 'NO'}`).join(', ')}.`);
