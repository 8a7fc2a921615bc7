// The OTLP receiver with the official OpenTelemetry JS SDK's exporters (protobuf and JSON) on a real
// server on loopback: Claude Code-shaped request events become records the CLI reports, counted
// once (also against the same request in a transcript), bad bodies store nothing, replays add nothing.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { UsageEngine } from '../../src/core/engine';
import { PriceTable } from '../../src/core/pricing/pricing';
import { claudeCodeOtelEnv } from '../../src/core/server/otlp';
import { UsageServer } from '../../src/core/server/server';
import { assistantLine, tempDir, writeLines } from './helpers';

const KEY = 'otlp-test-key-0123456789abcdefghijklmnopqrstuvwxyz';
const prices = new PriceTable();
const root = path.resolve(__dirname, '../../..');
const cli = path.join(root, 'dist', 'cli.js');
const SESSION = '5b1c1a52-2d7e-4a86-9d3a-2f4c0e1d9a11';

interface Event {
  model: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  cost: number;
  at: Date;
  session?: string;
}

/** Log records as Claude Code emits them: body and event.name, every number as a string. */
function claudeRecords(events: Event[]): ReadableLogRecord[] {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.1.0', project: 'ci-runner' }),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const logger = provider.getLogger('com.anthropic.claude_code.events', '2.1.0');
  events.forEach((e, i) => {
    logger.emit({
      timestamp: e.at,
      body: 'claude_code.api_request',
      attributes: {
        'event.name': 'api_request',
        'event.timestamp': e.at.toISOString(),
        'event.sequence': i,
        'session.id': e.session ?? SESSION,
        'user.account_uuid': 'acc-1',
        'user.email': 'dev@example.com',
        'organization.id': 'org-1',
        'terminal.type': 'vscode',
        model: e.model,
        input_tokens: String(e.input),
        output_tokens: String(e.output),
        cache_read_tokens: String(e.cacheRead),
        cache_creation_tokens: String(e.cacheWrite),
        cost_usd: String(e.cost),
        duration_ms: '2100',
      },
    });
  });
  // A tool event in the same batch: not a request, ignored.
  logger.emit({
    body: 'claude_code.tool_result',
    attributes: { 'event.name': 'tool_result', tool_name: 'Read', success: 'true', 'session.id': SESSION },
  });
  return memory.getFinishedLogRecords();
}

function exportWith(exporter: LogRecordExporter | PushMetricExporter, items: unknown): Promise<ExportResult> {
  return new Promise((resolve) => (exporter.export as (x: unknown, cb: (r: ExportResult) => void) => void)(items, resolve));
}

