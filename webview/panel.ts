import type { DashboardData, DashboardFilter } from '../src/protocol';
import { Theme } from './charts';
import { el } from './dom';
import { HostConnection, type VsCodeApi } from './host';
import { Deferral } from './lazy';
import { createAlerts, createEmptyStates } from './sections/alerts';
import { createCharts } from './sections/charts';
import { createFilters } from './sections/filters';
import { createHeader } from './sections/header';
import { createInsights } from './sections/insights';
import { createKpis } from './sections/kpis';
import { createLimits } from './sections/limits';
import { createTables } from './sections/tables';
import { createTeam } from './sections/team';
import type { PageState } from './state';

/** The full dashboard: filters, KPIs, alerts, limits, insights, six charts, seven tables and the Team tab. */
export function createPanel(app: HTMLElement, state: PageState, api: VsCodeApi) {
  const host: HostConnection = new HostConnection(api, {
    data: (d) => render(d),
    team: (t) => team.render(t),
    busy: (b) => header.busy(b),
    refreshed: () => header.refreshed(),
    asked: () => app.setAttribute('aria-busy', 'true'),
    error: (message) => {
      filters.showError(message);
      app.removeAttribute('aria-busy');
    },
  });
  const query = (f: DashboardFilter) => {
    state.setFilter(f);
    host.query(f);
  };
  const current = () => state.filter;
  const header = createHeader('panel', state, host);
  const filters = createFilters(current, query);
  const alerts = createAlerts(host);
  const empty = createEmptyStates(current, query);
  const kpis = createKpis('panel');
  // Cards off screen update after the frame that shows the new figures; aria-busy stays until they have.
  const deferral = new Deferral();
  const theme = new Theme();
  const limits = createLimits({ theme, deferral });
  const insights = createInsights();
  const charts = createCharts({ theme, deferral });
  const tables = createTables(() => state.timeZone, deferral);
  const content = el('div', { class: 'content' }, limits.card, limits.chart.section, insights.element, charts.element, tables.element);
  const personal = el(
    'div',
    { id: 'personal', role: 'tabpanel', 'aria-labelledby': 'tab-personal' },
    alerts.element,
    empty.all,
    kpis.element,
    empty.filtered,
    content,
  );
  const team = createTeam(personal, () => state.data?.range.label ?? '');
  app.append(header.element, filters.element, team.tabBar, personal, team.view);

  // Theme changes swap the body class; charts are drawn again with the new theme's colours.
  new MutationObserver(() => {
    theme.changed();
    [...charts.cards, limits.chart].forEach((c) => c.draw());
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

  function render(d: DashboardData): void {
    state.data = d;
    // Busy until the cards off screen have caught up too (a push from the host sets it here).
    app.setAttribute('aria-busy', 'true');
    filters.render(d);
    const { none, filtered } = empty.render(d);
    kpis.element.hidden = none;
    kpis.render(d);
    alerts.render(d);
    content.hidden = none || filtered;
    if (!content.hidden) {
      limits.render(d);
      insights.render(d);
      charts.render(d);
      tables.render(d);
    }
    header.tick();
    deferral.whenSettled(() => app.removeAttribute('aria-busy'));
  }
  return { host, tick: header.tick };
}
