import * as vscode from 'vscode';
import type { CostMode, PriceOverride } from '../core/pricing/pricing';
import { systemTimeZone, validateTimeZone } from '../core/time';

/** Typed reads of `tokenCost.*`. Read on use, so changes apply without a reload. */
export class Settings {
  private get config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('tokenCost');
  }

  get claudeConfigDirs(): string[] {
    return (this.config.get<string[]>('claudeConfigDirs') ?? []).filter((d) => typeof d === 'string' && d.trim() !== '');
  }

  get pricing(): Record<string, PriceOverride> {
    const raw = this.config.get<Record<string, PriceOverride>>('pricing') ?? {};
    const valid: Record<string, PriceOverride> = {};
    for (const [model, p] of Object.entries(raw)) {
      if (p && Number.isFinite(p.input) && Number.isFinite(p.output) && p.input >= 0 && p.output >= 0) valid[model] = p;
    }
    return valid;
  }

  /** Days of history to keep; 0 keeps everything (the default). */
  get retentionDays(): number {
    const d = this.config.get<number>('retentionDays') ?? 0;
    return Number.isFinite(d) && d > 0 ? Math.floor(d) : 0;
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

  onDidChange(listener: (e: vscode.ConfigurationChangeEvent) => void): vscode.Disposable {
    return vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('tokenCost')) listener(e);
    });
  }
}
