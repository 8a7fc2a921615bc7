/**
 * The OTLP/HTTP receiver's decoding: `POST /v1/logs` and `/v1/metrics` bodies in either OTLP
 * encoding (binary protobuf or JSON), turned into usage records. Agents that run where no
 * transcript is on this disk (containers, CI runners, other machines) report each model request
 * as an OpenTelemetry log event; those events become records with source `otel`.
 *
 * The protobuf messages come from the OpenTelemetry proto definitions as compiled by the
 * OpenTelemetry JS project (static protobufjs code shipped in @opentelemetry/otlp-transformer
 * 0.52, installed under the alias @opentelemetry/otlp-proto-definitions); newer releases of that
 * package only encode, and a receiver has to decode.
 */
import { createHash } from 'node:crypto';
import type { UsageRecord } from '../model';
import type { PriceTable } from '../pricing/pricing';
import { decodeUtf8, MAX_TOKENS, RequestError } from './validate';

// The generated module has no type declarations worth the name (root.d.ts is empty).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const generated = require('@opentelemetry/otlp-proto-definitions/build/src/generated/root.js') as ProtoRoot;

interface ProtoType {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: object): unknown;
}
interface ProtoRoot {
  opentelemetry: {
    proto: {
      collector: {
        logs: { v1: { ExportLogsServiceRequest: ProtoType } };
        metrics: { v1: { ExportMetricsServiceRequest: ProtoType } };
      };
    };
  };
}

/** The OTLP encodings: binary protobuf or the JSON mapping (same field names after toObject). */
export type OtlpEncoding = 'protobuf' | 'json';

const bad = (detail: string) => new RequestError(400, 'bad_otlp', detail);

/** Which encoding a Content-Type names; a 415 otherwise. */
export function otlpEncoding(contentType: string | undefined): OtlpEncoding {
  const type = String(contentType ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  throw new RequestError(415, 'unsupported_media_type', 'send OTLP as Content-Type: application/x-protobuf or application/json');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Decodes an export request body to the JSON-mapping shape (camelCase fields, int64 as strings). */
export function decodeOtlp(kind: 'logs' | 'metrics', encoding: OtlpEncoding, bytes: Buffer): Obj {
  if (encoding === 'json') {
    const text = decodeUtf8(bytes);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw bad(`the body is not valid JSON: ${(err as Error).message}`);
    }
    if (!isObj(body)) throw bad('the body must be a JSON object (an OTLP export request)');
    return body;
  }
  const c = generated.opentelemetry.proto.collector;
  const type = kind === 'logs' ? c.logs.v1.ExportLogsServiceRequest : c.metrics.v1.ExportMetricsServiceRequest;
  let message: unknown;
  try {
    message = type.decode(bytes);
  } catch (err) {
    throw bad(`the body is not an OTLP ${kind} protobuf message: ${(err as Error).message}`);
  }
  checkUtf8Strings(message);
  return type.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false, arrays: true }) as Obj;
}

function checkUtf8Strings(message: unknown): void {
  // protobufjs decodes strings leniently (U+FFFD for bad bytes) and keeps no raw bytes, so a string
  // holding U+FFFD is refused like any other invalid UTF-8 body. A sender's own U+FFFD is refused
  // too: a rare loss, for never storing a replacement in place of what was sent.
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.includes('\uFFFD'))
        throw new RequestError(400, 'invalid_utf8', 'a string in the protobuf body is not valid UTF-8; send text as UTF-8');
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isObj(v)) for (const k of Object.keys(v)) walk(v[k]);
  };
  walk(message);
}

/** An OTLP AnyValue as a plain value: strings, numbers (ints as number), booleans; else undefined. */
function plain(v: unknown): string | number | boolean | undefined {
  if (!isObj(v)) return undefined;
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (typeof v.doubleValue === 'number') return v.doubleValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  return undefined;
}

