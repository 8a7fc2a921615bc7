import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeCsv } from '../core/export';
import { dayKey } from '../core/time';
import type { DashboardPanel } from './dashboardPanel';
import type { Settings } from './settings';
import type { UsageService } from './usageService';

export interface CommandDeps {
  usage: UsageService;
  panel: DashboardPanel;
  settings: Settings;
  log: vscode.LogOutputChannel;
}

function defaultExportUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return folder ? vscode.Uri.joinPath(folder, name) : vscode.Uri.file(path.join(os.homedir(), name));
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { usage, panel, settings, log } = deps;
  return [
    vscode.commands.registerCommand('tokenCost.openDashboard', () => panel.show()),
    vscode.commands.registerCommand('tokenCost.refresh', () =>
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: 'Token Cost: scanning transcripts' },
        () => usage.refresh(),
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
      return vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Token Cost: rebuilding the database from transcripts' },
        async () => {
          const r = await usage.rebuild();
          void vscode.window.showInformationMessage(
            `Token Cost: read ${r.reread.toLocaleString('en-US')} requests again; kept ${r.keptFromDatabase.toLocaleString('en-US')} whose transcripts are gone.`,
          );
          return r;
        },
      );
    }),
    vscode.commands.registerCommand('tokenCost.exportCsv', async (target?: vscode.Uri) => {
      await usage.start();
      const store = usage.store;
      if (!store) return undefined;
      const name = `token-usage-all-${dayKey(Date.now(), settings.timeZone)}.csv`;
      const uri =
        target ??
        (await vscode.window.showSaveDialog({
          defaultUri: defaultExportUri(name),
          filters: { CSV: ['csv'] },
          title: 'Export usage as CSV',
        }));
      if (!uri) return undefined;
      try {
        const rows = await writeCsv(store, {}, uri.fsPath);
        log.info(`Exported ${rows} request(s) to ${uri.fsPath}`);
        void vscode.window.showInformationMessage(`Exported ${rows.toLocaleString('en-US')} requests to ${path.basename(uri.fsPath)}.`);
        return uri;
      } catch (err) {
        void vscode.window.showErrorMessage(`Token Cost: could not write ${uri.fsPath}: ${(err as Error).message}`);
        return undefined;
      }
    }),
  ];
}
