/**
 * Plan limits: the 5-hour and weekly windows as the agents themselves report them (Claude Code's
 * status-line JSON, Codex CLI's `rate_limits` in token_count events), and the one definition of
 * pace used by the status bar, the dashboard, the CLI, the API and the alerts.
 *
 * This module is on the `token-cost statusline` path, which runs after every Claude Code reply:
 * it imports only node built-ins, never the store or sql.js.
 */

export type LimitSource = 'claude' | 'codex';

/** One window as reported at one instant. */
export interface LimitWindow {
  /** Length of the window: 300 (5 hours) or 10080 (7 days) as the agents report them today. */
  minutes: number;
  /** 0 to 100 (a report above 100 is kept as reported). */
  usedPct: number;
  /** When the window resets, epoch ms. */
  resetsAt: number;
}

export interface LimitSnapshot {
  source: LimitSource;
  /** When the figures were reported, epoch ms. */
  at: number;
  windows: LimitWindow[];
  planType?: string;
  /** The Claude Code session (status line) or Codex rollout the figures came with. */
  sessionId?: string;
  /** The session's cost so far as the agent estimates it (Claude Code's `cost.total_cost_usd`). */
  sessionCost?: number;
}

export const FIVE_HOURS = 300;
export const SEVEN_DAYS = 10080;

