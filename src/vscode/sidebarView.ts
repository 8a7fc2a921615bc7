import type * as vscode from 'vscode';
import type { UsageService } from './usageService';
import { connectWebview, type HeartbeatUrl } from './webviewBridge';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const SIDEBAR_VIEW_ID = 'tokenCost.summary';

/** The compact KPI view in the Token Cost activity-bar container. */
export class SidebarView implements vscode.WebviewViewProvider, vscode.Disposable {
  private connection: vscode.Disposable | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly usage: UsageService,
    private readonly heartbeatUrl: HeartbeatUrl = () => undefined,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = webviewOptions(this.extensionUri);
    this.connection?.dispose();
    this.connection = connectWebview(
      view.webview,
      this.usage,
      this.heartbeatUrl,
      () => view.visible,
      () => undefined,
      'sidebar',
    );
    view.webview.html = webviewHtml(view.webview, this.extensionUri, 'sidebar');
    view.onDidDispose(() => this.connection?.dispose());
  }

  dispose(): void {
    this.connection?.dispose();
  }
}
