import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { UsageRecord } from '../core/model';
import { buildDashboard, type DashboardContext } from '../core/dashboard';
import { buildSidebar } from '../core/sidebar';
import { UsageEngine, type ScanOptions } from '../core/engine';
import { usageRoots } from '../core/ingest/roots';
import type { ScanProgress, ScanRoot } from '../core/ingest/scanner';
import { TranscriptWatcher } from '../core/ingest/watcher';
import { PriceTable } from '../core/pricing/pricing';
import { todayRange } from '../core/query';
import type { LimitsReport } from '../core/limits';
import { statusSummary, type StatusSummary } from '../core/status';
import type { DashboardData, DashboardFilter, SidebarData } from '../protocol';
import type { Settings } from './settings';

/** Arguments of "Log Usage Manually…" when run programmatically. */
export interface ManualLogArgs {
  project: string;
  task: string;
  model?: string;
  tokens?: number;
  inputTokens?: number;
  outputTokens?: number;
  cost?: number;
}

/** A cheap rescan (unchanged files are skipped by their cursor) that catches anything missed. */
const RESCAN_INTERVAL_MS = 30_000;
const PUBLISH_INTERVAL_MS = 250;
/** A scan that reads history shows a progress notification once it has taken this long. */
const PROGRESS_AFTER_MS = 1000;
/** How often a first scan stores what it read so far, so the figures show while it runs. */
const SLICE_MS = 500;

const mb = (bytes: number) => (bytes / 1_048_576).toFixed(bytes < 10 * 1_048_576 ? 1 : 0);

/** "120 of 1,067 files, 48 of 502 MB": how far a scan is, in the notification and the log. */
export function progressText(p: ScanProgress): string {
  return `${p.files.toLocaleString('en-US')} of ${p.filesTotal.toLocaleString('en-US')} files, ${mb(p.bytes)} of ${mb(p.bytesTotal)} MB`;
}

/**
 * The extension host's view of the usage data: owns the engine, rescans, and publishes a fresh
 * snapshot to the status bar and webviews whenever the data (or the day) changes.
 */
export class UsageService implements vscode.Disposable {
  private engine: UsageEngine | undefined;
  private prices: PriceTable;
  private scanned = false;
  /** Fires whenever the data, the day or a setting that changes figures changes. */
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly statusEmitter = new vscode.EventEmitter<StatusSummary>();
  private latestStatus: StatusSummary | undefined;
  private readonly busyEmitter = new vscode.EventEmitter<boolean>();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ready: Promise<void> | undefined;
  private watcher: TranscriptWatcher | undefined;
  private ticks = 0;
  private publishTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private disposing: Promise<void> | undefined;
  private lastPublished = 0;
  /** The user stopped reading history: automatic scans wait until Refresh (or the next start) goes on with it. */
  private historyPaused = false;
  private latestProgress: ScanProgress | undefined;

  readonly onDidUpdate = this.emitter.event;
  /** Fires with fresh status-bar figures whenever the data, the day or the budget changes. */
  readonly onDidUpdateStatus = this.statusEmitter.event;
  readonly onDidChangeBusy = this.busyEmitter.event;

  constructor(
    private readonly dbFile: string,
    private readonly settings: Settings,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.prices = new PriceTable(settings.pricing);
    this.disposables.push(
      settings.onDidChange((e) => {
        this.prices = new PriceTable(settings.pricing);
        if (e.affectsConfiguration('tokenCost.timeZone') && settings.timeZoneProblem) this.log.warn(settings.timeZoneProblem);
        // New prices or a new cost mode apply to what is read from now on; already stored
        // requests keep their cost until "Rebuild Database from Transcripts".
        this.watcher?.refreshRoots();
        void this.refresh();
      }),
    );
    if (settings.timeZoneProblem) this.log.warn(settings.timeZoneProblem);
  }

  /** Opens the database and starts scanning in the background; resolves after the first scan. */
  start(): Promise<void> {
    this.ready ??= this.open();
    return this.ready;
  }

