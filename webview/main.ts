import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import {
  DEFAULT_FILTER,
  WORKSPACE_PROJECT,
  type AgentRow,
  type DashboardData,
  type DashboardFilter,
  type HostMessage,
  type ModelRow,
  type ProjectRow,
  type QuickRange,
  type RangePreset,
  type RecentRow,
  type SessionRow,
  type TaskRow,
  type TeamData,
  type TeamRow,
  type ViewKind,
  type WebviewMessage,
} from '../src/protocol';
import { ChartCard, axes, baseOptions } from './charts';
import { card, el } from './dom';
import { formatAgo, formatCost, formatInt, formatMoney, formatPct, formatTime, formatTokens, sourceLabel } from './format';
import { SortableTable } from './tables';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** The web component select's surface this page uses. */
type Select = HTMLElement & { value: string };

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;
const view = (app.dataset.view as ViewKind) ?? 'panel';
const isPanel = view === 'panel';

const saved = vscode.getState() as { filter?: DashboardFilter } | undefined;
let filter: DashboardFilter = saved?.filter ?? DEFAULT_FILTER;
let data: DashboardData | undefined;
let nextRequestId = 1;
let latestQuery = 0;
let pendingRefresh: number | undefined;

const post = (message: WebviewMessage) => vscode.postMessage(message);

function query(next: DashboardFilter): void {
  filter = next;
  vscode.setState({ filter });
  latestQuery = nextRequestId++;
  app.setAttribute('aria-busy', 'true');
  post({ type: 'query', requestId: latestQuery, filter });
}

// ---- header ----

const updated = el('span', { class: 'updated', 'aria-live': 'polite' }, 'Loading…');
const refreshButton = el('vscode-button', { id: 'refresh', secondary: '', title: 'Rescan transcripts now' }, 'Refresh');
refreshButton.addEventListener('click', () => {
  if (pendingRefresh !== undefined) return;
  pendingRefresh = nextRequestId++;
  latestQuery = pendingRefresh;
  refreshButton.setAttribute('disabled', '');
  post({ type: 'refresh', requestId: pendingRefresh });
});
const exportCsv = el('vscode-button', { id: 'export-csv', secondary: '', title: 'Export the requests this filter shows as CSV' }, 'Export CSV');
const exportJson = el('vscode-button', { id: 'export-json', secondary: '', title: 'Export the requests this filter shows as JSON' }, 'Export JSON');
exportCsv.addEventListener('click', () => post({ type: 'export', format: 'csv', filter }));
exportJson.addEventListener('click', () => post({ type: 'export', format: 'json', filter }));
const openDashboard = el('vscode-button', { id: 'open-dashboard', title: 'Open the full dashboard' }, 'Open Dashboard');
openDashboard.addEventListener('click', () => post({ type: 'command', command: 'openDashboard' }));

const header = el(
  'header',
  { class: 'header' },
  el('h1', {}, isPanel ? 'Token Cost Dashboard' : 'Token Cost'),
  updated,
  el('div', { class: 'actions' }, refreshButton, ...(isPanel ? [exportCsv, exportJson] : [])),
);

// ---- filters ----

const QUICK: { value: QuickRange; label: string }[] = [
  { value: 'hour', label: 'Hour' },
  { value: 'day', label: 'Day' },
  { value: 'week', label: 'Week' },
  { value: 'month', label: 'Month' },
];
const PRESETS: { value: RangePreset | 'custom'; label: string }[] = [
  { value: 'today', label: 'Today' },
  { value: 'yesterday', label: 'Yesterday' },
  { value: 'last7', label: 'Last 7 days' },
  { value: 'last30', label: 'Last 30 days' },
  { value: 'thisMonth', label: 'This month' },
  { value: 'lastMonth', label: 'Last month' },
  { value: 'all', label: 'All time' },
  { value: 'custom', label: 'Custom…' },
];

function select(id: string, label: string): { wrap: HTMLElement; select: Select } {
  // `label` names the component's inner combobox (its shadow DOM does not see the host's aria-label).
  const s = el('vscode-single-select', { id, 'aria-label': label, label, class: 'filter-select' }) as Select;
  return { wrap: el('label', { class: 'filter', for: id }, el('span', { class: 'filter-label' }, label), s), select: s };
}

function setOptions(s: Select, options: { value: string; label: string }[], value: string): void {
  const same = s.dataset.options === JSON.stringify(options);
  if (!same) {
    s.replaceChildren(...options.map((o) => el('vscode-option', { value: o.value, description: undefined }, o.label)));
    s.dataset.options = JSON.stringify(options);
  }
  s.value = value;
}

const quickButtons = QUICK.map((q) => {
  const b = el('vscode-button', { secondary: '', 'data-quick': q.value, 'aria-pressed': 'false' }, q.label);
  b.addEventListener('click', () => query({ ...filter, range: { kind: 'quick', quick: q.value } }));
  return b;
});
const preset = select('filter-range', 'Date range');
const fromField = el('vscode-textfield', { id: 'filter-from', type: 'date', 'aria-label': 'From', label: 'From' }) as Select;
const untilField = el('vscode-textfield', { id: 'filter-until', type: 'date', 'aria-label': 'Until', label: 'Until' }) as Select;
const applyCustom = el('vscode-button', { id: 'filter-apply', secondary: '' }, 'Apply');
const customBox = el('span', { class: 'custom-range', hidden: '' }, el('span', { class: 'filter-label' }, 'From'), fromField, el('span', { class: 'filter-label' }, 'Until'), untilField, applyCustom);
const rangeError = el('span', { class: 'range-error', role: 'alert' });
const source = select('filter-source', 'Source');
const provider = select('filter-provider', 'Provider');
const model = select('filter-model', 'Model');
const project = select('filter-project', 'Project');
const agent = select('filter-agent', 'Agent');
const clearAll = el('vscode-button', { id: 'filter-clear', secondary: '', title: 'Show everything of the last 30 days' }, 'Clear all');

