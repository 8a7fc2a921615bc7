/**
 * The dashboard's Team tab: what `token-cost push` wrote to a team's Prometheus, read back with
 * PromQL for the selected range. Every figure is computed here (the host); the webview draws it.
 */
export interface TeamRow {
  name: string;
  cost: number;
  tokens: number;
  requests: number;
}

export type TeamDimension = 'user' | 'machine' | 'model' | 'project';
export const TEAM_DIMENSIONS: readonly TeamDimension[] = ['user', 'machine', 'model', 'project'];

export interface TeamData {
  prometheusUrl: string;
  /** The same KPIs as the personal view: cost, tokens and requests, and who and where. */
  kpis: { cost: number; tokens: number; requests: number; users: number; machines: number };
  /** Most expensive first. */
  by: Record<TeamDimension, TeamRow[]>;
  /** How the range was read: all-time totals, or increase() over the range. */
  method: 'totals' | 'increase';
  error?: string;
}

const METRICS = { cost: 'token_cost_cost_usd_total', tokens: 'token_cost_tokens_total', requests: 'token_cost_requests_total' } as const;

/**
 * The PromQL for one figure by one label. All time is the counters themselves (every push sends
 * all-time totals); a range is increase() over it, evaluated at its end: Prometheus extrapolates
 * to the range's edges, and counts only what grew after a machine's first push.
 */
export function teamQuery(metric: keyof typeof METRICS, by: TeamDimension, rangeSeconds: number | null): string {
  const series = METRICS[metric];
  return rangeSeconds === null ? `sum by (${by}) (${series})` : `sum by (${by}) (increase(${series}[${rangeSeconds}s]))`;
}

interface PromVector {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

async function instant(base: string, q: string, at: number): Promise<Map<string, number>> {
  const url = `${base.replace(/\/+$/, '')}/api/v1/query?query=${encodeURIComponent(q)}&time=${(at / 1000).toFixed(3)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    throw new Error(`Prometheus at ${base} did not answer (${cause ? cause.message : (err as Error).message})`);
  }
  const body = (await res.json().catch(() => ({ status: 'error', error: `HTTP ${res.status}, not JSON` }))) as PromVector;
  if (body.status !== 'success' || !body.data)
    throw new Error(`Prometheus at ${base} refused the query: ${body.error ?? `HTTP ${res.status}`}`);
  const out = new Map<string, number>();
  for (const r of body.data.result) {
    const key = Object.values(r.metric)[0] ?? '';
    const v = Number(r.value[1]);
    if (Number.isFinite(v)) out.set(key, (out.get(key) ?? 0) + v);
  }
  return out;
}

/** Reads the team's figures for [start, end] (start null: all time). Never throws: a failure is `error`. */
export async function teamView(
  prometheusUrl: string,
  range: { start: number | null; end: number | null },
  now = Date.now(),
): Promise<TeamData> {
  const end = Math.min(range.end ?? now, now);
  const seconds = range.start === null ? null : Math.max(60, Math.round((end - range.start) / 1000));
  const empty: TeamData = {
    prometheusUrl,
    method: seconds === null ? 'totals' : 'increase',
    kpis: { cost: 0, tokens: 0, requests: 0, users: 0, machines: 0 },
    by: { user: [], machine: [], model: [], project: [] },
  };
  try {
    const by = {} as Record<TeamDimension, TeamRow[]>;
    await Promise.all(
      TEAM_DIMENSIONS.map(async (dim) => {
        const [cost, tokens, requests] = await Promise.all(
          (['cost', 'tokens', 'requests'] as const).map((m) => instant(prometheusUrl, teamQuery(m, dim, seconds), end)),
        );
        const names = new Set([...cost.keys(), ...tokens.keys(), ...requests.keys()]);
        by[dim] = [...names]
          .map((name) => ({ name, cost: cost.get(name) ?? 0, tokens: tokens.get(name) ?? 0, requests: requests.get(name) ?? 0 }))
          .filter((r) => r.requests > 0 || r.tokens > 0 || r.cost > 0)
          .sort((a, b) => b.cost - a.cost || b.tokens - a.tokens || a.name.localeCompare(b.name));
      }),
    );
    const sum = (k: 'cost' | 'tokens' | 'requests') => by.user.reduce((s, r) => s + r[k], 0);
    return {
      ...empty,
      by,
      kpis: { cost: sum('cost'), tokens: sum('tokens'), requests: sum('requests'), users: by.user.length, machines: by.machine.length },
    };
  } catch (err) {
    return { ...empty, error: (err as Error).message };
  }
}
