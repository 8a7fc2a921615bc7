import * as http from 'node:http';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Role } from '../engine';
import type { UsageRecord } from '../model';
import type { CostRules, PriceTable } from '../pricing/pricing';
import type { Budget } from '../status';
import { recoveryMessage, type StoredReport, type UsageStore } from '../store';
import { apiKeyMatches, presentedApiKey } from './apiKey';
import { METRICS_CONTENT_TYPE, prometheusText } from './metrics';
import { checkMetrics, decodeOtlp, otlpEncoding, recordsFromLogs, type OtlpEncoding } from './otlp';
import * as read from './readApi';
import {
  agentIdFromPath,
  conflictError,
  eventsFromBody,
  heartbeatFromBody,
  manualFromBody,
  parseJson,
  reportDifference,
  RequestError,
} from './validate';
import { Gateway, handshakeProblem } from './websocket';

/** What the server needs of the engine: durable acceptance and the store to read from. */
export interface UsageSink {
  readonly store: UsageStore;
  readonly role: Role;
  accept(records: readonly UsageRecord[]): Promise<number>;
}

export interface RateLimit {
  /** Requests a client may send at once… */
  burst: number;
  /** …and per second after that. */
  perSecond: number;
}

/**
 * One remote address on loopback is every local client together, so the default is sized far
 * above what one agent fleet sends (and above the server's own ~6k heartbeats/s): it stops a
 * runaway loop, not a busy fleet.
 */
export const DEFAULT_RATE_LIMIT: RateLimit = { burst: 10_000, perSecond: 10_000 };
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerOptions {
  engine: UsageSink;
  apiKey: string;
  /** 0 picks any free port. */
  port: number;
  prices: () => PriceTable;
  timeZone: () => string;
  budget?: () => Budget;
  burnAlertPerHour?: () => number;
  /** Budget percentages that alert (the status bar's and the dashboard's thresholds). */
  thresholds?: () => readonly number[];
  costRules?: () => CostRules;
  rateLimit?: RateLimit;
  maxBodyBytes?: number;
  /** A gateway connection silent this long (no message, not even a ping) is closed with 1001. */
  gatewayIdleMs?: number;
  /** Open gateway connections at most (each may buffer up to maxBodyBytes of a message). */
  gatewayMaxConnections?: number;
  /** How often gateway peers are pinged; one that misses a round is dropped. */
  gatewayPingMs?: number;
  version?: string;
  /** How the user frees the port, for the busy-port message (a setting in VS Code, a flag in the CLI). */
  portHint?: string;
  log?: (message: string) => void;
}

/** The port is taken by another program: the message names the fix. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    hint: string,
  ) {
    super(`Port ${port} on 127.0.0.1 is already in use by another program, so the Token Cost server did not start. ${hint}`);
  }
}

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
// Agents keep gateway connections open for hours; their clients ping every few seconds.
const GATEWAY_IDLE_MS = 10 * 60_000;
/** Far above what one machine's agents open; bounds the gateway's memory to about this many MB. */
export const GATEWAY_MAX_CONNECTIONS = 128;
const gunzip = promisify(zlib.gunzip) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;
const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

type Handler = (req: http.IncomingMessage, url: URL, params: string[]) => Promise<Reply> | Reply;
interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}
interface Route {
  pattern: RegExp;
  methods: Partial<Record<'GET' | 'POST', Handler>>;
  /** Served without an API key (only the health check). */
  open?: boolean;
}

/** Token bucket per remote address. */
class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly limit: RateLimit) {}

  take(key: string, now = performance.now()): boolean {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size > 10_000) this.buckets.clear();
      b = { tokens: this.limit.burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.perSecond);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

/**
 * The local heartbeat and read API: Node's http on 127.0.0.1 only. Every route but
 * /api/health needs the API key; requests from browsers (an Origin header) and requests whose
 * Host is not a loopback name (DNS rebinding) are refused before anything else, and no CORS
 * header is ever sent, so a web page can neither read nor write here. Writes are acknowledged
 * only after the engine made them durable.
 */