/** `5h`, `7d`, or the minutes for a window length no agent reports today. */
export function windowLabel(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}m`;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * An instant as the agents write it: epoch seconds (both agents today), epoch ms, or an ISO
 * string. Undefined when it is none of these.
 */
export function epochMs(v: unknown): number | undefined {
  if (finite(v) && v > 0) return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  if (typeof v === 'string' && v.trim()) {
    if (/^\d+(\.\d+)?$/.test(v.trim())) return epochMs(Number(v));
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

function windowOf(v: unknown, minutes: number, pctKey: string): LimitWindow | undefined {
  if (!v || typeof v !== 'object') return undefined;
  const w = v as Record<string, unknown>;
  const used = w[pctKey];
  const resetsAt = epochMs(w.resets_at);
  const len = finite(w.window_minutes) && w.window_minutes > 0 ? w.window_minutes : minutes;
  if (!finite(used) || used < 0 || resetsAt === undefined) return undefined;
  return { minutes: len, usedPct: used, resetsAt };
}

// ------------------------------------------------------------------ Claude Code status line

/** What one status-line JSON says, for the line we print and the snapshot we keep. */
export interface StatusLineInput {
  sessionId?: string;
  sessionCost?: number;
  model?: string;
  version?: string;
  /** Present only when Claude Code reported at least one window (Pro/Max, after the first reply). */
  snapshot?: LimitSnapshot;
}

/**
 * Reads the JSON Claude Code pipes to its status-line command. `rate_limits` is absent for
 * API-key users, before a session's first reply and in versions before 2.1.80, and each window
 * may be missing on its own: all of these give no or fewer windows, never an error. Only text
 * that is not a JSON object is an error, and its message says so.
 */
export function parseStatusLine(text: string, now = Date.now()): StatusLineInput {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new Error(`the status-line input on stdin is not JSON (${(err as Error).message}); Claude Code pipes one JSON object per run`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new Error('the status-line input on stdin is not a JSON object');
  const o = obj as Record<string, unknown>;
  const cost = o.cost as Record<string, unknown> | undefined;
  const model = o.model as Record<string, unknown> | string | undefined;
  const out: StatusLineInput = {};
  if (typeof o.session_id === 'string' && o.session_id) out.sessionId = o.session_id;
  if (cost && typeof cost === 'object' && finite(cost.total_cost_usd) && cost.total_cost_usd >= 0) out.sessionCost = cost.total_cost_usd;
  if (typeof model === 'string') out.model = model;
  else if (model && typeof model === 'object') {
    const name = model.display_name ?? model.id;
    if (typeof name === 'string') out.model = name;
  }
  if (typeof o.version === 'string') out.version = o.version;
  const rl = o.rate_limits as Record<string, unknown> | undefined;
  if (rl && typeof rl === 'object') {
    const windows = [windowOf(rl.five_hour, FIVE_HOURS, 'used_percentage'), windowOf(rl.seven_day, SEVEN_DAYS, 'used_percentage')].filter(
      (w): w is LimitWindow => w !== undefined,
    );
    if (windows.length) {
      out.snapshot = {
        source: 'claude',
        at: now,
        windows,
        ...(out.sessionId ? { sessionId: out.sessionId } : {}),
        ...(out.sessionCost !== undefined ? { sessionCost: out.sessionCost } : {}),
      };
    }
  }
  return out;
}

// ------------------------------------------------------------------ Codex CLI rate_limits

/**
 * The limits in one Codex rollout line: an `event_msg` token_count event with `rate_limits`
 * (`primary`: the 300-minute window, `secondary`: the 10080-minute one). Events with
 * `info: null` carry only limits and count too.
 */
export function codexRateLimits(line: unknown, sessionId?: string): LimitSnapshot | undefined {
  if (!line || typeof line !== 'object') return undefined;
  const l = line as Record<string, unknown>;
  const p = l.payload as Record<string, unknown> | undefined;
  if (l.type !== 'event_msg' || !p || typeof p !== 'object' || p.type !== 'token_count') return undefined;
  const rl = p.rate_limits as Record<string, unknown> | undefined;
  if (!rl || typeof rl !== 'object') return undefined;
  const at = epochMs(l.timestamp);
  if (at === undefined) return undefined;
  const windows = [windowOf(rl.primary, FIVE_HOURS, 'used_percent'), windowOf(rl.secondary, SEVEN_DAYS, 'used_percent')].filter(
    (w): w is LimitWindow => w !== undefined,
  );
  if (!windows.length) return undefined;
  return {
    source: 'codex',
    at,
    windows,
    ...(typeof rl.plan_type === 'string' && rl.plan_type ? { planType: rl.plan_type } : {}),
    ...(sessionId ? { sessionId } : {}),
  };
}

/** The newest limits in a rollout's text (its last token_count event that has them). */
export function newestCodexLimits(text: string, sessionId?: string): LimitSnapshot | undefined {
  let end = text.length;
  while (end > 0) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end);
    end = start - 1;
    if (!line.includes('"rate_limits"') || !line.includes('"token_count"')) continue;
    try {
      const snap = codexRateLimits(JSON.parse(line), sessionId);
      if (snap) return snap;
    } catch {
      /* a torn or foreign line: look further back */
    }
  }
  return undefined;
}

// ------------------------------------------------------------------ pace

/** A window at `now`, from the newest snapshot that reported it. */
export interface WindowPace {
  source: LimitSource;
  minutes: number;
  label: string;
  /**
   * `current`: the reading is of the window running now. `reset`: the window the reading was of
   * has reset since and nothing newer was reported, so today's use is unknown (0 % at least).
   */
  state: 'current' | 'reset';
  /** As last reported (of the window that was running then). */
  usedPct: number;
  resetsAt: number;
  windowStart: number;
  reportedAt: number;
  /**
   * At the rate so far in this window (used % over the time since the window started), the use
   * the window would reach at its reset. Undefined when it is too early to tell (less than
   * `minElapsedMs` into the window) or the window has reset.
   */
  projectedPctAtReset?: number;
  /** When the window would reach 100 % at that rate, if before the reset; the reading's time if already there. */
  limitAt?: number;
  planType?: string;
}

/** Pace needs this much of a window behind it: 15 minutes, or 2 % of a longer window. */
export function minElapsedMs(minutes: number): number {
  return Math.max(15 * 60_000, minutes * 60_000 * 0.02);
}

/**
 * The one definition of pace. The rate is the window's use so far over the time since it
 * started (its reset minus its length): one reading suffices, and a window never inherits the
 * rate of the window before it, so a reset starts a fresh pace. Both figures are as of the
 * reading: without a newer one nothing is known about use since.
 */
export function windowPace(snap: LimitSnapshot, w: LimitWindow, now: number): WindowPace {
  const len = w.minutes * 60_000;
  const windowStart = w.resetsAt - len;
  const base: WindowPace = {
    source: snap.source,
    minutes: w.minutes,
    label: windowLabel(w.minutes),
    state: now >= w.resetsAt ? 'reset' : 'current',
    usedPct: w.usedPct,
    resetsAt: w.resetsAt,
    windowStart,
    reportedAt: snap.at,
    ...(snap.planType ? { planType: snap.planType } : {}),
  };
  if (base.state === 'reset') return base;
  if (w.usedPct >= 100) return { ...base, projectedPctAtReset: w.usedPct, limitAt: Math.min(snap.at, now) };
  const elapsed = snap.at - windowStart;
  if (elapsed < minElapsedMs(w.minutes) || elapsed > len) return base;
  const projected = (w.usedPct * len) / elapsed;
  const out: WindowPace = { ...base, projectedPctAtReset: Math.round(projected * 10) / 10 };
  if (w.usedPct > 0) {
    const full = windowStart + (elapsed * 100) / w.usedPct;
    if (full < w.resetsAt) out.limitAt = Math.round(full);
  }
  return out;
}

/** A window's readings over time: used % at each reading, and where it reset. */
export interface WindowHistory {
  source: LimitSource;
  minutes: number;
  label: string;
  points: Array<{ at: number; usedPct: number }>;
  /** Reset instants between the first and the last reading (and the next one, if known). */
  resets: number[];
}

export interface LimitsReport {
  generatedAt: number;
  /** False when no agent reported a plan limit: API-key users, old versions. */
  reported: boolean;
  windows: WindowPace[];
  history: WindowHistory[];
  /** The window closest to its limit now (highest used % among current ones). */
  nearest?: WindowPace;
}

/**
 * Every figure the product shows about limits, from the snapshots (any order). The newest
 * reading per (agent, window length) is the current one.
 */
export function limitsReport(snapshots: readonly LimitSnapshot[], now = Date.now(), historySinceMs = 8 * 86_400_000): LimitsReport {
  const sorted = [...snapshots].sort((a, b) => a.at - b.at);
  const newest = new Map<string, { snap: LimitSnapshot; w: LimitWindow }>();
  const history = new Map<string, WindowHistory>();
  for (const snap of sorted) {
    for (const w of snap.windows) {
      const key = `${snap.source}:${w.minutes}`;
      newest.set(key, { snap, w });
      if (snap.at < now - historySinceMs) continue;
      let h = history.get(key);
      if (!h) history.set(key, (h = { source: snap.source, minutes: w.minutes, label: windowLabel(w.minutes), points: [], resets: [] }));
      h.points.push({ at: snap.at, usedPct: w.usedPct });
      if (!h.resets.includes(w.resetsAt)) h.resets.push(w.resetsAt);
    }
  }
  const windows = [...newest.values()]
    .map(({ snap, w }) => windowPace(snap, w, now))
    .sort((a, b) => a.source.localeCompare(b.source) || a.minutes - b.minutes);
  for (const h of history.values()) {
    // A reset is worth marking only where it falls inside the chart or just after it.
    const first = h.points[0]?.at ?? now;
    h.resets = h.resets.filter((r) => r >= first).sort((a, b) => a - b);
  }
  const current = windows.filter((w) => w.state === 'current');
  const nearest = current.length ? current.reduce((a, b) => (b.usedPct > a.usedPct ? b : a)) : undefined;
  return { generatedAt: now, reported: windows.length > 0, windows, history: [...history.values()], ...(nearest ? { nearest } : {}) };
}

/** `2h 05m`, `3d 4h`, `12m`: time until an instant. */
export function untilText(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * `5h 42% · 7d 18%` for the current windows of one agent (the one with the nearest limit),
 * with each reset after it when `withReset`; `undefined` when none is current.
 */
export function limitsShort(r: LimitsReport, now: number, opts: { withReset?: boolean; space?: boolean } = {}): string | undefined {
  const source = r.nearest?.source;
  if (!source) return undefined;
  const pct = opts.space ? ' %' : '%';
  return r.windows
    .filter((w) => w.source === source && w.state === 'current')
    .map((w) => `${w.label} ${Math.round(w.usedPct)}${pct}${opts.withReset ? ` (${untilText(w.resetsAt - now)})` : ''}`)
    .join(' · ');
}

/** A pace notification that is due; `key` names it once per window and threshold. */
export interface DueLimitAlert {
  key: string;
  text: string;
  severe: boolean;
}

const AGENT_NAMES: Record<LimitSource, string> = { claude: 'Claude Code', codex: 'Codex' };

/**
 * The notifications the limits call for: a window at 100 %, or one whose projected use at reset
 * reaches `alertAt` %. Keyed by agent, window length, the window's reset and the threshold, so
 * each fires once per window whatever the number of windows (editors) and restarts.
 */
export function dueLimitAlerts(r: LimitsReport, alertAt: number, formatTime: (ms: number) => string): DueLimitAlert[] {
  const due: DueLimitAlert[] = [];
  for (const w of r.windows) {
    if (w.state !== 'current') continue;
    const who = `${AGENT_NAMES[w.source]} ${w.label} limit`;
    const key = `limit:${w.source}:${w.minutes}:${w.resetsAt}`;
    if (w.usedPct >= 100) {
      due.push({
        key: `${key}:100`,
        severe: true,
        text: `Token Cost: ${who} reached (${Math.round(w.usedPct)} %); it resets ${formatTime(w.resetsAt)}.`,
      });
    } else if (alertAt > 0 && w.projectedPctAtReset !== undefined && w.projectedPctAtReset >= alertAt) {
      const when = w.limitAt !== undefined ? `, full ${formatTime(w.limitAt)}` : '';
      due.push({
        key: `${key}:pace${alertAt}`,
        severe: false,
        text: `Token Cost: ${who} at ${Math.round(w.usedPct)} %; at this pace ${Math.round(w.projectedPctAtReset)} % by its reset ${formatTime(w.resetsAt)}${when}.`,
      });
    }
  }
  return due;
}
