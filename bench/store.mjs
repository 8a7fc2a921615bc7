// `npm run bench:store`: load time and memory of the usage database at 100k and 1M stored
// requests, snapshot time, and journal append throughput. Uses the compiled core in out/
// (`npx tsc -p tsconfig.json`, which `npm test` also runs). Figures go to bench/results/.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { record } from './records.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
let UsageStore, UsageEngine, PriceTable;
try {
  ({ UsageStore } = require(join(root, 'out/src/core/store.js')));
  ({ UsageEngine } = require(join(root, 'out/src/core/engine.js')));
  ({ PriceTable } = require(join(root, 'out/src/core/pricing/pricing.js')));
} catch (e) {
  console.error(`Compile first: npx tsc -p tsconfig.json (${e.message})`);
  process.exit(1);
}

const mb = (b) => (b / 1048576).toFixed(1);
const results = { machine: '2 cores', date: new Date().toISOString(), sizes: [] };

for (const n of (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number)) {
  const dir = mkdtempSync(join(tmpdir(), 'tcd-bench-store-'));
  const file = join(dir, 'usage.sqlite');
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  const store = await UsageStore.open(file, { backupEveryMs: Infinity });
  const batch = 10_000;
  for (let i = 0; i < n; i += batch) {
    store.insert(Array.from({ length: Math.min(batch, n - i) }, (_, k) => record(i + k)));
    await store.flush();
  }
  const insertMs = performance.now() - t;
  t = performance.now();
  await store.snapshot();
  const snapshotMs = performance.now() - t;
  const fileBytes = statSync(file).size;
  store.close();
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  t = performance.now();
  const loaded = await UsageStore.open(file, { writable: false });
  const loadMs = performance.now() - t;
  const count = loaded.recordCount();
  const rssAfter = process.memoryUsage().rss;
  t = performance.now();
  const q = loaded.get('SELECT count(*) AS n, sum(cost) AS c FROM usage WHERE ts >= ?', [Date.UTC(2026, 0, 1) + n * 15_000]);
  const queryMs = performance.now() - t;
  loaded.close();
  const row = {
    requests: n,
    stored: count,
    insertMs: Math.round(insertMs),
    insertPerSec: Math.round(n / (insertMs / 1000)),
    snapshotMs: Math.round(snapshotMs),
    fileMB: Number(mb(fileBytes)),
    bytesPerRequest: Math.round(fileBytes / n),
    loadMs: Math.round(loadMs),
    rssGrowthOnLoadMB: Number(mb(rssAfter - rssBefore)),
    halfRangeQueryMs: Math.round(queryMs),
    rssStartMB: Number(mb(rss0)),
    queried: Number(q.n),
  };
  results.sizes.push(row);
  console.log(
    `${n.toLocaleString('en-US')} requests: insert ${row.insertMs} ms (${row.insertPerSec.toLocaleString('en-US')}/s), snapshot ${row.snapshotMs} ms, ` +
      `file ${row.fileMB} MB = ${row.bytesPerRequest} B/request (target <= 100), load ${row.loadMs} ms, RSS +${row.rssGrowthOnLoadMB} MB on load, ` +
      `half-range sum ${row.halfRangeQueryMs} ms`,
  );
  rmSync(dir, { recursive: true, force: true });
}

// Journal throughput: acknowledged (fsync'd) records per second, one at a time and 64 in flight.
for (const inFlight of [1, 64]) {
  const dir = mkdtempSync(join(tmpdir(), 'tcd-bench-journal-'));
  const engine = await UsageEngine.open({
    dbFile: join(dir, 'usage.sqlite'),
    roots: () => [],
    prices: () => new PriceTable(),
    costMode: () => 'auto',
  });
  const total = inFlight === 1 ? 2000 : 20_000;
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) {
        const i = next++;
        await engine.accept([{ ...record(i), dedupKey: `hb:${i}`, source: 'heartbeat' }]);
      }
    }),
  );
  const ms = performance.now() - t;
  await engine.close();
  const row = { inFlight, records: total, ms: Math.round(ms), perSec: Math.round(total / (ms / 1000)) };
  results[`journal${inFlight}`] = row;
  console.log(
    `journal: ${total} acknowledged records with ${inFlight} in flight: ${row.ms} ms = ${row.perSec.toLocaleString('en-US')} records/s (each durable before its ack)`,
  );
  rmSync(dir, { recursive: true, force: true });
}

mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/store.json'), JSON.stringify(results, null, 2));
console.log('written bench/results/store.json');
