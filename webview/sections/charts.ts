import type { DashboardData } from '../../src/protocol';
import { dashboardCharts, typesEmptyText } from '../chartConfigs';
import { ChartCard } from '../charts';
import { el } from '../dom';
import type { Deferral } from '../lazy';

/** The six chart cards of the panel (configurations: chartConfigs.ts). */
export function createCharts(deferral: Deferral) {
  const cards = [
    new ChartCard('chart-trend', 'Usage trend', 'No usage to chart for the current filters.', 260, deferral),
    new ChartCard('chart-types', 'Tokens by type', 'No daily usage to chart for the current filters.', 260, deferral),
    new ChartCard('chart-sources', 'Cost by source', 'No cost to chart for the current filters.', 260, deferral),
    new ChartCard('chart-models', 'Tokens by model', 'No models to chart for the current filters.', 260, deferral),
    new ChartCard('chart-share', 'Cost share by model', 'No cost to chart for the current filters.', 240, deferral),
    new ChartCard('chart-efficiency', 'Model efficiency ($ per 1K tokens)', 'No priced models to compare.', 260, deferral),
  ];
  const element = el('div', { class: 'charts' }, ...cards.map((c) => c.section));

  function render(d: DashboardData): void {
    const specs = dashboardCharts(d);
    cards[1].setEmptyText(typesEmptyText(d.range.bucket));
    for (const c of cards) c.update(specs[c.id]);
  }
  return { element, cards, render };
}
