import * as vscode from 'vscode';
import { DEFAULT_FILTER, type DashboardFilter, type HostMessage, type WebviewMessage } from '../protocol';
import { workspaceFolderPaths } from './commands';
import type { UsageService } from './usageService';

/** The heartbeat URL shown on the "no usage yet" page, when the local server runs. */
export type HeartbeatUrl = () => string | undefined;

/**
 * Wires one webview to the usage service. The page owns its filter and sends it with every query
 * (request ids let it drop stale answers); the host answers with the aggregates for that filter
 * and pushes fresh ones whenever the data changes (no polling from the page).
 */
export function connectWebview(webview: vscode.Webview, usage: UsageService, heartbeatUrl: HeartbeatUrl = () => undefined): vscode.Disposable {
  let filter: DashboardFilter | undefined;
  let pushQueued = false;
  const send = (msg: HostMessage) => void webview.postMessage(msg);

  const answer = (requestId?: number) => {
    if (!filter) return;
    try {
      const data = usage.dashboard(filter, workspaceFolderPaths(), heartbeatUrl());
      if (data) send({ type: 'data', data, requestId });
    } catch (err) {
      send({ type: 'error', message: (err as Error).message, requestId });
    }
  };

  const subscriptions = [
    usage.onDidUpdate(() => {
      // Bursts of appends (a streaming agent) coalesce into one push per turn.
      if (!filter || pushQueued) return;
      pushQueued = true;
      setImmediate(() => {
        pushQueued = false;
        answer();
      });
    }),
    usage.onDidChangeBusy((busy) => {
      if (filter) send({ type: 'busy', busy });
    }),
    webview.onDidReceiveMessage(async (msg: WebviewMessage) => {
      switch (msg.type) {
        case 'ready':
          filter = msg.filter ?? DEFAULT_FILTER;
          answer();
          break;
        case 'query':
          filter = msg.filter;
          answer(msg.requestId);
          break;
        case 'refresh':
          await usage.refresh();
          answer(msg.requestId);
          break;
        case 'export':
          await vscode.commands.executeCommand(msg.format === 'csv' ? 'tokenCost.exportCsv' : 'tokenCost.exportJson', { filter: msg.filter });
          break;
        case 'command':
          switch (msg.command) {
            case 'openDashboard':
              await vscode.commands.executeCommand('tokenCost.openDashboard');
              break;
            case 'setBudget':
              await vscode.commands.executeCommand('tokenCost.setBudget');
              break;
            case 'openPricingSettings':
              await vscode.commands.executeCommand('workbench.action.openSettings', 'tokenCost.pricing');
              break;
            case 'openSettings':
              await vscode.commands.executeCommand('workbench.action.openSettings', 'tokenCost.alerts');
              break;
          }
          break;
      }
    }),
  ];
  return vscode.Disposable.from(...subscriptions);
}
