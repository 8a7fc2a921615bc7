import type { DashboardData } from '../../src/protocol';
import { dashboardCharts, typesEmptyText } from '../chartConfigs';
import { ChartCard, type ChartPage } from '../charts';
import { el } from '../dom';

/** The six chart cards of the panel (configurations: chartConfigs.ts). */
export function createCharts(page: ChartPage) {
  const cards = [
    new ChartCard('chart-trend', 'Usage trend', 'No usage to chart for the current filters.', page),
    new ChartCard('chart-types', 'Tokens by type', 'No daily usage to chart for the current filters.', page),
    new ChartCard('chart-sources', 'Cost by source', 'No cost to chart for the current filters.', page),
    new ChartCard('chart-models', 'Tokens by model', 'No models to chart for the current filters.', page),
    new ChartCard('chart-share', 'Cost share by model', 'No cost to chart for the current filters.', page, 240),
    new ChartCard('chart-efficiency', 'Model efficiency ($ per 1K tokens)', 'No priced models to compare.', page),
  ];
  const element = el('div', { class: 'charts' }, ...cards.map((c) => c.section));

  function render(d: DashboardData): void {
    const specs = dashboardCharts(d);
    cards[1].setEmptyText(typesEmptyText(d.range.bucket));
    for (const c of cards) c.update(specs[c.id]);
  }
  return { element, cards, render };
}
