/**
 * Chart configurations as pure functions: figures the host computed and a theme palette in, a
 * chart.js configuration (null: nothing to chart) and the same figures as a table out. No DOM, no
 * chart.js runtime (types only), so they run and are tested in Node (test/unit/chartConfigs.test.ts).
 */
import type { ChartConfiguration } from 'chart.js';
import type { Bucket, DashboardData, ModelRow, ShareSlice, TrendPoint } from '../src/protocol';
import type { LimitsReport } from '../src/core/limits';
import { formatCost, formatInt, formatMoney, formatPct, formatTokens, sourceLabel } from './format';

/** Colours of the current VS Code theme (charts.ts reads them from its CSS variables). */
export interface Palette {
  series: string[];
  text: string;
  grid: string;
  background: string;
}

/** A table alternative for a chart: header cells, then rows of cells (already formatted). */
export interface ChartTable {
  head: string[];
  rows: string[][];
}

/** What a chart card shows: a configuration for the current palette (null: nothing to chart) and its table. */
export interface ChartSpec {
  config: ((p: Palette) => ChartConfiguration) | null;
  table: ChartTable;
}

/** Axis defaults shared by every cartesian chart: theme colours and K/M tick labels. */
export function axes(p: Palette, y: 'tokens' | 'cost' | 'count', opts: { stacked?: boolean; horizontal?: boolean } = {}) {
  const fmt = (v: number) => (y === 'cost' ? formatMoney(v) : y === 'tokens' ? formatTokens(v) : formatInt(v));
  const valueAxis = {
    stacked: opts.stacked,
    beginAtZero: true,
    ticks: { color: p.text, callback: (v: string | number) => fmt(Number(v)) },
    grid: { color: p.grid },
  };
  const categoryAxis = {
    stacked: opts.stacked,
    ticks: { color: p.text, autoSkip: true, maxRotation: 0 },
    grid: { color: p.grid, display: false },
  };
  return opts.horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis };
}

export function baseOptions(p: Palette) {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false as const,
    interaction: { mode: 'index' as const, intersect: false },
    plugins: { legend: { labels: { color: p.text, boxWidth: 12 } }, tooltip: { enabled: true } },
  };
}

const BUCKET_NAME: Record<Bucket, string> = { twoMinutes: 'Time', hour: 'Hour', day: 'Day', week: 'Week from', month: 'Month' };
// Seed 001's words for the day view; the other steps name theirs.
const STEP_NAME: Record<Bucket, string> = { twoMinutes: 'per-minute', hour: 'hourly', day: 'daily', week: 'weekly', month: 'monthly' };

/** What the tokens-by-type card says when there is nothing to chart at this step. */
export const typesEmptyText = (bucket: Bucket): string => `No ${STEP_NAME[bucket]} usage to chart for the current filters.`;

