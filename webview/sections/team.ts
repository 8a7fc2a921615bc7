import type { TeamData, TeamRow } from '../../src/protocol';
import { el } from '../dom';
import { formatCost, formatInt, formatTokens } from '../format';
import { SortableTable, type Column } from '../tables';
import { kpiCard } from './kpis';

const columns = (label: string): Column<TeamRow>[] => [
  { label, value: (r) => r.name, text: (r) => r.name || '(none)' },
  { label: 'Cost', value: (r) => r.cost, text: (r) => formatCost(r.cost), title: (r) => `$${r.cost}`, numeric: true },
  { label: 'Tokens', value: (r) => r.tokens, text: (r) => formatTokens(r.tokens), title: (r) => String(r.tokens), numeric: true },
  { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
];

/**
 * The Team tab (tokenCost.team.prometheusUrl): the tab bar appears with the first team answer;
 * without the setting the page is as before. `personal` is the panel's own view.
 */
export function createTeam(personal: HTMLElement, rangeLabel: () => string) {
  const personalTab = el(
    'button',
    { class: 'tab', role: 'tab', id: 'tab-personal', 'aria-selected': 'true', 'aria-controls': 'personal' },
    'Personal',
  );
  const teamTab = el('button', { class: 'tab', role: 'tab', id: 'tab-team', 'aria-selected': 'false', 'aria-controls': 'team' }, 'Team');
  const tabBar = el('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Whose usage', hidden: '' }, personalTab, teamTab);
  const cost = kpiCard('team-cost', 'Team cost');
  const tokens = kpiCard('team-tokens', 'Team tokens');
  const requests = kpiCard('team-requests', 'Requests');
  const people = kpiCard('team-people', 'People');
  const machines = kpiCard('team-machines', 'Machines');
  const error = el('p', { class: 'team-error', role: 'alert', hidden: '' });
  const note = el('p', { class: 'team-note' });
  const tables = {
    user: new SortableTable<TeamRow>('team-users', 'Cost by user', columns('User'), 'No usage pushed for this range.'),
    machine: new SortableTable<TeamRow>('team-machines-table', 'Cost by machine', columns('Machine'), 'No usage pushed for this range.'),
    model: new SortableTable<TeamRow>('team-models', 'Cost by model', columns('Model'), 'No usage pushed for this range.'),
    project: new SortableTable<TeamRow>('team-projects', 'Cost by project', columns('Project'), 'No usage pushed for this range.'),
  };
  const view = el(
    'div',
    { class: 'team', id: 'team', role: 'tabpanel', 'aria-labelledby': 'tab-team', hidden: '' },
    error,
    el('div', { class: 'kpis team-kpis' }, cost.card, tokens.card, requests.card, people.card, machines.card),
    note,
    el('div', { class: 'tables' }, tables.user.section, tables.machine.section, tables.model.section, tables.project.section),
  );

  function showTab(team: boolean): void {
    personalTab.setAttribute('aria-selected', String(!team));
    teamTab.setAttribute('aria-selected', String(team));
    personal.hidden = team;
    view.hidden = !team;
  }
  personalTab.addEventListener('click', () => showTab(false));
  teamTab.addEventListener('click', () => showTab(true));

  function render(t: TeamData): void {
    tabBar.hidden = false;
    error.hidden = !t.error;
    error.textContent = t.error ?? '';
    cost.value.textContent = formatCost(t.kpis.cost);
    cost.value.title = `$${t.kpis.cost}`;
    cost.sub.textContent = rangeLabel();
    tokens.value.textContent = formatTokens(t.kpis.tokens);
    tokens.value.title = String(t.kpis.tokens);
    requests.value.textContent = formatInt(t.kpis.requests);
    people.value.textContent = formatInt(t.kpis.users);
    machines.value.textContent = formatInt(t.kpis.machines);
    note.textContent =
      t.method === 'totals'
        ? `All-time totals every machine last pushed to ${t.prometheusUrl}.`
        : `What grew in the range on ${t.prometheusUrl} (PromQL increase(), which counts from each machine's first push and extrapolates to the range's edges).`;
    tables.user.update(t.by.user);
    tables.machine.update(t.by.machine);
    tables.model.update(t.by.model);
    tables.project.update(t.by.project);
  }
  return { tabBar, view, render };
}
