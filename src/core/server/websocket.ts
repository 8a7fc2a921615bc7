import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

/**
 * The gateway's WebSocket side, on the `ws` package: it parses frames, reassembles fragmented
 * messages, answers pings, enforces the payload limit (1009), validates close codes and UTF-8
 * per RFC 6455 (1002, 1007), and handles a peer's half-close. This file adds what the gateway
 * needs on top: text (JSON) messages only, replies in order, a cap on connections, a ping/pong
 * liveness check and an idle limit.
 */

export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooBig: 1009,
  internalError: 1011,
} as const;

/** Why an upgrade request is not a valid WebSocket handshake, or undefined when it is. */
export function handshakeProblem(req: IncomingMessage): { status: number; detail: string } | undefined {
  if (req.method !== 'GET') return { status: 405, detail: 'the WebSocket handshake must be a GET' };
  if (!/\bwebsocket\b/i.test(String(req.headers.upgrade ?? ''))) return { status: 400, detail: 'Upgrade: websocket is required' };
  if (!/\bupgrade\b/i.test(String(req.headers.connection ?? ''))) return { status: 400, detail: 'Connection: Upgrade is required' };
  if (req.headers['sec-websocket-version'] !== '13') return { status: 426, detail: 'only WebSocket version 13 is supported' };
  const key = String(req.headers['sec-websocket-key'] ?? '');
  if (!/^[A-Za-z0-9+/]{22}==$/.test(key)) return { status: 400, detail: 'Sec-WebSocket-Key must be 16 base64-encoded bytes' };
  return undefined;
}

export interface GatewayOptions {
  /** Largest accepted message; bigger ones close the connection with 1009. Also what one connection may buffer. */
  maxPayload: number;
  /** Open connections at most; the handshake of one more is refused with 503. */
  maxConnections: number;
  /** Handles one text message (its UTF-8 bytes); the resolved object is sent back as the reply, in order. */
  onText: (bytes: Buffer) => Promise<object>;
  /** Messages beyond the rate limit (per remote address) get an error reply instead of being handled. */
  allow?: (remote: string) => boolean;
  /** Messages handled concurrently per connection before reading from it pauses. */
  maxInFlight?: number;
  /** Closes a connection (1001) that sent no message and no ping for this long; 0 never. */
  idleMs?: number;
  /** A ping every this often; a peer that has not answered the previous one is dropped. */
  pingMs?: number;
}

/** Every gateway connection of one server. */
export class Gateway {
  private readonly wss: WebSocketServer;
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly liveness: NodeJS.Timeout;
  /** Handshakes accepted but not yet open count against the cap too. */
  private opening = 0;

  constructor(private readonly opts: GatewayOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload, perMessageDeflate: false, clientTracking: true });
    // A peer that vanished without a close (a crash, a cut cable) answers no ping: it is dropped
    // after two rounds, within 2 x pingMs (40 s by default).
    this.liveness = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (this.alive.get(ws) === false) {
          ws.terminate();
          continue;
        }
        this.alive.set(ws, false);
        ws.ping();
      }
    }, opts.pingMs ?? 20_000);
    this.liveness.unref?.();
  }

  /** Open connections (and handshakes in progress). */
  get size(): number {
    return this.wss.clients.size + this.opening;
  }

  get full(): boolean {
    return this.size >= this.opts.maxConnections;
  }

  /** Completes the handshake (already checked by the server) and serves the connection. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const remote = req.socket.remoteAddress ?? '?';
    this.opening++;
    let settled = false;
    const settle = () => {
      if (!settled) this.opening--;
      settled = true;
    };
    // A handshake that fails inside ws (the socket closed first) never calls back: its close settles it.
    socket.once('close', settle);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      settle();
      this.serve(ws, remote);
    });
  }

  /** Tells every client the server goes away, and cuts off those that do not close within half a second. */
  async close(): Promise<void> {
    clearInterval(this.liveness);
    const clients = [...this.wss.clients];
    for (const ws of clients) ws.close(CLOSE.goingAway, 'server stopping');
    await Promise.race([
      Promise.all(
        clients.map((ws) => new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.once('close', () => resolve())))),
      ),
      new Promise((resolve) => setTimeout(resolve, 500).unref()),
    ]);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private serve(ws: WebSocket, remote: string): void {
    this.alive.set(ws, true);
    ws.on('pong', () => this.alive.set(ws, true));
    ws.on('error', () => ws.terminate());
    let idle: NodeJS.Timeout | undefined;
    if (this.opts.idleMs) {
      idle = setTimeout(() => this.fail(ws, CLOSE.goingAway, 'idle'), this.opts.idleMs);
      idle.unref?.();
    }
    const active = () => {
      this.alive.set(ws, true);
      idle?.refresh();
    };
    ws.on('ping', active);
    ws.on('close', () => {
      if (idle) clearTimeout(idle);
    });
    const maxInFlight = this.opts.maxInFlight ?? 256;
    let inFlight = 0;
    let replies: Promise<void> = Promise.resolve();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      active();
      if (isBinary) return this.fail(ws, CLOSE.unsupportedData, 'only text frames (JSON) are accepted');
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      const reply: Promise<object> =
        this.opts.allow && !this.opts.allow(remote)
          ? Promise.resolve({ ok: false, error: 'rate_limited', detail: 'too many messages; slow down' })
          : this.opts.onText(bytes).catch((err: Error) => ({ ok: false, error: 'internal', detail: err.message }));
      if (++inFlight >= maxInFlight) ws.pause();
      // Messages are handled concurrently (their durable writes share one flush); replies keep order.
      replies = replies.then(async () => {
        const body = await reply;
        if (--inFlight < maxInFlight && ws.isPaused) ws.resume();
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(body));
      });
    });
  }

  /** Closes with `code`; a peer that never answers the close is cut off after 2 s (ws itself waits 30 s). */
  private fail(ws: WebSocket, code: number, reason: string): void {
    ws.close(code, reason);
    setTimeout(() => ws.terminate(), 2000).unref();
  }
}
