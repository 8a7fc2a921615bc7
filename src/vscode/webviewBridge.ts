import * as vscode from 'vscode';
import type { HostMessage, WebviewMessage } from '../protocol';
import type { UsageService } from './usageService';

/**
 * Wires one webview to the usage service: it sends a snapshot once the page says it is ready,
 * pushes every later snapshot (no polling from the page), and answers refresh and export.
 */
export function connectWebview(webview: vscode.Webview, usage: UsageService): vscode.Disposable {
  let ready = false;
  const send = (msg: HostMessage) => void webview.postMessage(msg);
  const subscriptions = [
    usage.onDidUpdate((snapshot) => {
      if (ready) send({ type: 'snapshot', snapshot });
    }),
    usage.onDidChangeBusy((busy) => {
      if (ready) send({ type: 'busy', busy });
    }),
    webview.onDidReceiveMessage(async (msg: WebviewMessage) => {
      switch (msg.type) {
        case 'ready':
          ready = true;
          if (usage.snapshot) send({ type: 'snapshot', snapshot: usage.snapshot });
          break;
        case 'refresh':
          await usage.refresh();
          if (usage.snapshot) send({ type: 'snapshot', snapshot: usage.snapshot, requestId: msg.requestId });
          break;
        case 'export':
          await vscode.commands.executeCommand('tokenCost.exportCsv');
          break;
      }
    }),
  ];
  return vscode.Disposable.from(...subscriptions);
}
