import type { LimitsReport } from './core/limits';
/**
 * Messages between the extension host and the dashboard webviews. Imported by both bundles, so
 * it holds types, constants and the guards the host applies to what a page sends. The host
 * computes every number; the webview only formats and draws what it receives.
 */

import type { TeamData } from './core/teamView';

export type { TeamData, TeamRow } from './core/teamView';

export type ViewKind = 'panel' | 'sidebar';

/** The quick timeframes (as the reference dashboards' Hour / Day / Week / Month). */
export type QuickRange = 'hour' | 'day' | 'week' | 'month';
export type RangePreset = 'today' | 'yesterday' | 'last7' | 'last30' | 'thisMonth' | 'lastMonth' | 'all';

export type RangeChoice =
  | { kind: 'quick'; quick: QuickRange }
  | { kind: 'preset'; preset: RangePreset }
  /** Inclusive local days, YYYY-MM-DD. */
  | { kind: 'custom'; from: string; until: string };

/** Marks the "This workspace" project choice: the open workspace folders and everything under them. */
export const WORKSPACE_PROJECT = '\u0000workspace';

/** One filter state drives every part of the page; the webview keeps it across reloads. */
export interface DashboardFilter {
  range: RangeChoice;
  source?: string;
  provider?: string;
  model?: string;
  project?: string;
  agent?: string;
}

export const DEFAULT_FILTER: DashboardFilter = { range: { kind: 'preset', preset: 'last30' } };

const QUICK_RANGES: readonly string[] = ['hour', 'day', 'week', 'month'];
const RANGE_PRESETS: readonly string[] = ['today', 'yesterday', 'last7', 'last30', 'thisMonth', 'lastMonth', 'all'];
const DAY = /^(19[7-9]\d|20\d\d|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** A page's filter as the host accepts it: known ranges, days from 1970 to 2100, string fields. */
export function isDashboardFilter(x: unknown): x is DashboardFilter {
  if (typeof x !== 'object' || x === null) return false;
  const f = x as Record<string, unknown>;
  const r = f.range as Record<string, unknown> | null | undefined;
  if (typeof r !== 'object' || r === null) return false;
  const rangeOk =
    (r.kind === 'quick' && QUICK_RANGES.includes(r.quick as string)) ||
    (r.kind === 'preset' && RANGE_PRESETS.includes(r.preset as string)) ||
    (r.kind === 'custom' &&
      typeof r.from === 'string' &&
      typeof r.until === 'string' &&
      DAY.test(r.from) &&
      DAY.test(r.until) &&
      r.from <= r.until);
  const text = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= 4096);
  return rangeOk && text(f.source) && text(f.provider) && text(f.model) && text(f.project) && text(f.agent);
}

/** Token, cost and request sums: what every figure of the page is made of. */
export interface TokenSums {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  cost: number;
  requests: number;
}

export interface KpiSnapshot extends TokenSums {
  /** Calendar days the range spans (for "~N per day"). */
  days: number;
  avgTokensPerRequest: number;
  avgCostPerRequest: number;
  /** Models in the range without a price: their cost counts as $0. */
  unpricedModels: string[];
  /** The range's cost under the other cost rules (what the API would bill, or ccusage's figure). */
  otherRulesCost?: number;
}

/** The chart step: `twoMinutes` for an hour (seed 000 draws 2-minute intervals), then hours, days, weeks, months. */
export type Bucket = 'twoMinutes' | 'hour' | 'day' | 'week' | 'month';

/** One point of the time charts: a bucket of the range. */
export interface TrendPoint extends TokenSums {
  /** Bucket start, epoch ms, and its label in the chosen zone. */
  start: number;
  label: string;
  /** Cost per source in this bucket, keyed by source name. */
  costBySource: Record<string, number>;
}

export interface ModelRow extends TokenSums {
  /** The exact id (tables, tooltips, filters). */
  model: string;
  /** The short name cards and charts show (modelName.ts). */
  displayName: string;
  provider: string;
  avgCostPerRequest: number;
  avgTokensPerRequest: number;
  /** USD per 1,000 tokens; null when the model has no tokens. */
  costPer1k: number | null;
  /** Share of the range's cost, 0..100. */
  costShare: number;
  unpriced: boolean;
}

export interface ShareSlice {
  /** A model's display name, or "Other". */
  label: string;
  /** The exact model id; absent for "Other". */
  model?: string;
  cost: number;
  share: number;
}

/** What the session and task tables show of a group of requests. */
export interface ActivityRow {
  project: string;
  agent: string;
  source: string;
  cost: number;
  totalTokens: number;
  requests: number;
  lastActivity: number;
}

export interface SessionRow extends ActivityRow {
  session: string;
  firstActivity: number;
  /** Activity within the last 30 minutes. */
  active: boolean;
}

export interface ProjectRow {
  project: string;
  cost: number;
  totalTokens: number;
  requests: number;
  sessions: number;
  lastActivity: number;
}

export interface TaskRow extends ActivityRow {
  task: string;
}

/** One agent (a transcript source, or a heartbeat agent by its id) and what a dollar bought of it. */
export interface AgentRow {
  agent: string;
  source: string;
  cost: number;
  totalTokens: number;
  requests: number;
  /** Distinct tasks: a session with its project (a conversation, a manual log's task, a heartbeat agent's project). */
  tasks: number;
  /** Requests and tasks per USD; null when the agent cost nothing. */
  requestsPerDollar: number | null;
  tasksPerDollar: number | null;
  lastActivity: number;
}

export interface RecentRow {
  timestamp: number;
  source: string;
  agent: string;
  model: string;
  project: string;
  session: string;
  totalTokens: number;
  cost: number;
}

