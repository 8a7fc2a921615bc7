import * as vscode from 'vscode';
import type { AgentId, AgentSettings } from '../core/ingest/agents';
import { AGENT_IDS } from '../core/ingest/registry';
import type { CostMode, CostRules, PriceOverride } from '../core/pricing/pricing';
import { systemTimeZone, validateTimeZone } from '../core/time';

/** Typed reads of `tokenCost.*`. Read on use, so changes apply without a reload. */
export class Settings {
  private get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('tokenCost');
  }

  get claudeConfigDirs(): string[] {
    return (this.config.get<string[]>('claudeConfigDirs') ?? []).filter((d) => typeof d === 'string' && d.trim() !== '');
  }

  /** `tokenCost.codexHome`, or undefined for `$CODEX_HOME` / `~/.codex`. */
  get codexHome(): string | undefined {
    const v = (this.config.get<string>('codexHome') ?? '').trim();
    return v === '' ? undefined : v;
  }

  /**
   * `tokenCost.agents`: per agent, `enabled: false` turns it off and `paths` replaces its folders.
   * Entries of the wrong shape are ignored (the agent is read as by default).
   */
  get agents(): Partial<Record<AgentId, AgentSettings>> {
    const raw = this.config.get<Record<string, unknown>>('agents') ?? {};
    const out: Partial<Record<AgentId, AgentSettings>> = {};
    for (const id of AGENT_IDS) {
      const v = raw[id] as Record<string, unknown> | undefined;
      if (!v || typeof v !== 'object') continue;
      const paths = Array.isArray(v.paths) ? v.paths.filter((p): p is string => typeof p === 'string' && p.trim() !== '') : [];
      out[id] = { ...(v.enabled === false ? { enabled: false } : {}), ...(paths.length ? { paths } : {}) };
    }
    return out;
  }

  /** Globs of transcripts to read inside a workspace folder (`tokenCost.workspaceTranscripts`, per folder). */
  workspaceTranscripts(folder: vscode.Uri): string[] {
    const raw = vscode.workspace.getConfiguration('tokenCost', folder).get<string[]>('workspaceTranscripts');
    return (Array.isArray(raw) ? raw : []).filter((g) => typeof g === 'string' && g.trim() !== '').map((g) => g.trim());
  }

  get pricing(): Record<string, PriceOverride> {
    const raw = this.config.get<Record<string, PriceOverride>>('pricing') ?? {};
    const valid: Record<string, PriceOverride> = {};
    for (const [model, p] of Object.entries(raw)) {
      // Any subset of the fields; each one given must be a price (or multiplier) of zero or more.
      const fields =
        p && typeof p === 'object'
          ? (['input', 'output', 'cacheWrite', 'cacheRead', 'fast'] as const).filter((k) => p[k] !== undefined)
          : [];
      if (fields.length > 0 && fields.every((k) => typeof p[k] === 'number' && Number.isFinite(p[k]) && p[k]! >= 0)) valid[model] = p;
    }
    return valid;
  }

  /** Budgets in USD; undefined when not set. */
  get budget(): { daily?: number; monthly?: number } {
    const pick = (key: string) => {
      const v = this.config.get<number | null>(key);
      return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
    };
    return { daily: pick('budget.daily'), monthly: pick('budget.monthly') };
  }

  /** Budget percentages to notify at, ascending (default 80 and 100). */
  get alertThresholds(): number[] {
    const raw = this.config.get<number[]>('alerts.thresholds') ?? [80, 100];
    const valid = raw.filter((n) => typeof n === 'number' && Number.isFinite(n) && n > 0 && n <= 1000);
    return [...new Set(valid.length ? valid : [80, 100])].sort((a, b) => a - b);
  }

  /** Projected use of a plan-limit window at its reset (percent) that notifies; 0 = only at 100 %. */
  get limitsAlertAt(): number {
    const v = this.config.get<number>('limits.alertAt') ?? 90;
    return Number.isFinite(v) && v > 0 ? v : 0;
  }

  /** USD for the selected period above which the dashboard alerts; 0 = off. */
  get costThreshold(): number {
    const v = this.config.get<number>('alerts.costThreshold') ?? 100;
    return Number.isFinite(v) && v > 0 ? v : 0;
  }

  /** USD per hour (over the last 15 minutes) that counts as a high burn rate; 0 = off. */
  get burnRateAlertPerHour(): number {
    const v = this.config.get<number>('alerts.burnRatePerHour') ?? 20;
    return Number.isFinite(v) && v > 0 ? v : 0;
  }

  get statusBarShows(): 'cost' | 'tokens' | 'both' {
    const v = this.config.get<string>('statusBar.show');
    return v === 'tokens' || v === 'both' ? v : 'cost';
  }

  /** Days of history to keep; 0 keeps everything (the default). */
  get retentionDays(): number {
    const d = this.config.get<number>('retentionDays') ?? 0;
    return Number.isFinite(d) && d > 0 ? Math.floor(d) : 0;
  }

  /** Whether to run the local heartbeat/API server (in the window that writes the database). */
  get serverEnabled(): boolean {
    return this.config.get<boolean>('server.enabled') ?? true;
  }

  /** The server's port; 0 picks any free port. Out-of-range values fall back to 8787. */
  get serverPort(): number {
    const p = this.config.get<number>('server.port') ?? 8787;
    return Number.isInteger(p) && p >= 0 && p <= 65535 ? p : 8787;
  }

  /** Whose rules the dollars follow: ccusage's (default) or what the provider's API would bill. */
  get costRules(): CostRules {
    return this.config.get<string>('costRules') === 'api' ? 'api' : 'ccusage';
  }

  get costMode(): CostMode {
    const m = this.config.get<string>('costMode');
    return m === 'calculate' || m === 'display' ? m : 'auto';
  }

  /** The configured IANA zone, or the system's when unset or not a zone this runtime knows. */
  get timeZone(): string {
    const z = (this.config.get<string>('timeZone') ?? '').trim();
    if (z === '') return systemTimeZone();
    try {
      return validateTimeZone(z);
    } catch {
      return systemTimeZone();
    }
  }

  /** A message for a `tokenCost.timeZone` that is set but unusable, else undefined. */
  get timeZoneProblem(): string | undefined {
    const z = (this.config.get<string>('timeZone') ?? '').trim();
    if (z === '') return undefined;
    try {
      validateTimeZone(z);
      return undefined;
    } catch (err) {
      return `${(err as Error).message} Using the system time zone (${systemTimeZone()}).`;
    }
  }

  /**
   * Where and as whom the extension pushes its counters for a team (`tokenCost.team.*`); no URL,
   * no push. Machine-scoped settings: a workspace cannot point them elsewhere.
   */
  get team(): {
    prometheusUrl?: string;
    remoteWriteUrl?: string;
    otlpUrl?: string;
    user?: string;
    machine?: string;
    intervalMinutes: number;
    projectLabel: 'name' | 'path' | 'none';
  } {
    const url = (key: string) => {
      const v = (this.config.get<string>(key) ?? '').trim();
      return /^https?:\/\//i.test(v) ? v : undefined;
    };
    const text = (key: string) => (this.config.get<string>(key) ?? '').trim() || undefined;
    const minutes = this.config.get<number>('team.pushIntervalMinutes') ?? 5;
    const label = this.config.get<string>('team.projectLabel');
    return {
      prometheusUrl: url('team.prometheusUrl'),
      remoteWriteUrl: url('team.remoteWriteUrl'),
      otlpUrl: url('team.otlpUrl'),
      user: text('team.user'),
      machine: text('team.machine'),
      intervalMinutes: Number.isFinite(minutes) && minutes >= 1 ? minutes : 5,
      projectLabel: label === 'path' || label === 'none' ? label : 'name',
    };
  }

  onDidChange(listener: (e: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('tokenCost')) listener(e);
    });
  }
}
