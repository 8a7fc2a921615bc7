import {
  DEFAULT_FILTER,
  WORKSPACE_PROJECT,
  type DashboardData,
  type DashboardFilter,
  type QuickRange,
  type RangePreset,
  type ViewData,
} from '../../src/protocol';
import { el } from '../dom';
import { sourceLabel } from '../format';
import { customRangeError, withField, withRange, type FilterField } from '../state';

/** The web component select's surface this page uses. */
type Select = HTMLElement & { value: string };

const QUICK: { value: QuickRange; label: string }[] = [
  { value: 'hour', label: 'Hour' },
  { value: 'day', label: 'Day' },
  { value: 'week', label: 'Week' },
  { value: 'month', label: 'Month' },
];
export const PRESETS: { value: RangePreset | 'custom'; label: string }[] = [
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
  const key = JSON.stringify(options);
  const changed = s.dataset.options !== key;
  if (changed) {
    s.replaceChildren(...options.map((o) => el('vscode-option', { value: o.value, description: undefined }, o.label)));
    s.dataset.options = key;
  }
  if (changed || s.value !== value) s.value = value;
}

const rangeValue = (f: DashboardFilter) => (f.range.kind === 'preset' ? f.range.preset : f.range.kind === 'custom' ? 'custom' : '');

/** The panel's filter bar: quick ranges, presets, a custom range, and one select per dimension. */
export function createFilters(current: () => DashboardFilter, query: (f: DashboardFilter) => void) {
  const quickButtons = QUICK.map((q) => {
    const b = el('vscode-button', { secondary: '', 'data-quick': q.value, 'aria-pressed': 'false' }, q.label);
    b.addEventListener('click', () => query(withRange(current(), { kind: 'quick', quick: q.value })));
    return b;
  });
  const preset = select('filter-range', 'Date range');
  const fromField = el('vscode-textfield', { id: 'filter-from', type: 'date', 'aria-label': 'From', label: 'From' }) as Select;
  const untilField = el('vscode-textfield', { id: 'filter-until', type: 'date', 'aria-label': 'Until', label: 'Until' }) as Select;
  const applyCustom = el('vscode-button', { id: 'filter-apply', secondary: '' }, 'Apply');
  const customBox = el(
    'span',
    { class: 'custom-range', hidden: '' },
    el('span', { class: 'filter-label' }, 'From'),
    fromField,
    el('span', { class: 'filter-label' }, 'Until'),
    untilField,
    applyCustom,
  );
  const rangeError = el('span', { class: 'range-error', role: 'alert' });
  const fields: Record<FilterField, { wrap: HTMLElement; select: Select }> = {
    source: select('filter-source', 'Source'),
    provider: select('filter-provider', 'Provider'),
    model: select('filter-model', 'Model'),
    project: select('filter-project', 'Project'),
    agent: select('filter-agent', 'Agent'),
  };
  const clearAll = el('vscode-button', { id: 'filter-clear', secondary: '', title: 'Show everything of the last 30 days' }, 'Clear all');

  preset.select.addEventListener('change', () => {
    const v = preset.select.value as RangePreset | 'custom';
    if (v === 'custom') {
      customBox.hidden = false;
      return;
    }
    customBox.hidden = true;
    query(withRange(current(), { kind: 'preset', preset: v }));
  });
  applyCustom.addEventListener('click', () => {
    const from = fromField.value;
    const until = untilField.value;
    const error = customRangeError(from, until);
    rangeError.textContent = error ?? '';
    if (!error) query(withRange(current(), { kind: 'custom', from, until }));
  });
  for (const [field, f] of Object.entries(fields) as [FilterField, { select: Select }][]) {
    f.select.addEventListener('change', () => query(withField(current(), field, f.select.value)));
  }
  clearAll.addEventListener('click', () => {
    customBox.hidden = true;
    query(DEFAULT_FILTER);
  });

  const element = el(
    'div',
    { class: 'filters', role: 'toolbar', 'aria-label': 'Filters' },
    el('span', { class: 'quick', role: 'group', 'aria-label': 'Timeframe' }, ...quickButtons),
    preset.wrap,
    customBox,
    rangeError,
    ...Object.values(fields).map((f) => f.wrap),
    clearAll,
  );

  function render(d: DashboardData): void {
    const f = d.filter;
    for (const b of quickButtons) {
      const on = f.range.kind === 'quick' && f.range.quick === b.dataset.quick;
      b.setAttribute('aria-pressed', String(on));
      if (on) b.removeAttribute('secondary');
      else b.setAttribute('secondary', '');
    }
    setOptions(preset.select, [...(f.range.kind === 'quick' ? [{ value: '', label: d.range.label }] : []), ...PRESETS], rangeValue(f));
    if (f.range.kind === 'custom') {
      customBox.hidden = false;
      fromField.value = f.range.from;
      untilField.value = f.range.until;
    }
    const o = d.options;
    setOptions(
      fields.source.select,
      [{ value: '', label: 'All sources' }, ...o.sources.map((s) => ({ value: s, label: sourceLabel(s) }))],
      f.source ?? '',
    );
    setOptions(
      fields.provider.select,
      [{ value: '', label: 'All providers' }, ...o.providers.map((p) => ({ value: p, label: p }))],
      f.provider ?? '',
    );
    const models = o.models.filter((m) => !f.provider || m.provider === f.provider);
    setOptions(
      fields.model.select,
      [
        { value: '', label: f.provider ? `All ${f.provider} models` : 'All models' },
        ...models.map((m) => ({ value: m.model, label: m.model })),
      ],
      f.model ?? '',
    );
    setOptions(
      fields.project.select,
      [
        { value: '', label: 'All projects' },
        ...(o.hasWorkspace ? [{ value: WORKSPACE_PROJECT, label: 'This workspace' }] : []),
        ...o.projects.map((p) => ({ value: p, label: p })),
      ],
      f.project ?? '',
    );
    setOptions(
      fields.agent.select,
      [{ value: '', label: 'All agents' }, ...o.agents.map((a) => ({ value: a, label: sourceLabel(a) }))],
      f.agent ?? '',
    );
  }

  return {
    element,
    render,
    /** Host errors show beside the range (the filter bar is where a query starts). */
    showError: (message: string) => {
      rangeError.textContent = message;
    },
  };
}

/** The sidebar's one filter: the date range preset. */
export function createSidebarRange(query: (f: DashboardFilter) => void) {
  const range = select('sidebar-range', 'Range');
  range.select.addEventListener('change', () => query({ range: { kind: 'preset', preset: range.select.value as RangePreset } }));
  return {
    element: range.wrap,
    render: (d: ViewData) =>
      setOptions(
        range.select,
        PRESETS.filter((p) => p.value !== 'custom'),
        rangeValue(d.filter),
      ),
  };
}
