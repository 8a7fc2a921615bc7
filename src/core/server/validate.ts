import { randomUUID } from 'node:crypto';
import type { UsageRecord } from '../model';
import type { PriceTable, TokenCounts } from '../pricing/pricing';
import type { StoredReport } from '../store';

/** A request the server refuses: the HTTP status, a stable error code and a readable detail. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

const invalid = (detail: string) => new RequestError(422, 'invalid_fields', detail);

/** Larger token counts in one request are not plausible; they are typing or unit mistakes. */
export const MAX_TOKENS = 1_000_000_000;
const MAX_COST = 1_000_000;
const MAX_ID_LENGTH = 256;
/** Events in one POST /api/events body or one gateway frame. */
export const MAX_EVENTS = 10_000;
// Reported instants before this are unit mistakes (epoch seconds sent as milliseconds).
const EARLIEST_TS = Date.UTC(2000, 0, 1);
const FUTURE_SLACK_MS = 24 * 3600_000;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: unknown, where: string): Obj {
  if (!isObj(v)) throw invalid(`${where} must be a JSON object`);
  return v;
}

function count(o: Obj, key: string, where: string, required: boolean): number | undefined {
  const v = o[key];
  if (v === undefined || (v === null && !required)) {
    if (required) throw invalid(`${where}${key} is required (a whole number of tokens)`);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_TOKENS) {
    throw invalid(`${where}${key} must be a whole number from 0 to ${MAX_TOKENS}, got ${short(v)}`);
  }
  return v;
}

function text(o: Obj, key: string, where: string, required: boolean, max = MAX_ID_LENGTH): string | undefined {
  const v = o[key];
  if (v === undefined || (v === null && !required)) {
    if (required) throw invalid(`${where}${key} is required (a string)`);
    return undefined;
  }
  if (typeof v !== 'string') throw invalid(`${where}${key} must be a string, got ${short(v)}`);
  const s = v.trim();
  if (s === '' || s.length > max || CONTROL.test(s)) {
    throw invalid(`${where}${key} must be 1 to ${max} characters without control characters`);
  }
  return s;
}

function cost(o: Obj, key: string, where: string): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_COST) {
    throw invalid(`${where}${key} must be a number of USD from 0 to ${MAX_COST}, got ${short(v)}`);
  }
  return v;
}

/** An ISO 8601 instant with a zone, or epoch milliseconds; from 2000 until a day from now. */
export function timestamp(o: Obj, key: string, where: string, now: number): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  let ms: number;
  if (typeof v === 'string') {
    if (!ISO_INSTANT.test(v))
      throw invalid(`${where}${key} must be an ISO 8601 instant with a zone (e.g. 2026-03-04T10:00:00Z) or epoch milliseconds`);
    ms = Date.parse(v);
  } else if (typeof v === 'number' && Number.isInteger(v)) {
    ms = v;
  } else {
    throw invalid(`${where}${key} must be an ISO 8601 string or epoch milliseconds, got ${short(v)}`);
  }
  if (!Number.isFinite(ms) || ms < EARLIEST_TS || ms > now + FUTURE_SLACK_MS) {
    throw invalid(`${where}${key} is out of range (before 2000 or more than a day ahead; epoch values are milliseconds)`);
  }
  return ms;
}

