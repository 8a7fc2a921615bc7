import type { TimeRange } from './query';
import { dayKey, dayRange, nextDay, parseDayKey, startOfDay, weekStart } from './time';

/** The export timeframes offered by the commands (as in the reference scripts' `timeframe`). */
export type Timeframe = 'hour' | 'day' | 'week' | 'month' | 'all';

/**
 * The last hour, or the current local day / week (from Monday) / calendar month, or everything.
 * "day" means today in the zone, not the last 24 hours: that is what a budget counts.
 */
export function timeframeRange(tf: Timeframe, timeZone: string, now = Date.now()): TimeRange {
  switch (tf) {
    case 'hour':
      return { start: now - 3_600_000, end: now + 1 };
    case 'day': {
      const r = dayRange(now, timeZone);
      return { start: r.start, end: r.end };
    }
    case 'week': {
      const monday = weekStart(dayKey(now, timeZone));
      return { start: startOfDay(monday, timeZone), end: dayRange(now, timeZone).end };
    }
    case 'month':
      return monthRange(now, timeZone);
    case 'all':
      return {};
  }
}

/** [start, end) of the calendar month containing `now` in the zone. */
export function monthRange(now: number, timeZone: string): TimeRange & { month: string } {
  const today = dayKey(now, timeZone);
  const { year, month } = parseDayKey(today);
  const first = `${today.slice(0, 7)}-01`;
  const next = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
  return { month: today.slice(0, 7), start: startOfDay(first, timeZone), end: startOfDay(next, timeZone) };
}

/** Days in the month containing `now`, and how far through it we are (0..1). */
export function monthProgress(now: number, timeZone: string): { days: number; elapsed: number } {
  const r = monthRange(now, timeZone);
  return { days: Math.round((r.end! - r.start!) / 86_400_000), elapsed: Math.min(1, Math.max(0, (now - r.start!) / (r.end! - r.start!))) };
}

/** Inclusive custom range of local days. */
export function customRange(from: string, until: string, timeZone: string): TimeRange {
  parseDayKey(from);
  parseDayKey(until);
  if (until < from) throw new Error(`"${until}" is before "${from}".`);
  return { start: startOfDay(from, timeZone), end: startOfDay(nextDay(until), timeZone) };
}
