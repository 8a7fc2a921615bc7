// `node bench/extension.mjs`: the extension measured where users meet it, in a real VS Code
// (the server build in headless Chromium, as test/e2e does; VSCODE_TEST_CACHE names its cache):
//
// - appendToStatusBar: one usage line appended to a transcript under the HOME the extension reads,
//   to the status bar's text showing the new total in the workbench (the whole path: file event,
//   debounce, incremental read, store, journal, status query, extension host -> workbench ->
//   browser). BENCH_EXT_SAMPLES appends (default 12), BENCH_EXT_MB of history beside (default 50).
// - hostMemory: the extension host's RSS with an empty database and with BENCH_EXT_REQUESTS stored
//   requests (default 1,000,000; bench/records.mjs), loaded the way the extension loads it; and,
//   in this Node process, the same open through UsageEngine broken down into JS heap, external
//   memory and sql.js's wasm memory.
//
// Needs the packaged .vsix (`node scripts/package.mjs`) and `npx tsc -p tsconfig.json`. Run with
// --expose-gc for steadier heap figures. `--only latency|memory` runs one half. Results merge into
// bench/results/extension.json.
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { generateCorpus } from './corpus.mjs';
import { record } from './records.mjs';
import { cliReport, localDay, vsixPath } from '../test/e2e/helpers.mjs';
import { installVsix, launchBrowser, startServer } from '../test/runner/vscodeServer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const SAMPLES = Number(process.env.BENCH_EXT_SAMPLES ?? 12);
const HISTORY_MB = Number(process.env.BENCH_EXT_MB ?? 50);
const REQUESTS = Number(process.env.BENCH_EXT_REQUESTS ?? 1_000_000);
/** Stored requests the latency run starts with (0: only what it reads from the history). */
const STORED = Number(process.env.BENCH_EXT_STORED ?? 0);
/** Where the extension keeps its database under a server's user folder (its globalStorageUri). */
const STORAGE = join('User', 'globalStorage', 'tokencost.token-cost-dashboard');
const resultsFile = join(root, 'bench/results/extension.json');
const cacheDir = join(root, 'bench/.corpus');
const mb = (b) => Math.round((b / 1048576) * 10) / 10;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The Token Cost output channel's logs under a workbench's folders (`<work>/user/logs`), oldest session first. */
function extensionLog(work) {
  const found = [];
  const walk = (d, depth) => {
    if (depth > 7 || !existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name === 'Token Cost.log') found.push(p);
    }
  };
  walk(join(work, 'user', 'logs'), 0);
  return found
    .sort()
    .map((f) => readFileSync(f, 'utf8'))
    .join('');
}

async function waitFor(what, test, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await test();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Every process below `pid`, with its command line. */
function descendants(pid) {
  const rows = execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l);
      return { pid: Number(m[1]), ppid: Number(m[2]), args: m[3] };
    });
  const out = [];
  const walk = (p) => {
    for (const r of rows.filter((x) => x.ppid === p)) {
      out.push(r);
      walk(r.pid);
    }
  };
  walk(pid);
  return out;
}

