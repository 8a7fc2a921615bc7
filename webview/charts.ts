import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { card, el } from './dom';
import { formatInt, formatMoney, formatTokens } from './format';

Chart.register(ArcElement, BarController, BarElement, CategoryScale, DoughnutController, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

/** Colours of the current VS Code theme, read from its CSS variables. */
export interface Palette {
  series: string[];
  text: string;
  grid: string;
  background: string;
}

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

/**
 * A series colour without its alpha: some themes give a charts.* colour one (charts.orange is the
 * minimap's find-match colour, #EA5C0055 in the default themes), which turns bars pale.
 */
function opaque(color: string): string {
  const hex = /^#([0-9a-f]{6})[0-9a-f]{2}$/i.exec(color) ?? /^#([0-9a-f]{3})[0-9a-f]$/i.exec(color);
  if (hex) return `#${hex[1]}`;
  const rgba = /^rgba\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*[\d.]+\s*\)$/i.exec(color);
  return rgba ? `rgb(${rgba[1]}, ${rgba[2]}, ${rgba[3]})` : color;
}

export function palette(): Palette {
  return {
    series: [
      cssVar('--vscode-charts-blue', '#3794ff'),
      cssVar('--vscode-charts-orange', '#d18616'),
      cssVar('--vscode-charts-green', '#89d185'),
      cssVar('--vscode-charts-purple', '#b180d7'),
      cssVar('--vscode-charts-yellow', '#cca700'),
      cssVar('--vscode-charts-red', '#f14c4c'),
      cssVar('--vscode-charts-foreground', '#cccccc'),
    ].map(opaque),
    text: cssVar('--vscode-foreground', '#cccccc'),
    grid: cssVar('--vscode-charts-lines', cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.35)')),
    background: cssVar('--vscode-editor-background', '#1e1e1e'),
  };
}

/** A table alternative for a chart: header cells, then rows of cells (already formatted). */
export interface ChartTable {
  head: string[];
  rows: string[][];
}

/**
 * One chart card: a chart.js canvas, an inline "nothing to chart" message, and the same figures
 * as a table for screen readers and for exact values.
 */
export class ChartCard {
  readonly section: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private readonly emptyNote: HTMLElement;
  private readonly table: HTMLTableElement;
  private chart: Chart | undefined;
  private lastConfig: ((p: Palette) => ChartConfiguration) | undefined;

  constructor(readonly id: string, title: string, emptyText: string, height = 260) {
    this.canvas = el('canvas', { id: `${id}-canvas`, role: 'img', 'aria-label': title });
    this.box = el('div', { class: 'chart-box', style: undefined }, this.canvas);
    this.box.style.height = `${height}px`;
    this.emptyNote = el('p', { class: 'chart-empty', hidden: '' }, emptyText);
    this.table = el('table', { class: 'data-table' });
    this.section = card(id, title, this.box, this.emptyNote, el('details', {}, el('summary', {}, 'Show as table'), this.table)).section;
    this.section.classList.add('chart-card');
  }

  /** What the card says when it has nothing to chart. */
  setEmptyText(text: string): void {
    this.emptyNote.textContent = text;
  }

  /** Draws `config` (null: nothing to chart) and fills the table. */
  update(config: ((p: Palette) => ChartConfiguration) | null, table: ChartTable): void {
    this.table.replaceChildren(
      el('thead', {}, el('tr', {}, ...table.head.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...table.rows.map((r) => el('tr', {}, ...r.map((c, i) => (i === 0 ? el('th', { scope: 'row' }, c) : el('td', {}, c)))))),
    );
    this.emptyNote.hidden = config !== null;
    this.box.hidden = config === null;
    this.section.dataset.empty = config === null ? 'true' : 'false';
    this.lastConfig = config ?? undefined;
    this.draw();
  }

  /**
   * Draws the current figures with the theme's current colours. A chart of the same type is
   * updated in place (no new canvas context, no re-measuring): filter changes redraw six charts.
   */
  draw(): void {
    if (!this.lastConfig) {
      this.chart?.destroy();
      this.chart = undefined;
      return;
    }
    const config = this.lastConfig(palette());
    if (this.chart && (this.chart.config as { type?: string }).type === config.type) {
      this.chart.data = config.data;
      this.chart.options = config.options ?? {};
      this.chart.update('none');
      return;
    }
    this.chart?.destroy();
    this.chart = new Chart(this.canvas, config);
  }
}

/** Axis defaults shared by every cartesian chart: theme colours and K/M tick labels. */
export function axes(p: Palette, y: 'tokens' | 'cost' | 'count', opts: { stacked?: boolean; horizontal?: boolean } = {}) {
  const fmt = (v: number) => (y === 'cost' ? formatMoney(v) : y === 'tokens' ? formatTokens(v) : formatInt(v));
  const valueAxis = { stacked: opts.stacked, beginAtZero: true, ticks: { color: p.text, callback: (v: string | number) => fmt(Number(v)) }, grid: { color: p.grid } };
  const categoryAxis = { stacked: opts.stacked, ticks: { color: p.text, autoSkip: true, maxRotation: 0 }, grid: { color: p.grid, display: false } };
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

