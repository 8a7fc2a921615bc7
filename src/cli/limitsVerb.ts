/** `token-cost limits`: the plan limits as text or as the JSON GET /api/limits serves. */
import { untilText, type WindowPace } from '../core/limits';
import { limitsFromDisk } from '../core/limitsSources';
import type { Flags } from './options';

const AGENT: Record<WindowPace['source'], string> = { claude: 'Claude Code', codex: 'Codex' };

function when(ms: number): string {
  return new Date(ms).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/** One line per window, e.g. `Claude Code 5h: 42 % used, resets 1 Dec 2026, 14:00 (in 2h 05m); pace: 100 % at reset`. */
export function limitsText(now: number, windows: readonly WindowPace[]): string {
  return windows
    .map((w) => {
      const head = `${AGENT[w.source]} ${w.label}${w.planType ? ` (${w.planType})` : ''}: `;
      if (w.state === 'reset')
        return `${head}reset ${when(w.resetsAt)}; no reading since (last: ${Math.round(w.usedPct)} % on ${when(w.reportedAt)}).`;
      const pace =
        w.projectedPctAtReset === undefined
          ? 'too early in the window for a pace'
          : `at this pace ${Math.round(w.projectedPctAtReset)} % at reset${w.limitAt !== undefined ? `, 100 % ${when(w.limitAt)}` : ''}`;
      return `${head}${Math.round(w.usedPct)} % used, resets ${when(w.resetsAt)} (in ${untilText(w.resetsAt - now)}); ${pace}.`;
    })
    .join('\n');
}

export const NO_LIMITS_TEXT =
  'No plan limits reported. Claude Code reports them (Pro/Max plans, 2.1.80 and later) to its status-line command: ' +
  'set "token-cost statusline" as it; Codex writes them into its rollouts. The 5-hour block of `token-cost blocks` is an estimate from token history, not the limit.';

export function limitsCommand(flags: Flags): void {
  const now = Date.now();
  const r = limitsFromDisk({ dataDir: flags.dataDir }, now);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${r.reported ? limitsText(now, r.windows) : NO_LIMITS_TEXT}\n`);
}