/** VmRSS and VmHWM (peak) of the extension host started for `serverDataDir`, in MB. */
function extensionHostMemory(serverDataDir) {
  const rows = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n');
  const server = rows.find((l) => l.includes(serverDataDir) && l.includes('server-main'));
  if (!server) throw new Error(`no VS Code server process for ${serverDataDir}`);
  const host = descendants(Number(server.trim().split(/\s+/)[0])).find((p) => /extensionHost|--type=extensionHost/.test(p.args));
  if (!host) throw new Error('no extension host process below the server');
  const status = readFileSync(`/proc/${host.pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)[1]);
  return { pid: host.pid, rssMB: mb(kb('VmRSS') * 1024), peakRssMB: mb(kb('VmHWM') * 1024) };
}

function writeResults(part) {
  mkdirSync(dirname(resultsFile), { recursive: true });
  const prev = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : {};
  const next = {
    ...prev,
    ...part,
    date: new Date().toISOString(),
    loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
  writeFileSync(resultsFile, `${JSON.stringify(next, null, 2)}\n`);
}

/** A Claude Code line of today worth exactly $1.00 (40,000 output tokens of Opus 4.5 at $25/M). */
function dollarLine(i) {
  return JSON.stringify({
    type: 'assistant',
    cwd: '/home/me/live',
    sessionId: 'live-session',
    timestamp: new Date().toISOString(),
    requestId: `req_bench_${i}`,
    message: {
      id: `msg_bench_${i}`,
      model: 'claude-opus-4-5-20251101',
      usage: { input_tokens: 0, output_tokens: 40_000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });
}

/**
 * A VS Code server with the .vsix installed for `home`, a folder open in headless Chromium, and
 * the badge shown. `seed`: a database put where the extension keeps it before it starts.
 * `work` may be given to start again on the folders of an earlier one.
 */
async function workbench({ home, seed, work = mkdtempSync(join(tmpdir(), 'tcd-bench-ext-')) }) {
  const dirs = { extensionsDir: join(work, 'ext'), userDataDir: join(work, 'user'), serverDataDir: join(work, 'server') };
  if (!existsSync(dirs.extensionsDir)) installVsix({ vsix: vsixPath(), home, ...dirs });
  const folder = join(work, 'my-project');
  mkdirSync(folder, { recursive: true });
  if (seed) {
    const storage = join(dirs.userDataDir, STORAGE);
    if (existsSync(storage))
      for (const f of readdirSync(storage)) if (f.startsWith('usage.sqlite')) rmSync(join(storage, f), { force: true });
    copyDatabase(seed, storage);
  }
  const server = await startServer({
    home,
    ...dirs,
    settings: {
      'workbench.startupEditor': 'none',
      'telemetry.telemetryLevel': 'off',
      'chat.disableAIFeatures': true,
      'tokenCost.server.port': 0,
    },
  });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
  const t = Date.now();
  await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`);
  await page.locator('.statusbar-item', { hasText: 'today' }).filter({ hasText: '$' }).first().waitFor({ timeout: 180_000 });
  return {
    work,
    page,
    serverDataDir: dirs.serverDataDir,
    workbenchToBadgeMs: Date.now() - t,
    async close() {
      await browser.close().catch(() => {});
      await server.stop();
    },
  };
}

async function latency() {
  const home = mkdtempSync(join(tmpdir(), 'tcd-bench-ext-home-'));
  const corpus = generateCorpus({ out: home, sizeMb: HISTORY_MB });
  const live = join(home, '.claude', 'projects', '-home-me-live', 'live-session.jsonl');
  mkdirSync(dirname(live), { recursive: true });
  writeFileSync(live, `${dollarLine('seed')}\n`);
  const expectedAtStart = cliReport(home).daily.find((d) => d.date === localDay(0))?.totalCost ?? 0;
  console.log(`[extension] history: ${corpus.files} files, ${mb(corpus.bytes)} MB; today at start $${expectedAtStart.toFixed(2)}`);
  const seed = STORED > 0 ? await filledDatabase(STORED) : undefined;
  const wb = await workbench({ home, seed });
  try {
    const { page } = wb;
    // With a seeded database the badge also counts its requests of today: start from what it shows.
    if (!seed)
      await page
        .locator('.statusbar-item', { hasText: `$${expectedAtStart.toFixed(2)} today` })
        .first()
        .waitFor({ timeout: 120_000 });
    // The first scan is over (its log line) and the watcher has started behind it.
    await waitFor('the first scan', () => /Scanned \d+ file/.test(extensionLog(wb.work)), 180_000);
    await sleep(3000);
    const badgeTotal = async () =>
      Number(
        /\$([\d,]+\.\d\d) today/.exec(await page.locator('.statusbar-item', { hasText: 'today' }).first().innerText())[1].replace(/,/g, ''),
      );
    const shownAtStart = await badgeTotal();
    if (!seed && Math.abs(shownAtStart - expectedAtStart) > 0.005)
      throw new Error(`the badge shows $${shownAtStart}, the CLI $${expectedAtStart.toFixed(2)}`);
    // Each change of the badge's text, stamped in the page with the wall clock node shares.
    await page.evaluate(() => {
      const changes = (window.__tcdChanges = []);
      const badgeText = () =>
        [...document.querySelectorAll('.statusbar-item')].map((e) => e.textContent).find((t) => t.includes('today')) ?? '';
      let last = badgeText();
      new MutationObserver(() => {
        const t = badgeText();
        if (t !== last) {
          last = t;
          changes.push({ text: t, at: Date.now() });
        }
      }).observe(document.querySelector('.part.statusbar'), { subtree: true, childList: true, characterData: true });
    });
    const samples = [];
    let total = shownAtStart;
    for (let i = 0; i < SAMPLES + 1; i++) {
      const seen = await page.evaluate(() => window.__tcdChanges.length);
      total += 1;
      const want = `$${total.toFixed(2)} today`;
      const t0 = Date.now();
      appendFileSync(live, `${dollarLine(i)}\n`);
      const change = await waitFor(
        `the badge to show ${want}`,
        () => page.evaluate(([n, w]) => window.__tcdChanges.slice(n).find((c) => c.text.includes(w)), [seen, want]),
        10_000,
      );
      // The first append also wakes up what was idle; it is not counted.
      if (i > 0) samples.push(change.at - t0);
      console.log(`[extension] append ${i}: ${change.at - t0} ms${i === 0 ? ' (warm-up, not counted)' : ''}`);
      await sleep(1200 + Math.round(Math.random() * 600));
    }
    if (!seed) {
      const expectedAtEnd = cliReport(home).daily.find((d) => d.date === localDay(0)).totalCost;
      const shown = await badgeTotal();
      if (Math.abs(shown - expectedAtEnd) > 0.005) throw new Error(`the badge shows $${shown}, the CLI $${expectedAtEnd.toFixed(2)}`);
    }
    // Where the time went: the extension logs each scan that read something, with its duration.
    const scans = [...extensionLog(wb.work).matchAll(/Scanned \d+ file\(s\), read 1 \(\d+ bytes\) in (\d+) ms/g)]
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const sorted = [...samples].sort((a, b) => a - b);
    const result = {
      medianMs: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      maxMs: sorted[sorted.length - 1],
      minMs: sorted[0],
      samples: samples.length,
      historyMB: mb(corpus.bytes),
      historyFiles: corpus.files + 1,
      storedBefore: STORED,
      all: samples,
      scanMs: scans.length ? { median: percentile(scans, 50), max: scans[scans.length - 1], scans: scans.length } : undefined,
    };
    console.log(
      `[extension] appendToStatusBar: median ${result.medianMs} ms, p95 ${result.p95Ms} ms, max ${result.maxMs} ms (${result.samples} appends)`,
    );
    writeResults({ [STORED > 0 ? `appendToStatusBarWith${STORED}Stored` : 'appendToStatusBar']: result });
  } finally {
    await wb.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(wb.work, { recursive: true, force: true });
  }
}