/** Tokens, cost and requests per bucket (three axes). */
export function trendChart(trend: TrendPoint[], bucket: Bucket): ChartSpec {
  const labels = trend.map((p) => p.label);
  return {
    config: trend.some((p) => p.requests > 0)
      ? (p) => ({
          type: 'line',
          data: {
            labels,
            datasets: [
              {
                label: 'Tokens',
                data: trend.map((x) => x.totalTokens),
                borderColor: p.series[0],
                backgroundColor: p.series[0],
                yAxisID: 'y',
                cubicInterpolationMode: 'monotone',
                pointRadius: 2,
              },
              {
                label: 'Cost',
                data: trend.map((x) => x.cost),
                borderColor: p.series[1],
                backgroundColor: p.series[1],
                yAxisID: 'cost',
                cubicInterpolationMode: 'monotone',
                pointRadius: 2,
              },
              {
                label: 'Requests',
                data: trend.map((x) => x.requests),
                borderColor: p.series[2],
                backgroundColor: p.series[2],
                yAxisID: 'requests',
                cubicInterpolationMode: 'monotone',
                pointRadius: 2,
                hidden: false,
              },
            ],
          },
          options: {
            ...baseOptions(p),
            plugins: {
              ...baseOptions(p).plugins,
              tooltip: {
                callbacks: {
                  label: (c) => `${c.dataset.label}: ${c.datasetIndex === 1 ? formatCost(Number(c.raw)) : formatInt(Number(c.raw))}`,
                },
              },
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
    table: {
      head: [BUCKET_NAME[bucket], 'Tokens', 'Cost', 'Requests'],
      rows: trend.map((x) => [x.label, formatInt(x.totalTokens), formatCost(x.cost), formatInt(x.requests)]),
    },
  };
}

const TYPE_SERIES: [string, (x: TrendPoint) => number][] = [
  ['Input', (x) => x.inputTokens],
  ['Output', (x) => x.outputTokens],
  ['Cache write', (x) => x.cacheWriteTokens],
  ['Cache read', (x) => x.cacheReadTokens],
];

/** The four token kinds stacked per bucket. */
export function typesChart(trend: TrendPoint[], bucket: Bucket): ChartSpec {
  const labels = trend.map((p) => p.label);
  return {
    config: trend.some((x) => x.totalTokens > 0)
      ? (p) => ({
          type: 'bar',
          data: {
            labels,
            datasets: TYPE_SERIES.map(([label, f], i) => ({ label, data: trend.map(f), backgroundColor: p.series[i], stack: 'tokens' })),
          },
          options: {
            ...baseOptions(p),
            plugins: {
              ...baseOptions(p).plugins,
              tooltip: {
                callbacks: {
                  label: (c) => `${c.dataset.label}: ${formatInt(Number(c.raw))}`,
                  footer: (items) => `Cost: ${formatCost(trend[items[0]?.dataIndex ?? 0]?.cost ?? 0)}`,
                },
              },
            },
            scales: axes(p, 'tokens', { stacked: true }),
          },
        })
      : null,
    table: {
      head: [BUCKET_NAME[bucket], ...TYPE_SERIES.map(([l]) => l)],
      rows: trend.map((x) => [x.label, ...TYPE_SERIES.map(([, f]) => formatInt(f(x)))]),
    },
  };
}

/** Cost per bucket stacked by source, the costliest source first. */
export function sourcesChart(trend: TrendPoint[], sources: string[], bucket: Bucket): ChartSpec {
  const labels = trend.map((p) => p.label);
  return {
    config:
      sources.length && trend.some((x) => x.cost > 0)
        ? (p) => ({
            type: 'bar',
            data: {
              labels,
              datasets: sources.map((s, i) => ({
                label: sourceLabel(s),
                data: trend.map((x) => x.costBySource[s] ?? 0),
                backgroundColor: p.series[i % p.series.length],
                stack: 'cost',
              })),
            },
            options: {
              ...baseOptions(p),
              plugins: {
                ...baseOptions(p).plugins,
                tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${formatCost(Number(c.raw))}` } },
              },
              scales: axes(p, 'cost', { stacked: true }),
            },
          })
        : null,
    table: {
      head: [BUCKET_NAME[bucket], ...sources.map(sourceLabel)],
      rows: trend.map((x) => [x.label, ...sources.map((s) => formatCost(x.costBySource[s] ?? 0))]),
    },
  };
}

/** Tokens per model, as the host ranked them (by cost). */
export function modelsChart(models: ModelRow[]): ChartSpec {
  return {
    config: models.length
      ? (p) => ({
          type: 'bar',
          data: {
            labels: models.map((m) => m.displayName),
            datasets: [{ label: 'Tokens', data: models.map((m) => m.totalTokens), backgroundColor: p.series[0] }],
          },
          options: {
            ...baseOptions(p),
            indexAxis: 'y',
            plugins: {
              legend: { display: false },
              tooltip: {
                callbacks: {
                  title: (items) => models[items[0]?.dataIndex ?? 0]?.model ?? '',
                  label: (c) => `${formatInt(Number(c.raw))} tokens · ${formatCost(models[c.dataIndex]?.cost ?? 0)}`,
                },
              },
            },
            scales: axes(p, 'tokens', { horizontal: true }),
          },
        })
      : null,
    table: { head: ['Model', 'Tokens', 'Cost'], rows: models.map((m) => [m.model, formatInt(m.totalTokens), formatCost(m.cost)]) },
  };
}

/** The cost share of the top models and "Other". */
export function shareChart(slices: ShareSlice[]): ChartSpec {
  return {
    config: slices.length
      ? (p) => ({
          type: 'doughnut',
          data: {
            labels: slices.map((s) => s.label),
            datasets: [
              {
                data: slices.map((s) => s.cost),
                backgroundColor: slices.map((_, i) => p.series[i % p.series.length]),
                borderColor: p.background,
              },
            ],
          },
          options: {
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            plugins: {
              legend: { position: 'right', labels: { color: p.text, boxWidth: 12 } },
              tooltip: {
                callbacks: {
                  label: (c) =>
                    `${slices[c.dataIndex]?.model ?? slices[c.dataIndex]?.label}: ${formatCost(Number(c.raw))} (${formatPct(slices[c.dataIndex]?.share ?? 0)})`,
                },
              },
            },
          },
        })
      : null,
    table: { head: ['Model', 'Cost', 'Share'], rows: slices.map((s) => [s.model ?? s.label, formatCost(s.cost), formatPct(s.share)]) },
  };
}

/** Dollars per 1K tokens of the priced models with a cost, the cheapest first. */
export function efficiencyChart(models: ModelRow[]): ChartSpec {
  const rated = models.filter((m) => m.costPer1k !== null && m.cost > 0).sort((a, b) => a.costPer1k! - b.costPer1k!);
  return {
    config: rated.length
      ? (p) => ({
          type: 'bar',
          data: {
            labels: rated.map((m) => m.displayName),
            datasets: [{ label: '$ per 1K tokens', data: rated.map((m) => m.costPer1k!), backgroundColor: p.series[2] }],
          },
          options: {
            ...baseOptions(p),
            indexAxis: 'y',
            plugins: {
              legend: { display: false },
              tooltip: {
                callbacks: {
                  title: (items) => rated[items[0]?.dataIndex ?? 0]?.model ?? '',
                  label: (c) => `${formatCost(Number(c.raw))} per 1K tokens`,
                },
              },
            },
            scales: axes(p, 'cost', { horizontal: true }),
          },
        })
      : null,
    table: { head: ['Model', '$ per 1K tokens'], rows: rated.map((m) => [m.model, formatCost(m.costPer1k!)]) },
  };
}

/** The six charts of the panel, by card id. */
export function dashboardCharts(
  d: Pick<DashboardData, 'trend' | 'trendSources' | 'models' | 'costShare' | 'range'>,
): Record<string, ChartSpec> {
  const bucket = d.range.bucket;
  return {
    'chart-trend': trendChart(d.trend, bucket),
    'chart-types': typesChart(d.trend, bucket),
    'chart-sources': sourcesChart(d.trend, d.trendSources, bucket),
    'chart-models': modelsChart(d.models),
    'chart-share': shareChart(d.costShare),
    'chart-efficiency': efficiencyChart(d.models),
  };
}

const AGENT_NAMES: Record<string, string> = { claude: 'Claude Code', codex: 'Codex' };
/** An agent's window as users know it ("Claude Code 5-hour"). */
export const windowName = (source: string, label: string): string => `${AGENT_NAMES[source] ?? source} ${label}`;

/**
 * Plan-limit history on one time axis: every window's readings and its resets (where the line
 * drops to 0), stepped. `when` formats an instant for the axis (the page's locale).
 */
export function limitsChart(history: LimitsReport['history'], now: number, when: (ms: number) => string): ChartSpec {
  const times = [...new Set(history.flatMap((h) => [...h.points.map((p) => p.at), ...h.resets.filter((x) => x <= now)]))].sort(
    (a, b) => a - b,
  );
  const labels = times.map(when);
  const series = history.map((h) => {
    const at = new Map<number, number | null>(times.map((t) => [t, null]));
    for (const p of h.points) at.set(p.at, p.usedPct);
    for (const x of h.resets) if (at.has(x)) at.set(x, 0);
    return { label: windowName(h.source, h.label), data: times.map((t) => at.get(t) ?? null) };
  });
  const resetTimes = new Set(history.flatMap((h) => h.resets));
  return {
    config: times.length
      ? (p) => ({
          type: 'line',
          data: {
            labels,
            datasets: [
              ...series.map((s, i) => ({
                label: s.label,
                data: s.data,
                borderColor: p.series[i % p.series.length],
                backgroundColor: p.series[i % p.series.length],
                spanGaps: true,
                stepped: 'before' as const,
                pointRadius: 2,
              })),
              {
                label: 'Reset',
                data: times.map((t) => (resetTimes.has(t) ? 0 : null)),
                showLine: false,
                pointStyle: 'triangle',
                pointRadius: 6,
                borderColor: p.text,
                backgroundColor: p.text,
              },
            ],
          },
          options: {
            ...baseOptions(p),
            scales: {
              x: axes(p, 'count').x,
              y: { ...axes(p, 'count').y, suggestedMax: 100, ticks: { color: p.text, callback: (v: string | number) => `${v} %` } },
            },
          },
        })
      : null,
    table: {
      head: ['Time', ...series.map((s) => s.label), 'Reset'],
      rows: times.map((t, i) => [
        labels[i],
        ...series.map((s) => (s.data[i] === null ? '' : `${s.data[i]} %`)),
        resetTimes.has(t) ? 'reset' : '',
      ]),
    },
  };
}
