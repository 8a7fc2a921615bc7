import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { exportFileName, rangeTimeframe, writeExport, type ExportFormat } from '../core/export';
import { claudeCodeOtelEnv } from '../core/server/otlp';
import type { UsageFilter } from '../core/query';
import { storeFilter } from '../core/dashboard';
import { customRange, resolveRange, timeframeRange, type Timeframe } from '../core/periods';
import type { DashboardFilter } from '../protocol';
import { dayKey } from '../core/time';
import type { DashboardPanel } from './dashboardPanel';
import type { Settings } from './settings';
import type { ManualLogArgs, UsageService } from './usageService';
import { workspaceFolderPaths } from './workspace';

export interface CommandDeps {
  usage: UsageService;
  panel: DashboardPanel;
  settings: Settings;
  log: vscode.LogOutputChannel;
  /** The heartbeat server's URL and key, when it runs (see the server adapter). */
  server?: { url(): string | undefined; apiKey(): Promise<string> };
}

/** Arguments the export commands accept when run programmatically (tests, other extensions). */
export interface ExportArgs {
  target?: vscode.Uri;
  timeframe?: Timeframe;
  from?: string;
  until?: string;
  /** Export exactly what a dashboard filter shows (the dashboard's Export buttons). */
  filter?: DashboardFilter;
}

function defaultExportUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(path.join(os.homedir(), name));
}

const TIMEFRAMES: { label: string; value: Timeframe | 'custom'; detail: string }[] = [
  { label: 'Hour', value: 'hour', detail: 'The last 60 minutes' },
  { label: 'Day', value: 'day', detail: 'Today (local calendar day)' },
  { label: 'Week', value: 'week', detail: 'This week, from Monday' },
  { label: 'Month', value: 'month', detail: 'This calendar month' },
  { label: 'All', value: 'all', detail: 'Everything stored' },
  { label: 'Custom range…', value: 'custom', detail: 'From and until dates (YYYY-MM-DD)' },
];

