// `token-cost push` end to end: two HOMEs as two machines push to a real Prometheus (Debian's
// package, started here on loopback with its remote-write receiver); PromQL sums equal the two
// CLIs' own reports, and pushing twice changes nothing. The OTLP export is decoded with the
// official OpenTelemetry protobuf definitions.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { teamView } from '../../src/core/teamView';
import { assistantLine, tempDir, writeLines } from './helpers';

const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');
const PROMETHEUS = '/usr/bin/prometheus';

function env(home: string): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, HOME: home, TZ: 'UTC', NO_COLOR: '1' };
  for (const k of ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CODEX_HOME', 'TOKEN_COST_API_KEY']) delete e[k];
  return e;
}

function cliJson(args: string[], home: string): unknown {
  const r = spawnSync(process.execPath, [cli, ...args], { env: env(home), encoding: 'utf8' });
  assert.equal(r.status, 0, `token-cost ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The same, without blocking this process (whose own server is the receiver). */
function cliJsonAsync(args: string[], home: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env: env(home) });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`token-cost ${args.join(' ')}: exit ${code}: ${err}`)),
    );
  });
}

/** A HOME with Claude Code transcripts: `n` requests per model. */
function makeHome(seed: number, models: string[]): string {
  const home = tempDir('tcd-push-home-');
  models.forEach((model, m) => {
    const lines: string[] = [];
    for (let i = 0; i < 5 + seed; i++) {
      lines.push(
        assistantLine({
          id: `msg_${seed}_${m}_${i}`,
          requestId: `req_${seed}_${m}_${i}`,
          model,
          sessionId: `s-${seed}-${m}`,
          cwd: `/work/proj${m}`,
          input: 100 * (i + 1) + seed,
          output: 50 * (i + 2),
          cacheRead: 1000 * i,
          cacheWrite: 10 * seed,
          timestamp: new Date(Date.UTC(2026, 10, 10 + i, 9, m, seed)).toISOString(),
        }),
      );
    }
    writeLines(path.join(home, '.claude', 'projects', `-work-proj${m}`, `s-${seed}-${m}.jsonl`), lines);
  });
  return home;
}

interface Report {
  daily: { modelBreakdowns: { modelName: string; cost: number; inputTokens: number; outputTokens: number }[] }[];
}

/** What a CLI reports per model over all days: cost and input tokens. */
function perModel(home: string, dataDir: string): Map<string, { cost: number; input: number }> {
  const r = cliJson(['report', 'daily', '--json', '-z', 'UTC', '--data-dir', dataDir], home) as Report;
  const out = new Map<string, { cost: number; input: number }>();
  for (const d of r.daily) {
    for (const b of d.modelBreakdowns) {
      const m = out.get(b.modelName) ?? { cost: 0, input: 0 };
      out.set(b.modelName, { cost: m.cost + b.cost, input: m.input + b.inputTokens });
    }
  }
  return out;
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(e);
          }
        });
      })
      .on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe('token-cost push: two machines into a real Prometheus', function () {
  this.timeout(120_000);
  let prom: ChildProcess | undefined;
  let base = '';

  before(async () => {
    assert.ok(existsSync(PROMETHEUS), `${PROMETHEUS} is missing: apt-get install -y prometheus (npm test installs it)`);
    assert.ok(existsSync(cli), `${cli} is missing: build first`);
    const dir = tempDir('tcd-prom-');
    writeFileSync(path.join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\n');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    prom = spawn(
      PROMETHEUS,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 200; i++) {
      const ready = await new Promise<boolean>((r) =>
        http
          .get(`${base}/-/ready`, (res) => {
            res.resume();
            r(res.statusCode === 200);
          })
          .on('error', () => r(false)),
      );
      if (ready) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail('Prometheus did not become ready');
  });

  after(() => {
    if (prom && prom.exitCode === null) prom.kill('SIGTERM');
  });

  async function promql(q: string): Promise<Map<string, number>> {
    const r = (await getJson(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)) as {
      status: string;
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    assert.equal(r.status, 'success');
    return new Map(r.data.result.map((x) => [x.metric.model ?? '', Number(x.value[1])]));
  }

  it("sum by (model) equals the sum of both CLIs' reports, and pushing twice changes nothing", async () => {
    const a = { home: makeHome(1, ['claude-sonnet-4-5-20250929', 'claude-haiku-4-5-20251001']), data: tempDir('tcd-push-a-') };
    const b = { home: makeHome(2, ['claude-sonnet-4-5-20250929', 'claude-opus-4-5-20251101']), data: tempDir('tcd-push-b-') };
    const url = `${base}/api/v1/write`;
    const pushed = cliJson(
      ['push', '--remote-write', url, '--machine', 'laptop-a', '--user', 'alice', '--data-dir', a.data, '--json'],
      a.home,
    ) as { series: number; remoteWrite: { bytes: number } };
    assert.ok(pushed.series > 0 && pushed.remoteWrite.bytes > 0);
    cliJson(['push', '--remote-write', url, '--machine', 'laptop-b', '--user', 'bob', '--data-dir', b.data, '--json'], b.home);

    const expected = new Map<string, { cost: number; input: number }>();
    for (const m of [perModel(a.home, a.data), perModel(b.home, b.data)]) {
      for (const [model, v] of m) {
        const e = expected.get(model) ?? { cost: 0, input: 0 };
        expected.set(model, { cost: e.cost + v.cost, input: e.input + v.input });
      }
    }
    const check = async (when: string) => {
      const cost = await promql('sum by (model) (token_cost_cost_usd_total)');
      const input = await promql('sum by (model) (token_cost_tokens_total{type="input"})');
      assert.deepEqual([...cost.keys()].sort(), [...expected.keys()].sort(), when);
      for (const [model, e] of expected) {
        assert.ok(
          Math.abs(cost.get(model)! - e.cost) < 1e-9 * Math.max(1, e.cost),
          `${when}: cost of ${model}: Prometheus ${cost.get(model)}, CLIs ${e.cost}`,
        );
        assert.equal(input.get(model), e.input, `${when}: input tokens of ${model}`);
      }
      const machines = await promql('count by (machine) (token_cost_requests_total)');
      assert.equal(machines.size, 1, 'the query groups by machine (no model label)');
    };
    await check('after one push each');
    // Again from both machines (a retry, a restart, a second window): the same totals.
    cliJson(['push', '--remote-write', url, '--machine', 'laptop-a', '--user', 'alice', '--data-dir', a.data, '--json'], a.home);
    cliJson(['push', '--remote-write', url, '--machine', 'laptop-b', '--user', 'bob', '--data-dir', b.data, '--json'], b.home);
    await check('after pushing twice');
    // The Grafana dashboard's queries run on this Prometheus; its all-time panel shows the CLIs' total.
    const dashboard = JSON.parse(readFileSync(path.join(root, 'docs', 'grafana-token-cost.json'), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    for (const panel of dashboard.panels) {
      const q = panel.targets[0].expr.replace(/\$(user|machine|project|model)\b/g, '.*').replace(/\$__range|\$__interval/g, '1h');
      const r = (await getJson(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)) as {
        status: string;
        data: { result: { value: [number, string] }[] };
      };
      assert.equal(r.status, 'success', `${panel.title}: ${q}`);
      if (panel.title.startsWith('All-time cost')) {
        const total = [...expected.values()].reduce((t, e) => t + e.cost, 0);
        assert.ok(
          Math.abs(Number(r.data.result[0].value[1]) - total) < 1e-9 * total,
          `${panel.title}: ${r.data.result[0].value[1]} vs ${total}`,
        );
      }
    }
    // The dashboard's Team tab reads the same figures back: all time is the pushed totals.
    const team = await teamView(base, { start: null, end: null });
    assert.equal(team.error, undefined);
    assert.equal(team.kpis.users, 2);
    assert.equal(team.kpis.machines, 2);
    assert.deepEqual(team.by.user.map((r) => [r.name, r.requests]).sort(), [
      ['alice', 12],
      ['bob', 14],
    ]);
    for (const [model, e] of expected) {
      const row = team.by.model.find((r) => r.name === model)!;
      assert.ok(Math.abs(row.cost - e.cost) < 1e-9 * Math.max(1, e.cost), `Team tab cost of ${model}`);
    }
    assert.ok(Math.abs(team.kpis.cost - [...expected.values()].reduce((t, e) => t + e.cost, 0)) < 1e-9 * team.kpis.cost);
    // A range is read with increase(): a valid query (no error), whatever grew in it.
    const lastHour = await teamView(base, { start: Date.now() - 3_600_000, end: Date.now() });
    assert.equal(lastHour.error, undefined);
    assert.equal(lastHour.method, 'increase');
    const unreachable = await teamView('http://127.0.0.1:9', { start: null, end: null });
    assert.match(unreachable.error ?? '', /did not answer/);
    const byMachine = (await getJson(
      `${base}/api/v1/query?query=${encodeURIComponent('sum by (machine, user) (token_cost_requests_total)')}`,
    )) as { data: { result: { metric: { machine: string; user: string }; value: [number, string] }[] } };
    assert.deepEqual(byMachine.data.result.map((r) => `${r.metric.user}@${r.metric.machine}=${r.value[1]}`).sort(), [
      'alice@laptop-a=12',
      'bob@laptop-b=14',
    ]);
  });

  it('--otlp sends the same counters as an OTLP metrics export the official protobuf definitions decode', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const proto = require('@opentelemetry/otlp-proto-definitions/build/src/generated/root.js');
    const type = proto.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
    const bodies: { headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
    const sink = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    try {
      const home = makeHome(3, ['claude-sonnet-4-5-20250929']);
      const data = tempDir('tcd-push-otlp-');
      await cliJsonAsync(
        [
          'push',
          '--otlp',
          `http://127.0.0.1:${(sink.address() as AddressInfo).port}/v1/metrics`,
          '--user',
          'carol',
          '--machine',
          'ci-7',
          '--data-dir',
          data,
          '--json',
        ],
        home,
      );
      assert.equal(bodies.length, 1);
      assert.equal(bodies[0].headers['content-type'], 'application/x-protobuf');
      assert.equal(bodies[0].headers['content-encoding'], 'gzip');
      const msg = type.toObject(type.decode(gunzipSync(bodies[0].body)), { longs: String, defaults: true });
      const rm = msg.resourceMetrics[0];
      const attrs = Object.fromEntries(
        rm.resource.attributes.map((a: { key: string; value: { stringValue: string } }) => [a.key, a.value.stringValue]),
      );
      assert.equal(attrs['host.name'], 'ci-7');
      assert.equal(attrs['user.name'], 'carol');
      const metrics = new Map(rm.scopeMetrics[0].metrics.map((m: { name: string }) => [m.name, m])) as Map<
        string,
        {
          sum: {
            aggregationTemporality: number;
            isMonotonic: boolean;
            dataPoints: { asDouble: number; asInt: string; attributes: { key: string; value: { stringValue: string } }[] }[];
          };
        }
      >;
      const cost = metrics.get('token_cost_cost_usd_total')!;
      assert.equal(cost.sum.aggregationTemporality, 2, 'cumulative');
      assert.equal(cost.sum.isMonotonic, true);
      const expected = perModel(home, data).get('claude-sonnet-4-5-20250929')!;
      assert.ok(Math.abs(cost.sum.dataPoints.reduce((s, p) => s + p.asDouble, 0) - expected.cost) < 1e-9);
      const input = metrics
        .get('token_cost_tokens_total')!
        .sum.dataPoints.filter((p) => p.attributes.some((a) => a.key === 'type' && a.value.stringValue === 'input'));
      assert.equal(
        input.reduce((s, p) => s + Number(p.asInt), 0),
        expected.input,
      );
      const labels = new Set(cost.sum.dataPoints[0].attributes.map((a) => a.key));
      assert.deepEqual([...labels].sort(), ['machine', 'model', 'project', 'source', 'user']);
      // The project is the folder's name: paths stay on the machine unless --project-label path.
      assert.deepEqual(
        [...new Set(cost.sum.dataPoints.map((p) => p.attributes.find((a) => a.key === 'project')!.value.stringValue))],
        ['proj0'],
      );
    } finally {
      await new Promise((r) => sink.close(r));
    }
  });

  it('without a URL push sends nothing and says why (exit 2)', () => {
    const r = spawnSync(process.execPath, [cli, 'push', '--data-dir', tempDir('tcd-push-none-')], {
      env: env(tempDir('tcd-push-h-')),
      encoding: 'utf8',
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--remote-write URL, --otlp URL or both/);
  });
});