export interface Insights {
  mostEfficientModel?: { model: string; displayName: string; costPer1k: number };
  mostUsedModel?: { model: string; displayName: string; totalTokens: number; requests: number };
  /** What the range would have cost on the most efficient model. */
  optimization?: { model: string; displayName: string; wouldCost: number; saving: number; savingPct: number };
  /** Over the burn window (the last 15 minutes), whatever the range. */
  burn: { tokensPerMinute: number; costPerHour: number; windowMinutes: number };
  activeSessions: number;
  /** This calendar month so far and at this pace by its end. */
  month: { month: string; cost: number; projected: number; budget?: number };
  days: { today: number; yesterday: number; sameDayLastWeek: number; todayVsYesterdayPct: number | null };
  /** Percent of each budget that today and this month used (null: no such budget). */
  budgetUsedPct: { daily: number | null; monthly: number | null };
  /** The current 5-hour billing block, when one is running. */
  block?: { start: number; end: number; cost: number; totalTokens: number; projectedCost: number; minutesLeft: number };
}

export interface Alert {
  id: string;
  severity: 'info' | 'warning' | 'error';
  title: string;
  detail: string;
  /** A command the alert's button runs, with its label. */
  action?: { label: string; command: 'openPricingSettings' | 'setBudget' | 'openSettings' };
}

export interface FilterOptions {
  sources: string[];
  providers: string[];
  models: { model: string; provider: string }[];
  projects: string[];
  agents: string[];
  /** True when a workspace folder is open (the "This workspace" choice). */
  hasWorkspace: boolean;
}

/** Everything one view draws for one filter, computed by the host. */
export interface DashboardData {
  /** When the host computed this, epoch ms. */
  generatedAt: number;
  /** Plan limits as the agents report them, with pace (src/core/limits.ts); absent from hosts that have none. */
  limits?: LimitsReport;
  /** The local day the host considers "today" (YYYY-MM-DD). */
  today: string;
  timeZone: string;
  filter: DashboardFilter;
  range: { start: number | null; end: number | null; label: string; bucket: Bucket };
  /** Whose rules `cost` follows: ccusage's, or what the provider's API would bill (tokenCost.costRules). */
  costRules: 'ccusage' | 'api';
  kpis: KpiSnapshot;
  todayKpis: KpiSnapshot;
  trend: TrendPoint[];
  /** Sources that appear in `trend` (the stacked-by-source series), by cost. */
  trendSources: string[];
  models: ModelRow[];
  costShare: ShareSlice[];
  sessions: SessionRow[];
  projects: ProjectRow[];
  tasks: TaskRow[];
  /** Every agent of the range, the most tasks per dollar first. */
  agents: AgentRow[];
  recent: RecentRow[];
  insights: Insights;
  alerts: Alert[];
  options: FilterOptions;
  /** Total records stored, across all time and filters. */
  recordCount: number;
  /** False until the first scan has finished. */
  scanned: boolean;
  /**
   * Whether this window writes the usage database or follows the one that does (every VS Code
   * window runs its own extension host; exactly one writes).
   */
  storageRole: 'writer' | 'reader' | 'memory';
  /** Where transcripts are read from and how agents report, for the "no usage yet" page. */
  gettingStarted: { transcriptRoots: string[]; heartbeatUrl?: string };
}

/** One model as the sidebar lists it: the short name, the exact id on hover, its cost. */
export type TopModel = Pick<ModelRow, 'model' | 'displayName' | 'cost'>;

/**
 * What the sidebar draws for one filter, and nothing more: the header, the KPI cards, the alerts
 * and the top models (src/core/sidebar.ts builds it from the same read layer as the dashboard, so
 * its figures equal the dashboard's for the same filter).
 */
export interface SidebarData extends Pick<
  DashboardData,
  | 'generatedAt'
  | 'today'
  | 'timeZone'
  | 'filter'
  | 'costRules'
  | 'kpis'
  | 'todayKpis'
  | 'alerts'
  | 'recordCount'
  | 'scanned'
  | 'storageRole'
  | 'gettingStarted'
> {
  range: Pick<DashboardData['range'], 'start' | 'end' | 'label'>;
  /** The five most expensive models of the range. */
  topModels: TopModel[];
}

/** What both views draw at the top of the page (header, KPI cards, alerts, empty states). */
export type ViewData = DashboardData | SidebarData;

export type HostMessage =
  | { type: 'data'; data: DashboardData; requestId?: number }
  /** The sidebar's answer (the sidebar never receives `data`). */
  | { type: 'sidebar'; data: SidebarData; requestId?: number }
  /** The Team tab's figures, sent after the data when tokenCost.team.prometheusUrl is set (panel only). */
  | { type: 'team'; team: TeamData }
  | { type: 'busy'; busy: boolean }
  | { type: 'error'; message: string; requestId?: number };

/** The page's requests that the host answers, by request id, with a reply (`data`, `sidebar` or `error`). */
export type WebviewRequest = Extract<WebviewMessage, { requestId: number }>;
/** The host's replies to a request (or pushes, without a request id, when the data changed). */
export type HostReply = Extract<HostMessage, { type: 'data' | 'sidebar' | 'error' }>;

export type WebviewMessage =
  /** The page loaded (or was shown again) with this filter; the host answers with `data` or `sidebar` and pushes fresh ones. */
  | { type: 'ready'; filter: DashboardFilter }
  | { type: 'query'; requestId: number; filter: DashboardFilter }
  | { type: 'refresh'; requestId: number }
  | { type: 'export'; format: 'csv' | 'json'; filter: DashboardFilter }
  | { type: 'command'; command: 'openDashboard' | 'openPricingSettings' | 'setBudget' | 'openSettings' };
