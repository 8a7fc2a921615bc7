import type { ViewData, ViewKind } from '../../src/protocol';
import { el } from '../dom';
import { formatAgo } from '../format';
import type { HostConnection } from '../host';
import type { PageState } from '../state';

/** The title, "Updated … ago", Refresh, and on the panel the two export buttons. */
export function createHeader(view: ViewKind, state: PageState, host: HostConnection) {
  const updated = el('span', { class: 'updated', 'aria-live': 'polite' }, 'Loading…');
  const refreshButton = el('vscode-button', { id: 'refresh', secondary: '', title: 'Rescan transcripts now' }, 'Refresh');
  refreshButton.addEventListener('click', () => {
    if (host.refresh()) refreshButton.setAttribute('disabled', '');
  });
  const exportCsv = el(
    'vscode-button',
    { id: 'export-csv', secondary: '', title: 'Export the requests this filter shows as CSV' },
    'Export CSV',
  );
  const exportJson = el(
    'vscode-button',
    { id: 'export-json', secondary: '', title: 'Export the requests this filter shows as JSON' },
    'Export JSON',
  );
  exportCsv.addEventListener('click', () => host.exportRequests('csv', state.filter));
  exportJson.addEventListener('click', () => host.exportRequests('json', state.filter));
  const panel = view === 'panel';
  const element = el(
    'header',
    { class: 'header' },
    el('h1', {}, panel ? 'Token Cost Dashboard' : 'Token Cost'),
    updated,
    el('div', { class: 'actions' }, refreshButton, ...(panel ? [exportCsv, exportJson] : [])),
  );

  /** "Updated … ago" from the figures last drawn (the entry point calls it every second). */
  function tick(): void {
    const d: ViewData | undefined = state.data;
    if (!d) return;
    updated.textContent = d.scanned ? `Updated ${formatAgo(Date.now() - d.generatedAt)}` : 'Reading transcripts…';
    updated.title = new Date(d.generatedAt).toLocaleString();
  }

  return {
    element,
    tick,
    /** The refresh was answered. */
    refreshed: () => refreshButton.removeAttribute('disabled'),
    busy(busy: boolean): void {
      if (busy) refreshButton.setAttribute('disabled', '');
      else if (!host.refreshing) refreshButton.removeAttribute('disabled');
    },
  };
}

/** The sidebar's way to the full dashboard. */
export function createOpenDashboard(host: HostConnection): HTMLElement {
  const b = el('vscode-button', { id: 'open-dashboard', title: 'Open the full dashboard' }, 'Open Dashboard');
  b.addEventListener('click', () => host.command('openDashboard'));
  return b;
}
