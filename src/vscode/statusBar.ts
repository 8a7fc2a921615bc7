import * as vscode from 'vscode';
import type { DashboardSnapshot } from '../protocol';

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

export function statusBarText(s: DashboardSnapshot | undefined): string {
  if (!s) return '$(graph) Token Cost';
  return `$(graph) $${s.todayKpis.cost.toFixed(2)} today`;
}

/** Today's spend at a glance; a click opens the dashboard. */
export class CostStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('tokenCost.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Token Cost';
    this.item.command = 'tokenCost.openDashboard';
    this.update(undefined);
    this.item.show();
  }

  get text(): string {
    return this.item.text;
  }

  update(s: DashboardSnapshot | undefined): void {
    this.item.text = statusBarText(s);
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: ['tokenCost.openDashboard', 'tokenCost.exportCsv'] };
    if (!s) {
      md.appendMarkdown('**Token Cost**: reading the usage database…');
    } else {
      const t = s.todayKpis;
      md.appendMarkdown(`**Token Cost: today (${s.today})**\n\n`);
      md.appendMarkdown(`| | |\n|---|---:|\n`);
      md.appendMarkdown(`| Cost | $${t.cost.toFixed(4)} |\n| Requests | ${fmtInt(t.requests)} |\n`);
      md.appendMarkdown(`| Input | ${fmtInt(t.inputTokens)} |\n| Output | ${fmtInt(t.outputTokens)} |\n`);
      md.appendMarkdown(`| Cache write | ${fmtInt(t.cacheWriteTokens)} |\n| Cache read | ${fmtInt(t.cacheReadTokens)} |\n\n`);
      if (s.unpricedModels.length) {
        md.appendMarkdown(`$(warning) No price for: ${s.unpricedModels.map((m) => `\`${m.replace(/`/g, '')}\``).join(', ')} (counted as $0)\n\n`);
      }
      if (!s.scanned) md.appendMarkdown('$(sync~spin) Scanning transcripts…\n\n');
      if (s.storageRole === 'reader') md.appendMarkdown('$(eye) Another VS Code window writes the usage database; this one shows its figures.\n\n');
      else if (s.storageRole === 'writer') md.appendMarkdown('$(database) This window writes the usage database.\n\n');
      md.appendMarkdown('[Open Dashboard](command:tokenCost.openDashboard) · [Export CSV](command:tokenCost.exportCsv)');
    }
    this.item.tooltip = md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
