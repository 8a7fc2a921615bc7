import * as assert from 'node:assert/strict';
import type { ModelRow, TrendPoint } from '../../src/protocol';
import {
  dashboardCharts,
  efficiencyChart,
  limitsChart,
  modelsChart,
  shareChart,
  sourcesChart,
  trendChart,
  typesChart,
  typesEmptyText,
  type Palette,
} from '../../webview/chartConfigs';

// Chart configurations are pure: figures and a palette in, a chart.js configuration and its table out; no DOM.
const P: Palette = {
  series: ['#111111', '#222222', '#333333', '#444444', '#555555', '#666666', '#777777'],
  text: '#eeeeee',
  grid: '#888888',
  background: '#000000',
};

function point(label: string, o: Partial<TrendPoint> = {}): TrendPoint {
  const t = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, cost: 0, requests: 0, ...o };
  return {
    start: 0,
    label,
    costBySource: {},
    ...t,
    totalTokens: t.inputTokens + t.outputTokens + t.cacheWriteTokens + t.cacheReadTokens,
    ...o,
  };
}

function model(id: string, cost: number, tokens: number, o: Partial<ModelRow> = {}): ModelRow {
  return {
    model: id,
    displayName: id.replace(/^claude-/, ''),
    provider: 'Anthropic',
    inputTokens: tokens,
    outputTokens: 0,
    cacheWriteTokens: 0,
    cacheReadTokens: 0,
    totalTokens: tokens,
    cost,
    requests: 1,
    avgCostPerRequest: cost,
    avgTokensPerRequest: tokens,
    costPer1k: tokens ? (cost / tokens) * 1000 : null,
    costShare: 0,
    unpriced: false,
    ...o,
  };
}

const trend = [
  point('Nov 21', { inputTokens: 1000, outputTokens: 500, cost: 1.5, requests: 3, costBySource: { 'claude-code': 1, codex: 0.5 } }),
  point('Nov 22'),
  point('Nov 23', { cacheReadTokens: 2_000_000, cost: 0.25, requests: 1, costBySource: { codex: 0.25 } }),
];