function attributes(list: unknown, where: string): Map<string, string | number | boolean> {
  const out = new Map<string, string | number | boolean>();
  if (list === undefined) return out;
  if (!Array.isArray(list)) throw bad(`${where}attributes must be an array`);
  for (const kv of list) {
    if (!isObj(kv) || typeof kv.key !== 'string') throw bad(`${where}attributes must be {key, value} pairs`);
    const p = plain(kv.value);
    if (p !== undefined) out.set(kv.key, p);
  }
  return out;
}

function list(o: Obj, key: string, where: string): unknown[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(`${where}${key} must be an array`);
  return v;
}

/** The request events this receiver knows, by agent. Everything else in a batch is ignored. */
type Tool = 'claude-code' | 'gemini-cli' | 'codex';

interface Shape {
  tool: Tool;
  model: string;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reportedCost: number | null;
  session: string;
  requestId?: string;
}

/**
 * A number attribute: Claude Code sends them as strings ("1234", "0.0123"), others as ints.
 * Tokens must be whole numbers from 0 to MAX_TOKENS.
 */
function tokens(a: Map<string, unknown>, key: string, where: string): number {
  const v = a.get(key);
  if (v === undefined) return 0;
  const n = typeof v === 'string' && /^\d{1,12}$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_TOKENS) {
    throw bad(`${where}attribute ${key} must be a whole number of tokens from 0 to ${MAX_TOKENS}, got ${JSON.stringify(v)}`);
  }
  return n;
}

function usd(a: Map<string, unknown>, key: string, where: string): number | null {
  const v = a.get(key);
  if (v === undefined) return null;
  const n = typeof v === 'string' && /^\d+(?:\.\d+)?(?:e-?\d+)?$/i.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1_000_000) {
    throw bad(`${where}attribute ${key} must be a number of USD from 0 to 1000000, got ${JSON.stringify(v)}`);
  }
  return n;
}

function str(a: Map<string, unknown>, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = a.get(k);
    if (typeof v === 'string' && v.trim() !== '') return v.trim().slice(0, 256);
  }
  return undefined;
}

/** The event's name: `event.name`, else the body (Claude Code puts `claude_code.api_request` in both forms). */
function eventName(record: Obj, a: Map<string, unknown>): string {
  const body = plain(record.body);
  const byAttr = str(a, 'event.name');
  if (byAttr && byAttr.includes('.')) return byAttr;
  if (typeof record.eventName === 'string' && record.eventName) return record.eventName;
  if (typeof body === 'string' && body.includes('.')) return body;
  return byAttr ?? '';
}

/**
 * The request events, as their agents document them:
 * - Claude Code `claude_code.api_request`: model, input_tokens, output_tokens, cache_read_tokens,
 *   cache_creation_tokens, cost_usd, session.id (request_id when present).
 * - Gemini CLI `gemini_cli.api_response`: input_token_count includes cached_content_token_count;
 *   thoughts_token_count is billed as output.
 * - Codex `codex.sse_event` with event.kind `response.completed`: input_token_count includes
 *   cached_token_count; output_token_count includes the reasoning tokens.
 */
