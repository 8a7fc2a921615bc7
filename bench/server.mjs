// `npm run bench:server`: heartbeats over loopback HTTP against the real server and a real
// on-disk database (journal + fsync): N keep-alive clients send a fixed count of heartbeats with
// unique requestIds. Prints req/s, p50/p99 latency, and that every acknowledged heartbeat is
// stored and still there after reopening the database. The clients run in a child process, as
// agents do. Uses the compiled core in out/ (`npx tsc -p tsconfig.json`; `npm test` runs it too).
// Env: BENCH_COUNT (default 20000), BENCH_CLIENTS (default 32).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const COUNT = Number(process.env.BENCH_COUNT ?? 20_000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 32);
const KEY = 'bench-key';

if (process.argv[2] === '--clients') await runClients(Number(process.argv[3]));
else await runServer();

/** The agents: CLIENTS concurrent keep-alive connections, each sending until COUNT are sent. */
async function runClients(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const post = (i) => {
    const body = JSON.stringify({
      status: 'busy',
      tokens: { model: 'claude-sonnet-4-5-20250929', input: 1000 + (i % 500), output: 200 + (i % 300), requestId: `bench-${i}` },
    });
    return new Promise((resolve, reject) => {
      const t0 = performance.now();
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: `/api/agents/agent-${i % 16}/heartbeat`,
          agent,
          headers: { 'x-api-key': KEY, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const ms = performance.now() - t0;
            if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`));
            resolve({ ms, accepted: JSON.parse(Buffer.concat(chunks).toString()).accepted });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
  // Warm-up (JIT, connections) outside the measurement, with ids beyond the counted ones.
  let warm = 0;
  for (const r of await Promise.all(Array.from({ length: CLIENTS }, (_, k) => post(COUNT + k)))) warm += r.accepted;
  const latencies = new Float64Array(COUNT);
  let next = 0;
  let acknowledged = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < COUNT) {
        const i = next++;
        const r = await post(i);
        latencies[i] = r.ms;
        acknowledged += r.accepted;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort();
  const q = (p) => latencies[Math.min(COUNT - 1, Math.floor(p * COUNT))];
  agent.destroy();
  process.send({ warm, acknowledged, seconds, p50: q(0.5), p99: q(0.99), max: latencies[COUNT - 1] });
}

async function runServer() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const require = createRequire(import.meta.url);
  let UsageEngine, PriceTable, UsageServer;
  try {
    ({ UsageEngine } = require(join(root, 'out/src/core/engine.js')));
    ({ PriceTable } = require(join(root, 'out/src/core/pricing/pricing.js')));
    ({ UsageServer } = require(join(root, 'out/src/core/server/server.js')));
  } catch (e) {
    console.error(`Compile first: npx tsc -p tsconfig.json (${e.message})`);
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tcd-bench-server-'));
  const dbFile = join(dir, 'usage.sqlite');
  const prices = new PriceTable();
  const open = () => UsageEngine.open({ dbFile, roots: () => [], prices: () => prices, costMode: () => 'auto' });
  const engine = await open();
  // Default server options (rate limit included): what a user runs.
  const server = await UsageServer.start({ engine, apiKey: KEY, port: 0, prices: () => prices, timeZone: () => 'UTC' });
  const child = fork(fileURLToPath(import.meta.url), ['--clients', String(server.port)], { stdio: 'inherit' });
  const r = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => code && reject(new Error(`clients exited with ${code}`)));
  });
  const stored = engine.store.recordCount() - r.warm;
  await server.close();
  await engine.close();
  // Durable is what a fresh open finds: snapshot plus journal.
  const reopened = await open();
  const durable = reopened.store.recordCount() - r.warm;
  await reopened.close();
  rmSync(dir, { recursive: true, force: true });
  const result = {
    heartbeats: COUNT,
    clients: CLIENTS,
    seconds: +r.seconds.toFixed(2),
    reqPerSec: Math.round(COUNT / r.seconds),
    p50ms: +r.p50.toFixed(2),
    p99ms: +r.p99.toFixed(2),
    maxMs: +r.max.toFixed(2),
    acknowledged: r.acknowledged,
    stored,
    storedAfterReopen: durable,
    lost: r.acknowledged - durable,
  };
  console.log(JSON.stringify(result, null, 2));
  const ok = result.reqPerSec >= 5000 && result.p99ms <= 20 && result.lost === 0 && r.acknowledged === COUNT;
  console.log(ok ? 'PASS: >= 5,000 req/s, p99 <= 20 ms, 0 lost' : 'BELOW TARGET (>= 5,000 req/s, p99 <= 20 ms, 0 lost)');
  process.exitCode = result.lost === 0 && r.acknowledged === stored ? 0 : 1;
}
