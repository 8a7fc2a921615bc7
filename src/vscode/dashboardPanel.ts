import * as vscode from 'vscode';
import type { UsageService } from './usageService';
import { connectWebview, type HeartbeatUrl } from './webviewBridge';
import { webviewHtml, webviewOptions } from './webviewHtml';

export const DASHBOARD_VIEW_TYPE = 'tokenCost.dashboard';

/** The dashboard editor panel: one at a time, restored after a reload by its serializer. */
export class DashboardPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private connection: vscode.Disposable | undefined;
  private readonly serializer: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly usage: UsageService,
    private readonly heartbeatUrl: HeartbeatUrl = () => undefined,
    private readonly teamUrl: () => string | undefined = () => undefined,
  ) {
    this.serializer = vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel) => this.adopt(panel),
    });
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Token Cost Dashboard', vscode.ViewColumn.Active, {
      ...webviewOptions(this.extensionUri),
      retainContextWhenHidden: false,
    });
    this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'icon.png');
    panel.webview.options = webviewOptions(this.extensionUri);
    this.connection = connectWebview(panel.webview, this.usage, this.heartbeatUrl, () => panel.visible, this.teamUrl);
    panel.webview.html = webviewHtml(panel.webview, this.extensionUri, 'panel');
    panel.onDidDispose(() => {
      this.connection?.dispose();
      this.panel = undefined;
    });
  }

  dispose(): void {
    this.serializer.dispose();
    this.panel?.dispose();
  }
}
