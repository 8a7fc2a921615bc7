/**
 * The page's state: the filter it shows (kept across reloads by VS Code's webview state) and the
 * figures it last drew. Filter changes are pure functions of the filter, so they are unit-tested
 * in Node (test/unit/webviewState.test.ts).
 */
import { DEFAULT_FILTER, isDashboardFilter, type DashboardFilter, type RangeChoice, type ViewData } from '../src/protocol';

/** The filter a page saved, when it is still one the host accepts; else the default. */
export function savedFilter(saved: unknown): DashboardFilter {
  const f = (saved as { filter?: unknown } | undefined)?.filter;
  return isDashboardFilter(f) ? f : DEFAULT_FILTER;
}

export type FilterField = 'source' | 'provider' | 'model' | 'project' | 'agent';

/** The filter with one field chosen ('' = all). A provider narrows the model list, so a model chosen before no longer applies. */
export function withField(f: DashboardFilter, field: FilterField, value: string): DashboardFilter {
  const v = value === '' ? undefined : value;
  return field === 'provider' ? { ...f, provider: v, model: undefined } : { ...f, [field]: v };
}

export function withRange(f: DashboardFilter, range: RangeChoice): DashboardFilter {
  return { ...f, range };
}

/** Why a custom range cannot be applied; undefined when it can. */
export function customRangeError(from: string, until: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(from) || !/^\d{4}-\d{2}-\d{2}$/.test(until)) return 'Choose both dates.';
  if (until < from) return 'Until is before From.';
  return undefined;
}

/** What one page holds: its filter and the figures it last drew (tables read the zone from them). */
export class PageState {
  data: ViewData | undefined;

  constructor(
    public filter: DashboardFilter,
    private readonly save: (state: { filter: DashboardFilter }) => void,
  ) {}

  setFilter(filter: DashboardFilter): void {
    this.filter = filter;
    this.save({ filter });
  }

  /** The zone the host counts days in; UTC until the first figures arrive. */
  get timeZone(): string {
    return this.data?.timeZone ?? 'UTC';
  }
}
