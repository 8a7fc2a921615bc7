import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { codexSessionRoots } from '../core/ingest/codex';
import { dueLimitAlerts, limitsReport, type LimitSnapshot, type LimitsReport } from '../core/limits';
import { codexLimitSnapshots, defaultDataDir, LimitsLogFollower, limitsFile, writeTodayCache } from '../core/limitsLog';
import type { StatusSummary } from '../core/status';
import { dayKey, dayRange } from '../core/time';
import type { BudgetAlerts } from './alerts';
import type { Settings } from './settings';

/** limits.jsonl is checked this often besides file events (which network folders may not send). */
const POLL_MS = 1000;
/** Codex rollouts are looked at again at most this often. */
const CODEX_EVERY_MS = 30_000;

/**
 * The plan limits the agents report, for the status bar, the dashboard and the alerts: follows
 * the limits.jsonl the status-line command appends to (in the shared data folder) and reads the
 * newest Codex rollouts. Also keeps today.json there current, the status line's "$ today".
 */
export class LimitsService implements vscode.Disposable {
  private readonly dataDir = defaultDataDir();
  private readonly follower = new LimitsLogFollower(limitsFile(this.dataDir));
  private claude: LimitSnapshot[] = [];
  private codex: LimitSnapshot[] = [];
  private codexAt = 0;
  private readonly codexCache = new Map<string, { size: number; mtime: number; snap: LimitSnapshot | undefined }>();
  private latest: LimitsReport = limitsReport([], Date.now());
  private readonly emitter = new vscode.EventEmitter<LimitsReport>();
  private readonly timer: NodeJS.Timeout;
  private watcher: fs.FSWatcher | undefined;
  private lastToday = '';
  private readonly settingsListener: vscode.Disposable;
  readonly onDidChange = this.emitter.event;

  constructor(
    private readonly settings: Settings,
    private readonly alerts: BudgetAlerts,
    private readonly log: vscode.LogOutputChannel,
  ) {
    try {
      fs.mkdirSync(this.dataDir, { recursive: true });
      this.watcher = fs.watch(this.dataDir, (_e, name) => {
        if (!name || name.toString() === 'limits.jsonl') this.poll();
      });
      this.watcher.on('error', () => undefined);
    } catch (err) {
      this.log.warn(`Cannot watch ${this.dataDir} for plan limits (${(err as Error).message}); checking it every second instead.`);
    }
    this.timer = setInterval(() => this.poll(), POLL_MS);
    // Another Codex home: its rollouts now, not in 30 seconds.
    this.settingsListener = settings.onDidChange((e) => {
      if (e.affectsConfiguration('tokenCost.codexHome')) {
        this.codexCache.clear();
        this.poll(true);
      }
    });
    this.poll(true);
  }

  get report(): LimitsReport {
    return this.latest;
  }

  /** Reads what was appended (and Codex, when due); publishes when anything is new. */
  poll(forceCodex = false): void {
    let changed = false;
    try {
      const fresh = this.follower.read();
      if (fresh.length) {
        this.claude.push(...fresh);
        // The chart shows 8 days; older readings matter no more (the newest of each window is always recent enough).
        if (this.claude.length > 5000) this.claude = this.claude.filter((x) => x.at >= Date.now() - 9 * 86_400_000);
        changed = true;
      }
    } catch (err) {
      this.log.warn(`Cannot read ${this.follower.file}: ${(err as Error).message}`);
    }
    const now = Date.now();
    if (forceCodex || now - this.codexAt >= CODEX_EVERY_MS) {
      this.codexAt = now;
      try {
        const next = codexLimitSnapshots(codexSessionRoots({ codexHome: this.settings.codexHome }), 60, this.codexCache);
        if (JSON.stringify(next) !== JSON.stringify(this.codex)) {
          this.codex = next;
          changed = true;
        }
      } catch (err) {
        this.log.warn(`Cannot read Codex rate limits: ${(err as Error).message}`);
      }
    }
    // A window that resets changes the figures with no new reading.
    const resetPassed = this.latest.windows.some((w) => w.state === 'current' && w.resetsAt <= now);
    if (changed || resetPassed || forceCodex) this.publish(now);
  }

  private publish(now: number): void {
    this.latest = limitsReport([...this.claude, ...this.codex], now);
    const fmt = (ms: number) => new Date(ms).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
    this.alerts.offer(dueLimitAlerts(this.latest, this.settings.limitsAlertAt, fmt), dayKey(now, this.settings.timeZone));
    this.emitter.fire(this.latest);
  }

  /** Keeps today.json (the status line's "$ today") in step with the status bar's figure. */
  noteToday(s: StatusSummary): void {
    const key = `${s.day}:${s.today.cost.toFixed(4)}:${this.settings.timeZone}`;
    if (key === this.lastToday) return;
    this.lastToday = key;
    try {
      const { start, end } = dayRange(Date.now(), this.settings.timeZone);
      writeTodayCache(this.dataDir, { day: s.day, timeZone: this.settings.timeZone, start, end, cost: s.today.cost, at: Date.now() });
    } catch (err) {
      this.log.warn(`Cannot write today's cost for the status line in ${this.dataDir}: ${(err as Error).message}`);
    }
  }

  dispose(): void {
    clearInterval(this.timer);
    this.settingsListener.dispose();
    this.watcher?.close();
    this.emitter.dispose();
  }
}