function short(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/**
 * Where a reported record's cost comes from: the reported cost, else the price table, under both
 * cost rules (what ccusage would count, and what the API would bill).
 */
function priced(
  prices: PriceTable,
  model: string,
  counts: TokenCounts,
  reported: number | null,
): { cost: number; apiCost?: number; unpriced: boolean } {
  const p = prices.cost(model, counts, reported, 'auto');
  const api = prices.apiCost(model, counts, reported, 'auto').cost;
  return { cost: p.cost, ...(api !== p.cost ? { apiCost: api } : {}), unpriced: !p.priced };
}

function counts(input: number, output: number, cacheWrite = 0, cacheRead = 0): TokenCounts {
  return { inputTokens: input, outputTokens: output, cacheWriteTokens: cacheWrite, cacheWrite1hTokens: 0, cacheReadTokens: cacheRead };
}

/** The agent id in `/api/agents/{id}/heartbeat`, percent-decoded. */
export function agentIdFromPath(raw: string): string {
  let id: string;
  try {
    id = decodeURIComponent(raw);
  } catch {
    throw invalid('the agent id in the path is not valid percent-encoding');
  }
  return text({ id }, 'id', 'agent ', true, 128)!;
}

export interface Heartbeat {
  status: string;
  /** Empty when the heartbeat carried no tokens (a liveness ping). */
  records: UsageRecord[];
}

/**
 * `POST /api/agents/{id}/heartbeat` `{status, tokens?: {model, input, output, cost?, cacheRead?,
 * cacheWrite?, sessionId?, requestId?, project?, timestamp?}}`. The record's session is the
 * agent id (that is how agentOf() names heartbeat agents); its project is `tokens.project`, else
 * the agent's own sessionId, else the agent id. A requestId makes a retry a duplicate.
 */
export function heartbeatFromBody(agentId: string, body: unknown, prices: PriceTable, now = Date.now()): Heartbeat {
  const o = object(body, 'the heartbeat');
  const status = text(o, 'status', '', true, 64)!;
  if (o.tokens === undefined || o.tokens === null) return { status, records: [] };
  const t = object(o.tokens, 'tokens');
  const w = 'tokens.';
  const model = text(t, 'model', w, true)!;
  const input = count(t, 'input', w, true)!;
  const output = count(t, 'output', w, true)!;
  const cacheRead = count(t, 'cacheRead', w, false) ?? 0;
  const cacheWrite = count(t, 'cacheWrite', w, false) ?? 0;
  const reported = cost(t, 'cost', w);
  const sessionId = text(t, 'sessionId', w, false);
  const requestId = text(t, 'requestId', w, false);
  const project = text(t, 'project', w, false);
  const given = timestamp(t, 'timestamp', w, now) ?? timestamp(o, 'timestamp', '', now);
  const ts = given ?? now;
  const c = counts(input, output, cacheWrite, cacheRead);
  return {
    status,
    records: [
      stamped(given === undefined, {
        dedupKey: requestId ? `hb:${agentId}:${requestId}` : `hb:${agentId}:${randomUUID()}`,
        timestamp: ts,
        source: 'heartbeat',
        model,
        project: project ?? sessionId ?? agentId,
        sessionId: agentId,
        ...c,
        reportedCost: reported,
        ...priced(prices, model, c, reported),
        isSidechain: false,
      }),
    ],
  };
}

export interface EventBatch {
  records: UsageRecord[];
  /** Well-formed frames that are not token_usage events (other gateway traffic). */
  ignored: number;
}

/**
 * One gateway event or an array of them: `{type:"event", event:"token_usage", id?, timestamp?,
 * payload:{model, sessionId, inputTokens, outputTokens, totalTokens?, cost?, cacheReadTokens?,
 * cacheWriteTokens?, project?, requestId?}}`. The session is the reporting agent's session id.
 * One invalid event refuses the whole batch, so a retry of the batch is all-or-nothing.
 */
export function eventsFromBody(body: unknown, prices: PriceTable, now = Date.now()): EventBatch {
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw invalid('the event array is empty');
  if (list.length > MAX_EVENTS) throw invalid(`at most ${MAX_EVENTS} events per request`);
  const records: UsageRecord[] = [];
  let ignored = 0;
  list.forEach((item, i) => {
    const at = Array.isArray(body) ? `[${i}].` : '';
    const e = object(item, Array.isArray(body) ? `event [${i}]` : 'the event');
    if (e.type !== 'event' || e.event !== 'token_usage') {
      if (typeof e.type !== 'string') throw invalid(`${at}type must be a string ("event")`);
      ignored++;
      return;
    }
    const p = object(e.payload, `${at}payload`);
    const w = `${at}payload.`;
    const model = text(p, 'model', w, true)!;
    const sessionId = text(p, 'sessionId', w, true)!;
    const input = count(p, 'inputTokens', w, true)!;
    const output = count(p, 'outputTokens', w, true)!;
    const cacheRead = count(p, 'cacheReadTokens', w, false) ?? 0;
    const cacheWrite = count(p, 'cacheWriteTokens', w, false) ?? 0;
    const total = count(p, 'totalTokens', w, false);
    if (total !== undefined && total < input + output) {
      throw invalid(`${w}totalTokens (${total}) is less than inputTokens + outputTokens (${input + output})`);
    }
    const reported = cost(p, 'cost', w);
    const id = text(e, 'id', at, false);
    const requestId = text(p, 'requestId', w, false);
    const project = text(p, 'project', w, false);
    const given = timestamp(e, 'timestamp', at, now) ?? timestamp(p, 'timestamp', w, now);
    const ts = given ?? now;
    const c = counts(input, output, cacheWrite, cacheRead);
    records.push(
      stamped(given === undefined, {
        dedupKey: id ? `ev:${id}` : requestId ? `ev:${sessionId}:${requestId}` : `ev:${randomUUID()}`,
        timestamp: ts,
        source: 'heartbeat',
        model,
        project: project ?? sessionId,
        sessionId,
        ...c,
        reportedCost: reported,
        ...priced(prices, model, c, reported),
        isSidechain: false,
      }),
    );
  });
  return { records, ignored };
}

/**
 * `POST /api/usage` `{project, task, tokens | inputTokens/outputTokens | input/output, model?,
 * cost?, requestId?, timestamp?}`: a manual log as `token-cost log` and the reference scripts'
 * `token-tracker.sh log` send it. The task is kept as the session. Without a model the tokens cost
 * $0 (or the reported cost): there is nothing to price them with.
 */
export function manualFromBody(body: unknown, prices: PriceTable, now = Date.now()): UsageRecord {
  const o = object(body, 'the usage entry');
  const project = text(o, 'project', '', true)!;
  const task = text(o, 'task', '', true)!;
  const tokens = count(o, 'tokens', '', false);
  const input = count(o, 'inputTokens', '', false) ?? count(o, 'input', '', false);
  const output = count(o, 'outputTokens', '', false) ?? count(o, 'output', '', false);
  if (tokens !== undefined && (input !== undefined || output !== undefined)) {
    throw invalid('send either tokens or inputTokens/outputTokens, not both');
  }
  const inputTokens = tokens ?? input ?? 0;
  const outputTokens = output ?? 0;
  if (inputTokens + outputTokens === 0) throw invalid('tokens (or inputTokens/outputTokens) must be more than 0');
  const model = text(o, 'model', '', false) ?? 'unspecified';
  const reported = cost(o, 'cost', '');
  const requestId = text(o, 'requestId', '', false);
  const given = timestamp(o, 'timestamp', '', now);
  const c = counts(inputTokens, outputTokens);
  const p = model === 'unspecified' ? { cost: reported ?? 0, unpriced: false } : priced(prices, model, c, reported);
  return stamped(given === undefined, {
    dedupKey: `manual:${requestId ?? randomUUID()}`,
    timestamp: given ?? now,
    source: 'manual',
    model,
    project,
    sessionId: task,
    ...c,
    reportedCost: reported,
    ...p,
    isSidechain: false,
  });
}

/** Records whose time is the arrival time (the body had none): a retry arrives later and is still the same. */
const timedOnArrival = new WeakSet<UsageRecord>();

function stamped(onArrival: boolean, r: UsageRecord): UsageRecord {
  if (onArrival) timedOnArrival.add(r);
  return r;
}

/**
 * What differs between a stored reported record and one sent again under its id, or undefined
 * when it is the same report (a retry). The computed cost is not compared: prices may have
 * changed between the two; what the client sent is.
 */
export function reportDifference(stored: StoredReport, r: UsageRecord): string | undefined {
  const fields: [string, unknown, unknown][] = [
    ['model', stored.model, r.model],
    ['project', stored.project, r.project],
    ['session', stored.sessionId, r.sessionId],
    ['input tokens', stored.inputTokens, r.inputTokens],
    ['output tokens', stored.outputTokens, r.outputTokens],
    ['cache write tokens', stored.cacheWriteTokens, r.cacheWriteTokens],
    ['cache read tokens', stored.cacheReadTokens, r.cacheReadTokens],
    ['cost', stored.reportedCost, r.reportedCost],
    ['source', stored.source, r.source],
  ];
  if (!timedOnArrival.has(r)) fields.push(['timestamp', new Date(stored.timestamp).toISOString(), new Date(r.timestamp).toISOString()]);
  const diff = fields.find(([, a, b]) => a !== b);
  return diff && `${diff[0]} ${short(diff[1])} was stored, this one has ${short(diff[2])}`;
}

/** A 409: the id was already used for a different record, which is kept. */
export function conflictError(r: UsageRecord, difference: string): RequestError {
  const id = r.dedupKey.replace(/^(?:hb:[^:]*:|ev:|manual:)/, '');
  return new RequestError(
    409,
    'conflict',
    `the id ${short(id)} was already stored with other values (${difference}); the stored record is kept. Send a new id for a new record.`,
  );
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The one rule for the text of every request body and gateway message: it is UTF-8, or it is
 * refused (400, naming the first bad byte), never stored with U+FFFD in place of what was sent.
 */
export function decodeUtf8(bytes: Uint8Array, what = 'the body'): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    // The first bad byte: the shortest prefix that fails as a stream (a cut-off character does not).
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      let bad = false;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      } catch {
        bad = true;
      }
      if (bad) hi = mid;
      else lo = mid + 1;
    }
    const at = Math.min(lo, bytes.length - 1);
    throw new RequestError(
      400,
      'invalid_utf8',
      `${what} is not valid UTF-8 (byte ${at} is 0x${(bytes[at] ?? 0).toString(16).padStart(2, '0')}); send text as UTF-8`,
    );
  }
}

/** Parses a JSON body; anything that is not UTF-8 or does not parse is a 400. */
export function parseJson(bytes: Buffer): unknown {
  const s = decodeUtf8(bytes);
  if (s.trim() === '') throw new RequestError(400, 'malformed_json', 'the body is empty; send a JSON object');
  try {
    return JSON.parse(s);
  } catch (err) {
    throw new RequestError(400, 'malformed_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
}