const isDay = (v: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : 'Use YYYY-MM-DD, e.g. 2026-11-01';

async function pickRange(
  args: ExportArgs | undefined,
  tz: string,
  filterOf: (f: DashboardFilter, r: UsageFilter) => UsageFilter,
): Promise<{ range: UsageFilter; label: string } | undefined> {
  if (args?.filter) {
    const r = resolveRange(args.filter.range, tz);
    return { range: filterOf(args.filter, r), label: rangeTimeframe(args.filter.range, r.label) };
  }
  if (args?.from && args.until) return { range: customRange(args.from, args.until, tz), label: `${args.from}_${args.until}` };
  if (args?.timeframe) return { range: timeframeRange(args.timeframe, tz), label: args.timeframe };
  const pick = await vscode.window.showQuickPick(TIMEFRAMES, { title: 'Export usage: which period?', placeHolder: 'Timeframe' });
  if (!pick) return undefined;
  if (pick.value !== 'custom') return { range: timeframeRange(pick.value, tz), label: pick.value };
  const from = await vscode.window.showInputBox({ title: 'Export from (inclusive)', placeHolder: 'YYYY-MM-DD', validateInput: isDay });
  if (!from) return undefined;
  const until = await vscode.window.showInputBox({
    title: 'Export until (inclusive)',
    placeHolder: 'YYYY-MM-DD',
    value: dayKey(Date.now(), tz),
    validateInput: (v) => isDay(v) ?? (v < from ? `Must not be before ${from}` : undefined),
  });
  if (!until) return undefined;
  return { range: customRange(from, until, tz), label: `${from}_${until}` };
}

const positiveInt = (v: string) =>
  /^\d+$/.test(v.trim()) && Number(v) > 0 && Number(v) <= 1e9 ? undefined : 'A whole number of tokens, 1 to 1,000,000,000';
const budgetValue = (v: string) =>
  v.trim() === '' || (/^\d+(\.\d{1,2})?$/.test(v.trim()) && Number(v) > 0 && Number(v) <= 1e7)
    ? undefined
    : 'An amount in USD such as 25 or 12.50 (empty removes the budget)';

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { usage, panel, settings, log } = deps;

  const exportCommand = (format: ExportFormat) => async (args?: ExportArgs | vscode.Uri) => {
    const opts: ExportArgs | undefined = args instanceof vscode.Uri ? { target: args, timeframe: 'all' } : args;
    await usage.start();
    const store = usage.store;
    if (!store) return undefined;
    const tz = settings.timeZone;
    let chosen;
    try {
      chosen = await pickRange(opts, tz, (f, r) => storeFilter(store, f, r, workspaceFolderPaths()));
    } catch (err) {
      void vscode.window.showErrorMessage(`Token Cost: ${(err as Error).message}`);
      return undefined;
    }
    if (!chosen) return undefined;
    const name = exportFileName(chosen.label, format, Date.now(), tz);
    const uri =
      opts?.target ??
      (await vscode.window.showSaveDialog({
        defaultUri: defaultExportUri(name),
        filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
        title: `Export usage as ${format.toUpperCase()}`,
      }));
    if (!uri) return undefined;
    try {
      const rows = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Token Cost: exporting ${format.toUpperCase()}` },
        (progress) =>
          writeExport(store, { ...chosen.range, costRules: settings.costRules }, uri.fsPath, format, (n) =>
            progress.report({ message: `${n.toLocaleString('en-US')} rows` }),
          ),
      );
      log.info(`Exported ${rows} request(s) (${chosen.label}) to ${uri.fsPath}`);
      void vscode.window
        .showInformationMessage(`Exported ${rows.toLocaleString('en-US')} requests to ${path.basename(uri.fsPath)}.`, 'Open')
        .then((c) => {
          if (c === 'Open') void vscode.window.showTextDocument(uri);
        });
      return uri;
    } catch (err) {
      void vscode.window.showErrorMessage(`Token Cost: could not write ${uri.fsPath}: ${(err as Error).message}`);
      return undefined;
    }
  };

  return [
    vscode.commands.registerCommand('tokenCost.openDashboard', () => panel.show()),
    vscode.commands.registerCommand('tokenCost.refresh', () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Token Cost: scanning transcripts' }, () =>
        usage.refresh(),
      ),
    ),
    vscode.commands.registerCommand('tokenCost.rebuildDatabase', async (options?: { confirmed?: boolean }) => {
      if (!options?.confirmed) {
        const answer = await vscode.window.showWarningMessage(
          'Read every transcript again with the current prices and cost mode?',
          { modal: true, detail: 'Heartbeat and manual records, and the history of transcripts that no longer exist, are kept.' },
          'Rebuild',
        );
        if (answer !== 'Rebuild') return undefined;
      }
      try {
        return await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: 'Token Cost: rebuilding the database from transcripts' },
          async () => {
            const r = await usage.rebuild();
            void vscode.window.showInformationMessage(
              `Token Cost: read ${r.reread.toLocaleString('en-US')} requests again; kept ${r.keptFromDatabase.toLocaleString('en-US')} whose transcripts are gone.`,
            );
            return r;
          },
        );
      } catch (err) {
        void vscode.window.showErrorMessage(`Token Cost: ${(err as Error).message}`);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('tokenCost.exportCsv', exportCommand('csv')),
    vscode.commands.registerCommand('tokenCost.exportJson', exportCommand('json')),
    vscode.commands.registerCommand('tokenCost.logUsage', async (args?: ManualLogArgs) => {
      let input = args;
      if (!input) {
        const project = await vscode.window.showInputBox({
          title: 'Log usage (1/3): project',
          value: vscode.workspace.workspaceFolders?.[0]?.name ?? '',
          validateInput: (v) => (v.trim() ? undefined : 'A project name'),
        });
        if (!project) return undefined;
        const task = await vscode.window.showInputBox({
          title: 'Log usage (2/3): task',
          placeHolder: 'e.g. code review',
          validateInput: (v) => (v.trim() ? undefined : 'A task name'),
        });
        if (!task) return undefined;
        const tokens = await vscode.window.showInputBox({
          title: 'Log usage (3/3): tokens used',
          placeHolder: 'e.g. 12000',
          validateInput: positiveInt,
        });
        if (!tokens) return undefined;
        const model = await vscode.window.showInputBox({
          title: 'Model (optional; prices the tokens)',
          placeHolder: 'e.g. claude-sonnet-4-5',
        });
        input = { project: project.trim(), task: task.trim(), tokens: Number(tokens), model: model?.trim() || undefined };
      }
      try {
        const record = await usage.logManual(input);
        void vscode.window.showInformationMessage(
          `Token Cost: logged ${(record.inputTokens + record.outputTokens).toLocaleString('en-US')} tokens for ${input.project} / ${input.task}` +
            (record.unpriced ? ' (no price for this model: $0)' : ` ($${record.cost.toFixed(4)})`) +
            '.',
        );
        return record;
      } catch (err) {
        void vscode.window.showErrorMessage(`Token Cost: could not log usage: ${(err as Error).message}`);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('tokenCost.setBudget', async (args?: { period: 'daily' | 'monthly'; amount: number | null }) => {
      let period = args?.period;
      let amount = args?.amount;
      if (!args) {
        const b = settings.budget;
        const pick = await vscode.window.showQuickPick(
          [
            { label: 'Daily budget', value: 'daily' as const, description: b.daily ? `now $${b.daily}` : 'not set' },
            { label: 'Monthly budget', value: 'monthly' as const, description: b.monthly ? `now $${b.monthly}` : 'not set' },
          ],
          { title: 'Set budget' },
        );
        if (!pick) return undefined;
        period = pick.value;
        const text = await vscode.window.showInputBox({
          title: `${pick.label} in USD`,
          placeHolder: 'e.g. 25 (empty removes it)',
          value: String(b[pick.value] ?? ''),
          validateInput: budgetValue,
        });
        if (text === undefined) return undefined;
        amount = text.trim() === '' ? null : Number(text);
      }
      if (period !== 'daily' && period !== 'monthly') throw new Error('period must be daily or monthly');
      if (amount !== null && amount !== undefined && !(Number.isFinite(amount) && amount > 0))
        throw new Error('amount must be a positive number or null');
      await vscode.workspace.getConfiguration('tokenCost').update(`budget.${period}`, amount ?? null, vscode.ConfigurationTarget.Global);
      usage.publish();
      return settings.budget;
    }),
    vscode.commands.registerCommand('tokenCost.copyHeartbeatUrl', async () => {
      const url = deps.server?.url();
      if (!url) {
        void vscode.window
          .showWarningMessage(
            'Token Cost: the heartbeat server is not running in this window. Enable tokenCost.server.enabled (it runs in the window that writes the database).',
            'Open Settings',
          )
          .then((choice) => {
            if (choice) void vscode.commands.executeCommand('workbench.action.openSettings', 'tokenCost.server');
          });
        return undefined;
      }
      const heartbeat = `${url}/api/agents/{agentId}/heartbeat`;
      await vscode.env.clipboard.writeText(heartbeat);
      void vscode.window.showInformationMessage(`Copied ${heartbeat}`);
      return heartbeat;
    }),
    vscode.commands.registerCommand('tokenCost.copyApiKey', async () => {
      if (!deps.server) return undefined;
      const key = await deps.server.apiKey();
      await vscode.env.clipboard.writeText(key);
      void vscode.window.showInformationMessage('Token Cost: API key copied. Send it as the x-api-key header.');
      return true;
    }),
    vscode.commands.registerCommand('tokenCost.copyOtelSettings', async () => {
      const url = deps.server?.url();
      if (!url || !deps.server) {
        void vscode.window.showWarningMessage(
          'Token Cost: the local server is not running in this window, so there is nowhere to send OpenTelemetry to. Enable tokenCost.server.enabled.',
        );
        return undefined;
      }
      const env = claudeCodeOtelEnv(url, await deps.server.apiKey());
      await vscode.env.clipboard.writeText(env);
      void vscode.window.showInformationMessage(
        'Token Cost: OpenTelemetry settings for Claude Code copied (shell exports with the API key). Paste them where Claude Code starts.',
      );
      return env;
    }),
    vscode.commands.registerCommand('tokenCost.showUnpricedModels', async () => {
      const models = usage.status?.unpricedModels ?? [];
      if (models.length === 0) {
        void vscode.window.showInformationMessage('Token Cost: every model in your usage has a price.');
        return models;
      }
      const pick = await vscode.window.showQuickPick(
        [
          ...models.map((m) => ({ label: m, description: 'counted as $0' })),
          { label: '$(gear) Add prices in settings…', description: 'tokenCost.pricing' },
        ],
        { title: `${models.length} model(s) without a price` },
      );
      if (pick?.label.startsWith('$(gear)')) void vscode.commands.executeCommand('workbench.action.openSettingsJson');
      return models;
    }),
    vscode.commands.registerCommand('tokenCost.showLog', () => log.show(true)),
  ];
}
