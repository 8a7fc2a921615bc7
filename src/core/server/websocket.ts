import * as crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The server side of RFC 6455, for the gateway's text frames only. A gateway frame is one JSON
 * event (or an array); fragmented messages, binary frames and extensions are not needed by any
 * gateway client, so they are refused with a close code instead of being half supported.
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

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

const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`. */
export function acceptKey(clientKey: string): string {
  return crypto.createHash('sha1').update(clientKey + GUID).digest('base64');
}

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

/** Encodes one unmasked server frame (servers never mask). */
export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  let head: Buffer;
  if (len < 126) {
    head = Buffer.from([0x80 | opcode, len]);
  } else if (len < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0x80 | opcode;
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

export interface GatewayOptions {
  /** Largest accepted message payload; bigger ones close the connection with 1009. */
  maxPayload: number;
  /** Handles one text message; the resolved object is sent back as the reply, in order. */
  onText: (text: string) => Promise<object>;
  /** Frames beyond the rate limit get an error reply instead of being handled. */
  allow?: () => boolean;
  /** Messages handled concurrently per connection before the socket is paused. */
  maxInFlight?: number;
  /** Closes the connection (1001) after this long without a frame; 0 never. */
  idleMs?: number;
}

/** One accepted gateway connection: parses frames, answers pings, replies to each message in order. */
export class GatewayConnection {
  private buffer: Buffer = Buffer.alloc(0);
  /** A close frame arrived: later frames are ignored while pending replies are sent. */
  private closing = false;
  private closed = false;
  private inFlight = 0;
  private replies: Promise<void> = Promise.resolve();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly socket: Duplex,
    private readonly opts: GatewayOptions,
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.drop());
    socket.on('close', () => this.drop());
    // A silent peer holds a socket and its memory: it is told to go away, then cut off.
    const timed = socket as Duplex & { setTimeout?: (ms: number, cb: () => void) => void };
    if (opts.idleMs && typeof timed.setTimeout === 'function') timed.setTimeout(opts.idleMs, () => this.close(CLOSE.goingAway, 'idle'));
  }

  /** Completes the handshake on `socket` and starts reading frames. */
  static accept(req: IncomingMessage, socket: Duplex, head: Buffer, opts: GatewayOptions): GatewayConnection {
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${acceptKey(String(req.headers['sec-websocket-key']))}\r\n\r\n`,
    );
    const conn = new GatewayConnection(socket, opts);
    if (head.length) conn.receive(head);
    return conn;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Sends a close frame with `code` and ends the connection (after pending replies). */
  close(code: number, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    // A control frame carries at most 125 bytes: the reason is cut on a character boundary.
    let text = reason;
    while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
    const body = Buffer.alloc(2 + Buffer.byteLength(text));
    body.writeUInt16BE(code, 0);
    body.write(text, 2);
    this.socket.write(encodeFrame(OP.close, body));
    this.socket.end();
    // A peer that never answers the close is cut off.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private drop(): void {
    this.closed = true;
    this.socket.destroy();
    this.buffer = Buffer.alloc(0);
  }

  private receive(chunk: Buffer): void {
    if (this.closed || this.closing) return;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    while (!this.closed && !this.closing) {
      const frame = this.nextFrame();
      if (!frame) break;
      this.handle(frame.fin, frame.opcode, frame.payload);
    }
  }

  /** Takes one complete frame off the buffer, or returns undefined when more bytes are needed. */
  private nextFrame(): { fin: boolean; opcode: number; payload: Buffer } | undefined {
    const b = this.buffer;
    if (b.length < 2) return undefined;
    const fin = (b[0] & 0x80) !== 0;
    const rsv = b[0] & 0x70;
    const opcode = b[0] & 0x0f;
    const masked = (b[1] & 0x80) !== 0;
    let len = b[1] & 0x7f;
    let offset = 2;
    if (rsv) return this.fail(CLOSE.protocolError, 'no extensions were negotiated');
    if (!masked) return this.fail(CLOSE.protocolError, 'client frames must be masked');
    if (len === 126) {
      if (b.length < 4) return undefined;
      len = b.readUInt16BE(2);
      offset = 4;
    } else if (len === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.opts.maxPayload)) return this.fail(CLOSE.tooBig, `messages are limited to ${this.opts.maxPayload} bytes`);
      len = Number(big);
      offset = 10;
    }
    if (len > this.opts.maxPayload) return this.fail(CLOSE.tooBig, `messages are limited to ${this.opts.maxPayload} bytes`);
    if (b.length < offset + 4 + len) return undefined;
    const mask = b.subarray(offset, offset + 4);
    const payload = Buffer.from(b.subarray(offset + 4, offset + 4 + len));
    for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    this.buffer = b.subarray(offset + 4 + len);
    return { fin, opcode, payload };
  }

  private fail(code: number, reason: string): undefined {
    this.close(code, reason);
    return undefined;
  }

  private handle(fin: boolean, opcode: number, payload: Buffer): void {
    const control = opcode >= 0x8;
    if (control && (!fin || payload.length > 125)) return void this.fail(CLOSE.protocolError, 'invalid control frame');
    switch (opcode) {
      case OP.ping:
        this.socket.write(encodeFrame(OP.pong, payload));
        return;
      case OP.pong:
        return;
      case OP.close: {
        // RFC 6455 5.5.1 and 7.4: a close body is empty or a 2-byte code (plus a reason), and
        // 1005, 1006 and 1015 never go on the wire.
        const code = payload.length === 0 ? CLOSE.normal : payload.length === 1 ? 0 : payload.readUInt16BE(0);
        const valid = code >= 1000 && code < 5000 && code !== 1004 && code !== 1005 && code !== 1006 && code !== 1015;
        // Echo the peer's code once the replies already promised have been sent.
        this.closing = true;
        void this.replies.then(() => this.close(valid ? code : CLOSE.protocolError));
        return;
      }
      case OP.text:
        if (!fin) return void this.fail(CLOSE.unsupportedData, 'fragmented messages are not supported; send each event in one frame');
        return this.text(payload);
      case OP.continuation:
        return void this.fail(CLOSE.unsupportedData, 'fragmented messages are not supported; send each event in one frame');
      case OP.binary:
        return void this.fail(CLOSE.unsupportedData, 'only text frames (JSON) are accepted');
      default:
        return void this.fail(CLOSE.protocolError, `unknown opcode ${opcode}`);
    }
  }

  private text(payload: Buffer): void {
    let message: string;
    try {
      message = this.decoder.decode(payload);
    } catch {
      return void this.fail(CLOSE.invalidPayload, 'text frames must be valid UTF-8');
    }
    const reply: Promise<object> =
      this.opts.allow && !this.opts.allow()
        ? Promise.resolve({ ok: false, error: 'rate_limited', detail: 'too many messages; slow down' })
        : this.opts.onText(message).catch((err: Error) => ({ ok: false, error: 'internal', detail: err.message }));
    this.inFlight++;
    if (this.inFlight >= (this.opts.maxInFlight ?? 256)) this.socket.pause();
    // Messages are handled concurrently (their durable writes share one flush); replies keep order.
    this.replies = this.replies.then(async () => {
      const body = await reply;
      this.inFlight--;
      if (this.socket.isPaused() && this.inFlight < (this.opts.maxInFlight ?? 256)) this.socket.resume();
      if (!this.socket.destroyed && this.socket.writable) this.socket.write(encodeFrame(OP.text, Buffer.from(JSON.stringify(body))));
    });
  }
}
