import * as vscode from 'vscode';
import { registerCommands } from './vscode/commands';
import { DashboardPanel } from './vscode/dashboardPanel';
import { HeartbeatServer } from './vscode/heartbeatServer';
import { Settings } from './vscode/settings';
import { SIDEBAR_VIEW_ID, SidebarView } from './vscode/sidebarView';
import { BudgetAlerts } from './vscode/alerts';
import { NotifiedMarks } from './core/budgetAlerts';
import { warningThreshold } from './core/figures';
import type { LimitsReport } from './core/limits';
import { DisposableStore } from './vscode/lifecycle';
import { LimitsService } from './vscode/limitsService';
import { CostStatusBar } from './vscode/statusBar';
import { TeamPush } from './vscode/teamPush';
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

/** Everything activate() made, torn down once (by deactivate() or the context's subscriptions). */
let owned: DisposableStore | undefined;

export function activate(context: vscode.ExtensionContext): TokenCostApi {
  const started = Date.now();
  const log = vscode.window.createOutputChannel('Token Cost', { log: true });
  const tree = new DisposableStore((m) => log.error(m));
  owned = tree;
  context.subscriptions.push(tree);
  // Added in the order made, disposed in reverse: the log goes last, the server before the engine it serves.
  tree.add(log);
  const settings = new Settings();
  const statusBar = tree.add(new CostStatusBar());
  const usage = tree.add(new UsageService(vscode.Uri.joinPath(context.globalStorageUri, 'usage.sqlite').fsPath, settings, log));
  // Beside the database, so every window on this machine shares the "already notified" markers.
  const alerts = tree.add(
    new BudgetAlerts(new NotifiedMarks(vscode.Uri.joinPath(context.globalStorageUri, 'notified').fsPath), settings, log),
  );
  const limits = tree.add(new LimitsService(settings, alerts, log));
  statusBar.setLimits(limits.report);
  usage.limits = () => limits.report;
  const heartbeat = tree.add(
    new HeartbeatServer(
      usage,
      settings,
      context.secrets,
      context.globalStorageUri.fsPath,
      log,
      String(context.extension.packageJSON.version ?? ''),
    ),
  );
  const heartbeatUrl = () => {
    const url = heartbeat.url();
    return url ? `${url}/api/agents/{agentId}/heartbeat` : undefined;
  };
  const panel = tree.add(new DashboardPanel(context.extensionUri, usage, heartbeatUrl, () => settings.team.prometheusUrl));
  const sidebar = tree.add(new SidebarView(context.extensionUri, usage, heartbeatUrl));
  tree.add(
    limits.onDidChange((r) => {
      statusBar.setLimits(r);
      usage.publish(); // open dashboards redraw with the new readings
    }),
  );
  tree.add(
    usage.onDidUpdateStatus((summary) => {
      limits.noteToday(summary);
      statusBar.update({
        summary,
        role: usage.role,
        scanned: usage.isScanned,
        show: settings.statusBarShows,
        warnAtPct: warningThreshold(settings.alertThresholds),
      });
      alerts.check(summary);
    }),
  );
  tree.add(new TeamPush(usage, settings, log));
  tree.add(vscode.window.registerWebviewViewProvider(SIDEBAR_VIEW_ID, sidebar));
  for (const d of registerCommands({ usage, panel, settings, log, server: heartbeat })) tree.add(d);
  for (const d of registerStatusLineCommands(context.extensionUri, log)) tree.add(d);

  // Scanning runs in the background: activation returns before any file is read.
  const ready = usage.start().catch((err: Error) => {
    log.error(`Could not start: ${err.message}`);
    void vscode.window.showErrorMessage(`Token Cost could not open its database: ${err.message}`);
  });
  void ready.then(() => heartbeat.start()).catch((err: Error) => log.error(`Heartbeat server: ${err.message}`));
  log.info(`Activated in ${Date.now() - started} ms.`);

  return {
    statusBarText: () => statusBar.text,
    statusBarTooltip: () => statusBar.tooltipMarkdown,
    budgetLevel: () => statusBar.budgetLevel,
    alertsShown: () => alerts.shown,
    whenReady: () => ready,
    refresh: () => usage.refresh(),
    isDashboardOpen: () => panel.isOpen,
    limits: () => limits.report,
  };
}

/** Waits for the tree's teardown, so the database is saved before the extension host goes. */
export async function deactivate(): Promise<void> {
  await owned?.disposeAll();
  owned = undefined;
}
