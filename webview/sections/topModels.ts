import type { SidebarData } from '../../src/protocol';
import { el } from '../dom';
import { formatMoney } from '../format';

/** The sidebar's five costliest models: the short name shown, the exact id and cost on hover. */
export function createTopModels() {
  const element = el('ol', { class: 'top-models', id: 'top-models' });
  function render(d: SidebarData): void {
    element.replaceChildren(
      ...d.topModels.map((m) =>
        el(
          'li',
          { title: `${m.model}: $${m.cost}` },
          el('span', { class: 'top-model' }, el('span', {}, m.displayName), el('span', { class: 'num' }, formatMoney(m.cost))),
        ),
      ),
    );
  }
  return { element, render };
}
