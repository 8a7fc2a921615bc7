// `node bench/push.mjs`: what one `token-cost push` costs at 100k and 1M stored requests (BENCH_SIZES):
// CPU ms to read the counters and encode them, and the bytes of the remote-write (protobuf +
// snappy) and OTLP bodies. Uses the compiled core in out/ and bench/store.mjs' synthetic requests
// (a session of 250 requests in one of 40 projects, 4 models). Results go to bench/results/push.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { record } from './records.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { UsageStore } = require(join(root, 'out/src/core/store.js'));
const { counterSeries, remoteWriteBody, otlpMetricsBody } = require(join(root, 'out/src/core/teamExport.js'));

const cpuMs = (f) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const v = f();
  const c = process.cpuUsage(c0);
  return { v, cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 };
};

const results = { machine: '2 cores', date: new Date().toISOString(), sizes: [] };
for (const n of (process.env.BENCH_SIZES ?? '100000,1000000').split(',').map(Number)) {
  const dir = mkdtempSync(join(tmpdir(), 'tcd-bench-push-'));
  const store = await UsageStore.open(join(dir, 'usage.sqlite'), { backupEveryMs: Infinity });
  store.setBulk(true);
  for (let i = 0; i < n; i += 10_000) store.insert(Array.from({ length: Math.min(10_000, n - i) }, (_, k) => record(i + k)));
  store.setBulk(false);
  await store.flush();
  const who = { user: 'alice', machine: 'laptop-a' };
  const runs = [];
  for (let k = 0; k < 3; k++) {
    const read = cpuMs(() => counterSeries(store, who));
    const rw = cpuMs(() => remoteWriteBody(read.v, Date.now()));
    const otlp = cpuMs(() => otlpMetricsBody(read.v, who, Date.now(), Date.UTC(2026, 0, 1)));
    runs.push({
      series: read.v.length,
      readCpuMs: read.cpu,
      remoteWriteCpuMs: rw.cpu,
      remoteWriteBytes: rw.v.length,
      otlpCpuMs: otlp.cpu,
      otlpBytes: otlp.v.length,
      otlpGzipBytes: gzipSync(otlp.v).length,
    });
  }
  const best = runs.reduce((a, b) => (a.readCpuMs <= b.readCpuMs ? a : b));
  results.sizes.push({ requests: n, ...Object.fromEntries(Object.entries(best).map(([k, v]) => [k, Math.round(v * 10) / 10])) });
  store.close();
  // The whole `token-cost push` process on that database (start-up, load, an empty scan, push)
  // to a sink on loopback that answers 200.
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const home = mkdtempSync(join(tmpdir(), 'tcd-bench-push-home-'));
  const out = await new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(root, 'dist/cli.js'),
        'push',
        '--remote-write',
        `http://127.0.0.1:${sink.address().port}/api/v1/write`,
        '--data-dir',
        dir,
        '--json',
      ],
      { env: { ...process.env, HOME: home } },
    );
    let text = '';
    child.stdout.on('data', (c) => (text += c));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`push exited ${code}`))));
  });
  sink.close();
  Object.assign(results.sizes.at(-1), { cliProcessCpuMs: out.processCpuMs, cliPushCpuMs: out.cpuMs, cliWallMs: out.wallMs });
  console.log(JSON.stringify(results.sizes.at(-1)));
  rmSync(dir, { recursive: true, force: true });
}
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'push.json'), `${JSON.stringify(results, null, 2)}\n`);