preset.select.addEventListener('change', () => {
  const v = preset.select.value as RangePreset | 'custom';
  if (v === 'custom') {
    customBox.hidden = false;
    return;
  }
  customBox.hidden = true;
  query({ ...filter, range: { kind: 'preset', preset: v } });
});
applyCustom.addEventListener('click', () => {
  const from = fromField.value;
  const until = untilField.value;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(until)) {
    rangeError.textContent = 'Choose both dates.';
    return;
  }
  if (until < from) {
    rangeError.textContent = 'Until is before From.';
    return;
  }
  rangeError.textContent = '';
  query({ ...filter, range: { kind: 'custom', from, until } });
});
const orUndefined = (v: string) => (v === '' ? undefined : v);
source.select.addEventListener('change', () => query({ ...filter, source: orUndefined(source.select.value) }));
// A provider narrows the model list, so a model chosen before no longer applies.
provider.select.addEventListener('change', () => query({ ...filter, provider: orUndefined(provider.select.value), model: undefined }));
model.select.addEventListener('change', () => query({ ...filter, model: orUndefined(model.select.value) }));
project.select.addEventListener('change', () => query({ ...filter, project: orUndefined(project.select.value) }));
agent.select.addEventListener('change', () => query({ ...filter, agent: orUndefined(agent.select.value) }));
clearAll.addEventListener('click', () => {
  customBox.hidden = true;
  query(DEFAULT_FILTER);
});

const filters = el(
  'div',
  { class: 'filters', role: 'toolbar', 'aria-label': 'Filters' },
  el('span', { class: 'quick', role: 'group', 'aria-label': 'Timeframe' }, ...quickButtons),
  preset.wrap,
  customBox,
  rangeError,
  source.wrap,
  provider.wrap,
  model.wrap,
  project.wrap,
  agent.wrap,
  clearAll,
);
const sidebarRange = select('sidebar-range', 'Range');
sidebarRange.select.addEventListener('change', () => query({ range: { kind: 'preset', preset: sidebarRange.select.value as RangePreset } }));

function renderFilters(d: DashboardData): void {
  const f = d.filter;
  for (const b of quickButtons) {
    const on = f.range.kind === 'quick' && f.range.quick === b.dataset.quick;
    b.setAttribute('aria-pressed', String(on));
    if (on) b.removeAttribute('secondary');
    else b.setAttribute('secondary', '');
  }
  const rangeValue = f.range.kind === 'preset' ? f.range.preset : f.range.kind === 'custom' ? 'custom' : '';
  const presetOptions = [...(f.range.kind === 'quick' ? [{ value: '', label: d.range.label }] : []), ...PRESETS];
  setOptions(preset.select, presetOptions, rangeValue);
  if (f.range.kind === 'custom') {
    customBox.hidden = false;
    fromField.value = f.range.from;
    untilField.value = f.range.until;
  }
  const o = d.options;
  setOptions(source.select, [{ value: '', label: 'All sources' }, ...o.sources.map((s) => ({ value: s, label: sourceLabel(s) }))], f.source ?? '');
  setOptions(provider.select, [{ value: '', label: 'All providers' }, ...o.providers.map((p) => ({ value: p, label: p }))], f.provider ?? '');
  const models = o.models.filter((m) => !f.provider || m.provider === f.provider);
  setOptions(model.select, [{ value: '', label: f.provider ? `All ${f.provider} models` : 'All models' }, ...models.map((m) => ({ value: m.model, label: m.model }))], f.model ?? '');
  setOptions(
    project.select,
    [{ value: '', label: 'All projects' }, ...(o.hasWorkspace ? [{ value: WORKSPACE_PROJECT, label: 'This workspace' }] : []), ...o.projects.map((p) => ({ value: p, label: p }))],
    f.project ?? '',
  );
  setOptions(agent.select, [{ value: '', label: 'All agents' }, ...o.agents.map((a) => ({ value: a, label: sourceLabel(a) }))], f.agent ?? '');
  if (!isPanel) setOptions(sidebarRange.select, PRESETS.filter((p) => p.value !== 'custom'), rangeValue);
}

// ---- alerts and empty states ----

const alertsBox = el('section', { class: 'alerts', id: 'alerts', 'aria-label': 'Alerts', 'aria-live': 'polite' });
const emptyAll = el('section', { class: 'empty', id: 'empty-all', hidden: '' });
const emptyFiltered = el('section', { class: 'empty', id: 'empty-filtered', hidden: '' });

function renderAlerts(d: DashboardData): void {
  alertsBox.replaceChildren(
    ...d.alerts.map((a) => {
      const action = a.action ? el('vscode-button', { secondary: '' }, a.action.label) : null;
      if (action && a.action) {
        const command = a.action.command;
        action.addEventListener('click', () => post({ type: 'command', command }));
      }
      return el(
        'div',
        { class: `alert alert-${a.severity}`, role: a.severity === 'error' ? 'alert' : 'status', 'data-alert': a.id },
        el('div', { class: 'alert-text' }, el('strong', {}, a.title), el('span', {}, a.detail)),
        action,
      );
    }),
  );
  alertsBox.hidden = d.alerts.length === 0;
}