/** A database of `n` synthetic requests, made once (bulk loads, snapshot) and cached. */
async function filledDatabase(n = REQUESTS) {
  const file = join(cacheDir, `ext-${n}`, 'usage.sqlite');
  if (existsSync(file)) return file;
  const { UsageStore } = require(join(root, 'out/src/core/store.js'));
  mkdirSync(dirname(file), { recursive: true });
  const t = performance.now();
  const store = await UsageStore.open(file, { backupEveryMs: Infinity });
  // Bulk loads of 50k (no journal; each one written as it ends), then one snapshot.
  for (let i = 0; i < n; i += 50_000) {
    store.setBulk(true);
    store.insert(Array.from({ length: Math.min(50_000, n - i) }, (_, k) => record(i + k)));
    store.setBulk(false);
  }
  await store.snapshot();
  store.close();
  console.log(`[extension] filled ${n} requests in ${Math.round(performance.now() - t)} ms: ${mb(statSync(file).size)} MB`);
  return file;
}

/** Copies the database (and what marks its integrity check as passed) into a fresh folder. */
function copyDatabase(file, dir) {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dirname(file)))
    if (f.startsWith('usage.sqlite') && !f.endsWith('.lock')) copyFileSync(join(dirname(file), f), join(dir, f));
  return join(dir, 'usage.sqlite');
}

