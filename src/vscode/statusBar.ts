import * as vscode from 'vscode';
import { budgetLevel as levelOf } from '../core/figures';
import type { StatusSummary } from '../core/status';

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

export function compactTokens(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(Math.round(n));
}

export interface StatusView {
  summary: StatusSummary;
  show: 'cost' | 'tokens' | 'both';
  role: 'writer' | 'reader' | 'memory';
  scanned: boolean;
  /** The lowest budget alert threshold, in percent: the warning colour starts there. */
  warnAtPct: number;
}

export function statusBarText(v: StatusView | undefined): string {
  if (!v) return '$(graph) Token Cost';
  const cost = `$${v.summary.today.cost.toFixed(2)}`;
  const tokens = `${compactTokens(v.summary.today.totalTokens)} tok`;
  const body = v.show === 'tokens' ? tokens : v.show === 'both' ? `${cost} · ${tokens}` : cost;
  return `$(graph) ${body} today`;
}

/** The budget state the colour shows: error at 100 %, warning from the first threshold. */
export function budgetLevel(v: StatusView): 'ok' | 'warning' | 'error' {
  return levelOf(Math.max(v.summary.dailyUsedPct ?? 0, v.summary.monthlyUsedPct ?? 0), [v.warnAtPct]);
}

/** Today's spend at a glance; a click opens the dashboard. */
export class CostStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private level: 'ok' | 'warning' | 'error' = 'ok';

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

  get budgetLevel(): 'ok' | 'warning' | 'error' {
    return this.level;
  }

  get tooltipMarkdown(): string {
    const t = this.item.tooltip;
    return typeof t === 'string' ? t : t?.value ?? '';
  }

  update(v: StatusView | undefined): void {
    this.item.text = statusBarText(v);
    this.level = v ? budgetLevel(v) : 'ok';
    this.item.backgroundColor =
      this.level === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : this.level === 'warning' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.accessibilityInformation = {
      label: v
        ? `Token cost today ${v.summary.today.cost.toFixed(2)} dollars, ${fmtInt(v.summary.today.totalTokens)} tokens` +
          (this.level !== 'ok' ? `, budget ${this.level === 'error' ? 'exceeded' : 'nearly used'}` : '')
        : 'Token cost: loading',
      role: 'button',
    };
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: ['tokenCost.openDashboard', 'tokenCost.exportCsv', 'tokenCost.exportJson', 'tokenCost.setBudget', 'tokenCost.showUnpricedModels'] };
    md.supportHtml = false;
    if (!v) {
      md.appendMarkdown('**Token Cost**: reading the usage database…');
      this.item.tooltip = md;
      return;
    }
    const s = v.summary;
    const t = s.today;
    md.appendMarkdown(`**Token Cost: today (${s.day})**\n\n`);
    md.appendMarkdown(`| | |\n|---|---:|\n`);
    md.appendMarkdown(`| Cost | $${t.cost.toFixed(4)} |\n| Requests | ${fmtInt(t.requests)} |\n`);
    md.appendMarkdown(`| Input | ${fmtInt(t.inputTokens)} |\n| Output | ${fmtInt(t.outputTokens)} |\n`);
    md.appendMarkdown(`| Cache write | ${fmtInt(t.cacheWriteTokens)} |\n| Cache read | ${fmtInt(t.cacheReadTokens)} |\n`);
    md.appendMarkdown(`| Burn rate (${s.burn.windowMinutes} min) | ${fmtInt(s.burn.tokensPerMinute)} tok/min · $${s.burn.costPerHour.toFixed(2)}/h |\n`);
    md.appendMarkdown(`| Month to date (${s.month}) | $${s.monthCost.toFixed(2)} |\n`);
    if (s.dailyUsedPct !== undefined) md.appendMarkdown(`| Daily budget | ${s.dailyUsedPct.toFixed(0)} % of $${s.budget.daily!.toFixed(2)} |\n`);
    if (s.monthlyUsedPct !== undefined) md.appendMarkdown(`| Monthly budget | ${s.monthlyUsedPct.toFixed(0)} % of $${s.budget.monthly!.toFixed(2)} |\n`);
    md.appendMarkdown('\n');
    if (s.topModelsToday.length) {
      // Model names come from transcripts: shown as code so they cannot become links or markup.
      const safe = (m: string) => `\`${m.replace(/`/g, "'")}\``;
      md.appendMarkdown(`Top models today: ${s.topModelsToday.map((m) => `${safe(m.model)} $${m.cost.toFixed(2)}`).join(' · ')}\n\n`);
    }
    if (s.unpricedModels.length) {
      md.appendMarkdown(`$(warning) No price for ${s.unpricedModels.length} model(s) (counted as $0): [show](command:tokenCost.showUnpricedModels)\n\n`);
    }
    if (!v.scanned) md.appendMarkdown('$(sync~spin) Scanning transcripts…\n\n');
    if (v.role === 'reader') md.appendMarkdown('$(eye) Another VS Code window writes the usage database; this one shows its figures.\n\n');
    else if (v.role === 'writer') md.appendMarkdown('$(database) This window writes the usage database.\n\n');
    md.appendMarkdown('[Open Dashboard](command:tokenCost.openDashboard) · [Export CSV](command:tokenCost.exportCsv) · [Export JSON](command:tokenCost.exportJson) · [Set Budget](command:tokenCost.setBudget)');
    this.item.tooltip = md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
