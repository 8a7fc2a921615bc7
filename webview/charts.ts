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
} from 'chart.js';
import type { ChartSpec, ChartTable, Palette } from './chartConfigs';
import { card, el } from './dom';
import type { Deferral, LazyCard } from './lazy';

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

/**
 * The theme's colours for one page, read once per theme (reading CSS variables forces a style
 * recalculation); made by the page, which calls `changed()` when the theme does. Making one
 * registers chart.js's controllers and elements (idempotent).
 */
export class Theme {
  private colours: Palette | undefined;

  constructor() {
    Chart.register(
      ArcElement,
      BarController,
      BarElement,
      CategoryScale,
      DoughnutController,
      Legend,
      LinearScale,
      LineController,
      LineElement,
      PointElement,
      Tooltip,
    );
  }

  palette(): Palette {
    this.colours ??= readPalette();
    return this.colours;
  }

  changed(): void {
    this.colours = undefined;
  }
}

/** What a page gives its chart cards: its theme and, optionally, its deferral of off-screen work. */
export interface ChartPage {
  theme: Theme;
  deferral?: Deferral;
}

function readPalette(): Palette {
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

/**
 * One chart card: a chart.js canvas, an inline "nothing to chart" message, and the same figures
 * as a table for screen readers and for exact values. A card off screen draws its chart and fills
 * its table after the frame that shows the new figures, or as soon as it scrolls into view.
 */
export class ChartCard {
  readonly section: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly box: HTMLElement;
  private readonly emptyNote: HTMLElement;
  private readonly table: HTMLTableElement;
  private chart: Chart | undefined;
  private lastConfig: ChartSpec['config'] = null;
  private readonly lazy: LazyCard | undefined;

  /** With the page's deferral, updates off screen wait until after the frame (lazy.ts); without, they run at once. */
  constructor(
    readonly id: string,
    title: string,
    emptyText: string,
    private readonly page: ChartPage,
    height = 260,
  ) {
    this.canvas = el('canvas', { id: `${id}-canvas`, role: 'img', 'aria-label': title });
    this.box = el('div', { class: 'chart-box', style: undefined }, this.canvas);
    this.box.style.height = `${height}px`;
    this.emptyNote = el('p', { class: 'chart-empty', hidden: '' }, emptyText);
    this.table = el('table', { class: 'data-table' });
    this.section = card(id, title, this.box, this.emptyNote, el('details', {}, el('summary', {}, 'Show as table'), this.table)).section;
    this.section.classList.add('chart-card');
    this.lazy = page.deferral?.card(this.section);
  }

  /** What the card says when it has nothing to chart. */
  setEmptyText(text: string): void {
    this.emptyNote.textContent = text;
  }

  /** Shows `spec` (config null: nothing to chart): at once on screen, after the frame off screen. */
  update(spec: ChartSpec): void {
    this.emptyNote.hidden = spec.config !== null;
    this.box.hidden = spec.config === null;
    this.section.dataset.empty = spec.config === null ? 'true' : 'false';
    const show = () => {
      fillTable(this.table, spec.table);
      this.lastConfig = spec.config;
      this.draw();
    };
    if (this.lazy) this.lazy.run(show);
    else show();
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
    const config = this.lastConfig(this.page.theme.palette());
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

/** A chart's table alternative; rows are rewritten in place, so a filter change only touches changed text. */
function fillTable(table: HTMLTableElement, t: ChartTable): void {
  let head = table.tHead;
  let body = table.tBodies[0];
  if (!head || !body) {
    head = el('thead', {});
    body = el('tbody', {});
    table.replaceChildren(head, body);
  }
  syncRows(
    head,
    [t.head],
    () => 'th',
    () => ({ scope: 'col' }),
  );
  syncRows(
    body,
    t.rows,
    (i) => (i === 0 ? 'th' : 'td'),
    (i) => (i === 0 ? { scope: 'row' } : {}),
  );
}

/** Makes `section`'s rows hold `rows` (cell tag and attributes by column), reusing the rows and cells already there. */
export function syncRows(
  section: HTMLTableSectionElement,
  rows: readonly (readonly string[])[],
  tag: (col: number) => 'th' | 'td',
  attrs: (col: number) => Record<string, string | undefined>,
): void {
  while (section.rows.length > rows.length) section.lastElementChild!.remove();
  rows.forEach((cells, r) => {
    let tr = section.rows[r] as HTMLTableRowElement | undefined;
    if (!tr) tr = section.appendChild(el('tr', {}));
    while (tr.cells.length > cells.length) tr.lastElementChild!.remove();
    cells.forEach((text, c) => {
      let cell = tr.cells[c] as HTMLTableCellElement | undefined;
      if (cell && cell.tagName.toLowerCase() !== tag(c)) {
        cell.replaceWith((cell = el(tag(c), attrs(c), text)));
        return;
      }
      if (!cell) tr.appendChild(el(tag(c), attrs(c), text));
      else setText(cell, text);
    });
  });
}

/**
 * Sets an element's text, changing its one text node in place when it has one: a character-data
 * change, which neither re-creates nodes nor wakes the charts' DOM observers (chart.js watches
 * child lists to learn when a canvas is attached).
 */
export function setText(node: HTMLElement, text: string): void {
  const first = node.firstChild;
  if (first && first === node.lastChild && first.nodeType === Node.TEXT_NODE) {
    if ((first as Text).data !== text) (first as Text).data = text;
  } else if (node.textContent !== text) node.textContent = text;
}
