import * as vscode from 'vscode';
import { crossedThresholds, type StatusSummary } from '../core/status';
import type { Settings } from './settings';

const FIRED_KEY = 'tokenCost.alerts.fired';
const SNOOZE_KEY = 'tokenCost.alerts.snoozedDay';

/**
 * Budget and burn-rate notifications: once per threshold per period, remembered in global state
 * so a reload does not repeat them, and only from the window that writes the database so two
 * windows do not both speak up.
 */
export class BudgetAlerts {
  /** Notifications shown in this session, newest last (tests and the log read it). */
  readonly shown: string[] = [];

  constructor(
    private readonly state: vscode.Memento,
    private readonly settings: Settings,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private fired(): Record<string, number> {
    return this.state.get<Record<string, number>>(FIRED_KEY) ?? {};
  }

  async check(s: StatusSummary, role: 'writer' | 'reader' | 'memory'): Promise<void> {
    if (role === 'reader') return;
    if (this.state.get<string>(SNOOZE_KEY) === s.day) return;
    const fired = this.fired();
    const due: { key: string; text: string; severe: boolean }[] = [];
    for (const c of crossedThresholds(s, this.settings.alertThresholds)) {
      const key = `${c.period}:${c.periodKey}:${c.threshold}`;
      if (fired[key]) continue;
      const what = c.period === 'daily' ? `today's` : `this month's`;
      due.push({
        key,
        severe: c.threshold >= 100,
        text: `Token Cost: ${c.threshold >= 100 ? 'over' : `${c.threshold} % of`} ${what} budget: $${c.spent.toFixed(2)} of $${c.budget.toFixed(2)}.`,
      });
    }
    const burnLimit = this.settings.burnRateAlertPerHour;
    if (burnLimit > 0 && s.burn.costPerHour >= burnLimit) {
      const key = `burn:${s.day}:${new Date().getHours()}`;
      if (!fired[key]) {
        due.push({ key, severe: false, text: `Token Cost: high burn rate, $${s.burn.costPerHour.toFixed(2)}/hour over the last ${s.burn.windowMinutes} minutes.` });
      }
    }
    if (due.length === 0) return;
    // Remember before showing: a second update while the toast is up must not repeat it.
    const next = { ...fired };
    for (const d of due) next[d.key] = Date.now();
    await this.state.update(FIRED_KEY, this.pruned(next));
    for (const d of due) {
      this.shown.push(d.text);
      this.log.warn(d.text);
      const show = d.severe ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
      void show(d.text, 'Open Dashboard', 'Snooze for Today').then(async (choice) => {
        if (choice === 'Open Dashboard') await vscode.commands.executeCommand('tokenCost.openDashboard');
        if (choice === 'Snooze for Today') await this.state.update(SNOOZE_KEY, s.day);
      });
    }
  }

  /** Keeps the memory of fired alerts to the last 60 days. */
  private pruned(fired: Record<string, number>): Record<string, number> {
    const cutoff = Date.now() - 60 * 86_400_000;
    return Object.fromEntries(Object.entries(fired).filter(([, at]) => at >= cutoff));
  }
}
