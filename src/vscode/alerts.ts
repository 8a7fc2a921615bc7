import * as vscode from 'vscode';
import { dueAlerts, type NotifiedMarks, type DueAlert } from '../core/budgetAlerts';
import type { StatusSummary } from '../core/status';
import type { Settings } from './settings';

/**
 * How long a window that does not have the focus leaves a due alert to a window that does. An
 * extension host left running by a closed browser tab computes alerts too, but nobody sees its
 * notifications; a focused window is one a person is looking at.
 */
const UNFOCUSED_GRACE_MS = 5000;
const KEEP_MARKS_MS = 60 * 86_400_000;

/**
 * Budget and burn-rate notifications: once per threshold per period for the person, whichever
 * window writes the database and however many are open. Every window (writer or reader) computes
 * what is due from the store it has; a marker in the shared data folder, created atomically,
 * decides which window shows it, and keeps it from coming back after a reload.
 */
export class BudgetAlerts implements vscode.Disposable {
  /** Notifications shown by this window, newest last (tests and the log read it). */
  readonly shown: string[] = [];
  /** Keys this process has shown or seen claimed, so an unwritable folder cannot make it repeat. */
  private readonly done = new Set<string>();
  private readonly pending = new Map<string, DueAlert & { day: string }>();
  private timer: NodeJS.Timeout | undefined;
  private readonly focusListener: vscode.Disposable;
  private warnedUnwritable = false;

  constructor(
    private readonly marks: NotifiedMarks,
    private readonly settings: Settings,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.marks.prune(KEEP_MARKS_MS);
    this.focusListener = vscode.window.onDidChangeWindowState((s) => {
      if (s.focused) this.flush();
    });
  }

  check(s: StatusSummary): void {
    this.offer(dueAlerts(s, this.settings.alertThresholds, this.settings.burnRateAlertPerHour), s.day);
  }

  /** Due alerts of any kind (budgets, plan limits), shown once per key through the same markers. */
  offer(dueNow: readonly DueAlert[], day: string): void {
    if (this.marks.has(`snooze:${day}`)) return;
    for (const d of dueNow) {
      if (!this.done.has(d.key) && !this.marks.has(d.key)) this.pending.set(d.key, { ...d, day });
    }
    if (this.pending.size === 0) return;
    if (vscode.window.state.focused) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), UNFOCUSED_GRACE_MS);
  }

  /** Claims and shows what is pending; another window may have claimed some meanwhile. */
  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const d of due) {
      if (this.done.has(d.key) || this.marks.has(`snooze:${d.day}`)) continue;
      this.done.add(d.key);
      if (this.claim(d.key)) this.show(d);
    }
  }

  private claim(key: string): boolean {
    try {
      return this.marks.claim(key);
    } catch (err) {
      // Better twice (two windows) than never: show it, and say why it may repeat.
      if (!this.warnedUnwritable)
        this.log.warn(`Cannot write alert markers in ${this.marks.dir} (${(err as Error).message}); another window may repeat an alert.`);
      this.warnedUnwritable = true;
      return true;
    }
  }

  private show(d: DueAlert & { day: string }): void {
    this.shown.push(d.text);
    this.log.warn(d.text);
    const show = d.severe ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    void show(d.text, 'Open Dashboard', 'Snooze for Today').then(async (choice) => {
      if (choice === 'Open Dashboard') await vscode.commands.executeCommand('tokenCost.openDashboard');
      if (choice === 'Snooze for Today') this.claim(`snooze:${d.day}`);
    });
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.focusListener.dispose();
  }
}