function shapeOf(name: string, a: Map<string, unknown>, where: string): Shape | undefined {
  const model = () => {
    const m = str(a, 'model', 'gen_ai.response.model', 'gen_ai.request.model', 'slug');
    if (!m) throw bad(`${where}attribute model is required on a ${name} event`);
    return m;
  };
  const session = str(a, 'session.id', 'conversation.id', 'thread.id') ?? 'otel';
  if (name === 'claude_code.api_request') {
    return {
      tool: 'claude-code',
      model: model(),
      session,
      input: tokens(a, 'input_tokens', where),
      output: tokens(a, 'output_tokens', where),
      cacheRead: tokens(a, 'cache_read_tokens', where),
      cacheWrite: tokens(a, 'cache_creation_tokens', where),
      reportedCost: usd(a, 'cost_usd', where),
      requestId: str(a, 'request_id', 'request.id'),
    };
  }
  if (name === 'gemini_cli.api_response') {
    const input = tokens(a, 'input_token_count', where);
    const cached = Math.min(tokens(a, 'cached_content_token_count', where), input);
    return {
      tool: 'gemini-cli',
      model: model(),
      session,
      input: input - cached,
      output: tokens(a, 'output_token_count', where) + tokens(a, 'thoughts_token_count', where),
      cacheRead: cached,
      cacheWrite: 0,
      reportedCost: null,
    };
  }
  if (name === 'codex.sse_event' && str(a, 'event.kind') === 'response.completed') {
    const input = tokens(a, 'input_token_count', where);
    const cached = Math.min(tokens(a, 'cached_token_count', where), input);
    return {
      tool: 'codex',
      model: model(),
      session,
      input: input - cached,
      output: tokens(a, 'output_token_count', where),
      cacheRead: cached,
      cacheWrite: tokens(a, 'cache_write_token_count', where),
      reportedCost: null,
    };
  }
  return undefined;
}

/** Epoch ms of a log record: timeUnixNano, else observedTimeUnixNano, else `event.timestamp`, else now. */
function when(record: Obj, a: Map<string, unknown>, where: string, now: number): number {
  for (const k of ['timeUnixNano', 'observedTimeUnixNano']) {
    const v = record[k];
    if (v === undefined || v === null || v === '0' || v === 0) continue;
    if (!/^\d{1,20}$/.test(String(v))) throw bad(`${where}${k} must be a whole number of nanoseconds, got ${JSON.stringify(v)}`);
    return Number(BigInt(String(v)) / 1_000_000n);
  }
  const iso = str(a, 'event.timestamp');
  if (iso) {
    const ms = Date.parse(iso);
    if (!Number.isFinite(ms)) throw bad(`${where}attribute event.timestamp is not an ISO 8601 instant: ${JSON.stringify(iso)}`);
    return ms;
  }
  return now;
}

export interface OtlpLogBatch {
  records: UsageRecord[];
  /** Log records that are not a known agent's request event. */
  ignored: number;
}

const EARLIEST_TS = Date.UTC(2000, 0, 1);

/**
 * The request events of an ExportLogsServiceRequest. One bad request event refuses the whole
 * batch (400, nothing stored), so a retry of the batch is all-or-nothing.
 *
 * The project is the `project` attribute of the record or its resource (set it with
 * `OTEL_RESOURCE_ATTRIBUTES=project=NAME`), else `service.name`, else the tool. The record's id
 * is the agent's request id when it sends one; otherwise a digest of everything it reported, so
 * a replayed batch maps to the same ids and stores nothing new.
 */