function renderEmpty(d: DashboardData): { none: boolean; filtered: boolean } {
  const none = d.scanned && d.recordCount === 0;
  const filtered = !none && d.kpis.requests === 0;
  emptyAll.hidden = !none;
  emptyFiltered.hidden = !filtered;
  if (none) {
    const curl = d.gettingStarted.heartbeatUrl
      ? `curl -X POST -H "x-api-key: $TOKEN_COST_API_KEY" -H "content-type: application/json" -d '{"status":"ok","tokens":{"model":"claude-sonnet-4-5","input":1200,"output":300}}' ${d.gettingStarted.heartbeatUrl.replace('{agentId}', 'my-agent')}`
      : undefined;
    emptyAll.replaceChildren(
      el('h2', {}, 'No token usage yet.'),
      el('p', {}, 'Usage appears here as soon as an agent writes some. Transcripts are read from:'),
      el('ul', {}, ...d.gettingStarted.transcriptRoots.map((r) => el('li', {}, el('code', {}, r)))),
      el('p', {}, 'Codex CLI sessions and JSONL transcripts in this workspace are read as well. Agents without transcripts can report usage to the local heartbeat endpoint:'),
      curl ? el('pre', {}, el('code', {}, curl)) : el('p', {}, 'Turn on the setting tokenCost.server.enabled, then run "Token Cost: Copy Heartbeat URL".'),
    );
  }
  if (filtered) {
    const widen = el('vscode-button', { secondary: '', id: 'empty-widen' }, 'Show all time');
    widen.addEventListener('click', () => query({ ...filter, range: { kind: 'preset', preset: 'all' } }));
    const clear = el('vscode-button', { secondary: '', id: 'empty-clear' }, 'Clear filters');
    clear.addEventListener('click', () => query(DEFAULT_FILTER));
    emptyFiltered.replaceChildren(
      el('h2', {}, 'No usage matches these filters.'),
      el('p', {}, `Nothing was recorded for ${d.range.label.toLowerCase()} with these filters. Widen the date range or clear the filters.`),
      el('div', { class: 'row' }, widen, clear),
    );
  }
  return { none, filtered };
}

// ---- KPI cards ----

function kpiCard(id: string, label: string): { card: HTMLElement; value: HTMLElement; sub: HTMLElement } {
  const value = el('div', { class: 'kpi-value', 'data-kpi': id }, '–');
  const sub = el('div', { class: 'kpi-sub', 'data-kpi-sub': id });
  const section = el('section', { class: 'kpi', 'aria-label': label }, el('h2', { class: 'kpi-label' }, label), value, sub);
  return { card: section, value, sub };
}

const todayCard = kpiCard('today-cost', 'Today');
const costCard = kpiCard('cost', 'Total cost');
const tokensCard = kpiCard('tokens', 'Total tokens');
const requestsCard = kpiCard('requests', 'Requests');
const averageCard = kpiCard('average', 'Per request');
const kpis = el('div', { class: 'kpis' }, todayCard.card, costCard.card, tokensCard.card, requestsCard.card, ...(isPanel ? [averageCard.card] : []));

function renderKpis(d: DashboardData): void {
  const k = d.kpis;
  const t = d.todayKpis;
  costCard.value.textContent = formatCost(k.cost);
  costCard.value.title = `$${k.cost}`;
  costCard.sub.textContent = `${d.range.label} · ${k.requests > 0 ? `~${formatMoney(k.avgCostPerRequest)} per request` : 'no requests'}`;
  // Both figures side by side: the other rule set's total, when it differs (tokenCost.costRules).
  if (k.otherRulesCost !== undefined && Math.abs(k.otherRulesCost - k.cost) > 0.005) {
    const other = d.costRules === 'api' ? 'ccusage rules' : 'API bill';
    costCard.sub.textContent += ` · ${other} ${formatCost(k.otherRulesCost)}`;
    costCard.sub.title = d.costRules === 'api'
      ? 'Total cost follows what the API bills (tokenCost.costRules: api); ccusage counts less for long prompts, US inference and web searches.'
      : "Total cost follows ccusage's rules (tokenCost.costRules); the API bills long prompts whole at the long-context rate, US inference at 1.1x and web searches at $0.01.";
  } else {
    costCard.sub.removeAttribute('title');
  }
  tokensCard.value.textContent = formatTokens(k.totalTokens);
  tokensCard.value.title = String(k.totalTokens);
  tokensCard.sub.textContent = `${formatTokens(k.inputTokens)} in · ${formatTokens(k.outputTokens)} out · ${formatTokens(k.cacheWriteTokens)} cache write · ${formatTokens(k.cacheReadTokens)} cache read`;
  tokensCard.sub.title = `input ${formatInt(k.inputTokens)}, output ${formatInt(k.outputTokens)}, cache write ${formatInt(k.cacheWriteTokens)}, cache read ${formatInt(k.cacheReadTokens)}`;
  requestsCard.value.textContent = formatInt(k.requests);
  requestsCard.value.title = String(k.requests);
  const perDay = k.days > 0 ? k.requests / k.days : 0;
  requestsCard.sub.textContent = k.days > 0 ? `~${perDay >= 10 ? formatInt(perDay) : perDay.toFixed(1)} per day` : '';
  averageCard.value.textContent = formatMoney(k.avgCostPerRequest);
  averageCard.value.title = `$${k.avgCostPerRequest}`;
  averageCard.sub.textContent = `${formatTokens(k.avgTokensPerRequest)} tokens per request`;
  todayCard.value.textContent = formatCost(t.cost, 2);
  todayCard.value.title = `$${t.cost}`;
  todayCard.sub.textContent = `${formatTokens(t.totalTokens)} tokens · ${formatInt(t.requests)} requests`;
}

// ---- insights ----

const insightsCard = card('insights', 'Insights');

function insight(id: string, label: string, value: string, sub: string, title?: string, subTitle?: string): HTMLElement {
  return el(
    'div', { class: 'insight', 'data-insight': id },
    el('div', { class: 'insight-label' }, label), el('div', { class: 'insight-value', title }, value), el('div', { class: 'insight-sub', title: subTitle }, sub),
  );
}