export class UsageServer {
  private readonly limiter: RateLimiter;
  private readonly maxBody: number;
  private readonly gateway: Gateway;
  private readonly routes: Route[];
  /** The last status each agent reported (heartbeats without tokens are not stored). */
  readonly agentStatus = new Map<string, { status: string; at: number }>();
  private actualPort = 0;

  private constructor(
    private readonly server: http.Server,
    private readonly opts: ServerOptions,
  ) {
    this.limiter = new RateLimiter(opts.rateLimit ?? DEFAULT_RATE_LIMIT);
    this.maxBody = opts.maxBodyBytes ?? MAX_BODY_BYTES;
    this.gateway = new Gateway({
      maxPayload: this.maxBody,
      maxConnections: opts.gatewayMaxConnections ?? GATEWAY_MAX_CONNECTIONS,
      idleMs: opts.gatewayIdleMs ?? GATEWAY_IDLE_MS,
      pingMs: opts.gatewayPingMs,
      allow: (remote) => this.limiter.take(remote),
      onText: (bytes) => this.gatewayMessage(bytes),
    });
    this.routes = [
      { pattern: /^\/api\/health$/, open: true, methods: { GET: () => ({ json: this.health() }) } },
      { pattern: /^\/api\/agents\/([^/]+)\/heartbeat$/, methods: { POST: (req, _u, p) => this.heartbeat(req, p[0]) } },
      { pattern: /^\/api\/events$/, methods: { POST: (req) => this.events(req) } },
      { pattern: /^\/api\/usage$/, methods: { POST: (req) => this.manual(req) } },
      {
        pattern: /^\/api\/gateway$/,
        methods: {
          GET: () => ({
            status: 426,
            json: { error: 'upgrade_required', detail: 'connect with a WebSocket client' },
            headers: { upgrade: 'websocket' },
          }),
        },
      },
      { pattern: /^\/api\/tokens$/, methods: { GET: (_r, u) => this.tokens(u) } },
      {
        pattern: /^\/api\/claude\/sessions$/,
        methods: { GET: (_r, u) => ({ json: read.claudeSessions(this.context(), u.searchParams) }) },
      },
      { pattern: /^\/api\/tokens-live$/, methods: { GET: () => ({ json: read.tokensLive(this.context(), this.agentStatus) }) } },
      { pattern: /^\/api\/costs$/, methods: { GET: (_r, u) => ({ json: read.costs(this.context(), u.searchParams) }) } },
      { pattern: /^\/api\/stats$/, methods: { GET: (_r, u) => ({ json: read.stats(this.context(), u.searchParams) }) } },
      { pattern: /^\/api\/logs$/, methods: { GET: (_r, u) => ({ json: read.logs(this.context(), u.searchParams) }) } },
      { pattern: /^\/api\/projects$/, methods: { GET: (_r, u) => ({ json: read.projects(this.context(), u.searchParams) }) } },
      // OTLP/HTTP (what OTEL_EXPORTER_OTLP_ENDPOINT=<this server> makes an exporter send).
      { pattern: /^\/v1\/logs$/, methods: { POST: (req) => this.otlpLogs(req) } },
      { pattern: /^\/v1\/metrics$/, methods: { POST: (req) => this.otlpMetrics(req) } },
      { pattern: /^\/api\/limits$/, methods: { GET: () => ({ json: read.limits(this.context()) }) } },
      {
        pattern: /^\/metrics$/,
        methods: { GET: () => ({ text: prometheusText(this.opts.engine.store), contentType: METRICS_CONTENT_TYPE }) },
      },
    ];
  }

