import * as vscode from 'vscode';
import { registerCommands } from './vscode/commands';
import { DashboardPanel } from './vscode/dashboardPanel';
import { HeartbeatServer } from './vscode/heartbeatServer';
import { Settings } from './vscode/settings';
import { SIDEBAR_VIEW_ID, SidebarView } from './vscode/sidebarView';
import { BudgetAlerts } from './vscode/alerts';
import { NotifiedMarks } from './core/budgetAlerts';
import type { LimitsReport } from './core/limits';
import { LimitsService } from './vscode/limitsService';
import { CostStatusBar } from './vscode/statusBar';
import { registerStatusLineCommands } from './vscode/statusLineCommand';
import { UsageService } from './vscode/usageService';

/** What activate() returns: used by the integration tests, and by any extension that wants the figures. */
export interface TokenCostApi {
  statusBarText(): string;
  statusBarTooltip(): string;
  budgetLevel(): 'ok' | 'warning' | 'error';
  /** Budget notifications shown in this session. */
  alertsShown(): readonly string[];
  /** Resolves once the database is open and the first scan has finished. */
  whenReady(): Promise<void>;
  refresh(): Promise<void>;
  isDashboardOpen(): boolean;
  /** The plan-limit figures the status bar and dashboard show. */
  limits(): LimitsReport;
}

let usage: UsageService | undefined;
let heartbeat: HeartbeatServer | undefined;

export function activate(context: vscode.ExtensionContext): TokenCostApi {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Token Cost', { log: true });
  const settings = new Settings();
  const statusBar = new CostStatusBar();
  usage = new UsageService(vscode.Uri.joinPath(context.globalStorageUri, 'usage.sqlite').fsPath, settings, log);
  // Beside the database, so every window on this machine shares the "already notified" markers.
  const alerts = new BudgetAlerts(new NotifiedMarks(vscode.Uri.joinPath(context.globalStorageUri, 'notified').fsPath), settings, log);
  const limits = new LimitsService(settings, alerts, log);
  statusBar.setLimits(limits.report);
  usage.limits = () => limits.report;
  heartbeat = new HeartbeatServer(
    usage, settings, context.secrets, context.globalStorageUri.fsPath, log, String(context.extension.packageJSON.version ?? ''),
  );
  const heartbeatUrl = () => {
    const url = heartbeat?.url();
    return url ? `${url}/api/agents/{agentId}/heartbeat` : undefined;
  };
  const panel = new DashboardPanel(context.extensionUri, usage, heartbeatUrl);
  const sidebar = new SidebarView(context.extensionUri, usage, heartbeatUrl);

  context.subscriptions.push(
    log,
    statusBar,
    usage,
    panel,
    sidebar,
    heartbeat,
    alerts,
    limits,
    limits.onDidChange((r) => {
      statusBar.setLimits(r);
      usage!.publish(); // open dashboards redraw with the new readings
    }),
    usage.onDidUpdateStatus((summary) => {
      limits.noteToday(summary);
      const role = usage!.role;
      statusBar.update({ summary, role, scanned: usage!.isScanned, show: settings.statusBarShows, warnAtPct: settings.alertThresholds[0] ?? 80 });
      alerts.check(summary);
    }),
    vscode.window.registerWebviewViewProvider(SIDEBAR_VIEW_ID, sidebar),
    ...registerCommands({ usage, panel, settings, log, server: heartbeat }),
    ...registerStatusLineCommands(context.extensionUri, log),
  );

  // Scanning runs in the background: activation returns before any file is read.
  const ready = usage.start().catch((err: Error) => {
    log.error(`Could not start: ${err.message}`);
    void vscode.window.showErrorMessage(`Token Cost could not open its database: ${err.message}`);
  });
  void ready.then(() => heartbeat?.start()).catch((err: Error) => log.error(`Heartbeat server: ${err.message}`));
  log.info(`Activated in ${Date.now() - started} ms.`);

  return {
    statusBarText: () => statusBar.text,
    statusBarTooltip: () => statusBar.tooltipMarkdown,
    budgetLevel: () => statusBar.budgetLevel,
    alertsShown: () => alerts.shown,
    whenReady: () => ready,
    refresh: () => usage!.refresh(),
    isDashboardOpen: () => panel.isOpen,
    limits: () => limits.report,
  };
}

export async function deactivate(): Promise<void> {
  await heartbeat?.close();
  await usage?.close();
}
