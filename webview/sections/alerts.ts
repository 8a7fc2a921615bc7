import { DEFAULT_FILTER, type DashboardFilter, type ViewData } from '../../src/protocol';
import { el } from '../dom';
import type { HostConnection } from '../host';
import { withRange } from '../state';

/** The alerts the host raised, each with its action button. */
export function createAlerts(host: HostConnection) {
  const element = el('section', { class: 'alerts', id: 'alerts', 'aria-label': 'Alerts', 'aria-live': 'polite' });
  let shown = '';
  function render(d: ViewData): void {
    // Alerts change rarely; rebuilding them on every answer would re-announce them (aria-live).
    const key = JSON.stringify(d.alerts);
    if (key !== shown) {
      shown = key;
      element.replaceChildren(
        ...d.alerts.map((a) => {
          const action = a.action ? el('vscode-button', { secondary: '' }, a.action.label) : null;
          if (action && a.action) {
            const command = a.action.command;
            action.addEventListener('click', () => host.command(command));
          }
          return el(
            'div',
            { class: `alert alert-${a.severity}`, role: a.severity === 'error' ? 'alert' : 'status', 'data-alert': a.id },
            el('div', { class: 'alert-text' }, el('strong', {}, a.title), el('span', {}, a.detail)),
            action,
          );
        }),
      );
    }
    element.hidden = d.alerts.length === 0;
  }
  return { element, render };
}

/** "No token usage yet" (nothing stored) and "No usage matches these filters" (nothing in range). */
export function createEmptyStates(current: () => DashboardFilter, query: (f: DashboardFilter) => void) {
  const all = el('section', { class: 'empty', id: 'empty-all', hidden: '' });
  const filtered = el('section', { class: 'empty', id: 'empty-filtered', hidden: '' });

  function render(d: ViewData): { none: boolean; filtered: boolean } {
    const none = d.scanned && d.recordCount === 0;
    const isFiltered = !none && d.kpis.requests === 0;
    all.hidden = !none;
    filtered.hidden = !isFiltered;
    if (none) {
      const curl = d.gettingStarted.heartbeatUrl
        ? `curl -X POST -H "x-api-key: $TOKEN_COST_API_KEY" -H "content-type: application/json" -d '{"status":"ok","tokens":{"model":"claude-sonnet-4-5","input":1200,"output":300}}' ${d.gettingStarted.heartbeatUrl.replace('{agentId}', 'my-agent')}`
        : undefined;
      all.replaceChildren(
        el('h2', {}, 'No token usage yet.'),
        el('p', {}, 'Usage appears here as soon as an agent writes some. Transcripts are read from:'),
        el('ul', {}, ...d.gettingStarted.transcriptRoots.map((r) => el('li', {}, el('code', {}, r)))),
        el(
          'p',
          {},
          'Codex CLI sessions and JSONL transcripts in this workspace are read as well. Agents without transcripts can report usage to the local heartbeat endpoint:',
        ),
        curl
          ? el('pre', {}, el('code', {}, curl))
          : el('p', {}, 'Turn on the setting tokenCost.server.enabled, then run "Token Cost: Copy Heartbeat URL".'),
      );
    }
    if (isFiltered) {
      const widen = el('vscode-button', { secondary: '', id: 'empty-widen' }, 'Show all time');
      widen.addEventListener('click', () => query(withRange(current(), { kind: 'preset', preset: 'all' })));
      const clear = el('vscode-button', { secondary: '', id: 'empty-clear' }, 'Clear filters');
      clear.addEventListener('click', () => query(DEFAULT_FILTER));
      filtered.replaceChildren(
        el('h2', {}, 'No usage matches these filters.'),
        el(
          'p',
          {},
          `Nothing was recorded for ${d.range.label.toLowerCase()} with these filters. Widen the date range or clear the filters.`,
        ),
        el('div', { class: 'row' }, widen, clear),
      );
    }
    return { none, filtered: isFiltered };
  }
  return { all, filtered, render };
}
