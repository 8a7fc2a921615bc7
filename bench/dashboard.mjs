// `npm run bench:dashboard`: how fast the dashboard answers with 1M stored requests.
// 1. Host: `buildDashboard` for the default filter (last 30 days), All time, the Hour quick range
//    and filter changes (one model, provider, project, source, agent): median and max of runs.
// 2. Browser: the real webview bundle in headless Chromium (playwright-core, /usr/bin/chromium).
//    A static page loads dist/webview.js and media/dashboard.css; its `acquireVsCodeApi()` stub
//    forwards every message to Node (page.exposeFunction), which answers with buildDashboard()
//    posted back as `{type:'data', data, requestId}` (as src/vscode/webviewBridge.ts does).
//    First paint: navigation start -> KPIs filled and the six charts drawn (next frame after the
//    `data` message was rendered). Filter change: a select's `change` event -> the new figures
//    drawn, each change once the page is idle after the last one. Median and p95.
// Uses the compiled core in out/ (`npx tsc -p tsconfig.json`) and the webview bundle in dist/
// (`node scripts/build.mjs`); it builds nothing itself.
// Env: BENCH_ROWS (default 1000000), BENCH_RUNS (host runs per case, default 5),
//      BENCH_PAINTS (page loads, default 5), BENCH_CHANGES (filter changes, default 20),
//      BENCH_BROWSER=0 skips the browser part. Figures go to bench/results/dashboard.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
let UsageStore, buildDashboard;
try {
  ({ UsageStore } = require(join(root, 'out/src/core/store.js')));
  ({ buildDashboard } = require(join(root, 'out/src/core/dashboard.js')));
} catch (e) {
  console.error(`Compile first: npx tsc -p tsconfig.json (${e.message})`);
  process.exit(1);
}
for (const f of ['dist/webview.js', 'media/dashboard.css']) {
  if (!existsSync(join(root, f))) {
    console.error(`Build first: node scripts/build.mjs (${f} is missing)`);
    process.exit(1);
  }
}

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PAINTS = Number(process.env.BENCH_PAINTS ?? 5);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 20);
const BROWSER = process.env.BENCH_BROWSER !== '0';
const TZ = 'Europe/Berlin';
const NOW = Date.now();
const DAY = 86_400_000;

// ---- a realistic store: ~90 days, 6 sources, 10 models, 50 projects, ~5k sessions ----

const MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-opus-4-5-20251101',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-1-20250805',
  'claude-sonnet-4-20250514',
  'gpt-5-codex',
  'gpt-5',
  'gpt-5-mini',
  'gemini-2.5-pro',
];
const PRICE = {
  // USD per token: input, output, cache write, cache read
  'claude-sonnet-4-5-20250929': [3e-6, 15e-6, 3.75e-6, 0.3e-6],
  'claude-opus-4-5-20251101': [5e-6, 25e-6, 6.25e-6, 0.5e-6],
  'claude-haiku-4-5-20251001': [1e-6, 5e-6, 1.25e-6, 0.1e-6],
  'claude-opus-4-1-20250805': [15e-6, 75e-6, 18.75e-6, 1.5e-6],
  'claude-sonnet-4-20250514': [3e-6, 15e-6, 3.75e-6, 0.3e-6],
  'gpt-5-codex': [1.25e-6, 10e-6, 0, 0.125e-6],
  'gpt-5': [1.25e-6, 10e-6, 0, 0.125e-6],
  'gpt-5-mini': [0.25e-6, 2e-6, 0, 0.025e-6],
  'gemini-2.5-pro': [1.25e-6, 10e-6, 0, 0.31e-6],
};
const AGENTS = Array.from({ length: 20 }, (_, i) => `fleet-agent-${i}`);
const PROJECTS = Array.from({ length: 50 }, (_, i) => `/home/me/src/project-${String(i).padStart(2, '0')}`);

