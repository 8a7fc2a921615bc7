import { card, el } from './dom';

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
 * (ordering only: every figure is the host's).
 */
export class SortableTable<T> {
  readonly section: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly note: HTMLElement;
  private rows: T[] = [];
  private footer: string[] | undefined;
  private sortBy = -1;
  private descending = true;

  constructor(readonly id: string, title: string, private readonly columns: Column<T>[], emptyText: string) {
    this.table = el('table', { class: 'data-table sortable', id: `${id}-table` });
    this.note = el('p', { class: 'table-empty', hidden: '' }, emptyText);
    this.section = card(id, title, el('div', { class: 'table-scroll' }, this.table), this.note).section;
  }

  update(rows: T[], footer?: string[]): void {
    this.rows = rows;
    this.footer = footer;
    this.render();
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
    const head = el(
      'tr',
      {},
      ...this.columns.map((c, i) => {
        const button = el('button', { type: 'button', class: 'sort' }, c.label);
        button.addEventListener('click', () => {
          this.descending = this.sortBy === i ? !this.descending : c.numeric === true;
          this.sortBy = i;
          this.render();
        });
        const sort = this.sortBy === i ? (this.descending ? 'descending' : 'ascending') : 'none';
        return el('th', { scope: 'col', class: c.numeric ? 'num' : undefined, 'aria-sort': sort }, button);
      }),
    );
    const body = this.sorted().map((r) =>
      el(
        'tr',
        {},
        ...this.columns.map((c) => el('td', { class: [c.numeric ? 'num' : '', c.className ?? ''].join(' ').trim() || undefined, title: c.title?.(r) }, c.text(r))),
      ),
    );
    const foot = this.footer ? el('tfoot', {}, el('tr', { class: 'totals' }, ...this.footer.map((t, i) => el(i === 0 ? 'th' : 'td', { class: this.columns[i]?.numeric ? 'num' : undefined, scope: i === 0 ? 'row' : undefined }, t)))) : null;
    this.table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...body), ...(foot ? [foot] : []));
  }
}
