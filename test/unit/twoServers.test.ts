import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { UsageEngine } from '../../src/core/engine';
import { PriceTable } from '../../src/core/pricing/pricing';
import { tempDir } from './helpers';

// Two `token-cost serve` processes on one data folder and one port, each paused (SIGSTOP) past
// the lock's staleness and resumed: whoever holds the writer lock must end up serving the port,
// and every heartbeat acknowledged meanwhile must be stored.

const cli = path.join(__dirname, '..', '..', 'src', 'cli.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Serve {
  proc: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

function serve(dir: string, port: number): Serve {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    CLAUDE_CONFIG_DIR: path.join(dir, 'none'),
    CODEX_HOME: path.join(dir, 'none'),
  };
  delete env.TOKEN_COST_API_KEY;
  const proc = spawn(process.execPath, [cli, 'serve', '--port', String(port), '--data-dir', dir, '--tz', 'UTC'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  return { proc, stderr: () => err, exited: new Promise((resolve) => proc.on('exit', (code) => resolve(code))) };
}

function get(port: number, p: string, timeoutMs = 1500): Promise<{ status: number; json: any } | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, timeout: timeoutMs, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode!, json: JSON.parse(text) });
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function post(port: number, key: string, p: string, body: unknown): Promise<number | undefined> {
  return new Promise((resolve) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: p,
        method: 'POST',
        timeout: 30_000,
        agent: false,
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end(payload);
  });
}

const lockPid = (dir: string): number | undefined => {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'usage.sqlite.lock'), 'utf8')).pid;
  } catch {
    return undefined;
  }
};

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('two serve processes on one data folder: the lock holder always ends up serving', function () {
  this.timeout(120_000);

  it('through SIGSTOP/SIGCONT of each side, one server answers, it holds the lock, and no acknowledged heartbeat is lost', async () => {
    const dir = tempDir('tcd-two-');
    const port = await freePort();
    const a = serve(dir, port);
    const b: Serve[] = [];
    let stopSending = false;
    let sender: Promise<void> | undefined;
    const acked: string[] = [];
    const statuses: string[] = [];
    try {
      const servedBy = async () => (await get(port, '/api/health'))?.json?.pid as number | undefined;
      assert.equal(await waitFor('A to serve', servedBy), a.proc.pid);
      b.push(serve(dir, port));
      await waitFor('B to start as a reader', () => b[0].stderr().includes('Another process writes'));
      const key = readFileSync(path.join(dir, 'api-key'), 'utf8').trim();
      // Heartbeats all along, each acknowledged or not; the acknowledged ones must all be stored.
      // Four clients at once, so that some requests are in flight across every pause.
      sender = Promise.all(
        [0, 1, 2, 3].map(async (c) => {
          for (let i = 0; !stopSending; i++) {
            const id = `hb-${c}-${i}`;
            const status = await post(port, key, `/api/agents/${id}/heartbeat`, {
              status: 'busy',
              tokens: { model: 'claude-sonnet-4-5-20250929', input: 10, output: 1, requestId: id },
            });
            if (status === 200) acked.push(id);
            else statuses.push(String(status));
            await new Promise((r) => setTimeout(r, 30));
          }
        }),
      ).then(() => undefined);

      const pauseAndResume = async (paused: Serve, other: Serve, label: string) => {
        paused.proc.kill('SIGSTOP');
        await waitFor(`${label}: the other to take the lock`, () => lockPid(dir) === other.proc.pid);
        // The port is still held by the paused process: the new writer says so and keeps trying.
        await waitFor(`${label}: the reason to be told`, () => /already in use.*Trying again/s.test(other.stderr()));
        paused.proc.kill('SIGCONT');
        const resumedAt = Date.now();
        const pid = await waitFor(`${label}: the lock holder to serve`, async () => {
          const p = await servedBy();
          return p !== undefined && p === lockPid(dir) ? p : undefined;
        });
        assert.equal(pid, other.proc.pid, `${label}: served by the lock holder`);
        console.log(`      ${label}: the lock holder served ${Date.now() - resumedAt} ms after the resume`);
      };
      await pauseAndResume(a, b[0], 'A paused');
      await pauseAndResume(b[0], a, 'B paused');
      // A short pause, inside the lock's staleness: nothing changes hands.
      a.proc.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 1000));
      a.proc.kill('SIGCONT');
      assert.equal(await waitFor('A to serve again', servedBy), a.proc.pid);
      assert.equal(lockPid(dir), a.proc.pid);
      assert.equal(a.proc.exitCode, null, 'both processes are still alive');
      assert.equal(b[0].proc.exitCode, null);
      const before = acked.length;
      await waitFor('heartbeats acknowledged after the pauses', () => acked.length > before + 5);
    } finally {
      stopSending = true;
      await sender;
      for (const s of [a, ...b]) if (s.proc.exitCode === null) s.proc.kill('SIGCONT');
      for (const s of [a, ...b]) s.proc.kill('SIGTERM');
      await Promise.all([a, ...b].map((s) => s.exited));
    }
    // Opening the folder again also takes in what a reader handed over last (the inbox).
    const engine = await UsageEngine.open({
      dbFile: path.join(dir, 'usage.sqlite'),
      roots: () => [],
      prices: () => new PriceTable(),
      costMode: () => 'auto',
    });
    try {
      const stored = new Set(engine.store.all("SELECT session FROM usage WHERE source = 'heartbeat'").map((r) => String(r.session)));
      console.log(
        `      ${acked.length} heartbeats acknowledged through the pauses, ${acked.filter((k) => stored.has(k)).length} of them stored`,
      );
      console.log(`      not acknowledged: ${statuses.length} (${[...new Set(statuses)].join(', ')})`);
      assert.ok(acked.length > 10, `enough heartbeats to mean something (${acked.length})`);
      assert.deepEqual(
        acked.filter((k) => !stored.has(k)),
        [],
        'acknowledged but lost',
      );
    } finally {
      await engine.close();
    }
  });
});