function post(port: number, p: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: p, headers: { 'x-api-key': KEY, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface DailyJson {
  daily: {
    date: string;
    inputTokens: number;
    outputTokens: number;
    cacheReadTokens: number;
    cacheCreationTokens: number;
    totalCost: number;
    modelsUsed: string[];
  }[];
  totals: { inputTokens: number; outputTokens: number; totalCost: number };
}

function cliDaily(dataDir: string, home: string): DailyJson {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, TZ: 'UTC', NO_COLOR: '1' };
  for (const k of ['CLAUDE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'CODEX_HOME', 'TOKEN_COST_API_KEY']) delete env[k];
  const r = spawnSync(process.execPath, [cli, 'report', 'daily', '--json', '-z', 'UTC', '--data-dir', dataDir], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as DailyJson;
}

describe('OTLP receiver: the OpenTelemetry SDK exporters on loopback', function () {
  this.timeout(60_000);
  let dir: string;
  let home: string;
  let engine: UsageEngine;
  let server: UsageServer;

  const day = new Date(Date.UTC(2026, 10, 20, 10, 0, 0));
  const events: Event[] = [
    { model: 'claude-sonnet-4-5-20250929', input: 1200, output: 340, cacheRead: 52_000, cacheWrite: 4100, cost: 0.0456, at: day },
    {
      model: 'claude-sonnet-4-5-20250929',
      input: 800,
      output: 1210,
      cacheRead: 56_000,
      cacheWrite: 0,
      cost: 0.0372,
      at: new Date(day.getTime() + 60_000),
    },
    {
      model: 'claude-haiku-4-5-20251001',
      input: 3000,
      output: 120,
      cacheRead: 0,
      cacheWrite: 0,
      cost: 0.0036,
      at: new Date(day.getTime() + 120_000),
    },
  ];

  beforeEach(async () => {
    dir = tempDir('tcd-otlp-');
    home = tempDir('tcd-otlp-home-');
    const projects = path.join(home, '.claude', 'projects');
    engine = await UsageEngine.open({
      dbFile: path.join(dir, 'usage.sqlite'),
      roots: () => [{ kind: 'claude', path: projects }],
      prices: () => prices,
      costMode: () => 'auto',
    });
    server = await UsageServer.start({ engine, apiKey: KEY, port: 0, prices: () => prices, timeZone: () => 'UTC' });
  });

  afterEach(async () => {
    await server.close();
    await engine.close();
  });

  async function closeAndReport(): Promise<DailyJson> {
    await server.close();
    await engine.close();
    const report = cliDaily(dir, home);
    // Reopened for afterEach.
    engine = await UsageEngine.open({
      dbFile: path.join(dir, 'usage.sqlite'),
      roots: () => [],
      prices: () => prices,
      costMode: () => 'auto',
    });
    server = await UsageServer.start({ engine, apiKey: KEY, port: 0, prices: () => prices, timeZone: () => 'UTC' });
    return report;
  }

  it('protobuf (x-api-key) and JSON (Authorization: Bearer) exports become records in the CLI report; a replay adds nothing', async () => {
    const proto = new ProtoLogExporter({ url: `${server.url}/v1/logs`, headers: { 'x-api-key': KEY } });
    const json = new JsonLogExporter({ url: `${server.url}/v1/logs`, headers: { Authorization: `Bearer ${KEY}` } });
    const first = await exportWith(proto, claudeRecords(events.slice(0, 2)));
    assert.equal(first.code, ExportResultCode.SUCCESS, String(first.error));
    const second = await exportWith(json, claudeRecords(events.slice(2)));
    assert.equal(second.code, ExportResultCode.SUCCESS, String(second.error));
    assert.equal(engine.store.recordCount(), 3);
    // The same batches again, in the other encodings: the exporter's retry or a restarted agent.
    assert.equal((await exportWith(json, claudeRecords(events.slice(0, 2)))).code, ExportResultCode.SUCCESS);
    assert.equal((await exportWith(proto, claudeRecords(events))).code, ExportResultCode.SUCCESS);
    assert.equal(engine.store.recordCount(), 3, 'a replayed batch stores nothing new');
    await proto.shutdown();
    await json.shutdown();

    const report = await closeAndReport();
    assert.equal(report.daily.length, 1);
    const d = report.daily[0];
    assert.equal(d.date, '2026-11-20');
    assert.equal(d.inputTokens, 1200 + 800 + 3000);
    assert.equal(d.outputTokens, 340 + 1210 + 120);
    assert.equal(d.cacheReadTokens, 52_000 + 56_000);
    assert.equal(d.cacheCreationTokens, 4100);
    // The cost Claude Code reported for each request (auto mode: a reported cost wins).
    assert.ok(Math.abs(d.totalCost - (0.0456 + 0.0372 + 0.0036)) < 1e-9, `cost ${d.totalCost}`);
    assert.deepEqual([...d.modelsUsed].sort(), ['claude-haiku-4-5-20251001', 'claude-sonnet-4-5-20250929']);
  });

  it('a request both in a transcript and over OTLP is counted once, the transcript copy, in either order', async () => {
    const file = path.join(home, '.claude', 'projects', '-work-app', `${SESSION}.jsonl`);
    // The transcript has the first request (a few seconds earlier than the event's time) ...
    const line = (e: Event, n: number) =>
      assistantLine({
        sessionId: SESSION,
        model: e.model,
        input: e.input,
        output: e.output,
        cacheRead: e.cacheRead,
        cacheWrite: e.cacheWrite,
        timestamp: new Date(e.at.getTime() - 4000).toISOString(),
        id: `msg_${n}`,
        requestId: `req_${n}`,
        cwd: '/work/app',
      });
    writeLines(file, [line(events[0], 0)]);
    await engine.scan();
    assert.equal(engine.store.recordCount(), 1);
    const proto = new ProtoLogExporter({ url: `${server.url}/v1/logs`, headers: { 'x-api-key': KEY } });
    // ... then all three arrive over OTLP: the first is the transcript's request, not a new one.
    assert.equal((await exportWith(proto, claudeRecords(events))).code, ExportResultCode.SUCCESS);
    assert.equal(engine.store.recordCount(), 3);
    // The second request reaches the transcript after its event: the OTLP copy gives way.
    writeLines(file, [line(events[1], 1)], true);
    await engine.scan();
    assert.equal(engine.store.recordCount(), 3);
    await proto.shutdown();
    const rows = engine.store.all('SELECT source, project FROM usage ORDER BY ts');
    assert.deepEqual(
      rows.map((r) => r.source),
      ['claude-code', 'claude-code', 'otel'],
    );
    assert.equal(rows[2].project, 'ci-runner', 'the project resource attribute names the project');
  });

  it('bad bodies get 400 (or 415) and store nothing; gzip works; the key and Host rules hold', async () => {
    const port = server.port;
    const good = Buffer.from(
      JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  {
                    timeUnixNano: String(BigInt(day.getTime()) * 1_000_000n),
                    body: { stringValue: 'claude_code.api_request' },
                    attributes: [
                      { key: 'event.name', value: { stringValue: 'api_request' } },
                      { key: 'session.id', value: { stringValue: SESSION } },
                      { key: 'model', value: { stringValue: 'claude-haiku-4-5-20251001' } },
                      { key: 'input_tokens', value: { intValue: 10 } },
                      { key: 'output_tokens', value: { stringValue: '5' } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const json = { 'content-type': 'application/json' };
    const cases: [string, Buffer, Record<string, string>, number][] = [
      ['garbage protobuf', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), { 'content-type': 'application/x-protobuf' }, 400],
      ['not JSON', Buffer.from('{"resourceLogs": ['), json, 400],
      ['negative tokens', Buffer.from(good.toString().replace('"intValue":10', '"intValue":-10')), json, 400],
      ['no model', Buffer.from(good.toString().replace('"model"', '"modelx"')), json, 400],
      ['bad UTF-8', Buffer.concat([Buffer.from('{"resourceLogs":[],"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), json, 400],
      ['not gzip', good, { ...json, 'content-encoding': 'gzip' }, 400],
      ['text/plain', good, { 'content-type': 'text/plain' }, 415],
    ];
    for (const [name, body, headers, status] of cases) {
      const r = await post(port, '/v1/logs', body, headers);
      assert.equal(r.status, status, `${name}: ${r.text}`);
    }
    assert.equal(engine.store.recordCount(), 0, 'nothing was stored');
    assert.equal((await post(port, '/v1/logs', good, { ...json, 'x-api-key': 'wrong' })).status, 401);
    assert.equal((await post(port, '/v1/logs', good, { ...json, host: 'evil.example:80' })).status, 403);
    const gz = await post(port, '/v1/logs', zlib.gzipSync(good), { ...json, 'content-encoding': 'gzip' });
    assert.equal(gz.status, 200, gz.text);
    assert.equal(engine.store.recordCount(), 1);
    // A gzip bomb: small on the wire, past the size limit unpacked.
    const bomb = await post(port, '/v1/logs', zlib.gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)), { ...json, 'content-encoding': 'gzip' });
    assert.equal(bomb.status, 413);
  });

  it('the settings "Copy OpenTelemetry Settings for Claude Code" copies make the SDK send here, with no other configuration', async () => {
    const text = claudeCodeOtelEnv(server.url, KEY);
    const vars = Object.fromEntries(
      text
        .trim()
        .split('\n')
        .map((line) => {
          const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
          assert.ok(m, `a shell export: ${line}`);
          return [m[1], m[2].replace(/^'(.*)'$/, '$1')];
        }),
    );
    assert.equal(vars.CLAUDE_CODE_ENABLE_TELEMETRY, '1');
    const saved = { ...process.env };
    Object.assign(process.env, vars);
    let exporter: ProtoLogExporter;
    try {
      exporter = new ProtoLogExporter();
    } finally {
      for (const k of Object.keys(vars))
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    }
    const result = await exportWith(exporter, claudeRecords(events.slice(0, 1)));
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    assert.equal(engine.store.recordCount(), 1);
    await exporter.shutdown();
  });

  it("/v1/metrics takes the SDK's protobuf metrics export and stores no second copy of the requests", async () => {
    const exporter = new OTLPMetricExporter({ url: `${server.url}/v1/metrics`, headers: { 'x-api-key': KEY } });
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meters = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'claude-code' }), readers: [reader] });
    const tokens = meters.getMeter('com.anthropic.claude_code').createCounter('claude_code.token.usage', { unit: 'tokens' });
    tokens.add(1200, { type: 'input', model: 'claude-sonnet-4-5-20250929', 'session.id': SESSION });
    const { resourceMetrics } = await reader.collect();
    const result = await exportWith(exporter, resourceMetrics);
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    assert.equal(engine.store.recordCount(), 0);
    assert.equal(
      (await post(server.port, '/v1/metrics', Buffer.from('{"resourceMetrics": 3}'), { 'content-type': 'application/json' })).status,
      400,
    );
    await meters.shutdown();
  });
});