// A small deterministic PRNG, so every run stores the same requests.
let seed = 0x2545f491;
const rand = () => {
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 4294967296;
};
const pick = (xs) => xs[Math.floor(rand() * xs.length)];
const weighted = (pairs) => {
  let r = rand() * pairs.reduce((s, [, w]) => s + w, 0);
  for (const [v, w] of pairs) if ((r -= w) < 0) return v;
  return pairs[pairs.length - 1][0];
};

/** One session's requests: a source, a project, mostly one model, 20-60 s apart. */
function* session(s, size, live) {
  const source = weighted([
    ['claude-code', 60],
    ['claude-code-subagent', 15],
    ['codex', 12],
    ['heartbeat', 8],
    ['workspace', 4],
    ['manual', 1],
  ]);
  const project = PROJECTS[Math.floor(Math.pow(rand(), 1.6) * PROJECTS.length)]; // some projects are busier
  const main =
    source === 'codex'
      ? pick(['gpt-5-codex', 'gpt-5', 'gpt-5-mini'])
      : source === 'heartbeat'
        ? pick(MODELS)
        : source === 'manual'
          ? 'unspecified'
          : weighted([
              ['claude-sonnet-4-5-20250929', 50],
              ['claude-opus-4-5-20251101', 20],
              ['claude-opus-4-1-20250805', 5],
              ['claude-sonnet-4-20250514', 10],
              ['claude-haiku-4-5-20251001', 15],
            ]);
  const sessionId =
    source === 'heartbeat'
      ? pick(AGENTS)
      : source === 'manual'
        ? `task ${s}`
        : `${((s * 2654435761) >>> 0).toString(16).padStart(8, '0')}-bench-${s}`;
  const span = size * 40_000;
  let ts = live ? NOW - span - rand() * 60_000 : NOW - 90 * DAY + rand() * (90 * DAY - span - 3_600_000);
  for (let k = 0; k < size; k++) {
    ts += 20_000 + Math.floor(rand() * 40_000);
    const model = source.startsWith('claude') && rand() < 0.15 ? 'claude-haiku-4-5-20251001' : main;
    const input = 5 + Math.floor(rand() * 3000);
    const output = 50 + Math.floor(rand() * 4000);
    const cw = rand() < 0.3 ? 500 + Math.floor(rand() * 20_000) : 0;
    const cr = 10_000 + Math.floor(rand() * 150_000);
    const p = PRICE[model];
    const id = `${s}-${k}`;
    yield {
      dedupKey: `m:msg_${id}:req_${id}`,
      messageId: source.startsWith('claude') ? `msg_${id}` : undefined,
      timestamp: Math.floor(Math.min(ts, NOW - 1)),
      source,
      model,
      project,
      sessionId,
      inputTokens: input,
      outputTokens: output,
      cacheWriteTokens: cw,
      cacheWrite1hTokens: 0,
      cacheReadTokens: cr,
      reportedCost: null,
      cost: p ? input * p[0] + output * p[1] + cw * p[2] + cr * p[3] : 0,
      unpriced: !p,
      isSidechain: source === 'claude-code-subagent',
    };
  }
}

async function fill() {
  const store = await UsageStore.open(null);
  store.setBulk(true);
  const sessions = Math.max(1, Math.round(ROWS / 200));
  let left = ROWS;
  let batch = [];
  const t = performance.now();
  for (let s = 0; left > 0; s++) {
    // Sizes vary around 200; the last 8 sessions run until now (the "live" ones).
    const size = Math.min(left, s === sessions - 1 ? left : Math.max(1, Math.round(40 + rand() * 320)));
    for (const r of session(s, size, s >= sessions - 8)) {
      batch.push(r);
      if (batch.length === 20_000) {
        store.insert(batch);
        batch = [];
      }
    }
    left -= size;
  }
  if (batch.length) store.insert(batch);
  store.setBulk(false);
  return { store, fillMs: performance.now() - t };
}

