/** Display formatting only: every number arrives computed from the host. */

// Formatters are built once and reused: building one per call (what toLocaleString with options
// does) was a large part of drawing the tables on every filter change.
const costFormats = new Map<number, Intl.NumberFormat>();
const intFormat = new Intl.NumberFormat('en-US');
const timeFormats = new Map<string, Intl.DateTimeFormat>();

export function formatCost(usd: number, decimals = 4): string {
  const sign = usd < 0 ? '-' : '';
  let f = costFormats.get(decimals);
  if (!f)
    costFormats.set(decimals, (f = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals })));
  return `${sign}$${f.format(Math.abs(usd))}`;
}

/** Cost with 2 decimals from $1 up, 4 below (a request often costs fractions of a cent). */
export function formatMoney(usd: number): string {
  return formatCost(usd, Math.abs(usd) >= 1 ? 2 : 4);
}

/** 2,500,000 -> "2.5M"; 45,200 -> "45.2K"; below 1,000 as is. */
export function formatTokens(n: number): string {
  const abs = Math.abs(n);
  const trim = (v: number) => v.toFixed(1).replace(/\.0$/, '');
  if (abs >= 1e9) return `${trim(n / 1e9)}B`;
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e3) return `${trim(n / 1e3)}K`;
  return String(Math.round(n));
}

export function formatInt(n: number): string {
  return intFormat.format(Math.round(n));
}

export function formatPct(n: number): string {
  return `${n.toFixed(n >= 10 || n === 0 ? 0 : 1)} %`;
}

export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  return `${Math.round(m / 60)} h ago`;
}

export function formatTime(ms: number, timeZone: string): string {
  let f = timeFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    timeFormats.set(timeZone, f);
  }
  return f.format(ms).replace(',', '');
}

/** Names the sources as users know them. */
export function sourceLabel(source: string): string {
  const labels: Record<string, string> = {
    'claude-code': 'Claude Code',
    'claude-code-subagent': 'Claude Code subagents',
    codex: 'Codex CLI',
    'gemini-cli': 'Gemini CLI',
    'copilot-cli': 'GitHub Copilot CLI',
    opencode: 'OpenCode',
    'pi-agent': 'pi-agent',
    droid: 'Droid',
    amp: 'Amp',
    goose: 'Goose',
    kilo: 'Kilo',
    qwen: 'Qwen Code',
    kimi: 'Kimi CLI',
    codebuff: 'Codebuff',
    hermes: 'Hermes Agent',
    'claude-desktop': 'Claude Desktop',
    workspace: 'Workspace transcripts',
    heartbeat: 'Heartbeat agents',
    manual: 'Manual logs',
    otel: 'OpenTelemetry (OTLP)',
  };
  // Each OpenClaw agent is its own source, `openclaw:<agent id>`.
  if (source.startsWith('openclaw:')) return `OpenClaw ${source.slice('openclaw:'.length)}`;
  return labels[source] ?? source;
}