  /** Listens on 127.0.0.1; rejects with PortInUseError when the port is taken. */
  static async start(opts: ServerOptions): Promise<UsageServer> {
    const server = http.createServer({ keepAliveTimeout: 5000, headersTimeout: 10_000, requestTimeout: 30_000 });
    const self = new UsageServer(server, opts);
    server.on('request', (req, res) => void self.handle(req, res));
    server.on('upgrade', (req, socket, head) => self.upgrade(req, socket, head));
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        if (err.code === 'EADDRINUSE')
          reject(new PortInUseError(opts.port, opts.portHint ?? 'Choose another port, or 0 for any free port.'));
        else if (err.code === 'EACCES')
          reject(new Error(`Not allowed to listen on port ${opts.port}. ${opts.portHint ?? 'Choose a port above 1024, or 0.'}`));
        else reject(err);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ port: opts.port, host: '127.0.0.1', exclusive: true });
    });
    server.on('error', (err) => opts.log?.(`Server error: ${err.message}`));
    self.actualPort = (server.address() as AddressInfo).port;
    return self;
  }

  get port(): number {
    return this.actualPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.actualPort}`;
  }

  /** Stops accepting, tells gateway clients it is going away, and waits for requests in flight. */
  async close(): Promise<void> {
    const gatewayClosed = this.gateway.close();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const force = setTimeout(() => this.server.closeAllConnections(), 2000);
    await Promise.all([closed, gatewayClosed]);
    clearTimeout(force);
  }

  /** Open gateway connections (for tests and diagnostics). */
  get gatewayConnections(): number {
    return this.gateway.size;
  }

  /** Open to anyone on loopback: whether the server is up and what opening the database repaired. */
  private health(): object {
    const r = this.opts.engine.store.recovery;
    const message = recoveryMessage(r);
    return {
      status: 'ok',
      version: this.opts.version ?? null,
      pid: process.pid,
      ...(message
        ? {
            recovery: {
              message,
              movedAside: r.movedAside ?? null,
              restoredFrom: r.restoredFrom ?? null,
              recovered: r.fromSnapshot + r.fromJournal,
              fromSnapshot: r.fromSnapshot,
              fromJournal: r.fromJournal,
              damagedJournalLines: r.unreadableJournalLines,
            },
          }
        : {}),
    };
  }

  private context(): read.ReadContext {
    return {
      store: this.opts.engine.store,
      timeZone: this.opts.timeZone(),
      budget: this.opts.budget?.() ?? {},
      burnAlertPerHour: this.opts.burnAlertPerHour?.() ?? 0,
      thresholds: this.opts.thresholds?.(),
      costRules: this.opts.costRules?.(),
      now: Date.now(),
    };
  }

  /** Host, Origin, rate limit and API key, in that order (shared by requests and upgrades). */
  private guard(req: http.IncomingMessage, open: boolean): void {
    const host = String(req.headers.host ?? '').toLowerCase();
    if (!LOOPBACK_HOSTS.some((h) => host === `${h}:${this.actualPort}`)) {
      throw new RequestError(403, 'forbidden_host', 'the Host header must be 127.0.0.1, localhost or [::1] with this port');
    }
    if (req.headers.origin !== undefined) {
      throw new RequestError(403, 'forbidden_origin', 'requests from web pages (with an Origin header) are not accepted');
    }
    if (!this.limiter.take(req.socket.remoteAddress ?? '?')) {
      throw new RequestError(429, 'rate_limited', 'too many requests from this client; retry shortly', { 'retry-after': '1' });
    }
    if (!open && !apiKeyMatches(presentedApiKey(req.headers), this.opts.apiKey)) {
      throw new RequestError(401, 'unauthorized', 'send the API key as x-api-key or Authorization: Bearer', {
        'www-authenticate': 'Bearer realm="token-cost"',
      });
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let params: string[] = [];
      const route = this.routes.find((r) => {
        const m = r.pattern.exec(url.pathname);
        if (m) params = m.slice(1);
        return m !== null;
      });
      // Unknown paths need the key too: without it, nothing about the API is revealed.
      this.guard(req, route?.open === true);
      if (!route) throw new RequestError(404, 'not_found', `no route ${url.pathname}`);
      const handler = route.methods[req.method as 'GET' | 'POST'];
      if (!handler) {
        throw new RequestError(405, 'method_not_allowed', `${req.method} is not allowed on ${url.pathname}`, {
          allow: Object.keys(route.methods).join(', '),
        });
      }
      const reply = await handler(req, url, params);
      this.send(res, reply.status ?? 200, reply);
    } catch (err) {
      this.sendError(req, res, err);
    }
  }

  private send(res: http.ServerResponse, status: number, reply: Reply): void {
    const body = reply.text ?? JSON.stringify(reply.json);
    res.writeHead(status, {
      ...COMMON_HEADERS,
      'content-type': reply.contentType ?? 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      ...reply.headers,
    });
    res.end(body);
  }

  private sendError(req: http.IncomingMessage, res: http.ServerResponse, err: unknown): void {
    let e: RequestError;
    if (err instanceof RequestError) e = err;
    else {
      this.opts.log?.(`Request ${req.method} ${req.url} failed: ${(err as Error).stack ?? err}`);
      e = new RequestError(500, 'internal', 'the server failed; see the Token Cost log');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers = { ...e.headers };
    if (e.status === 413) {
      // The rest of the body is not read: close the connection once the answer is out.
      headers.connection = 'close';
      res.on('finish', () => setTimeout(() => req.socket.destroy(), 1000).unref());
    }
    this.send(res, e.status, { json: { error: e.code, detail: e.message }, headers });
  }

  /** Reads a JSON body: 415 unless JSON, 413 beyond the limit (stops reading), 400 unless it parses. */
  private async body(req: http.IncomingMessage): Promise<unknown> {
    const type = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
      throw new RequestError(415, 'unsupported_media_type', 'send the body as Content-Type: application/json');
    }
    return parseJson(await this.bytes(req));
  }

  private tooBig(): RequestError {
    return new RequestError(413, 'payload_too_large', `the body is larger than ${this.maxBody} bytes`);
  }

  /** The raw body, at most maxBody bytes (413 beyond, and reading stops). */
  private async bytes(req: http.IncomingMessage): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.maxBody) throw this.tooBig();
    return new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > this.maxBody) {
          req.off('data', onData);
          req.pause();
          reject(this.tooBig());
          return;
        }
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.once('end', () => resolve(Buffer.concat(chunks)));
      req.once('error', reject);
    });
  }

  /**
   * An OTLP body: the encoding from Content-Type (415 otherwise), gzip undone when
   * Content-Encoding says so (the size limit applies to the unpacked body too, so a small bomb
   * is a 413), then decoded (400 when it is not an OTLP message).
   */
  private async otlpBody(
    req: http.IncomingMessage,
    kind: 'logs' | 'metrics',
  ): Promise<{ encoding: OtlpEncoding; body: Record<string, unknown> }> {
    const encoding = otlpEncoding(req.headers['content-type']);
    const coding = String(req.headers['content-encoding'] ?? 'identity')
      .trim()
      .toLowerCase();
    if (coding !== 'identity' && coding !== 'gzip') {
      throw new RequestError(415, 'unsupported_encoding', `Content-Encoding ${coding} is not accepted; send gzip or no encoding`);
    }
    let raw = await this.bytes(req);
    if (coding === 'gzip') {
      try {
        raw = await gunzip(raw, { maxOutputLength: this.maxBody });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw this.tooBig();
        throw new RequestError(400, 'bad_gzip', `the body is not valid gzip: ${(err as Error).message}`);
      }
    }
    return { encoding, body: decodeOtlp(kind, encoding, raw) };
  }

  /** An OTLP export response: an empty ExportLogsServiceResponse / ExportMetricsServiceResponse. */
  private otlpReply(encoding: OtlpEncoding, summary: Record<string, number>): Reply {
    const headers = Object.fromEntries(Object.entries(summary).map(([k, v]) => [`x-token-cost-${k}`, String(v)]));
    if (encoding === 'protobuf') return { text: '', contentType: 'application/x-protobuf', headers };
    return { json: {}, headers };
  }

  private async otlpLogs(req: http.IncomingMessage): Promise<Reply> {
    const { encoding, body } = await this.otlpBody(req, 'logs');
    const batch = recordsFromLogs(body, this.opts.prices());
    const stored = await this.accept(batch.records);
    return this.otlpReply(encoding, { accepted: stored.accepted, duplicate: stored.duplicate, ignored: batch.ignored });
  }

  private async otlpMetrics(req: http.IncomingMessage): Promise<Reply> {
    const { encoding, body } = await this.otlpBody(req, 'metrics');
    return this.otlpReply(encoding, { 'data-points': checkMetrics(body).dataPoints, accepted: 0 });
  }

  /** Stores records and says what was stored; resolves only after the engine made them durable. */
  private async accept(records: UsageRecord[]): Promise<{ accepted: number; duplicate: number; cost: number }> {
    const cost = records.reduce((s, r) => s + r.cost, 0);
    if (records.length === 0) return { accepted: 0, duplicate: 0, cost: 0 };
    let changed: number;
    try {
      changed = await this.acceptBatched(records);
    } catch (err) {
      if (err instanceof RequestError) throw err;
      throw new RequestError(
        503,
        'not_durable',
        `could not store the usage durably (${(err as Error).message}); nothing was acknowledged, retry`,
      );
    }
    // A reader hands records to the writer through its inbox: all of them are taken, none counted here.
    const accepted = this.opts.engine.role === 'writer' ? changed : records.length;
    return { accepted, duplicate: records.length - accepted, cost };
  }

  private pending: { records: UsageRecord[]; resolve: (changed: number) => void; reject: (err: Error) => void }[] = [];
  private batchScheduled = false;

  /**
   * One insert costs about 80 µs however few rows it has, so the new records of all requests
   * that arrive in one event-loop turn go to the engine together (their fsync is shared anyway).
   * A request whose records are not all new (a retry, a key repeated in the turn) is accepted on
   * its own, so that each request is still told exactly what it added.
   */
  private acceptBatched(records: UsageRecord[]): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      if (this.batchScheduled) return;
      this.batchScheduled = true;
      setImmediate(() => this.acceptPending());
    });
  }

  private acceptPending(): void {
    this.batchScheduled = false;
    const batch = this.pending;
    this.pending = [];
    const engine = this.opts.engine;
    let stored: Map<string, StoredReport>;
    try {
      stored = engine.store.storedReports(batch.flatMap((p) => p.records.map((r) => r.dedupKey)));
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
      return;
    }
    const seen = new Map<string, UsageRecord>();
    const fresh: typeof batch = [];
    const others: typeof batch = [];
    for (const p of batch) {
      // Checked record by record: two events with one id in the same body are not both new, and
      // an id already used for other values refuses the whole request (all or nothing, as for
      // invalid fields), keeping what was stored.
      let allNew = true;
      let conflict: RequestError | undefined;
      const mine = new Map<string, UsageRecord>();
      for (const r of p.records) {
        const before = stored.get(r.dedupKey) ?? seen.get(r.dedupKey) ?? mine.get(r.dedupKey);
        const difference = before && !r.messageId ? reportDifference(before, r) : undefined;
        if (difference) {
          conflict = conflictError(r, difference);
          break;
        }
        if (before || r.messageId) allNew = false;
        mine.set(r.dedupKey, r);
      }
      if (conflict) {
        p.reject(conflict);
        continue;
      }
      for (const [k, r] of mine) if (!seen.has(k)) seen.set(k, r);
      (allNew ? fresh : others).push(p);
    }
    // Inserts happen synchronously inside accept(), in this order, before anything else runs.
    if (fresh.length) {
      engine.accept(fresh.flatMap((p) => p.records)).then(
        () => fresh.forEach((p) => p.resolve(p.records.length)),
        (err: Error) => fresh.forEach((p) => p.reject(err)),
      );
    }
    for (const p of others) {
      engine.accept(p.records).then(async (changed) => {
        // A duplicate of a record still being flushed is acknowledged only once that is durable.
        if (changed < p.records.length) await engine.store.flush();
        p.resolve(changed);
      }, p.reject);
    }
  }

  private async heartbeat(req: http.IncomingMessage, rawId: string): Promise<Reply> {
    const agent = agentIdFromPath(rawId);
    const hb = heartbeatFromBody(agent, await this.body(req), this.opts.prices());
    const stored = await this.accept(hb.records);
    this.agentStatus.delete(agent);
    this.agentStatus.set(agent, { status: hb.status, at: Date.now() });
    if (this.agentStatus.size > 10_000) this.agentStatus.delete(this.agentStatus.keys().next().value!);
    return { json: { ok: true, agent, status: hb.status, ...stored } };
  }

  private async events(req: http.IncomingMessage): Promise<Reply> {
    const batch = eventsFromBody(await this.body(req), this.opts.prices());
    return { json: { ok: true, ...(await this.accept(batch.records)), ignored: batch.ignored } };
  }

  private async manual(req: http.IncomingMessage): Promise<Reply> {
    const record = manualFromBody(await this.body(req), this.opts.prices());
    const stored = await this.accept([record]);
    return {
      json: {
        ok: true,
        ...stored,
        project: record.project,
        task: record.sessionId,
        tokens: record.inputTokens + record.outputTokens,
        unpriced: record.unpriced,
      },
    };
  }

  private tokens(url: URL): Reply {
    const q = url.searchParams;
    const action = read.tokensAction(q);
    if (action === 'stats') return { json: read.tokenStats(this.context(), q) };
    if (action === 'trends') return { json: read.tokenTrends(this.context(), q) };
    const file = read.tokenExport(this.context(), q);
    return {
      text: file.body,
      contentType: file.contentType,
      headers: { 'content-disposition': `attachment; filename="${file.filename}"` },
    };
  }

  /** The gateway's handshake passes the same checks as any request, then speaks WebSocket. */
  private upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    try {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      this.guard(req, false);
      if (path !== '/api/gateway') throw new RequestError(404, 'not_found', `no WebSocket endpoint ${path}`);
      const problem = handshakeProblem(req);
      if (problem) {
        throw new RequestError(
          problem.status,
          'bad_handshake',
          problem.detail,
          problem.status === 426 ? { 'sec-websocket-version': '13' } : {},
        );
      }
      if (this.gateway.full) {
        throw new RequestError(503, 'too_many_connections', 'the gateway has as many connections open as it accepts; retry later', {
          'retry-after': '5',
        });
      }
    } catch (err) {
      const e = err instanceof RequestError ? err : new RequestError(500, 'internal', 'the server failed');
      const body = JSON.stringify({ error: e.code, detail: e.message });
      const extra = Object.entries(e.headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.end(
        `HTTP/1.1 ${e.status} ${http.STATUS_CODES[e.status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n${extra}\r\n${body}`,
      );
      return;
    }
    this.gateway.accept(req, socket, head);
  }

  /** One gateway frame: the same events as POST /api/events; the reply says what was stored. */
  private async gatewayMessage(bytes: Buffer): Promise<object> {
    try {
      const batch = eventsFromBody(parseJson(bytes), this.opts.prices());
      return { ok: true, ...(await this.accept(batch.records)), ignored: batch.ignored };
    } catch (err) {
      if (err instanceof RequestError) return { ok: false, status: err.status, error: err.code, detail: err.message };
      throw err;
    }
  }
}
