import * as os from 'node:os';
import type * as vscode from 'vscode';
import { pushCounters } from '../core/teamExport';
import type { Settings } from './settings';
import type { UsageService } from './usageService';

/**
 * The extension's scheduled `token-cost push`: every tokenCost.team.pushIntervalMinutes, the
 * window that writes the database sends its all-time counters to the configured targets. Off
 * until a URL is set. Cumulative totals, so a window that pushes late, twice or after a restart
 * changes nothing at the receiver.
 */
export class TeamPush implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;
  private lastError = '';
  private running = false;

  constructor(
    private readonly usage: UsageService,
    private readonly settings: Settings,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = settings.onDidChange((e) => {
      if (e.affectsConfiguration('tokenCost.team')) this.schedule();
    });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const t = this.settings.team;
    if (!t.remoteWriteUrl && !t.otlpUrl) return;
    this.timer = setInterval(() => void this.pushNow(), t.intervalMinutes * 60_000);
    this.timer.unref?.();
    void this.pushNow();
  }

  /** One push now (the writer window only); resolves with what was sent, undefined when nothing was. */
  async pushNow(): Promise<number | undefined> {
    const t = this.settings.team;
    const store = this.usage.store;
    if (this.running || (!t.remoteWriteUrl && !t.otlpUrl) || !store || this.usage.role !== 'writer' || !this.usage.isScanned)
      return undefined;
    this.running = true;
    try {
      const who = { user: t.user ?? safeUser(), machine: t.machine ?? os.hostname() };
      const r = await pushCounters(store, who, { remoteWrite: t.remoteWriteUrl, otlp: t.otlpUrl, project: t.projectLabel });
      if (this.lastError) this.log.info('Team push works again.');
      this.lastError = '';
      return r.series;
    } catch (err) {
      const message = (err as Error).message;
      // Said once per distinct failure, not every interval.
      if (message !== this.lastError) this.log.warn(`Team push: ${message}`);
      this.lastError = message;
      return undefined;
    } finally {
      this.running = false;
    }
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.subscription.dispose();
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
