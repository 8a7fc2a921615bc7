import type { DashboardData } from '../../src/protocol';
import { limitsChart, windowName } from '../chartConfigs';
import { ChartCard, type ChartPage } from '../charts';
import { card, el } from '../dom';

const whenShort = (ms: number) =>
  new Date(ms).toLocaleString(undefined, { weekday: 'short', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

function untilShort(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return h < 24 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** The windows the agents report, their pace, and their history; the host computed every figure. */
export function createLimits(page: ChartPage) {
  const c = card('limits', 'Plan limits');
  const chart = new ChartCard('chart-limits', 'Plan limits over time (used %)', 'No limit readings in the last 8 days.', page, 220);

  function render(d: DashboardData): void {
    const r = d.limits;
    if (!r || !r.reported) {
      c.body.replaceChildren(
        el('p', { class: 'limits-none' }, 'No plan limits reported.'),
        el(
          'p',
          { class: 'limits-note' },
          'Claude Code reports its 5-hour and weekly limits (Pro and Max plans, version 2.1.80 and later) to its status-line command: ' +
            'run "Token Cost: Set Up Claude Code Status Line". Codex writes them into its rollouts. ' +
            'The "5-hour block" under Insights is an estimate from token history, not the plan limit.',
        ),
      );
      chart.section.hidden = true;
      return;
    }
    const now = d.generatedAt;
    const rows = r.windows.map((w) => {
      const name = `${windowName(w.source, w.label)}${w.planType ? ` (${w.planType})` : ''}`;
      if (w.state === 'reset') {
        return el(
          'tr',
          { 'data-window': `${w.source}-${w.minutes}` },
          el('th', { scope: 'row' }, name),
          el('td', {}, '–'),
          el('td', {}, `reset ${whenShort(w.resetsAt)}`),
          el('td', { colspan: '2' }, `no reading since ${whenShort(w.reportedAt)} (then ${Math.round(w.usedPct)} %)`),
        );
      }
      const pace = w.projectedPctAtReset === undefined ? 'too early to tell' : `${Math.round(w.projectedPctAtReset)} %`;
      const full = w.limitAt !== undefined ? whenShort(w.limitAt) : w.projectedPctAtReset === undefined ? '–' : 'not before the reset';
      return el(
        'tr',
        { 'data-window': `${w.source}-${w.minutes}`, class: w.usedPct >= 100 ? 'limit-full' : undefined },
        el('th', { scope: 'row' }, name),
        el('td', { class: 'num' }, `${Math.round(w.usedPct)} %`),
        el('td', {}, `${whenShort(w.resetsAt)} (in ${untilShort(w.resetsAt - now)})`),
        el('td', { class: 'num' }, pace),
        el('td', {}, full),
      );
    });
    c.body.replaceChildren(
      el(
        'table',
        { class: 'data-table limits-table' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...['Window', 'Used', 'Resets', 'At this pace, at reset', 'Reaches 100 %'].map((h) => el('th', { scope: 'col' }, h)),
          ),
        ),
        el('tbody', {}, ...rows),
      ),
      el(
        'p',
        { class: 'limits-note' },
        "Pace: the use so far in the window over the time since it started, carried to the reset. As of each agent's last reading.",
      ),
    );
    chart.section.hidden = false;
    chart.update(limitsChart(r.history, now, whenShort));
  }
  return { card: c.section, chart, render };
}