export function recordsFromLogs(body: Obj, prices: PriceTable, now = Date.now()): OtlpLogBatch {
  const records: UsageRecord[] = [];
  let ignored = 0;
  list(body, 'resourceLogs', '').forEach((rl, i) => {
    if (!isObj(rl)) throw bad(`resourceLogs[${i}] must be an object`);
    const resource = attributes(isObj(rl.resource) ? rl.resource.attributes : undefined, `resourceLogs[${i}].resource.`);
    list(rl, 'scopeLogs', `resourceLogs[${i}].`).forEach((sl, j) => {
      if (!isObj(sl)) throw bad(`resourceLogs[${i}].scopeLogs[${j}] must be an object`);
      list(sl, 'logRecords', `resourceLogs[${i}].scopeLogs[${j}].`).forEach((lr, k) => {
        const where = `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}].`;
        if (!isObj(lr)) throw bad(`${where.slice(0, -1)} must be an object`);
        const a = attributes(lr.attributes, where);
        const shape = shapeOf(eventName(lr, a), a, where);
        if (!shape) {
          ignored++;
          return;
        }
        const ts = when(lr, a, where, now);
        if (ts < EARLIEST_TS || ts > now + 24 * 3600_000)
          throw bad(`${where}the time is out of range (before 2000 or more than a day ahead)`);
        const project = str(a, 'project') ?? str(resource, 'project', 'service.name') ?? shape.tool;
        const counts = {
          inputTokens: shape.input,
          outputTokens: shape.output,
          cacheWriteTokens: shape.cacheWrite,
          cacheWrite1hTokens: 0,
          cacheReadTokens: shape.cacheRead,
        };
        const p = prices.cost(shape.model, counts, shape.reportedCost, 'auto');
        const id = shape.requestId
          ? `${shape.tool}:${shape.requestId}`
          : createHash('sha256')
              .update(
                JSON.stringify([
                  shape.tool,
                  shape.session,
                  ts,
                  shape.model,
                  shape.input,
                  shape.output,
                  shape.cacheRead,
                  shape.cacheWrite,
                  shape.reportedCost,
                  str(a, 'event.sequence', 'prompt.id') ?? '',
                ]),
              )
              .digest('base64url')
              .slice(0, 32);
        records.push({
          dedupKey: `otel:${id}`,
          timestamp: ts,
          source: 'otel',
          model: shape.model,
          project,
          sessionId: shape.session,
          ...counts,
          reportedCost: shape.reportedCost,
          cost: p.cost,
          unpriced: !p.priced,
          isSidechain: false,
        });
      });
    });
  });
  return { records, ignored };
}

/**
 * /v1/metrics: the body is decoded and checked (a bad body is a 400) but nothing is stored. The
 * agents' counters (`claude_code.token.usage`, `claude_code.cost.usage`) sum the same requests
 * their log events report one by one; storing both would count every request twice, and the
 * counters carry no request identity to count them once.
 */
export function checkMetrics(body: Obj): { dataPoints: number } {
  let points = 0;
  list(body, 'resourceMetrics', '').forEach((rm, i) => {
    if (!isObj(rm)) throw bad(`resourceMetrics[${i}] must be an object`);
    list(rm, 'scopeMetrics', `resourceMetrics[${i}].`).forEach((sm, j) => {
      if (!isObj(sm)) throw bad(`resourceMetrics[${i}].scopeMetrics[${j}] must be an object`);
      list(sm, 'metrics', `resourceMetrics[${i}].scopeMetrics[${j}].`).forEach((m) => {
        if (!isObj(m)) throw bad(`resourceMetrics[${i}].scopeMetrics[${j}].metrics must hold objects`);
        for (const kind of ['sum', 'gauge', 'histogram', 'exponentialHistogram', 'summary']) {
          const data = m[kind];
          if (isObj(data) && Array.isArray(data.dataPoints)) points += data.dataPoints.length;
        }
      });
    });
  });
  return { dataPoints: points };
}

/**
 * What "Token Cost: Copy OpenTelemetry Settings for Claude Code" copies: the environment that
 * makes Claude Code (or any OpenTelemetry SDK) send its request events to this server's
 * /v1/logs over OTLP/HTTP protobuf, with the API key as a header. Metrics stay off: this server
 * stores nothing from them (see checkMetrics).
 */
export function claudeCodeOtelEnv(serverUrl: string, apiKey: string): string {
  return (
    [
      'CLAUDE_CODE_ENABLE_TELEMETRY=1',
      'OTEL_LOGS_EXPORTER=otlp',
      'OTEL_METRICS_EXPORTER=none',
      'OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/protobuf',
      `OTEL_EXPORTER_OTLP_LOGS_ENDPOINT=${serverUrl.replace(/\/+$/, '')}/v1/logs`,
      `OTEL_EXPORTER_OTLP_HEADERS=x-api-key=${apiKey}`,
    ]
      .map(
        (line) => `export ${line.replace(/^([^=]+)=(.*)$/, (_m, k: string, v: string) => `${k}=${/^[\w./:=-]+$/.test(v) ? v : `'${v}'`}`)}`,
      )
      .join('\n') + '\n'
  );
}
