import type { Role } from '../engine';
import { removeDiscovery, writeDiscovery } from './discovery';
import { UsageServer, type ServerOptions, type UsageSink } from './server';

export interface ServerSettings {
  enabled: boolean;
  port: number;
}

export interface SupervisorOptions extends Omit<ServerOptions, 'engine' | 'apiKey' | 'port'> {
  engine: UsageSink & { onDidChangeRole(listener: (role: Role) => void): { dispose(): void } };
  /** The folder of the database: `server.json` is written there while the server runs. */
  storageDir: string;
  settings: () => ServerSettings;
  apiKey: () => Promise<string>;
  /**
   * A start that failed (busy port): told once, and again when the reason changes. `message` says
   * that it keeps trying when it does; `cause` is the failure alone.
   */
  onProblem?: (message: string, cause: string) => void;
  /** The server started or stopped (url undefined). */
  onDidChange?: (url: string | undefined) => void;
  /** How long the writer waits before binding again after a failed start (e.g. the old writer still holds the port). */
  retryMs?: number;
}

/**
 * Runs the server exactly while it should: enabled, and this process is the database writer
 * (a reader's requests would only be forwarded). Follows role changes and `reconfigure()` after
 * settings change; changes are applied one at a time.
 *
 * A writer that cannot bind its port keeps trying (the reason is told once, and again when it
 * changes): the port is typically still held by a writer that paused and has not yet noticed it
 * lost the lock; when that one steps down and closes its server, this one takes the port over.
 */
export class ServerSupervisor {
  private server: UsageServer | undefined;
  private runningPort: number | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly roleListener: { dispose(): void };
  private disposed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private lastProblem: string | undefined;

  constructor(private readonly opts: SupervisorOptions) {
    this.roleListener = opts.engine.onDidChangeRole(() => void this.reconfigure());
  }

  /** The running server's base URL, e.g. http://127.0.0.1:8787. */
  url(): string | undefined {
    return this.server?.url;
  }

  get current(): UsageServer | undefined {
    return this.server;
  }

  /** Starts, stops or restarts to match the settings and role now; resolves when done. */
  reconfigure(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.queue = this.queue.then(() => this.apply()).catch((err: Error) => this.failed(err));
    return this.queue;
  }

  /** The problem now, if the server should run but does not (for status displays). */
  get problem(): string | undefined {
    return this.lastProblem;
  }

  private failed(err: Error): void {
    const retrying = !this.disposed && this.opts.engine.role === 'writer' && this.opts.settings().enabled;
    const message = retrying
      ? `${err.message} Trying again every ${this.opts.retryMs ?? 250} ms while this process writes the usage database.`
      : err.message;
    if (message !== this.lastProblem) this.opts.onProblem?.(message, err.message);
    this.lastProblem = message;
    if (retrying) {
      this.retryTimer = setTimeout(() => void this.reconfigure(), this.opts.retryMs ?? 250);
      this.retryTimer.unref?.();
    }
  }

  private async apply(): Promise<void> {
    const s = this.opts.settings();
    const want = !this.disposed && s.enabled && this.opts.engine.role === 'writer';
    if (this.server && (!want || this.runningPort !== s.port)) await this.stop();
    if (!want) this.lastProblem = undefined;
    if (!want || this.server) return;
    const server = await UsageServer.start({ ...this.opts, engine: this.opts.engine, apiKey: await this.opts.apiKey(), port: s.port });
    if (this.lastProblem) this.opts.log?.(`The server could start after all: ${server.url}.`);
    this.lastProblem = undefined;
    this.server = server;
    this.runningPort = s.port;
    writeDiscovery(this.opts.storageDir, { url: server.url, port: server.port, pid: process.pid, startedAt: new Date().toISOString() });
    this.opts.log?.(`Heartbeat server listening on ${server.url}`);
    this.opts.onDidChange?.(server.url);
  }

  private async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.runningPort = undefined;
    removeDiscovery(this.opts.storageDir);
    await server.close();
    this.opts.log?.('Heartbeat server stopped.');
    this.opts.onDidChange?.(undefined);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.roleListener.dispose();
    await this.reconfigure();
  }
}
