import * as vscode from 'vscode';
import { budgetLevel as levelOf } from '../core/figures';
import { limitsShort, untilText, type LimitsReport } from '../core/limits';
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

export function statusBarText(v: StatusView | undefined, limits?: LimitsReport, now = Date.now()): string {
  // The nearest plan limit's agent, both its windows: `5h 42 % · 7d 18 %`.
  const plan = limits ? limitsShort(limits, now, { space: true }) : undefined;
  if (!v) return plan ? `$(graph) ${plan}` : '$(graph) Token Cost';
  const cost = `$${v.summary.today.cost.toFixed(2)}`;
  const tokens = `${compactTokens(v.summary.today.totalTokens)} tok`;
  const body = v.show === 'tokens' ? tokens : v.show === 'both' ? `${cost} · ${tokens}` : cost;
  return `$(graph) ${body} today${plan ? ` · ${plan}` : ''}`;
}

const AGENT = { claude: 'Claude Code', codex: 'Codex' } as const;

/** The tooltip's plan-limit rows: each window's use, reset and pace, or that none is reported. */
export function limitsTooltip(r: LimitsReport | undefined, now = Date.now()): string {
  if (!r || !r.reported) return 'No plan limits reported (the 5-hour block in the dashboard is an estimate from token history).\n\n';
  const time = (ms: number) => new Date(ms).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  let md = '| Plan limit | Used | Resets | At this pace |\n|---|---:|---|---|\n';
  for (const w of r.windows) {
    const name = `${AGENT[w.source]} ${w.label}`;
    if (w.state === 'reset') {
      md += `| ${name} | — | reset ${time(w.resetsAt)} | no reading since |\n`;
      continue;
    }
    const pace =
      w.projectedPctAtReset === undefined
        ? 'too early'
        : `${Math.round(w.projectedPctAtReset)} % at reset${w.limitAt !== undefined ? `, full ${time(w.limitAt)}` : ''}`;
    md += `| ${name} | ${Math.round(w.usedPct)} % | ${time(w.resetsAt)} (in ${untilText(w.resetsAt - now)}) | ${pace} |\n`;
  }
  return `${md}\n`;
}

/** The budget state the colour shows: error at 100 %, warning from the first threshold. */
export function budgetLevel(v: StatusView): 'ok' | 'warning' | 'error' {
  return levelOf(Math.max(v.summary.dailyUsedPct ?? 0, v.summary.monthlyUsedPct ?? 0), [v.warnAtPct]);
}

/** Today's spend at a glance; a click opens the dashboard. */
export class CostStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private level: 'ok' | 'warning' | 'error' = 'ok';
  private view: StatusView | undefined;
  private limits: LimitsReport | undefined;

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
    return typeof t === 'string' ? t : (t?.value ?? '');
  }

  /** New plan-limit figures: the text and tooltip are drawn again with the last budget figures. */
  setLimits(r: LimitsReport): void {
    this.limits = r;
    this.update(this.view);
  }

  update(v: StatusView | undefined): void {
    this.view = v;
    this.item.text = statusBarText(v, this.limits);
    this.level = v ? budgetLevel(v) : 'ok';
    this.item.backgroundColor =
      this.level === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : this.level === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.accessibilityInformation = {
      label: v
        ? `Token cost today ${v.summary.today.cost.toFixed(2)} dollars, ${fmtInt(v.summary.today.totalTokens)} tokens` +
          (this.level !== 'ok' ? `, budget ${this.level === 'error' ? 'exceeded' : 'nearly used'}` : '')
        : 'Token cost: loading',
      role: 'button',
    };
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = {
      enabledCommands: [
        'tokenCost.openDashboard',
        'tokenCost.exportCsv',
        'tokenCost.exportJson',
        'tokenCost.setBudget',
        'tokenCost.showUnpricedModels',
      ],
    };
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
    md.appendMarkdown(
      `| Burn rate (${s.burn.windowMinutes} min) | ${fmtInt(s.burn.tokensPerMinute)} tok/min · $${s.burn.costPerHour.toFixed(2)}/h |\n`,
    );
    md.appendMarkdown(`| Month to date (${s.month}) | $${s.monthCost.toFixed(2)} |\n`);
    if (s.dailyUsedPct !== undefined)
      md.appendMarkdown(`| Daily budget | ${s.dailyUsedPct.toFixed(0)} % of $${s.budget.daily!.toFixed(2)} |\n`);
    if (s.monthlyUsedPct !== undefined)
      md.appendMarkdown(`| Monthly budget | ${s.monthlyUsedPct.toFixed(0)} % of $${s.budget.monthly!.toFixed(2)} |\n`);
    md.appendMarkdown('\n');
    md.appendMarkdown(limitsTooltip(this.limits));
    if (s.topModelsToday.length) {
      // Model names come from transcripts: shown as code so they cannot become links or markup.
      const safe = (m: string) => `\`${m.replace(/`/g, "'")}\``;
      md.appendMarkdown(`Top models today: ${s.topModelsToday.map((m) => `${safe(m.model)} $${m.cost.toFixed(2)}`).join(' · ')}\n\n`);
    }
    if (s.unpricedModels.length) {
      md.appendMarkdown(
        `$(warning) No price for ${s.unpricedModels.length} model(s) (counted as $0): [show](command:tokenCost.showUnpricedModels)\n\n`,
      );
    }
    if (!v.scanned) md.appendMarkdown('$(sync~spin) Scanning transcripts…\n\n');
    if (v.role === 'reader') md.appendMarkdown('$(eye) Another VS Code window writes the usage database; this one shows its figures.\n\n');
    else if (v.role === 'writer') md.appendMarkdown('$(database) This window writes the usage database.\n\n');
    md.appendMarkdown(
      '[Open Dashboard](command:tokenCost.openDashboard) · [Export CSV](command:tokenCost.exportCsv) · [Export JSON](command:tokenCost.exportJson) · [Set Budget](command:tokenCost.setBudget)',
    );
    this.item.tooltip = md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