// ---- host compute ----

const ctx = {
  timeZone: TZ,
  now: NOW,
  scanned: true,
  storageRole: 'writer',
  budget: { daily: 200, monthly: 3000 },
  thresholds: [80, 100],
  costThreshold: 100,
  burnRatePerHour: 20,
  workspaceFolders: [PROJECTS[0]],
  gettingStarted: { transcriptRoots: ['/home/me/.claude/projects'] },
};
const last30 = { kind: 'preset', preset: 'last30' };
const CASES = [
  ['default (last 30 days)', { range: last30 }],
  ['All time', { range: { kind: 'preset', preset: 'all' } }],
  ['Hour (quick range)', { range: { kind: 'quick', quick: 'hour' } }],
  ['model = claude-opus-4-5', { range: last30, model: 'claude-opus-4-5-20251101' }],
  ['provider = OpenAI', { range: last30, provider: 'OpenAI' }],
  ['project = project-03', { range: last30, project: PROJECTS[3] }],
  ['source = codex', { range: last30, source: 'codex' }],
  ['agent = fleet-agent-7', { range: last30, agent: AGENTS[7] }],
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const ms = (v) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : Math.round(v)} ms` : '–');

function hostCompute(store) {
  const rows = [];
  for (const [label, filter] of CASES) {
    buildDashboard(store, filter, ctx); // warm: statements and caches
    const times = [];
    let d;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      d = buildDashboard(store, filter, ctx);
      times.push(performance.now() - t);
    }
    rows.push({ label, median: median(times), max: Math.max(...times), requests: d.kpis.requests, cost: d.kpis.cost });
  }
  return rows;
}

// ---- browser ----

const PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="/media/dashboard.css"><title>Token Cost Dashboard</title></head>
<body class="vscode-dark"><main id="app" data-view="panel"></main><script src="/dist/webview.js"></script></body></html>`;

// Runs in the page before its scripts: the VS Code API stub, and a mark for each `data` message
// once it is rendered and the next frame has been drawn.
const INIT = () => {
  let state;
  window.__marks = [];
  window.acquireVsCodeApi = () => ({
    postMessage: (msg) => {
      window.__posted = { type: msg.type, at: performance.now() };
      void window.__toHost(msg).then((reply) => reply && window.postMessage(reply, '*'));
    },
    getState: () => state,
    setState: (s) => {
      state = s;
    },
  });
  const add = window.addEventListener;
  window.addEventListener = function (type, fn, opts) {
    if (type !== 'message') return add.call(this, type, fn, opts);
    return add.call(
      this,
      type,
      function (ev) {
        const received = performance.now();
        const r = fn.apply(this, arguments);
        if (ev.data && ev.data.type === 'data') {
          const rendered = performance.now();
          requestAnimationFrame(() =>
            setTimeout(() => window.__marks.push({ requestId: ev.data.requestId, received, rendered, painted: performance.now() }), 0),
          );
        }
        return r;
      },
      opts,
    );
  };
};