  private async open(): Promise<void> {
    const started = Date.now();
    const roots = () => this.roots();
    this.engine = await UsageEngine.open({
      dbFile: this.dbFile,
      roots,
      prices: () => this.prices,
      costMode: () => this.settings.costMode,
      log: (m) => this.log.warn(m),
    });
    const engine = this.engine;
    this.log.info(
      `Opened ${this.dbFile} with ${engine.store.recordCount()} stored request(s) in ${Date.now() - started} ms ` +
        `(${engine.role === 'writer' ? 'this window writes it' : 'another window writes it; this one follows'}).`,
    );
    this.reportRecovery();
    this.log.info(
      `Reading usage from ${
        roots()
          .map((r) => `${r.path} (${r.kind})`)
          .join(', ') || 'no folder'
      }.`,
    );
    this.publish();
    this.disposables.push(
      engine.onDidChange(() => this.publishSoon()),
      {
        dispose: engine.onDidChangeRole((role) => {
          this.log.info(role === 'writer' ? 'This window now writes the usage database.' : 'This window now follows the usage database.');
          if (role === 'writer') void this.scan().then(() => this.publish());
          else this.publish();
        }).dispose,
      },
    );
    await this.prune();
    await this.scanWithProgress();
    this.scanned = true;
    this.publish();
    // The window may have closed during the first scan: start nothing that would outlive it.
    if (this.closed) return;
    // Live updates come from file events; the periodic rescan catches anything a watcher missed
    // (network file systems, inotify limits) and picks up roots created later.
    this.watcher = new TranscriptWatcher({
      roots: () => roots().map((r) => r.path),
      onChange: () => void this.scan(),
      log: (m) => this.log.warn(m),
    });
    this.watcher.refreshRoots();
    // Opened, closed or newly trusted folders change which workspace transcripts are read.
    const rootsChanged = () => {
      this.watcher?.refreshRoots();
      void this.scan().then(() => this.publish());
    };
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(rootsChanged),
      vscode.workspace.onDidGrantWorkspaceTrust(rootsChanged),
    );
    this.timer = setInterval(() => {
      this.watcher?.refreshRoots();
      void this.scan();
      if (++this.ticks % 120 === 0) void this.prune(); // hourly
    }, RESCAN_INTERVAL_MS);
  }

  /**
   * Claude and Codex folders, plus the open workspace folders once trusted (in Restricted Mode
   * only the default locations are read, as the manifest promises).
   */
  private roots(): ScanRoot[] {
    const folders = vscode.workspace.isTrusted ? (vscode.workspace.workspaceFolders ?? []) : [];
    return usageRoots({
      claudeConfigDirs: this.settings.claudeConfigDirs,
      codexHome: this.settings.codexHome,
      agents: this.settings.agents,
      workspaces: folders
        .filter((f) => f.uri.scheme === 'file')
        .map((f) => ({ folder: f.uri.fsPath, globs: this.settings.workspaceTranscripts(f.uri) })),
    });
  }

  /** Tells the user once what opening the database had to repair (the wording and numbers come from core). */
  private reportRecovery(): void {
    const r = this.engine?.recovery;
    const msg = this.engine?.recoveryMessage;
    if (!r || !msg) return;
    if (r.problem) {
      this.log.error(`Token Cost: ${msg}`);
      void vscode.window.showWarningMessage(`Token Cost: ${msg}`);
    } else {
      this.log.warn(msg);
    }
  }

  private async prune(): Promise<void> {
    const days = this.settings.retentionDays;
    if (!this.engine || days <= 0) return;
    const removed = await this.engine.prune(days);
    if (removed > 0) this.log.info(`Removed ${removed} request(s) older than ${days} days (tokenCost.retentionDays).`);
  }

  /** An automatic scan (file events, the periodic rescan); none while the user has paused reading history. */
  private async scan(options: ScanOptions = {}): Promise<void> {
    if (!this.engine || this.closed) return;
    if (this.historyPaused && !options.signal) return;
    this.busyEmitter.fire(true);
    try {
      const stats = await this.engine.scan(options);
      if (stats.filesRead > 0)
        this.log.info(
          `Scanned ${stats.filesSeen} file(s), read ${stats.filesRead} (${stats.bytesRead} bytes) in ${stats.durationMs} ms: ` +
            `${stats.records} usage line(s), ${stats.changed} new or updated, ${stats.malformedLines} malformed skipped.`,
        );
      if (stats.cancelled) this.historyPaused = true;
    } catch (err) {
      this.log.error(`Scan failed: ${(err as Error).message}`);
    } finally {
      this.busyEmitter.fire(false);
    }
    // "Today" moves at midnight even when no new usage arrives.
    if (this.latestStatus && this.latestStatus.day !== todayRange(this.settings.timeZone).day) {
      this.publish();
    }
  }

  /**
   * A scan that may read a lot (the first one, or going on with a stopped one): once it has taken
   * PROGRESS_AFTER_MS, a cancellable notification shows files and MB read so far; it stores and
   * shows what it read every SLICE_MS. Stopped, what was read stays, and the user is told how to
   * go on.
   */
  private async scanWithProgress(): Promise<void> {
    const stop = new AbortController();
    // Closing the window stops it too: the extension host is stopped soon after dispose, and a
    // stopped scan saves what it read (with the marker that the next start goes on from it).
    this.historyScanStop = stop;
    this.historyPaused = false;
    this.latestProgress = undefined;
    let report: (() => void) | undefined;
    const scanning = this.scan({
      signal: stop.signal,
      sliceMs: SLICE_MS,
      onProgress: (p) => {
        this.latestProgress = p;
        report?.();
      },
    });
    let notified = false;
    const timer = setTimeout(() => {
      notified = true;
      void vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Token Cost: reading usage history', cancellable: true },
        (progress, token) => {
          token.onCancellationRequested(() => stop.abort());
          let shownPct = 0;
          report = () => {
            const p = this.latestProgress;
            if (!p) return;
            const pct = p.bytesTotal > 0 ? (100 * p.bytes) / p.bytesTotal : p.filesTotal > 0 ? (100 * p.files) / p.filesTotal : 0;
            // `increment` adds up: report only the growth since the last report.
            progress.report({ message: `${progressText(p)}. Figures so far are shown.`, increment: Math.max(0, pct - shownPct) });
            shownPct = Math.max(shownPct, pct);
          };
          report();
          return scanning;
        },
      );
    }, PROGRESS_AFTER_MS);
    await scanning;
    if (this.historyScanStop === stop) this.historyScanStop = undefined;
    clearTimeout(timer);
    report = undefined;
    const p = this.latestProgress;
    if (this.historyPaused && p && !this.closed) {
      const msg =
        `Token Cost: stopped reading usage history after ${progressText(p)}. What was read is kept and counted; ` +
        'reading goes on from there (and live updates resume) with Refresh or when VS Code starts again.';
      this.log.info(msg);
      void vscode.window.showInformationMessage(msg, 'Continue Now').then((choice) => {
        if (choice) void this.refresh();
      });
    } else if (notified && p) {
      this.log.info(`Read usage history: ${progressText(p)}.`);
    }
  }

  /** Rescans now (going on with a stopped first scan, with its notification); resolves when the new figures are published. */
  async refresh(): Promise<void> {
    await this.start();
    if (this.historyPaused) await this.scanWithProgress();
    else await this.scan();
    this.publish();
  }

  /** How far the running (or last) history scan is, for tests and the API. */
  get scanProgress(): ScanProgress | undefined {
    return this.latestProgress;
  }

  /**
   * Stores a usage entry typed in by the user (project, task, tokens). It exists nowhere else, so
   * it is journaled before this resolves. Without a model it costs $0 (nothing to price).
   */
  async logManual(input: ManualLogArgs): Promise<UsageRecord> {
    await this.start();
    if (!this.engine) throw new Error('the usage database is not open');
    const project = String(input.project ?? '').trim();
    const task = String(input.task ?? '').trim();
    if (!project || !task) throw new Error('project and task are required');
    const inputTokens = input.inputTokens ?? input.tokens ?? 0;
    const outputTokens = input.outputTokens ?? 0;
    for (const [name, v] of [
      ['tokens', inputTokens],
      ['output tokens', outputTokens],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 1e9) throw new Error(`${name} must be a whole number from 0 to 1,000,000,000`);
    }
    if (inputTokens + outputTokens === 0) throw new Error('tokens must be more than 0');
    const model = input.model?.trim() || 'unspecified';
    const counts = { inputTokens, outputTokens, cacheWriteTokens: 0, cacheWrite1hTokens: 0, cacheReadTokens: 0 };
    const reported = typeof input.cost === 'number' && Number.isFinite(input.cost) && input.cost >= 0 ? input.cost : null;
    const priced = model === 'unspecified' ? { cost: reported ?? 0, priced: true } : this.prices.cost(model, counts, reported, 'auto');
    const record: UsageRecord = {
      dedupKey: `manual:${randomUUID()}`,
      timestamp: Date.now(),
      source: 'manual',
      model,
      project,
      sessionId: task,
      ...counts,
      reportedCost: reported,
      cost: priced.cost,
      unpriced: !priced.priced,
      isSidechain: false,
    };
    await this.engine.accept([record]);
    this.log.info(`Logged ${inputTokens + outputTokens} token(s) by hand for ${project} / ${task} (${model}).`);
    this.publish();
    return record;
  }

  /** Reads every transcript again (new prices, cost mode); database-only records are kept. */
  async rebuild(): Promise<{ reread: number; keptFromDatabase: number }> {
    await this.start();
    if (!this.engine) throw new Error('the usage database is not open');
    const result = await this.engine.rebuild();
    this.log.info(
      `Rebuilt the database: ${result.reread} request line(s) read again, ${result.keptFromDatabase} kept from the database only.`,
    );
    this.publish();
    return result;
  }

  get status(): StatusSummary | undefined {
    return this.latestStatus;
  }

  get role(): 'writer' | 'reader' | 'memory' {
    return this.engine?.role ?? 'memory';
  }

  get isScanned(): boolean {
    return this.scanned;
  }

  get engineForServer() {
    return this.engine;
  }

  /** Plan limits for the dashboard (set by the extension: they come from files, not the store). */
  limits: (() => LimitsReport) | undefined;

  /** The dashboard's figures for one filter, computed now from the store. */
  dashboard(filter: DashboardFilter, workspaceFolders: readonly string[], heartbeatUrl?: string): DashboardData | undefined {
    if (!this.engine) return undefined;
    const limits = this.limits?.();
    return { ...this.dashboardFigures(filter, workspaceFolders, heartbeatUrl), ...(limits ? { limits } : {}) };
  }

  /** The sidebar's figures for one filter (its own small payload; the same numbers as the dashboard's). */
  sidebar(filter: DashboardFilter, workspaceFolders: readonly string[], heartbeatUrl?: string): SidebarData | undefined {
    if (!this.engine) return undefined;
    return buildSidebar(this.engine.store, filter, this.viewContext(workspaceFolders, heartbeatUrl));
  }

  private dashboardFigures(filter: DashboardFilter, workspaceFolders: readonly string[], heartbeatUrl?: string): DashboardData {
    return buildDashboard(this.engine!.store, filter, this.viewContext(workspaceFolders, heartbeatUrl));
  }

  /** What both views need besides the store: settings and this window's state. */
  private viewContext(workspaceFolders: readonly string[], heartbeatUrl?: string): DashboardContext {
    const engine = this.engine!;
    return {
      timeZone: this.settings.timeZone,
      scanned: this.scanned,
      storageRole: engine.role,
      budget: this.settings.budget,
      thresholds: this.settings.alertThresholds,
      costThreshold: this.settings.costThreshold,
      burnRatePerHour: this.settings.burnRateAlertPerHour,
      workspaceFolders,
      agentNotes: engine.lastScan?.notes,
      gettingStarted: { transcriptRoots: this.roots().map((r) => r.path), heartbeatUrl },
      costRules: this.settings.costRules,
    };
  }

  get store() {
    return this.engine?.store;
  }

  /**
   * Publishes at most about four times a second when changes stream in (a fleet of agents
   * posting heartbeats, a streaming transcript): the first change shows at once, a burst after
   * it shows when it settles.
   */
  private publishSoon(): void {
    const now = Date.now();
    if (this.publishTimer) return;
    const wait = Math.max(0, this.lastPublished + PUBLISH_INTERVAL_MS - now);
    if (wait === 0) {
      this.publish();
      return;
    }
    this.publishTimer = setTimeout(() => {
      this.publishTimer = undefined;
      this.publish();
    }, wait);
  }

  /** Recomputes and pushes the figures (also after settings such as budgets change). */
  publish(): void {
    if (!this.engine) return;
    this.lastPublished = Date.now();
    this.latestStatus = statusSummary(this.engine.store, this.settings.timeZone, this.settings.budget, Date.now(), this.settings.costRules);
    this.emitter.fire();
    this.statusEmitter.fire(this.latestStatus);
  }

  /** The running history scan's stop (scanWithProgress), for dispose. */
  private historyScanStop: AbortController | undefined;

  /** Stops the timers, the watcher and a running history scan, then closes the engine (saving the database); once. */
  dispose(): Promise<void> {
    this.disposing ??= (async () => {
      this.closed = true;
      this.historyScanStop?.abort();
      if (this.timer) clearInterval(this.timer);
      if (this.publishTimer) clearTimeout(this.publishTimer);
      for (const d of this.disposables) d.dispose();
      this.emitter.dispose();
      this.statusEmitter.dispose();
      this.busyEmitter.dispose();
      await this.watcher?.close();
      await this.ready?.catch(() => undefined);
      await this.engine?.close();
    })();
    return this.disposing;
  }
}
