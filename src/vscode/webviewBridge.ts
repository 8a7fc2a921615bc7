import * as vscode from 'vscode';
import { DEFAULT_FILTER, isDashboardFilter, type DashboardFilter, type HostMessage, type ViewKind, type WebviewMessage } from '../protocol';
import { teamView } from '../core/teamView';
import { workspaceFolderPaths } from './workspace';
import type { UsageService } from './usageService';

/** The heartbeat URL shown on the "no usage yet" page, when the local server runs. */
export type HeartbeatUrl = () => string | undefined;

const COMMANDS: Record<string, [string, ...unknown[]]> = {
  openDashboard: ['tokenCost.openDashboard'],
  setBudget: ['tokenCost.setBudget'],
  openPricingSettings: ['workbench.action.openSettings', 'tokenCost.pricing'],
  openSettings: ['workbench.action.openSettings', 'tokenCost.alerts'],
};

/**
 * Wires one webview to the usage service. The page owns its filter and sends it with every query
 * (request ids let it drop stale answers); the host answers with the aggregates for that filter
 * and pushes fresh ones whenever the data changes (no polling from the page). What a page sends
 * is checked before use; every request id gets an answer, data or error. A hidden view gets no
 * pushes: its page is discarded and says `ready` again when shown.
 */
export function connectWebview(
  webview: vscode.Webview,
  usage: UsageService,
  heartbeatUrl: HeartbeatUrl = () => undefined,
  isVisible: () => boolean = () => true,
  /** tokenCost.team.prometheusUrl, for the panel's Team tab; undefined: no Team tab. */
  teamUrl: () => string | undefined = () => undefined,
  /** The sidebar gets its own small payload (`sidebar`), the panel the dashboard's (`data`). */
  view: ViewKind = 'panel',
): vscode.Disposable {
  let filter: DashboardFilter | undefined;
  let pushQueued = false;
  let teamAsked = 0;
  const send = (msg: HostMessage) => void webview.postMessage(msg);

  const answer = (requestId?: number) => {
    if (!filter) return;
    try {
      if (view === 'sidebar') {
        const data = usage.sidebar(filter, workspaceFolderPaths(), heartbeatUrl());
        if (data) send({ type: 'sidebar', data, requestId });
        else if (requestId !== undefined) send({ type: 'error', message: 'The usage database is still opening.', requestId });
        return;
      }
      const data = usage.dashboard(filter, workspaceFolderPaths(), heartbeatUrl());
      if (data) send({ type: 'data', data, requestId });
      const url = teamUrl();
      // The range the personal view just showed, read from the team's Prometheus; stale answers are dropped.
      if (data && url) {
        const asked = ++teamAsked;
        void teamView(url, data.range).then((team) => {
          if (asked === teamAsked) send({ type: 'team', team });
        });
      } else if (requestId !== undefined && !data) send({ type: 'error', message: 'The usage database is still opening.', requestId });
    } catch (err) {
      send({ type: 'error', message: (err as Error).message, requestId });
    }
  };

  const handle = async (msg: WebviewMessage): Promise<void> => {
    switch (msg.type) {
      case 'ready':
        filter = isDashboardFilter(msg.filter) ? msg.filter : DEFAULT_FILTER;
        answer();
        break;
      case 'query':
        if (!isDashboardFilter(msg.filter)) throw new Error('That filter is not one the dashboard offers.');
        filter = msg.filter;
        answer(msg.requestId);
        break;
      case 'refresh':
        await usage.refresh();
        answer(msg.requestId);
        break;
      case 'export':
        if (!isDashboardFilter(msg.filter) || (msg.format !== 'csv' && msg.format !== 'json')) throw new Error('Unknown export.');
        await vscode.commands.executeCommand(msg.format === 'csv' ? 'tokenCost.exportCsv' : 'tokenCost.exportJson', { filter: msg.filter });
        break;
      case 'command': {
        const command = Object.hasOwn(COMMANDS, msg.command) ? COMMANDS[msg.command] : undefined;
        if (command) await vscode.commands.executeCommand(...command);
        break;
      }
    }
  };

  const subscriptions = [
    usage.onDidUpdate(() => {
      // Bursts of appends (a streaming agent) coalesce into one push per turn.
      if (!filter || pushQueued || !isVisible()) return;
      pushQueued = true;
      setImmediate(() => {
        pushQueued = false;
        answer();
      });
    }),
    usage.onDidChangeBusy((busy) => {
      if (filter && isVisible()) send({ type: 'busy', busy });
    }),
    webview.onDidReceiveMessage(async (msg: WebviewMessage) => {
      if (typeof msg !== 'object' || msg === null) return;
      try {
        await handle(msg);
      } catch (err) {
        const requestId = 'requestId' in msg && typeof msg.requestId === 'number' ? msg.requestId : undefined;
        send({ type: 'error', message: (err as Error).message, requestId });
      }
    }),
  ];
  return vscode.Disposable.from(...subscriptions);
}