async function browser(store) {
  let chromium;
  try {
    ({ chromium } = require('playwright-core'));
  } catch (e) {
    return { error: `playwright-core is not installed (${e.message})` };
  }
  const files = {
    '/': [PAGE, 'text/html'],
    '/dist/webview.js': [readFileSync(join(root, 'dist/webview.js')), 'text/javascript'],
    '/media/dashboard.css': [readFileSync(join(root, 'media/dashboard.css')), 'text/css'],
  };
  const server = http.createServer((req, res) => {
    const f = files[req.url.split('?')[0]];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[1], 'cache-control': 'no-store' }).end(f[0]);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${server.address().port}/`;
  const b = await chromium.launch({ executablePath: process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const hostTimes = [];
  try {
    const page = await b.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.exposeFunction('__toHost', (msg) => {
      if (msg.type !== 'ready' && msg.type !== 'query') return null;
      const t = performance.now();
      const data = buildDashboard(store, msg.filter, ctx);
      hostTimes.push({ type: msg.type, ms: performance.now() - t });
      return { type: 'data', data, requestId: msg.requestId };
    });
    await page.addInitScript(INIT);

    const first = [];
    for (let i = 0; i < PAINTS + 1; i++) {
      await page.goto('about:blank');
      await page.goto(url);
      await page.waitForFunction(() => window.__marks.length > 0, null, { timeout: 120_000 });
      const m = await page.evaluate(() => ({
        ...window.__marks[0],
        kpi: document.querySelector('[data-kpi="cost"]')?.textContent,
        charts: document.querySelectorAll('.chart-card[data-empty="false"] canvas').length,
        loaded: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd,
      }));
      if (!m.kpi || m.kpi === '–' || m.charts !== 6)
        throw new Error(`first paint incomplete: KPI ${m.kpi}, ${m.charts} charts drawn ${errors.join('; ')}`);
      if (i > 0) first.push(m); // the first load warms Chromium's caches
    }

    // Filter changes: a select's value and a `change` event, as a user picking from the list.
    const steps = [
      ['filter-model', 'claude-opus-4-5-20251101'],
      ['filter-model', ''],
      ['filter-provider', 'OpenAI'],
      ['filter-provider', ''],
      ['filter-project', PROJECTS[3]],
      ['filter-project', ''],
      ['filter-source', 'codex'],
      ['filter-source', ''],
      ['filter-agent', AGENTS[7]],
      ['filter-agent', ''],
      ['filter-range', 'last7'],
      ['filter-range', 'last30'],
    ];
    const changes = [];
    for (let i = 0; i < CHANGES + 2; i++) {
      const [id, value] = steps[i % steps.length];
      const m = await page.evaluate(
        async ([id, value]) => {
          // As a user picks the next filter after reading the last figures: once the page is idle
          // (cards drawn after the frame have caught up, aria-busy cleared).
          await new Promise((resolve) => {
            const idle = () =>
              document.getElementById('app').hasAttribute('aria-busy')
                ? setTimeout(idle, 5)
                : requestIdleCallback(resolve, { timeout: 1000 });
            idle();
          });
          const before = window.__marks.length;
          const s = document.getElementById(id);
          const t0 = performance.now();
          s.value = value;
          s.dispatchEvent(new Event('change'));
          await new Promise((resolve) => {
            const poll = () => (window.__marks.length > before ? resolve() : setTimeout(poll, 1));
            poll();
          });
          const mark = window.__marks[window.__marks.length - 1];
          return {
            ms: mark.painted - t0,
            toPost: window.__posted.at - t0,
            roundTrip: mark.received - window.__posted.at,
            render: mark.rendered - mark.received,
            frame: mark.painted - mark.rendered,
            kpi: document.querySelector('[data-kpi="cost"]').textContent,
          };
        },
        [id, value],
      );
      if (i >= 2) changes.push(m);
    }
    if (errors.length) throw new Error(errors.join('; '));
    const ready = hostTimes
      .filter((h) => h.type === 'ready')
      .slice(1)
      .map((h) => h.ms);
    const queries = hostTimes
      .filter((h) => h.type === 'query')
      .slice(2)
      .map((h) => h.ms);
    return {
      firstPaint: first.map((m) => m.painted),
      firstReady: first.map((m) => m.received),
      firstRender: first.map((m) => m.rendered - m.received),
      firstHost: ready,
      change: changes.map((c) => c.ms),
      changeRender: changes.map((c) => c.render),
      changeToPost: changes.map((c) => c.toPost),
      changeRoundTrip: changes.map((c) => c.roundTrip),
      changeFrame: changes.map((c) => c.frame),
      changeHost: queries,
    };
  } finally {
    await b.close();
    server.close();
  }
}

// ---- run ----

console.log(`Filling an in-memory store with ${ROWS.toLocaleString('en-US')} requests…`);
const { store, fillMs } = await fill();
const stored = store.recordCount();
const pages = Number(store.get('PRAGMA page_count').page_count) * Number(store.get('PRAGMA page_size').page_size);
console.log(
  `${stored.toLocaleString('en-US')} stored in ${(fillMs / 1000).toFixed(1)} s; database ${(pages / 1048576).toFixed(1)} MB = ${Math.round(pages / stored)} B/request (before VACUUM)`,
);

const host = hostCompute(store);
console.log(`\nHost: buildDashboard (${RUNS} runs after a warm-up)`);
console.log('| Case | median | max | requests in range |');
console.log('| --- | --- | --- | --- |');
for (const r of host) console.log(`| ${r.label} | ${ms(r.median)} | ${ms(r.max)} | ${r.requests.toLocaleString('en-US')} |`);

let web;
if (BROWSER) {
  web = await browser(store);
  if (web.error) console.log(`\nBrowser: skipped, ${web.error}`);
  else {
    console.log(`\nBrowser: headless Chromium, webview bundle, ${PAINTS} page loads, ${CHANGES} filter changes`);
    console.log('| Measure | median | p95 | target |');
    console.log('| --- | --- | --- | --- |');
    console.log(
      `| first paint (navigation start -> KPIs and 6 charts drawn) | ${ms(median(web.firstPaint))} | ${ms(pct(web.firstPaint, 95))} | <= 300 ms |`,
    );
    console.log(`|   of which: page script ran and 'data' arrived | ${ms(median(web.firstReady))} | ${ms(pct(web.firstReady, 95))} | |`);
    console.log(`|   of which: host buildDashboard | ${ms(median(web.firstHost))} | ${ms(pct(web.firstHost, 95))} | |`);
    console.log(`|   of which: render() in the page | ${ms(median(web.firstRender))} | ${ms(pct(web.firstRender, 95))} | |`);
    console.log(
      `| filter change (change event -> new figures drawn) | ${ms(median(web.change))} | ${ms(pct(web.change, 95))} | <= 100 ms |`,
    );
    console.log(`|   of which: change event -> 'query' posted | ${ms(median(web.changeToPost))} | ${ms(pct(web.changeToPost, 95))} | |`);
    console.log(
      `|   of which: 'query' posted -> 'data' received | ${ms(median(web.changeRoundTrip))} | ${ms(pct(web.changeRoundTrip, 95))} | |`,
    );
    console.log(`|     of which: host buildDashboard | ${ms(median(web.changeHost))} | ${ms(pct(web.changeHost, 95))} | |`);
    console.log(`|   of which: render() in the page | ${ms(median(web.changeRender))} | ${ms(pct(web.changeRender, 95))} | |`);
    console.log(`|   of which: render() -> next frame drawn | ${ms(median(web.changeFrame))} | ${ms(pct(web.changeFrame, 95))} | |`);
  }
}
store.close();

mkdirSync(join(root, 'bench/results'), { recursive: true });
// The summary keys (filterChange, firstPaint, rows) are what bench/targets.mjs reads.
const summary = (xs) => (xs && xs.length ? { medianMs: Math.round(median(xs) * 10) / 10, p95Ms: Math.round(pct(xs, 95) * 10) / 10 } : null);
const measured = web && !web.error;
writeFileSync(
  join(root, 'bench/results/dashboard.json'),
  JSON.stringify(
    {
      machine: '2 cores (shared)',
      date: new Date().toISOString(),
      rows: ROWS,
      stored,
      fillMs: Math.round(fillMs),
      filterChange: measured ? summary(web.change) : null,
      firstPaint: measured ? summary(web.firstPaint) : null,
      host,
      browser: web,
    },
    null,
    2,
  ),
);
console.log('\nwritten bench/results/dashboard.json');
