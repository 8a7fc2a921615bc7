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
  /** A start that failed (busy port): shown to the user once per attempt. */
  onProblem?: (message: string) => void;
  /** The server started or stopped (url undefined). */
  onDidChange?: (url: string | undefined) => void;
}

/**
 * Runs the server exactly while it should: enabled, and this process is the database writer
 * (a reader's requests would only be forwarded). Follows role changes and `reconfigure()` after
 * settings change; changes are applied one at a time.
 */
export class ServerSupervisor {
  private server: UsageServer | undefined;
  private runningPort: number | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly roleListener: { dispose(): void };
  private disposed = false;

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
    this.queue = this.queue.then(() => this.apply()).catch((err: Error) => this.opts.onProblem?.(err.message));
    return this.queue;
  }

  private async apply(): Promise<void> {
    const s = this.opts.settings();
    const want = !this.disposed && s.enabled && this.opts.engine.role === 'writer';
    if (this.server && (!want || this.runningPort !== s.port)) await this.stop();
    if (!want || this.server) return;
    const server = await UsageServer.start({ ...this.opts, engine: this.opts.engine, apiKey: await this.opts.apiKey(), port: s.port });
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
    this.roleListener.dispose();
    await this.reconfigure();
  }
}
