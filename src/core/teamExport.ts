/**
 * Export for teams: the store's all-time counters (the same figures as /metrics) labelled with
 * the user and the machine, as a Prometheus remote-write request (protobuf + snappy) or an OTLP
 * metrics export (protobuf). Every push sends cumulative totals read from the store, never deltas,
 * so a retried push, a restart or two windows pushing the same store cannot double count: the
 * receiver keeps the latest value of each series.
 */
import { gzipSync } from 'node:zlib';
import * as protobuf from 'protobufjs/minimal';
import * as snappy from 'snappyjs';
import { countersByModelSourceProject } from './query';
import type { UsageStore } from './store';

export interface PushLabels {
  user: string;
  machine: string;
}

/** One series: the metric name, its labels (without __name__) and its current value. */
export interface CounterSeries {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export const TOKEN_KINDS = ['input', 'output', 'cache_write', 'cache_read'] as const;

/** What the project label holds: the folder's name (default), the whole path, or nothing. */
export type ProjectLabel = 'name' | 'path' | 'none';

/**
 * The project label: the last part of the project's folder (a transcript's project is its working
 * directory), the whole path when asked, or '' (every project together: the fewest series).
 * Paths stay on the machine by default.
 */
export function projectLabel(project: string, mode: ProjectLabel): string {
  if (mode === 'path') return project;
  if (mode === 'none') return '';
  const parts = project.split(/[\\/]+/).filter((p) => p !== '');
  return parts.at(-1) ?? project;
}

/**
 * The series a push sends: token_cost_tokens_total (per token type), token_cost_cost_usd_total
 * and token_cost_requests_total, each by user, machine, project, model and source. The names and
 * the label `type` are those of the /metrics exposition. Projects whose labels coincide (two
 * folders with one name) are added together: a series is sent once.
 */
export function counterSeries(store: UsageStore, who: PushLabels, opts: { project?: ProjectLabel } = {}): CounterSeries[] {
  const groups = new Map<string, { labels: Record<string, string>; sums: number[] }>();
  for (const r of countersByModelSourceProject(store)) {
    const labels = {
      user: who.user,
      machine: who.machine,
      project: projectLabel(r.project, opts.project ?? 'name'),
      model: r.model,
      source: r.source,
    };
    const key = JSON.stringify(labels);
    const g = groups.get(key) ?? { labels, sums: [0, 0, 0, 0, 0, 0] };
    [r.inputTokens, r.outputTokens, r.cacheWriteTokens, r.cacheReadTokens, r.cost, r.requests].forEach((v, i) => (g.sums[i] += v));
    groups.set(key, g);
  }
  const out: CounterSeries[] = [];
  for (const { labels, sums } of groups.values()) {
    TOKEN_KINDS.forEach((type, i) => out.push({ name: 'token_cost_tokens_total', labels: { ...labels, type }, value: sums[i] }));
    out.push({ name: 'token_cost_cost_usd_total', labels, value: sums[4] });
    out.push({ name: 'token_cost_requests_total', labels, value: sums[5] });
  }
  return out;
}

/**
 * Prometheus remote write 1.0: a snappy-compressed (block format) `prometheus.WriteRequest`
 * (prompb/remote.proto: WriteRequest.timeseries = 1; TimeSeries.labels = 1, samples = 2;
 * Label.name = 1, value = 2; Sample.value = 1 (double), timestamp = 2 (int64 ms)). Labels are
 * sorted by name, as the protocol requires.
 */
export function remoteWriteBody(series: readonly CounterSeries[], now: number): Buffer {
  const w = protobuf.Writer.create();
  for (const s of series) {
    const ts = protobuf.Writer.create();
    const labels = Object.entries({ __name__: s.name, ...s.labels }).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [name, value] of labels)
      ts.uint32((1 << 3) | 2)
        .fork()
        .uint32((1 << 3) | 2)
        .string(name)
        .uint32((2 << 3) | 2)
        .string(value)
        .ldelim();
    ts.uint32((2 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 1)
      .double(s.value)
      .uint32((2 << 3) | 0)
      .int64(now)
      .ldelim();
    w.uint32((1 << 3) | 2).bytes(ts.finish());
  }
  return Buffer.from(snappy.compress(w.finish()));
}

export const REMOTE_WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
};

