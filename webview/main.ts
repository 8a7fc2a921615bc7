import '@vscode-elements/elements/dist/vscode-button/index.js';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import type { DashboardSnapshot, HostMessage, KpiSnapshot, ViewKind, WebviewMessage } from '../src/protocol';
import { formatAgo, formatCost, formatInt, formatTokens } from './format';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;
const view = (app.dataset.view as ViewKind) ?? 'panel';

let snapshot: DashboardSnapshot | undefined;
let chart: Chart<'bar'> | undefined;
let nextRequestId = 1;
let pendingRefresh: number | undefined;

/** Creates an element; text is always set as text, never parsed as HTML. */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

function post(message: WebviewMessage): void {
  vscode.postMessage(message);
}

// ---- layout (static; values are filled in by render) ----

const updated = el('span', { class: 'updated', 'aria-live': 'polite' }, 'Loading…');
const refreshButton = el('vscode-button', { id: 'refresh', appearance: 'secondary', title: 'Rescan transcripts now' }, 'Refresh');
const exportButton = el('vscode-button', { id: 'export-csv', appearance: 'secondary', title: 'Export every request as CSV' }, 'Export CSV');
refreshButton.addEventListener('click', () => {
  if (pendingRefresh !== undefined) return;
  pendingRefresh = nextRequestId++;
  refreshButton.setAttribute('disabled', '');
  post({ type: 'refresh', requestId: pendingRefresh });
});
exportButton.addEventListener('click', () => post({ type: 'export', format: 'csv' }));

function kpiCard(id: string, label: string): { card: HTMLElement; value: HTMLElement; sub: HTMLElement } {
  const value = el('div', { class: 'kpi-value', 'data-kpi': id }, '–');
  const sub = el('div', { class: 'kpi-sub', 'data-kpi-sub': id });
  const card = el('section', { class: 'kpi', 'aria-label': label }, el('h2', { class: 'kpi-label' }, label), value, sub);
  return { card, value, sub };
}

const costCard = kpiCard('cost', 'Total cost');
const tokensCard = kpiCard('tokens', 'Total tokens');
const requestsCard = kpiCard('requests', 'Requests');
const todayCard = kpiCard('today-cost', 'Today');
const warning = el('div', { class: 'warning', role: 'status', hidden: '' });
const empty = el('div', { class: 'empty', hidden: '' });

const canvas = el('canvas', { id: 'daily-chart', role: 'img', 'aria-label': 'Daily cost chart' });
const chartTable = el('table', { class: 'sr-table', id: 'daily-table' });
const chartSection = el(
  'section',
  { class: 'chart-card', 'aria-label': 'Daily cost' },
  el('h2', {}, 'Daily cost'),
  el('div', { class: 'chart-box' }, canvas),
  el('details', {}, el('summary', {}, 'Show as table'), chartTable),
);

const header = el(
  'header',
  { class: 'header' },
  el('h1', {}, view === 'sidebar' ? 'Token Cost' : 'Token Cost Dashboard'),
  updated,
  el('div', { class: 'actions' }, refreshButton, ...(view === 'panel' ? [exportButton] : [])),
);
const kpis = el('div', { class: 'kpis' }, todayCard.card, costCard.card, tokensCard.card, requestsCard.card);
app.append(header, warning, empty, kpis);
if (view === 'panel') app.append(chartSection);

// ---- rendering ----

function setKpis(k: KpiSnapshot, today: KpiSnapshot): void {
  costCard.value.textContent = formatCost(k.cost);
  costCard.value.title = `$${k.cost}`;
  costCard.sub.textContent = k.requests > 0 ? `~${formatCost(k.cost / k.requests)} per request` : 'no requests';
  tokensCard.value.textContent = formatTokens(k.totalTokens);
  tokensCard.value.title = String(k.totalTokens);
  tokensCard.sub.textContent =
    `${formatTokens(k.inputTokens)} in · ${formatTokens(k.outputTokens)} out · ` +
    `${formatTokens(k.cacheWriteTokens)} cache write · ${formatTokens(k.cacheReadTokens)} cache read`;
  tokensCard.sub.title =
    `input ${formatInt(k.inputTokens)}, output ${formatInt(k.outputTokens)}, ` +
    `cache write ${formatInt(k.cacheWriteTokens)}, cache read ${formatInt(k.cacheReadTokens)}`;
  requestsCard.value.textContent = formatInt(k.requests);
  requestsCard.value.title = String(k.requests);
  requestsCard.sub.textContent = k.days > 0 ? `~${formatInt(k.requests / k.days)} per day` : '';
  todayCard.value.textContent = formatCost(today.cost, 2);
  todayCard.value.title = `$${today.cost}`;
  todayCard.sub.textContent = `${formatTokens(today.totalTokens)} tokens · ${formatInt(today.requests)} requests`;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

function chartColors() {
  return {
    bar: cssVar('--vscode-charts-blue', '#3794ff'),
    text: cssVar('--vscode-foreground', '#cccccc'),
    grid: cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)'),
  };
}

