import type { ViewData, ViewKind } from '../../src/protocol';
import { el } from '../dom';
import { formatCost, formatInt, formatMoney, formatTokens } from '../format';

export interface KpiCard {
  card: HTMLElement;
  value: HTMLElement;
  sub: HTMLElement;
}

/** One KPI card; `data-kpi` / `data-kpi-sub` are what the e2e tests and the bench read. */
export function kpiCard(id: string, label: string): KpiCard {
  const value = el('div', { class: 'kpi-value', 'data-kpi': id }, '–');
  const sub = el('div', { class: 'kpi-sub', 'data-kpi-sub': id });
  const section = el('section', { class: 'kpi', 'aria-label': label }, el('h2', { class: 'kpi-label' }, label), value, sub);
  return { card: section, value, sub };
}

/** Today, the range's cost, tokens and requests, and on the panel the per-request average. */
export function createKpis(view: ViewKind) {
  const today = kpiCard('today-cost', 'Today');
  const cost = kpiCard('cost', 'Total cost');
  const tokens = kpiCard('tokens', 'Total tokens');
  const requests = kpiCard('requests', 'Requests');
  const average = kpiCard('average', 'Per request');
  const element = el(
    'div',
    { class: 'kpis' },
    today.card,
    cost.card,
    tokens.card,
    requests.card,
    ...(view === 'panel' ? [average.card] : []),
  );

  function render(d: ViewData): void {
    const k = d.kpis;
    const t = d.todayKpis;
    cost.value.textContent = formatCost(k.cost);
    cost.value.title = `$${k.cost}`;
    cost.sub.textContent = `${d.range.label} · ${k.requests > 0 ? `~${formatMoney(k.avgCostPerRequest)} per request` : 'no requests'}`;
    // Both figures side by side: the other rule set's total, when it differs (tokenCost.costRules).
    if (k.otherRulesCost !== undefined && Math.abs(k.otherRulesCost - k.cost) > 0.005) {
      const other = d.costRules === 'api' ? 'ccusage rules' : 'API bill';
      cost.sub.textContent += ` · ${other} ${formatCost(k.otherRulesCost)}`;
      cost.sub.title =
        d.costRules === 'api'
          ? 'Total cost follows what the API bills (tokenCost.costRules: api); ccusage counts less for long prompts, US inference and web searches.'
          : "Total cost follows ccusage's rules (tokenCost.costRules); the API bills long prompts whole at the long-context rate, US inference at 1.1x and web searches at $0.01.";
    } else {
      cost.sub.removeAttribute('title');
    }
    tokens.value.textContent = formatTokens(k.totalTokens);
    tokens.value.title = String(k.totalTokens);
    tokens.sub.textContent = `${formatTokens(k.inputTokens)} in · ${formatTokens(k.outputTokens)} out · ${formatTokens(k.cacheWriteTokens)} cache write · ${formatTokens(k.cacheReadTokens)} cache read`;
    tokens.sub.title = `input ${formatInt(k.inputTokens)}, output ${formatInt(k.outputTokens)}, cache write ${formatInt(k.cacheWriteTokens)}, cache read ${formatInt(k.cacheReadTokens)}`;
    requests.value.textContent = formatInt(k.requests);
    requests.value.title = String(k.requests);
    const perDay = k.days > 0 ? k.requests / k.days : 0;
    requests.sub.textContent = k.days > 0 ? `~${perDay >= 10 ? formatInt(perDay) : perDay.toFixed(1)} per day` : '';
    average.value.textContent = formatMoney(k.avgCostPerRequest);
    average.value.title = `$${k.avgCostPerRequest}`;
    average.sub.textContent = `${formatTokens(k.avgTokensPerRequest)} tokens per request`;
    today.value.textContent = formatCost(t.cost, 2);
    today.value.title = `$${t.cost}`;
    today.sub.textContent = `${formatTokens(t.totalTokens)} tokens · ${formatInt(t.requests)} requests`;
  }
  return { element, render };
}