describe('webview chart configurations (pure, no DOM)', () => {
  it('trend: three series on three axes, one point per bucket, and the same figures as a table', () => {
    const spec = trendChart(trend, 'day');
    const c = spec.config!(P) as any;
    assert.equal(c.type, 'line');
    assert.deepEqual(c.data.labels, ['Nov 21', 'Nov 22', 'Nov 23']);
    assert.deepEqual(
      c.data.datasets.map((d: any) => [d.label, d.yAxisID, d.data]),
      [
        ['Tokens', 'y', [1500, 0, 2_000_000]],
        ['Cost', 'cost', [1.5, 0, 0.25]],
        ['Requests', 'requests', [3, 0, 1]],
      ],
    );
    assert.equal(c.data.datasets[0].borderColor, '#111111', 'series colours come from the palette');
    assert.equal(c.options.scales.cost.ticks.callback(1.5), '$1.50', 'the cost axis reads in dollars');
    assert.equal(c.options.scales.y.ticks.callback(2_000_000), '2M', 'the token axis in K/M');
    assert.deepEqual(spec.table, {
      head: ['Day', 'Tokens', 'Cost', 'Requests'],
      rows: [
        ['Nov 21', '1,500', '$1.5000', '3'],
        ['Nov 22', '0', '$0.0000', '0'],
        ['Nov 23', '2,000,000', '$0.2500', '1'],
      ],
    });
  });

  it('says there is nothing to chart when no bucket has a request, and keeps the table', () => {
    const empty = [point('00:00'), point('01:00')];
    const spec = trendChart(empty, 'hour');
    assert.equal(spec.config, null);
    assert.deepEqual(spec.table.head, ['Hour', 'Tokens', 'Cost', 'Requests']);
    assert.equal(spec.table.rows.length, 2);
    assert.equal(typesChart(empty, 'hour').config, null);
    assert.equal(typesEmptyText('hour'), 'No hourly usage to chart for the current filters.');
    assert.equal(typesEmptyText('twoMinutes'), 'No per-minute usage to chart for the current filters.');
  });

  it('tokens by type: four stacked series; the tooltip footer names the bucket cost', () => {
    const c = typesChart(trend, 'week').config!(P) as any;
    assert.deepEqual(
      c.data.datasets.map((d: any) => [d.label, d.stack, d.data]),
      [
        ['Input', 'tokens', [1000, 0, 0]],
        ['Output', 'tokens', [500, 0, 0]],
        ['Cache write', 'tokens', [0, 0, 0]],
        ['Cache read', 'tokens', [0, 0, 2_000_000]],
      ],
    );
    assert.equal(c.options.plugins.tooltip.callbacks.footer([{ dataIndex: 0 }]), 'Cost: $1.5000');
    assert.equal(typesChart(trend, 'week').table.head[0], 'Week from');
  });

  it('cost by source: one stacked series per source with its label, zero where a source has no cost', () => {
    const spec = sourcesChart(trend, ['claude-code', 'codex'], 'day');
    const c = spec.config!(P) as any;
    assert.deepEqual(
      c.data.datasets.map((d: any) => [d.label, d.data]),
      [
        ['Claude Code', [1, 0, 0]],
        ['Codex CLI', [0.5, 0, 0.25]],
      ],
    );
    assert.deepEqual(spec.table.head, ['Day', 'Claude Code', 'Codex CLI']);
    assert.equal(sourcesChart(trend, [], 'day').config, null, 'no source, nothing to stack');
  });

  it('models and efficiency: display names on the axis, exact ids in tooltips and tables; efficiency cheapest first, priced only', () => {
    const models = [
      model('claude-opus-4-5', 3, 1000),
      model('claude-haiku-4-5', 0.1, 2000),
      model('manual-entry', 0, 50, { unpriced: true, costPer1k: 0 }),
    ];
    const m = modelsChart(models).config!(P) as any;
    assert.deepEqual(m.data.labels, ['opus-4-5', 'haiku-4-5', 'manual-entry']);
    assert.equal(m.options.indexAxis, 'y');
    assert.equal(m.options.plugins.tooltip.callbacks.title([{ dataIndex: 1 }]), 'claude-haiku-4-5');
    const e = efficiencyChart(models);
    assert.deepEqual((e.config!(P) as any).data.datasets[0].data, [0.05, 3]);
    assert.deepEqual(e.table.rows, [
      ['claude-haiku-4-5', '$0.0500'],
      ['claude-opus-4-5', '$3.0000'],
    ]);
    assert.equal(efficiencyChart([model('free', 0, 10)]).config, null, 'nothing priced, nothing to compare');
    assert.equal(modelsChart([]).config, null);
  });

  it('cost share: a doughnut with the background as border and shares in the table', () => {
    const spec = shareChart([
      { label: 'opus-4-5', model: 'claude-opus-4-5', cost: 3, share: 75 },
      { label: 'Other', cost: 1, share: 25 },
    ]);
    const c = spec.config!(P) as any;
    assert.equal(c.type, 'doughnut');
    assert.equal(c.data.datasets[0].borderColor, '#000000');
    assert.deepEqual(spec.table.rows, [
      ['claude-opus-4-5', '$3.0000', '75 %'],
      ['Other', '$1.0000', '25 %'],
    ]);
    assert.equal(c.options.plugins.tooltip.callbacks.label({ dataIndex: 1, raw: 1 }), 'Other: $1.0000 (25 %)');
  });

  it('the panel gets all six, keyed by the card ids the page and its tests use', () => {
    const charts = dashboardCharts({
      trend,
      trendSources: ['codex'],
      models: [model('claude-opus-4-5', 3, 1000)],
      costShare: [],
      range: { start: 0, end: 1, label: 'x', bucket: 'day' },
    });
    assert.deepEqual(Object.keys(charts), [
      'chart-trend',
      'chart-types',
      'chart-sources',
      'chart-models',
      'chart-share',
      'chart-efficiency',
    ]);
    assert.equal(charts['chart-share'].config, null);
  });

  it('plan limits: one time axis with readings and resets, the line dropping to 0 at a reset', () => {
    const history = [
      {
        source: 'claude',
        label: '5-hour',
        minutes: 300,
        points: [
          { at: 1000, usedPct: 40 },
          { at: 3000, usedPct: 10 },
        ],
        resets: [2000, 9000],
      },
    ];
    const spec = limitsChart(history as any, 5000, (ms) => `t${ms}`);
    const c = spec.config!(P) as any;
    assert.deepEqual(c.data.labels, ['t1000', 't2000', 't3000'], 'a reset after now is not drawn');
    assert.deepEqual(c.data.datasets[0].data, [40, 0, 10]);
    assert.equal(c.data.datasets[0].label, 'Claude Code 5-hour');
    assert.deepEqual(c.data.datasets[1].data, [null, 0, null], 'the reset marker');
    assert.deepEqual(spec.table.rows[1], ['t2000', '0 %', 'reset']);
    assert.equal(limitsChart([], 0, String).config, null);
  });
});
