/**
 * Messages between the extension host and the dashboard webviews. Imported by both bundles, so
 * it holds types only. The host computes every number; the webview only formats and draws.
 */

export type ViewKind = 'panel' | 'sidebar';

export interface KpiSnapshot {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  cost: number;
  requests: number;
  /** Days spanned by the data shown, for the "~N per day" line. */
  days: number;
}

export interface DailyPoint {
  date: string;
  cost: number;
  totalTokens: number;
}

export interface DashboardSnapshot {
  /** When the host computed this, epoch ms. */
  generatedAt: number;
  /** The local day the host considers "today" (YYYY-MM-DD). */
  today: string;
  timeZone: string;
  todayKpis: KpiSnapshot;
  kpis: KpiSnapshot;
  daily: DailyPoint[];
  unpricedModels: string[];
  /** False until the first scan has finished. */
  scanned: boolean;
  /** Total records stored, across all time. */
  recordCount: number;
  /**
   * Whether this window writes the usage database or follows the one that does (every VS Code
   * window runs its own extension host; exactly one writes).
   */
  storageRole: 'writer' | 'reader' | 'memory';
}

export type HostMessage =
  | { type: 'snapshot'; snapshot: DashboardSnapshot; requestId?: number }
  | { type: 'busy'; busy: boolean };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'refresh'; requestId: number }
  | { type: 'export'; format: 'csv' };
