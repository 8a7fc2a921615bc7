import type { DashboardFilter, SidebarData } from '../src/protocol';
import { el } from './dom';
import { HostConnection, type VsCodeApi } from './host';
import { createAlerts, createEmptyStates } from './sections/alerts';
import { createSidebarRange } from './sections/filters';
import { createHeader, createOpenDashboard } from './sections/header';
import { createKpis } from './sections/kpis';
import { createTopModels } from './sections/topModels';
import type { PageState } from './state';

/** The activity-bar view: range, alerts, four KPI cards and the top models, from its own `sidebar` payload. */
export function createSidebar(app: HTMLElement, state: PageState, api: VsCodeApi) {
  const host: HostConnection = new HostConnection(api, {
    sidebar: (d) => render(d),
    busy: (b) => header.busy(b),
    refreshed: () => header.refreshed(),
    asked: () => app.setAttribute('aria-busy', 'true'),
    // The sidebar has no filter bar to show a host error in; the next push answers again.
    error: () => app.removeAttribute('aria-busy'),
  });
  const query = (f: DashboardFilter) => {
    state.setFilter(f);
    host.query(f);
  };
  const header = createHeader('sidebar', state, host);
  const range = createSidebarRange(query);
  const alerts = createAlerts(host);
  const empty = createEmptyStates(() => state.filter, query);
  const kpis = createKpis('sidebar');
  const topModels = createTopModels();
  app.append(
    header.element,
    range.element,
    alerts.element,
    empty.all,
    kpis.element,
    el('h2', { class: 'sidebar-heading' }, 'Top models'),
    topModels.element,
    createOpenDashboard(host),
  );

  function render(d: SidebarData): void {
    state.data = d;
    app.removeAttribute('aria-busy');
    range.render(d);
    const { none } = empty.render(d);
    kpis.element.hidden = none;
    kpis.render(d);
    alerts.render(d);
    topModels.render(d);
    header.tick();
  }
  return { host, tick: header.tick };
}