// eslint-disable-next-line @typescript-eslint/no-require-imports
const otlpRoot = require('@opentelemetry/otlp-proto-definitions/build/src/generated/root.js') as {
  opentelemetry: {
    proto: {
      collector: {
        metrics: {
          v1: {
            ExportMetricsServiceRequest: {
              fromObject(o: object): unknown;
              encode(m: unknown): { finish(): Uint8Array };
            };
          };
        };
      };
    };
  };
};

/**
 * An OTLP/HTTP metrics export (binary protobuf) of the same series: monotonic cumulative sums,
 * the user and machine also as the resource's `user.name` and `host.name`. `since` is the
 * counters' start (the first stored request), so a receiver sees one unbroken cumulative series.
 */
export function otlpMetricsBody(series: readonly CounterSeries[], who: PushLabels, now: number, since: number): Buffer {
  const nano = (ms: number) => (BigInt(Math.round(ms)) * 1_000_000n).toString();
  const byName = new Map<string, CounterSeries[]>();
  for (const s of series) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const metrics = [...byName].map(([name, list]) => ({
    name,
    unit: name === 'token_cost_cost_usd_total' ? 'USD' : name === 'token_cost_tokens_total' ? '{token}' : '{request}',
    sum: {
      aggregationTemporality: 2, // CUMULATIVE
      isMonotonic: true,
      dataPoints: list.map((s) => ({
        attributes: Object.entries(s.labels).map(([key, value]) => ({ key, value: { stringValue: value } })),
        startTimeUnixNano: nano(since),
        timeUnixNano: nano(now),
        ...(name === 'token_cost_cost_usd_total' ? { asDouble: s.value } : { asInt: String(s.value) }),
      })),
    },
  }));
  const request = {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'token-cost' } },
            { key: 'host.name', value: { stringValue: who.machine } },
            { key: 'user.name', value: { stringValue: who.user } },
          ],
        },
        scopeMetrics: [{ scope: { name: 'token-cost-dashboard' }, metrics }],
      },
    ],
  };
  const type = otlpRoot.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
  return Buffer.from(type.encode(type.fromObject(request)).finish());
}

export interface PushTargets {
  /** Prometheus remote-write endpoint (`…/api/v1/write`). */
  remoteWrite?: string;
  /** OTLP/HTTP metrics endpoint (`…/v1/metrics`). */
  otlp?: string;
  project?: ProjectLabel;
}

export interface PushResult {
  series: number;
  sent: { target: 'remoteWrite' | 'otlp'; url: string; bytes: number }[];
}

async function send(url: string, body: Buffer, headers: Record<string, string>, what: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    throw new Error(`${what} to ${url} failed: ${cause ? cause.message : (err as Error).message}`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).slice(0, 300).trim();
    throw new Error(`${what} to ${url} was refused: HTTP ${res.status}${text ? ` (${text})` : ''}`);
  }
}

/**
 * One push: the store's counters to each configured target. The same for the CLI's `push` and
 * the extension's scheduled push (tokenCost.team.*); rejects with a message naming the target.
 */
export async function pushCounters(store: UsageStore, who: PushLabels, targets: PushTargets, now = Date.now()): Promise<PushResult> {
  const series = counterSeries(store, who, { project: targets.project });
  const sent: PushResult['sent'] = [];
  if (targets.remoteWrite) {
    const body = remoteWriteBody(series, now);
    await send(targets.remoteWrite, body, REMOTE_WRITE_HEADERS, 'Remote write');
    sent.push({ target: 'remoteWrite', url: targets.remoteWrite, bytes: body.length });
  }
  if (targets.otlp) {
    const first = Number(store.get('SELECT min(ts) AS t FROM requests')?.t ?? now);
    // Attribute names repeat in every data point: gzip (which every OTLP receiver takes) shrinks it about tenfold.
    const body = gzipSync(otlpMetricsBody(series, who, now, first));
    await send(targets.otlp, body, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, 'OTLP export');
    sent.push({ target: 'otlp', url: targets.otlp, bytes: body.length });
  }
  return { series: series.length, sent };
}