function renderChart(s: DashboardSnapshot): void {
  if (view !== 'panel') return;
  const labels = s.daily.map((d) => d.date);
  const data = s.daily.map((d) => d.cost);
  const colors = chartColors();
  if (!chart) {
    const config: ChartConfiguration<'bar'> = {
      type: 'bar',
      data: { labels, datasets: [{ label: 'Cost (USD)', data, backgroundColor: colors.bar }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          tooltip: { callbacks: { label: (ctx) => `${formatCost(Number(ctx.raw))} · ${formatTokens(s.daily[ctx.dataIndex]?.totalTokens ?? 0)} tokens` } },
        },
        scales: {
          x: { ticks: { color: colors.text }, grid: { color: colors.grid } },
          y: { ticks: { color: colors.text, callback: (v) => formatCost(Number(v), 2) }, grid: { color: colors.grid }, beginAtZero: true },
        },
      },
    };
    chart = new Chart(canvas, config);
  } else {
    chart.data.labels = labels;
    chart.data.datasets[0].data = data;
    chart.options.plugins!.tooltip!.callbacks!.label = (ctx) =>
      `${formatCost(Number(ctx.raw))} · ${formatTokens(s.daily[ctx.dataIndex]?.totalTokens ?? 0)} tokens`;
    chart.update();
  }
  chartTable.replaceChildren(
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Date'), el('th', { scope: 'col' }, 'Cost'), el('th', { scope: 'col' }, 'Tokens'))),
    el('tbody', {}, ...s.daily.map((d) => el('tr', {}, el('td', {}, d.date), el('td', {}, formatCost(d.cost)), el('td', {}, formatInt(d.totalTokens))))),
  );
}

/** Theme changes swap the body class; chart colours are read again from the new CSS variables. */
function applyTheme(): void {
  if (!chart) return;
  const c = chartColors();
  chart.data.datasets[0].backgroundColor = c.bar;
  for (const axis of ['x', 'y'] as const) {
    const scale = chart.options.scales![axis]!;
    scale.ticks!.color = c.text;
    scale.grid!.color = c.grid;
  }
  chart.update();
}
new MutationObserver(applyTheme).observe(document.body, { attributes: true, attributeFilter: ['class'] });

function render(s: DashboardSnapshot): void {
  snapshot = s;
  vscode.setState({ snapshot: s });
  const noData = s.scanned && s.recordCount === 0;
  empty.hidden = !noData;
  if (noData) {
    empty.replaceChildren(
      el('h2', {}, 'No token usage yet.'),
      el('p', {}, 'Claude Code transcripts are read from ~/.claude/projects and ~/.config/claude/projects (or $CLAUDE_CONFIG_DIR). Usage appears here as soon as an agent writes some.'),
    );
  }
  kpis.hidden = noData;
  chartSection.hidden = noData;
  setKpis(s.kpis, s.todayKpis);
  if (s.unpricedModels.length > 0) {
    warning.hidden = false;
    warning.textContent = `No price known for ${s.unpricedModels.join(', ')}: counted as $0. Add a price in the setting tokenCost.pricing.`;
  } else {
    warning.hidden = true;
  }
  renderChart(s);
  renderUpdated();
}

function renderUpdated(): void {
  if (!snapshot) return;
  updated.textContent = snapshot.scanned ? `Updated ${formatAgo(Date.now() - snapshot.generatedAt)}` : 'Scanning transcripts…';
}
setInterval(renderUpdated, 5000);

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'snapshot':
      if (msg.requestId !== undefined && msg.requestId === pendingRefresh) {
        pendingRefresh = undefined;
        refreshButton.removeAttribute('disabled');
      }
      render(msg.snapshot);
      break;
    case 'busy':
      if (msg.busy) refreshButton.setAttribute('disabled', '');
      else if (pendingRefresh === undefined) refreshButton.removeAttribute('disabled');
      break;
  }
});

const saved = vscode.getState() as { snapshot?: DashboardSnapshot } | undefined;
if (saved?.snapshot) render(saved.snapshot);
post({ type: 'ready' });
