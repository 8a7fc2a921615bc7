import type { DashboardData } from '../../src/protocol';
import { card, el } from '../dom';
import { formatCost, formatInt, formatMoney, formatPct, formatTokens } from '../format';

function insight(id: string, label: string, value: string, sub: string, title?: string, subTitle?: string): HTMLElement {
  return el(
    'div',
    { class: 'insight', 'data-insight': id },
    el('div', { class: 'insight-label' }, label),
    el('div', { class: 'insight-value', title }, value),
    el('div', { class: 'insight-sub', title: subTitle }, sub),
  );
}

/** Most efficient and most used model, optimization potential, burn rate, active sessions, month-end, today vs yesterday, the 5-hour block. */
export function createInsights() {
  const c = card('insights', 'Insights');
  function render(d: DashboardData): void {
    const i = d.insights;
    const change = i.days.todayVsYesterdayPct;
    c.body.replaceChildren(
      el(
        'div',
        { class: 'insights' },
        insight(
          'efficient',
          'Most efficient model',
          i.mostEfficientModel?.displayName ?? '–',
          i.mostEfficientModel ? `${formatCost(i.mostEfficientModel.costPer1k)} per 1K tokens` : 'no priced usage',
          i.mostEfficientModel?.model,
        ),
        insight(
          'used',
          'Most used model',
          i.mostUsedModel?.displayName ?? '–',
          i.mostUsedModel
            ? `${formatInt(i.mostUsedModel.requests)} requests · ${formatTokens(i.mostUsedModel.totalTokens)} tokens`
            : 'no usage',
          i.mostUsedModel?.model,
        ),
        insight(
          'optimization',
          'Optimization potential',
          i.optimization ? formatMoney(i.optimization.saving) : '–',
          i.optimization
            ? `${formatPct(i.optimization.savingPct)} if all tokens had cost what ${i.optimization.displayName} costs per token (${formatMoney(i.optimization.wouldCost)})`
            : 'nothing to compare',
          undefined,
          i.optimization?.model,
        ),
        insight(
          'burn',
          'Burn rate',
          `${formatTokens(i.burn.tokensPerMinute)} tokens/min`,
          `${formatMoney(i.burn.costPerHour)}/hour over the last ${i.burn.windowMinutes} min`,
        ),
        insight('sessions', 'Active sessions', formatInt(i.activeSessions), 'with requests in the last 30 min'),
        insight(
          'projected',
          'Projected month-end',
          formatMoney(i.month.projected),
          `${formatMoney(i.month.cost)} so far in ${i.month.month}${i.month.budget ? ` · budget ${formatMoney(i.month.budget)}` : ''}`,
        ),
        insight(
          'days',
          'Today vs yesterday',
          formatMoney(i.days.today),
          `yesterday ${formatMoney(i.days.yesterday)}${change === null ? '' : ` (${change >= 0 ? '+' : ''}${change.toFixed(0)} %)`} · same day last week ${formatMoney(i.days.sameDayLastWeek)}`,
        ),
        insight(
          'block',
          'Current 5-hour block (estimate)',
          i.block ? formatMoney(i.block.cost) : 'none running',
          i.block
            ? `${Math.floor(i.block.minutesLeft / 60)} h ${i.block.minutesLeft % 60} min left · projected ${formatMoney(i.block.projectedCost)} · estimated from token history, not the plan limit`
            : 'a block starts with the next request',
        ),
      ),
    );
  }
  return { element: c.section, render };
}