/** UsageEngine.open in this process, as the extension's UsageService does, with the memory it takes. */
async function inProcess(file) {
  // sql.js does not expose its wasm memory: take it from the instance it creates.
  const memories = [];
  const instantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async (...args) => {
    const r = await instantiate.apply(WebAssembly, args);
    const exports = (r.instance ?? r).exports;
    for (const v of Object.values(exports)) if (v instanceof WebAssembly.Memory) memories.push(v);
    return r;
  };
  const { UsageEngine } = require(join(root, 'out/src/core/engine.js'));
  const { PriceTable } = require(join(root, 'out/src/core/pricing/pricing.js'));
  const { statusSummary } = require(join(root, 'out/src/core/status.js'));
  const gc = () => global.gc?.();
  gc();
  const before = process.memoryUsage();
  const dir = mkdtempSync(join(tmpdir(), 'tcd-bench-ext-db-'));
  const copy = copyDatabase(file, dir);
  const t = performance.now();
  const engine = await UsageEngine.open({
    dbFile: copy,
    roots: () => [],
    prices: () => new PriceTable(),
    costMode: () => 'auto',
    followEveryMs: 60_000,
  });
  await engine.scan();
  const openMs = Math.round(performance.now() - t);
  const t2 = performance.now();
  statusSummary(engine.store, 'UTC', {}, Date.now(), 'ccusage');
  const statusMs = Math.round(performance.now() - t2);
  gc();
  const after = process.memoryUsage();
  const wasm = memories.reduce((s, m) => s + m.buffer.byteLength, 0);
  const pageBytes = Number(engine.store.get('PRAGMA page_count').page_count) * Number(engine.store.get('PRAGMA page_size').page_size);
  const stored = engine.store.recordCount();
  // What the steady state adds: a snapshot (every 30 s after a change; sql.js exports a copy of
  // the whole file) and a VACUUM (when the file grew by a quarter), peak RSS reset before each.
  const peak = () => {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'));
    return Number(m[1]) * 1024;
  };
  const resetPeak = () => writeFileSync('/proc/self/clear_refs', '5');
  await engine.accept([record(REQUESTS + 7)]);
  gc();
  resetPeak();
  let t3 = performance.now();
  await engine.store.snapshot();
  const snapshot = { ms: Math.round(performance.now() - t3), peakRssMB: mb(peak()), rssAfterMB: mb(process.memoryUsage().rss) };
  gc();
  resetPeak();
  t3 = performance.now();
  engine.store.db.exec('VACUUM');
  const vacuum = {
    ms: Math.round(performance.now() - t3),
    peakRssMB: mb(peak()),
    wasmMemoryAfterMB: mb(memories.reduce((s, m) => s + m.buffer.byteLength, 0)),
  };
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  WebAssembly.instantiate = instantiate;
  return {
    stored,
    fileMB: mb(statSync(file).size),
    openMs,
    statusQueryMs: statusMs,
    rssBeforeMB: mb(before.rss),
    rssMB: mb(after.rss),
    heapUsedMB: mb(after.heapUsed),
    rssGrowthMB: mb(after.rss - before.rss),
    heapUsedGrowthMB: mb(after.heapUsed - before.heapUsed),
    externalGrowthMB: mb(after.external - before.external),
    wasmMemoryMB: mb(wasm),
    databaseBytesMB: mb(pageBytes),
    snapshot,
    vacuum,
  };
}

/** The real extension host's memory: an empty database, then the same folders with `file` in its place. */
async function inExtensionHost(file) {
  const home = mkdtempSync(join(tmpdir(), 'tcd-bench-ext-home-'));
  mkdirSync(join(home, '.claude', 'projects'), { recursive: true });
  const settle = async (wb) => {
    await waitFor('the database to open', () => /Opened/.test(extensionLog(wb.work)), 120_000);
    await sleep(5000);
    return { ...extensionHostMemory(wb.serverDataDir), workbenchToBadgeMs: wb.workbenchToBadgeMs };
  };
  let wb = await workbench({ home });
  let empty;
  let withDb;
  try {
    empty = await settle(wb);
  } finally {
    await wb.close();
  }
  wb = await workbench({ home, seed: file, work: wb.work });
  try {
    withDb = await settle(wb);
    const opened = [...extensionLog(wb.work).matchAll(/Opened .* with (\d+) stored request\(s\) in (\d+) ms/g)].pop();
    if (opened) Object.assign(withDb, { stored: Number(opened[1]), openMs: Number(opened[2]) });
  } finally {
    await wb.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(wb.work, { recursive: true, force: true });
  }
  return { emptyDatabase: empty, withDatabase: withDb, growthMB: mb((withDb.rssMB - empty.rssMB) * 1048576) };
}

if (only !== 'memory' && process.argv[2] !== '--child-memory') await latency();
if (process.argv[2] === '--child-memory') {
  // A fresh process: nothing loaded before the open that is measured.
  process.stdout.write(JSON.stringify(await inProcess(process.argv[3])));
  process.exit(0);
}
if (only !== 'latency') {
  const file = await filledDatabase();
  const node = JSON.parse(
    execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child-memory', file], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    }),
  );
  console.log(
    `[extension] in process, ${node.stored} requests: RSS +${node.rssGrowthMB} MB, heap +${node.heapUsedGrowthMB} MB, wasm ${node.wasmMemoryMB} MB (database ${node.databaseBytesMB} MB in sql.js's in-memory file)`,
  );
  const host = await inExtensionHost(file);
  console.log(
    `[extension] extension host RSS: ${host.emptyDatabase.rssMB} MB empty, ${host.withDatabase.rssMB} MB with ${REQUESTS} requests (+${host.growthMB} MB)`,
  );
  writeResults({ hostMemory: { requests: REQUESTS, extensionHost: host, inProcess: node } });
}
