import { setText } from './charts';
import { card, el } from './dom';
import type { Deferral, LazyCard } from './lazy';

export interface Column<T> {
  label: string;
  /** Sort key. */
  value: (row: T) => number | string;
  /** Shown text. */
  text: (row: T) => string;
  /** Full value on hover, when the text abbreviates it. */
  title?: (row: T) => string;
  numeric?: boolean;
  /** Extra class on the cell (e.g. monospace model names). */
  className?: string;
}

/**
 * A table card whose rows arrive sorted from the host; clicking a header re-sorts the rows shown
 * (ordering only: every figure is the host's). Rows and cells are updated in place: a filter
 * change rewrites only the text that changed, instead of building the table again; a table off
 * screen does so after the frame that shows the figures on screen.
 */
export class SortableTable<T> {
  readonly section: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly body: HTMLTableSectionElement;
  private readonly foot: HTMLTableSectionElement;
  private readonly headers: HTMLTableCellElement[];
  private readonly note: HTMLElement;
  private rows: T[] = [];
  /** The body's cells by row and column, as drawn. */
  private readonly cells: HTMLTableCellElement[][] = [];
  private footer: string[] | undefined;
  private sortBy = -1;
  private readonly lazy: LazyCard | undefined;
  private descending = true;

  /** With `deferral`, updates off screen wait until after the frame (lazy.ts); without, they run at once. */
  constructor(
    readonly id: string,
    title: string,
    private readonly columns: Column<T>[],
    emptyText: string,
    deferral?: Deferral,
  ) {
    this.headers = columns.map((c, i) => {
      const button = el('button', { type: 'button', class: 'sort' }, c.label);
      button.addEventListener('click', () => {
        this.descending = this.sortBy === i ? !this.descending : c.numeric === true;
        this.sortBy = i;
        this.render();
      });
      return el('th', { scope: 'col', class: c.numeric ? 'num' : undefined, 'aria-sort': 'none' }, button);
    });
    this.body = el('tbody', {});
    this.foot = el('tfoot', {});
    this.table = el(
      'table',
      { class: 'data-table sortable', id: `${id}-table` },
      el('thead', {}, el('tr', {}, ...this.headers)),
      this.body,
    );
    this.note = el('p', { class: 'table-empty', hidden: '' }, emptyText);
    this.section = card(id, title, el('div', { class: 'table-scroll' }, this.table), this.note).section;
    this.lazy = deferral?.card(this.section);
  }

  /** Shows `rows`: at once on screen, after the frame off screen (see lazy.ts). */
  update(rows: T[], footer?: string[]): void {
    this.rows = rows;
    this.footer = footer;
    if (this.lazy) this.lazy.run(() => this.render());
    else this.render();
  }

  private sorted(): T[] {
    if (this.sortBy < 0) return this.rows;
    const col = this.columns[this.sortBy];
    const dir = this.descending ? -1 : 1;
    return [...this.rows].sort((a, b) => {
      const x = col.value(a);
      const y = col.value(b);
      return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
    });
  }

  private render(): void {
    this.note.hidden = this.rows.length > 0;
    this.table.hidden = this.rows.length === 0;
    this.headers.forEach((th, i) =>
      th.setAttribute('aria-sort', this.sortBy === i ? (this.descending ? 'descending' : 'ascending') : 'none'),
    );
    const rows = this.sorted();
    while (this.cells.length > rows.length) {
      this.cells.pop();
      this.body.lastElementChild!.remove();
    }
    rows.forEach((r, i) => {
      let cells = this.cells[i];
      if (!cells) {
        cells = this.columns.map((c) => el('td', { class: [c.numeric ? 'num' : '', c.className ?? ''].join(' ').trim() || undefined }));
        this.body.append(el('tr', {}, ...cells));
        this.cells.push(cells);
      }
      this.columns.forEach((c, j) => {
        const td = cells[j];
        setText(td, c.text(r));
        const title = c.title?.(r);
        if (title === undefined) {
          if (td.hasAttribute('title')) td.removeAttribute('title');
        } else if (td.title !== title) td.title = title;
      });
    });
    if (!this.footer) {
      this.foot.remove();
      return;
    }
    const footer = this.footer;
    if (this.foot.rows.length === 0 || this.foot.rows[0].cells.length !== footer.length) {
      this.foot.replaceChildren(
        el(
          'tr',
          { class: 'totals' },
          ...footer.map((_, i) =>
            el(i === 0 ? 'th' : 'td', { class: this.columns[i]?.numeric ? 'num' : undefined, scope: i === 0 ? 'row' : undefined }),
          ),
        ),
      );
    }
    footer.forEach((t, i) => setText(this.foot.rows[0].cells[i], t));
    if (!this.foot.isConnected) this.table.append(this.foot);
  }
}
