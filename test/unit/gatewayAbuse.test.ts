import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import WebSocket from 'ws';
import { UsageEngine } from '../../src/core/engine';
import { PriceTable } from '../../src/core/pricing/pricing';
import { GATEWAY_MAX_CONNECTIONS, UsageServer } from '../../src/core/server/server';
import { tempDir } from './helpers';

const KEY = 'abuse-key-0123456789abcdefghijklmnopqrstuvwxyz';

async function waitFor(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function open(port: number, key = KEY): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/gateway`, { headers: { 'x-api-key': key } });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', () => resolve(0));
  });
}

/** The socket under a `ws` client, to write what no well-behaved client would. */
const rawSocket = (ws: WebSocket) => (ws as unknown as { _socket: net.Socket })._socket;

/** A masked text frame header announcing `length` bytes (the payload is sent separately). */
function frameHead(length: number): Buffer {
  const head = Buffer.alloc(14);
  head[0] = 0x81;
  head[1] = 0x80 | 127;
  head.writeBigUInt64BE(BigInt(length), 2);
  crypto.randomBytes(4).copy(head, 10);
  return head;
}

describe('gateway under abuse: dead peers dropped, connections capped, memory bounded', function () {
  this.timeout(180_000);

  it('drops a peer that stops answering pings and one that half-closes, keeps a live one', async () => {
    const dir = tempDir('tcd-gw-');
    const engine = await UsageEngine.open({
      dbFile: path.join(dir, 'usage.sqlite'),
      roots: () => [],
      prices: () => new PriceTable(),
      costMode: () => 'auto',
    });
    const server = await UsageServer.start({
      engine,
      apiKey: KEY,
      port: 0,
      prices: () => new PriceTable(),
      timeZone: () => 'UTC',
      gatewayPingMs: 4000,
    });
    try {
      const live = (await open(server.port)) as WebSocket;
      const frozen = (await open(server.port)) as WebSocket;
      const halfClosed = (await open(server.port)) as WebSocket;
      assert.equal(server.gatewayConnections, 3);
      // A vanished peer: its socket stays open but nothing is read or answered (no pong).
      rawSocket(frozen).pause();
      (frozen as unknown as { pong: () => void }).pong = () => undefined;
      frozen.removeAllListeners('ping');
      (frozen as unknown as { _receiver: { removeAllListeners(): void } })._receiver.removeAllListeners();
      // A peer that sends FIN without a close frame (the CLOSE-WAIT case): gone before any ping round.
      rawSocket(halfClosed).end();
      await waitFor('the half-closed one to be dropped', () => server.gatewayConnections === 2, 3000);
      // The silent one misses a ping round and is dropped at the next (within two rounds).
      await waitFor('the frozen one to be dropped', () => server.gatewayConnections === 1, 12_000);
      assert.equal(live.readyState, WebSocket.OPEN, 'a peer that answers pings stays');
      const reply = new Promise<string>((resolve) => live.once('message', (d) => resolve(String(d))));
      live.send(
        JSON.stringify({
          type: 'event',
          event: 'token_usage',
          id: 'alive',
          payload: { model: 'm', sessionId: 's', inputTokens: 1, outputTokens: 1 },
        }),
      );
      assert.equal(JSON.parse(await reply).accepted, 1);
      live.close();
      frozen.terminate();
    } finally {
      await server.close();
      await engine.close();
    }
  });

  it(`1,000 connections holding 1 MB partial frames, three rounds: at most ${GATEWAY_MAX_CONNECTIONS} open, the rest refused (503), memory bounded`, async () => {
    const dir = tempDir('tcd-gw-');
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HOME: dir,
      CLAUDE_CONFIG_DIR: path.join(dir, 'none'),
      CODEX_HOME: path.join(dir, 'none'),
      TOKEN_COST_API_KEY: KEY,
    };
    const proc = spawn(
      process.execPath,
      [path.join(__dirname, '..', '..', 'src', 'cli.js'), 'serve', '--port', String(port), '--data-dir', dir],
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += d));
    const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1]) / 1024;
    const sockets = () =>
      readdirSync(`/proc/${proc.pid}/fd`).filter((fd) => {
        try {
          return readlinkSync(`/proc/${proc.pid}/fd/${fd}`).startsWith('socket:');
        } catch {
          return false;
        }
      }).length;
    const payload = Buffer.alloc(1024 * 1024 - 1, 0x20);
    try {
      await waitFor('the server', () => stderr.includes('Serving on'));
      const idleSockets = sockets();
      const figures: string[] = [`baseline ${rssMb().toFixed(0)} MB, ${idleSockets} sockets`];
      let peak = 0;
      for (let round = 0; round < 3; round++) {
        const clients: WebSocket[] = [];
        const refused: number[] = [];
        for (let i = 0; i < 1000; i += 50) {
          const batch = await Promise.all(Array.from({ length: 50 }, () => open(port)));
          for (const c of batch) {
            if (typeof c === 'number') refused.push(c);
            else {
              clients.push(c);
              // A 1 MB frame announced and sent but for its last byte: the server must hold it.
              rawSocket(c).write(frameHead(1024 * 1024));
              rawSocket(c).write(payload);
            }
          }
        }
        await new Promise((r) => setTimeout(r, 1500));
        const rss = rssMb();
        peak = Math.max(peak, rss);
        const openSockets = sockets();
        figures.push(`round ${round + 1}: ${clients.length} open, ${refused.length} refused, ${rss.toFixed(0)} MB, ${openSockets} sockets`);
        assert.ok(openSockets <= idleSockets + GATEWAY_MAX_CONNECTIONS, `the server holds at most the cap of sockets (${openSockets})`);
        assert.ok(clients.length <= GATEWAY_MAX_CONNECTIONS, `at most the cap is open (${clients.length})`);
        assert.ok(
          refused.every((s) => s === 503),
          `refused with 503: ${[...new Set(refused)].join(', ')}`,
        );
        for (const c of clients) c.terminate();
        await waitFor('the server to let the sockets go', () => sockets() <= idleSockets + 1);
      }
      // Sockets are gone: a new client is served again.
      const after = await open(port);
      assert.ok(after instanceof WebSocket, 'served again once the abusers left');
      after.terminate();
      figures.push(`after ${rssMb().toFixed(0)} MB`);
      console.log(`      server RSS: ${figures.join('; ')}`);
      // The cap times the largest message, plus the process itself.
      assert.ok(peak < GATEWAY_MAX_CONNECTIONS * 1.5 + 250, `peak RSS ${peak.toFixed(0)} MB stays bounded`);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    }
  });
});