function renderInsights(d: DashboardData): void {
  const i = d.insights;
  const change = i.days.todayVsYesterdayPct;
  insightsCard.body.replaceChildren(
    el(
      'div',
      { class: 'insights' },
      insight('efficient', 'Most efficient model', i.mostEfficientModel?.displayName ?? '–', i.mostEfficientModel ? `${formatCost(i.mostEfficientModel.costPer1k)} per 1K tokens` : 'no priced usage', i.mostEfficientModel?.model),
      insight('used', 'Most used model', i.mostUsedModel?.displayName ?? '–', i.mostUsedModel ? `${formatInt(i.mostUsedModel.requests)} requests · ${formatTokens(i.mostUsedModel.totalTokens)} tokens` : 'no usage', i.mostUsedModel?.model),
      insight(
        'optimization', 'Optimization potential', i.optimization ? formatMoney(i.optimization.saving) : '–',
        i.optimization ? `${formatPct(i.optimization.savingPct)} if all tokens had cost what ${i.optimization.displayName} costs per token (${formatMoney(i.optimization.wouldCost)})` : 'nothing to compare',
        undefined, i.optimization?.model,
      ),
      insight('burn', 'Burn rate', `${formatTokens(i.burn.tokensPerMinute)} tokens/min`, `${formatMoney(i.burn.costPerHour)}/hour over the last ${i.burn.windowMinutes} min`),
      insight('sessions', 'Active sessions', formatInt(i.activeSessions), 'with requests in the last 30 min'),
      insight('projected', 'Projected month-end', formatMoney(i.month.projected), `${formatMoney(i.month.cost)} so far in ${i.month.month}${i.month.budget ? ` · budget ${formatMoney(i.month.budget)}` : ''}`),
      insight(
        'days', 'Today vs yesterday', formatMoney(i.days.today),
        `yesterday ${formatMoney(i.days.yesterday)}${change === null ? '' : ` (${change >= 0 ? '+' : ''}${change.toFixed(0)} %)`} · same day last week ${formatMoney(i.days.sameDayLastWeek)}`,
      ),
      insight(
        'block', 'Current 5-hour block (estimate)', i.block ? formatMoney(i.block.cost) : 'none running',
        i.block ? `${Math.floor(i.block.minutesLeft / 60)} h ${i.block.minutesLeft % 60} min left · projected ${formatMoney(i.block.projectedCost)} · estimated from token history, not the plan limit` : 'a block starts with the next request',
      ),
    ),
  );
}

// ---- plan limits ----

const limitsCard = card('limits', 'Plan limits');
const limitsChart = new ChartCard('chart-limits', 'Plan limits over time (used %)', 'No limit readings in the last 8 days.', 220);
const AGENT_NAMES: Record<string, string> = { claude: 'Claude Code', codex: 'Codex' };
const whenShort = (ms: number) => new Date(ms).toLocaleString(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function untilShort(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return h < 24 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** The windows the agents report, their pace, and their history; the host computed every figure. */
function renderLimits(d: DashboardData): void {
  const r = d.limits;
  if (!r || !r.reported) {
    limitsCard.body.replaceChildren(
      el('p', { class: 'limits-none' }, 'No plan limits reported.'),
      el('p', { class: 'limits-note' }, 'Claude Code reports its 5-hour and weekly limits (Pro and Max plans, version 2.1.80 and later) to its status-line command: '
        + 'run "Token Cost: Set Up Claude Code Status Line". Codex writes them into its rollouts. '
        + 'The "5-hour block" under Insights is an estimate from token history, not the plan limit.'),
    );
    limitsChart.section.hidden = true;
    return;
  }
  const now = d.generatedAt;
  const rows = r.windows.map((w) => {
    const name = `${AGENT_NAMES[w.source] ?? w.source} ${w.label}${w.planType ? ` (${w.planType})` : ''}`;
    if (w.state === 'reset') {
      return el('tr', { 'data-window': `${w.source}-${w.minutes}` }, el('th', { scope: 'row' }, name), el('td', {}, '–'),
        el('td', {}, `reset ${whenShort(w.resetsAt)}`), el('td', { colspan: '2' }, `no reading since ${whenShort(w.reportedAt)} (then ${Math.round(w.usedPct)} %)`));
    }
    const pace = w.projectedPctAtReset === undefined ? 'too early to tell' : `${Math.round(w.projectedPctAtReset)} %`;
    const full = w.limitAt !== undefined ? whenShort(w.limitAt) : w.projectedPctAtReset === undefined ? '–' : 'not before the reset';
    return el('tr', { 'data-window': `${w.source}-${w.minutes}`, class: w.usedPct >= 100 ? 'limit-full' : undefined },
      el('th', { scope: 'row' }, name),
      el('td', { class: 'num' }, `${Math.round(w.usedPct)} %`),
      el('td', {}, `${whenShort(w.resetsAt)} (in ${untilShort(w.resetsAt - now)})`),
      el('td', { class: 'num' }, pace),
      el('td', {}, full));
  });
  limitsCard.body.replaceChildren(
    el('table', { class: 'data-table limits-table' },
      el('thead', {}, el('tr', {}, ...['Window', 'Used', 'Resets', 'At this pace, at reset', 'Reaches 100 %'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...rows)),
    el('p', { class: 'limits-note' }, 'Pace: the use so far in the window over the time since it started, carried to the reset. As of each agent\'s last reading.'),
  );
  limitsChart.section.hidden = false;
  // One time axis for every window: its readings and its resets (where the line drops).
  const times = [...new Set(r.history.flatMap((h) => [...h.points.map((p) => p.at), ...h.resets.filter((x) => x <= now)]))].sort((a, b) => a - b);
  const labels = times.map(whenShort);
  const series = r.history.map((h) => {
    const at = new Map<number, number | null>(times.map((t) => [t, null]));
    for (const p of h.points) at.set(p.at, p.usedPct);
    for (const x of h.resets) if (at.has(x)) at.set(x, 0);
    return { label: `${AGENT_NAMES[h.source] ?? h.source} ${h.label}`, data: times.map((t) => at.get(t) ?? null) };
  });
  const resetTimes = new Set(r.history.flatMap((h) => h.resets));
  limitsChart.update(
    times.length
      ? (p) => ({
          type: 'line',
          data: {
            labels,
            datasets: [
              ...series.map((s, i) => ({ label: s.label, data: s.data, borderColor: p.series[i % p.series.length], backgroundColor: p.series[i % p.series.length], spanGaps: true, stepped: 'before' as const, pointRadius: 2 })),
              { label: 'Reset', data: times.map((t) => (resetTimes.has(t) ? 0 : null)), showLine: false, pointStyle: 'triangle', pointRadius: 6, borderColor: p.text, backgroundColor: p.text },
            ],
          },
          options: { ...baseOptions(p), scales: { x: axes(p, 'count').x, y: { ...axes(p, 'count').y, suggestedMax: 100, ticks: { color: p.text, callback: (v: string | number) => `${v} %` } } } },
        })
      : null,
    { head: ['Time', ...series.map((s) => s.label), 'Reset'], rows: times.map((t, i) => [labels[i], ...series.map((s) => (s.data[i] === null ? '' : `${s.data[i]} %`)), resetTimes.has(t) ? 'reset' : '']) },
  );
}

// ---- charts ----

const trendChart = new ChartCard('chart-trend', 'Usage trend', 'No usage to chart for the current filters.');
const typesChart = new ChartCard('chart-types', 'Tokens by type', 'No daily usage to chart for the current filters.');
const sourcesChart = new ChartCard('chart-sources', 'Cost by source', 'No cost to chart for the current filters.');
const modelsChart = new ChartCard('chart-models', 'Tokens by model', 'No models to chart for the current filters.');
const shareChart = new ChartCard('chart-share', 'Cost share by model', 'No cost to chart for the current filters.', 240);
const efficiencyChart = new ChartCard('chart-efficiency', 'Model efficiency ($ per 1K tokens)', 'No priced models to compare.');
const charts = [trendChart, typesChart, sourcesChart, modelsChart, shareChart, efficiencyChart];

function renderCharts(d: DashboardData): void {
  const labels = d.trend.map((p) => p.label);
  const hasUsage = d.trend.some((p) => p.requests > 0);
  const bucketName = { twoMinutes: 'Time', hour: 'Hour', day: 'Day', week: 'Week from', month: 'Month' }[d.range.bucket];
  // Seed 001's words for the day view; the other steps name theirs.
  const step = { twoMinutes: 'per-minute', hour: 'hourly', day: 'daily', week: 'weekly', month: 'monthly' }[d.range.bucket];
  typesChart.setEmptyText(`No ${step} usage to chart for the current filters.`);
  trendChart.update(
    hasUsage
      ? (p) => ({
          type: 'line',
          data: {
            labels,
            datasets: [
              { label: 'Tokens', data: d.trend.map((x) => x.totalTokens), borderColor: p.series[0], backgroundColor: p.series[0], yAxisID: 'y', cubicInterpolationMode: 'monotone', pointRadius: 2 },
              { label: 'Cost', data: d.trend.map((x) => x.cost), borderColor: p.series[1], backgroundColor: p.series[1], yAxisID: 'cost', cubicInterpolationMode: 'monotone', pointRadius: 2 },
              { label: 'Requests', data: d.trend.map((x) => x.requests), borderColor: p.series[2], backgroundColor: p.series[2], yAxisID: 'requests', cubicInterpolationMode: 'monotone', pointRadius: 2, hidden: false },
            ],
          },
          options: {
            ...baseOptions(p),
            plugins: {
              ...baseOptions(p).plugins,
              tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.datasetIndex === 1 ? formatCost(Number(c.raw)) : formatInt(Number(c.raw))}` } },
            },
            scales: {
              x: axes(p, 'tokens').x,
              y: { ...axes(p, 'tokens').y, position: 'left' },
              cost: { ...axes(p, 'cost').y, type: 'linear', axis: 'y', position: 'right', grid: { display: false } },
              requests: { ...axes(p, 'count').y, type: 'linear', axis: 'y', display: false },
            },
          },
        })
      : null,
    { head: [bucketName, 'Tokens', 'Cost', 'Requests'], rows: d.trend.map((x) => [x.label, formatInt(x.totalTokens), formatCost(x.cost), formatInt(x.requests)]) },
  );

  const typeSeries: [string, (x: DashboardData['trend'][number]) => number][] = [
    ['Input', (x) => x.inputTokens],
    ['Output', (x) => x.outputTokens],
    ['Cache write', (x) => x.cacheWriteTokens],
    ['Cache read', (x) => x.cacheReadTokens],
  ];
  typesChart.update(
    d.trend.some((x) => x.totalTokens > 0)
      ? (p) => ({
          type: 'bar',
          data: { labels, datasets: typeSeries.map(([label, f], i) => ({ label, data: d.trend.map(f), backgroundColor: p.series[i], stack: 'tokens' })) },
          options: {
            ...baseOptions(p),
            plugins: { ...baseOptions(p).plugins, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${formatInt(Number(c.raw))}`, footer: (items) => `Cost: ${formatCost(d.trend[items[0]?.dataIndex ?? 0]?.cost ?? 0)}` } } },
            scales: axes(p, 'tokens', { stacked: true }),
          },
        })
      : null,
    { head: [bucketName, ...typeSeries.map(([l]) => l)], rows: d.trend.map((x) => [x.label, ...typeSeries.map(([, f]) => formatInt(f(x)))]) },
  );

  sourcesChart.update(
    d.trendSources.length && d.trend.some((x) => x.cost > 0)
      ? (p) => ({
          type: 'bar',
          data: { labels, datasets: d.trendSources.map((s, i) => ({ label: sourceLabel(s), data: d.trend.map((x) => x.costBySource[s] ?? 0), backgroundColor: p.series[i % p.series.length], stack: 'cost' })) },
          options: {
            ...baseOptions(p),
            plugins: { ...baseOptions(p).plugins, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${formatCost(Number(c.raw))}` } } },
            scales: axes(p, 'cost', { stacked: true }),
          },
        })
      : null,
    { head: [bucketName, ...d.trendSources.map(sourceLabel)], rows: d.trend.map((x) => [x.label, ...d.trendSources.map((s) => formatCost(x.costBySource[s] ?? 0))]) },
  );

  const models = d.models;
  modelsChart.update(
    models.length
      ? (p) => ({
          type: 'bar',
          data: { labels: models.map((m) => m.displayName), datasets: [{ label: 'Tokens', data: models.map((m) => m.totalTokens), backgroundColor: p.series[0] }] },
          options: {
            ...baseOptions(p),
            indexAxis: 'y',
            plugins: {
              legend: { display: false },
              tooltip: { callbacks: { title: (items) => models[items[0]?.dataIndex ?? 0]?.model ?? '', label: (c) => `${formatInt(Number(c.raw))} tokens · ${formatCost(models[c.dataIndex]?.cost ?? 0)}` } },
            },
            scales: axes(p, 'tokens', { horizontal: true }),
          },
        })
      : null,
    { head: ['Model', 'Tokens', 'Cost'], rows: models.map((m) => [m.model, formatInt(m.totalTokens), formatCost(m.cost)]) },
  );

  const slices = d.costShare;
  shareChart.update(
    slices.length
      ? (p) => ({
          type: 'doughnut',
          data: { labels: slices.map((s) => s.label), datasets: [{ data: slices.map((s) => s.cost), backgroundColor: slices.map((_, i) => p.series[i % p.series.length]), borderColor: p.background }] },
          options: {
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            plugins: {
              legend: { position: 'right', labels: { color: p.text, boxWidth: 12 } },
              tooltip: { callbacks: { label: (c) => `${slices[c.dataIndex]?.model ?? slices[c.dataIndex]?.label}: ${formatCost(Number(c.raw))} (${formatPct(slices[c.dataIndex]?.share ?? 0)})` } },
            },
          },
        })
      : null,
    { head: ['Model', 'Cost', 'Share'], rows: slices.map((s) => [s.model ?? s.label, formatCost(s.cost), formatPct(s.share)]) },
  );

  const rated = models.filter((m) => m.costPer1k !== null && m.cost > 0).sort((a, b) => a.costPer1k! - b.costPer1k!);
  efficiencyChart.update(
    rated.length
      ? (p) => ({
          type: 'bar',
          data: { labels: rated.map((m) => m.displayName), datasets: [{ label: '$ per 1K tokens', data: rated.map((m) => m.costPer1k!), backgroundColor: p.series[2] }] },
          options: {
            ...baseOptions(p),
            indexAxis: 'y',
            plugins: {
              legend: { display: false },
              tooltip: { callbacks: { title: (items) => rated[items[0]?.dataIndex ?? 0]?.model ?? '', label: (c) => `${formatCost(Number(c.raw))} per 1K tokens` } },
            },
            scales: axes(p, 'cost', { horizontal: true }),
          },
        })
      : null,
    { head: ['Model', '$ per 1K tokens'], rows: rated.map((m) => [m.model, formatCost(m.costPer1k!)]) },
  );
}

// Theme changes swap the body class; charts are drawn again with the new theme's colours.
new MutationObserver(() => [...charts, limitsChart].forEach((c) => c.draw())).observe(document.body, { attributes: true, attributeFilter: ['class'] });

// ---- tables ----

const money = (v: number) => formatCost(v);
const modelTable = new SortableTable<ModelRow>('table-models', 'Model performance', [
  { label: 'Model', value: (r) => r.model, text: (r) => r.model, title: (r) => r.model, className: 'mono model-id' },
  { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
  { label: 'Tokens', value: (r) => r.totalTokens, text: (r) => formatTokens(r.totalTokens), title: (r) => formatInt(r.totalTokens), numeric: true },
  { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
  { label: 'Avg cost/request', value: (r) => r.avgCostPerRequest, text: (r) => money(r.avgCostPerRequest), title: (r) => `$${r.avgCostPerRequest}`, numeric: true },
  { label: 'Avg tokens/request', value: (r) => r.avgTokensPerRequest, text: (r) => formatTokens(r.avgTokensPerRequest), title: (r) => formatInt(r.avgTokensPerRequest), numeric: true },
], 'No models in this range.');

const providerTable = new SortableTable<ModelRow>('table-providers', 'Provider & model breakdown', [
  { label: 'Provider', value: (r) => r.provider, text: (r) => r.provider },
  { label: 'Model', value: (r) => r.model, text: (r) => r.model, title: (r) => r.model, className: 'mono model-id' },
  { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
  { label: 'Input', value: (r) => r.inputTokens, text: (r) => formatInt(r.inputTokens), numeric: true },
  { label: 'Output', value: (r) => r.outputTokens, text: (r) => formatInt(r.outputTokens), numeric: true },
  { label: 'Cache write', value: (r) => r.cacheWriteTokens, text: (r) => formatInt(r.cacheWriteTokens), numeric: true },
  { label: 'Cache read', value: (r) => r.cacheReadTokens, text: (r) => formatInt(r.cacheReadTokens), numeric: true },
  { label: 'Total tokens', value: (r) => r.totalTokens, text: (r) => formatInt(r.totalTokens), numeric: true, className: 'strong' },
  { label: 'Est. cost', value: (r) => r.cost, text: (r) => `${money(r.cost)} (${formatPct(r.costShare)})`, title: (r) => `$${r.cost}`, numeric: true },
], 'No usage in this range.');

const sessionTable = new SortableTable<SessionRow>('table-sessions', 'Top sessions by cost', [
  { label: 'Session', value: (r) => r.session, text: (r) => r.session.length > 14 ? `${r.session.slice(0, 13)}…` : r.session, title: (r) => r.session, className: 'mono' },
  { label: 'Status', value: (r) => (r.active ? 1 : 0), text: (r) => (r.active ? 'active' : 'inactive') },
  { label: 'Project', value: (r) => r.project, text: (r) => r.project, title: (r) => r.project },
  { label: 'Agent', value: (r) => r.agent, text: (r) => sourceLabel(r.agent) },
  { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
  { label: 'Tokens', value: (r) => r.totalTokens, text: (r) => formatTokens(r.totalTokens), title: (r) => formatInt(r.totalTokens), numeric: true },
  { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
  { label: 'Last activity', value: (r) => r.lastActivity, text: (r) => formatTime(r.lastActivity, data?.timeZone ?? 'UTC'), numeric: true },
], 'No sessions in this range.');

const projectTable = new SortableTable<ProjectRow>('table-projects', 'Projects', [
  { label: 'Project', value: (r) => r.project, text: (r) => r.project, title: (r) => r.project },
  { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
  { label: 'Tokens', value: (r) => r.totalTokens, text: (r) => formatTokens(r.totalTokens), title: (r) => formatInt(r.totalTokens), numeric: true },
  { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
  { label: 'Sessions', value: (r) => r.sessions, text: (r) => formatInt(r.sessions), numeric: true },
  { label: 'Last activity', value: (r) => r.lastActivity, text: (r) => formatTime(r.lastActivity, data?.timeZone ?? 'UTC'), numeric: true },
], 'No projects in this range.');

const taskTable = new SortableTable<TaskRow>('table-tasks', 'Top tasks (heartbeats and manual logs)', [
  { label: 'Task', value: (r) => r.task, text: (r) => r.task, title: (r) => r.task },
  { label: 'Project', value: (r) => r.project, text: (r) => r.project, title: (r) => r.project },
  { label: 'Agent', value: (r) => r.agent, text: (r) => sourceLabel(r.agent) },
  { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
  { label: 'Tokens', value: (r) => r.totalTokens, text: (r) => formatTokens(r.totalTokens), title: (r) => formatInt(r.totalTokens), numeric: true },
  { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
], 'No heartbeat tasks or manual logs in this range.');

const perDollar = (v: number | null) => (v === null ? '–' : v >= 100 ? formatInt(v) : v.toFixed(1));
const agentTable = new SortableTable<AgentRow>('table-agents', 'Agents by efficiency', [
  { label: 'Agent', value: (r) => r.agent, text: (r) => sourceLabel(r.agent), title: (r) => r.agent },
  { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
  { label: 'Tokens', value: (r) => r.totalTokens, text: (r) => formatTokens(r.totalTokens), title: (r) => formatInt(r.totalTokens), numeric: true },
  { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
  { label: 'Tasks', value: (r) => r.tasks, text: (r) => formatInt(r.tasks), numeric: true },
  { label: 'Requests per $', value: (r) => r.requestsPerDollar ?? -1, text: (r) => perDollar(r.requestsPerDollar), title: (r) => (r.requestsPerDollar === null ? 'no cost' : String(r.requestsPerDollar)), numeric: true },
  { label: 'Tasks per $', value: (r) => r.tasksPerDollar ?? -1, text: (r) => perDollar(r.tasksPerDollar), title: (r) => (r.tasksPerDollar === null ? 'no cost' : String(r.tasksPerDollar)), numeric: true },
], 'No agents in this range.');

const recentTable = new SortableTable<RecentRow>('table-recent', 'Recent activity', [
  { label: 'Time', value: (r) => r.timestamp, text: (r) => formatTime(r.timestamp, data?.timeZone ?? 'UTC'), title: (r) => new Date(r.timestamp).toISOString(), numeric: true },
  { label: 'Agent', value: (r) => r.agent, text: (r) => sourceLabel(r.agent) },
  { label: 'Model', value: (r) => r.model, text: (r) => r.model, title: (r) => r.model, className: 'mono model-id' },
  { label: 'Project', value: (r) => r.project, text: (r) => r.project, title: (r) => r.project },
  { label: 'Tokens', value: (r) => r.totalTokens, text: (r) => formatTokens(r.totalTokens), title: (r) => formatInt(r.totalTokens), numeric: true },
  { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
], 'No requests in this range.');

function renderTables(d: DashboardData): void {
  modelTable.update(d.models);
  const k = d.kpis;
  providerTable.update(d.models, ['Total', '', formatInt(k.requests), formatInt(k.inputTokens), formatInt(k.outputTokens), formatInt(k.cacheWriteTokens), formatInt(k.cacheReadTokens), formatInt(k.totalTokens), money(k.cost)]);
  sessionTable.update(d.sessions);
  projectTable.update(d.projects);
  taskTable.update(d.tasks);
  agentTable.update(d.agents);
  recentTable.update(d.recent);
}

// ---- sidebar extras ----

const topModels = el('ol', { class: 'top-models', id: 'top-models' });

function renderSidebar(d: DashboardData): void {
  topModels.replaceChildren(
    ...d.models.slice(0, 5).map((m) => el('li', { title: `${m.model}: $${m.cost}` }, el('span', { class: 'top-model' }, el('span', {}, m.displayName), el('span', { class: 'num' }, formatMoney(m.cost))))),
  );
}

// ---- layout ----

const grid = el('div', { class: 'charts' }, ...charts.map((c) => c.section));
const tables = el('div', { class: 'tables' }, providerTable.section, modelTable.section, agentTable.section, sessionTable.section, projectTable.section, taskTable.section, recentTable.section);
const content = el('div', { class: 'content' }, limitsCard.section, limitsChart.section, insightsCard.section, grid, tables);

// ---- team tab (tokenCost.team.prometheusUrl) ----

// The tab bar appears with the first team answer; without the setting the page is as before.
const personalTab = el('button', { class: 'tab', role: 'tab', id: 'tab-personal', 'aria-selected': 'true', 'aria-controls': 'personal' }, 'Personal');
const teamTab = el('button', { class: 'tab', role: 'tab', id: 'tab-team', 'aria-selected': 'false', 'aria-controls': 'team' }, 'Team');
const tabBar = el('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Whose usage', hidden: '' }, personalTab, teamTab);
const teamCost = kpiCard('team-cost', 'Team cost');
const teamTokens = kpiCard('team-tokens', 'Team tokens');
const teamRequests = kpiCard('team-requests', 'Requests');
const teamPeople = kpiCard('team-people', 'People');
const teamMachines = kpiCard('team-machines', 'Machines');
const teamError = el('p', { class: 'team-error', role: 'alert', hidden: '' });
const teamNote = el('p', { class: 'team-note' });
const teamColumns = (label: string): { label: string; value: (r: TeamRow) => number | string; text: (r: TeamRow) => string; numeric?: boolean; title?: (r: TeamRow) => string }[] => [
  { label, value: (r) => r.name, text: (r) => r.name || '(none)' },
  { label: 'Cost', value: (r) => r.cost, text: (r) => formatCost(r.cost), title: (r) => `$${r.cost}`, numeric: true },
  { label: 'Tokens', value: (r) => r.tokens, text: (r) => formatTokens(r.tokens), title: (r) => String(r.tokens), numeric: true },
  { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
];
const teamTables = {
  user: new SortableTable<TeamRow>('team-users', 'Cost by user', teamColumns('User'), 'No usage pushed for this range.'),
  machine: new SortableTable<TeamRow>('team-machines-table', 'Cost by machine', teamColumns('Machine'), 'No usage pushed for this range.'),
  model: new SortableTable<TeamRow>('team-models', 'Cost by model', teamColumns('Model'), 'No usage pushed for this range.'),
  project: new SortableTable<TeamRow>('team-projects', 'Cost by project', teamColumns('Project'), 'No usage pushed for this range.'),
};
const teamView = el(
  'div', { class: 'team', id: 'team', role: 'tabpanel', 'aria-labelledby': 'tab-team', hidden: '' },
  teamError, el('div', { class: 'kpis team-kpis' }, teamCost.card, teamTokens.card, teamRequests.card, teamPeople.card, teamMachines.card), teamNote,
  el('div', { class: 'tables' }, teamTables.user.section, teamTables.machine.section, teamTables.model.section, teamTables.project.section),
);
const personalView = el('div', { id: 'personal', role: 'tabpanel', 'aria-labelledby': 'tab-personal' });

function showTab(team: boolean): void {
  personalTab.setAttribute('aria-selected', String(!team));
  teamTab.setAttribute('aria-selected', String(team));
  personalView.hidden = team;
  teamView.hidden = !team;
}
personalTab.addEventListener('click', () => showTab(false));
teamTab.addEventListener('click', () => showTab(true));

function renderTeam(t: TeamData): void {
  tabBar.hidden = false;
  teamError.hidden = !t.error;
  teamError.textContent = t.error ?? '';
  teamCost.value.textContent = formatCost(t.kpis.cost);
  teamCost.value.title = `$${t.kpis.cost}`;
  teamCost.sub.textContent = data?.range.label ?? '';
  teamTokens.value.textContent = formatTokens(t.kpis.tokens);
  teamTokens.value.title = String(t.kpis.tokens);
  teamRequests.value.textContent = formatInt(t.kpis.requests);
  teamPeople.value.textContent = formatInt(t.kpis.users);
  teamMachines.value.textContent = formatInt(t.kpis.machines);
  teamNote.textContent = t.method === 'totals'
    ? `All-time totals every machine last pushed to ${t.prometheusUrl}.`
    : `What grew in the range on ${t.prometheusUrl} (PromQL increase(), which counts from each machine's first push and extrapolates to the range's edges).`;
  teamTables.user.update(t.by.user);
  teamTables.machine.update(t.by.machine);
  teamTables.model.update(t.by.model);
  teamTables.project.update(t.by.project);
}

if (isPanel) {
  personalView.append(alertsBox, emptyAll, kpis, emptyFiltered, content);
  app.append(header, filters, tabBar, personalView, teamView);
} else {
  app.append(header, sidebarRange.wrap, alertsBox, emptyAll, kpis, el('h2', { class: 'sidebar-heading' }, 'Top models'), topModels, openDashboard);
}

function render(d: DashboardData): void {
  data = d;
  app.removeAttribute('aria-busy');
  renderFilters(d);
  const { none, filtered } = renderEmpty(d);
  kpis.hidden = none;
  renderKpis(d);
  renderAlerts(d);
  if (isPanel) {
    content.hidden = none || filtered;
    if (!content.hidden) {
      renderLimits(d);
      renderInsights(d);
      renderCharts(d);
      renderTables(d);
    }
  } else {
    renderSidebar(d);
  }
  renderUpdated();
}

function renderUpdated(): void {
  if (!data) return;
  updated.textContent = data.scanned ? `Updated ${formatAgo(Date.now() - data.generatedAt)}` : 'Reading transcripts…';
  updated.title = new Date(data.generatedAt).toLocaleString();
}
setInterval(renderUpdated, 1000);

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'data':
      if (msg.requestId !== undefined && msg.requestId === pendingRefresh) {
        pendingRefresh = undefined;
        refreshButton.removeAttribute('disabled');
      }
      // An answer to an older query is stale once a newer one is on its way.
      if (msg.requestId !== undefined && msg.requestId < latestQuery) return;
      render(msg.data);
      break;
    case 'team':
      if (isPanel) renderTeam(msg.team);
      break;
    case 'busy':
      if (msg.busy) refreshButton.setAttribute('disabled', '');
      else if (pendingRefresh === undefined) refreshButton.removeAttribute('disabled');
      break;
    case 'error':
      if (msg.requestId !== undefined && msg.requestId === pendingRefresh) {
        pendingRefresh = undefined;
        refreshButton.removeAttribute('disabled');
      }
      rangeError.textContent = msg.message;
      app.removeAttribute('aria-busy');
      break;
  }
});

post({ type: 'ready', filter });
