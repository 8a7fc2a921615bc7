import type { TimeRange } from './filter';
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

/** The local day `days` before (negative) or after `day`. */
export function addDays(day: string, days: number): string {
  const { year, month, day: d } = parseDayKey(day);
  return new Date(Date.UTC(year, month - 1, d + days)).toISOString().slice(0, 10);
}

export type RangeBucket = 'twoMinutes' | 'hour' | 'day' | 'week' | 'month';

const TWO_MINUTES = 2 * 60_000;

export interface ResolvedRange extends TimeRange {
  label: string;
}

/**
 * The instants a dashboard range choice covers, in the zone. Quick picks are the current
 * hour/day/week/month as the exports count them; presets are whole local days ending today.
 */
export function resolveRange(
  choice:
    | { kind: 'quick'; quick: 'hour' | 'day' | 'week' | 'month' }
    | { kind: 'preset'; preset: string }
    | { kind: 'custom'; from: string; until: string },
  timeZone: string,
  now = Date.now(),
): ResolvedRange {
  const today = dayKey(now, timeZone);
  const days = (from: string, until: string, label: string): ResolvedRange => ({ ...customRange(from, until, timeZone), label });
  switch (choice.kind) {
    case 'quick': {
      const labels = { hour: 'Last hour', day: 'Today', week: 'This week', month: 'This month' } as const;
      return { ...timeframeRange(choice.quick, timeZone, now), label: labels[choice.quick] };
    }
    case 'custom':
      return days(choice.from, choice.until, choice.from === choice.until ? choice.from : `${choice.from} – ${choice.until}`);
    case 'preset':
      switch (choice.preset) {
        case 'today':
          return days(today, today, 'Today');
        case 'yesterday':
          return days(addDays(today, -1), addDays(today, -1), 'Yesterday');
        case 'last7':
          return days(addDays(today, -6), today, 'Last 7 days');
        case 'last30':
          return days(addDays(today, -29), today, 'Last 30 days');
        case 'thisMonth':
          return { ...monthRange(now, timeZone), label: 'This month' };
        case 'lastMonth': {
          const firstOfThis = `${today.slice(0, 7)}-01`;
          const lastOfPrev = addDays(firstOfThis, -1);
          return days(`${lastOfPrev.slice(0, 7)}-01`, lastOfPrev, 'Last month');
        }
        case 'all':
          return { label: 'All time' };
        default:
          throw new Error(`Unknown range preset "${choice.preset}".`);
      }
  }
}

/**
 * Chart buckets that fit a span: 2 minutes up to two hours (the Hour view, as Mission Control's
 * Token & Cost Dashboard and `/api/tokens?action=trends` draw it), hours up to two days, days up to 92, weeks up to two years.
 */
export function bucketFor(spanMs: number): RangeBucket {
  const day = 86_400_000;
  if (spanMs <= 2 * 3_600_000) return 'twoMinutes';
  if (spanMs <= 2 * day) return 'hour';
  if (spanMs <= 92 * day) return 'day';
  if (spanMs <= 731 * day) return 'week';
  return 'month';
}

/** Consecutive [start, end) buckets covering [start, end) in the zone, with their labels. */
export function bucketsBetween(
  start: number,
  end: number,
  bucket: RangeBucket,
  timeZone: string,
): { start: number; end: number; label: string }[] {
  const out: { start: number; end: number; label: string }[] = [];
  if (!(end > start)) return out;
  if (bucket === 'twoMinutes') {
    const fmt = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    // On multiples of 2 minutes of the epoch, as the trends API counts them.
    for (let t = Math.floor(start / TWO_MINUTES) * TWO_MINUTES; t < end; t += TWO_MINUTES)
      out.push({ start: t, end: t + TWO_MINUTES, label: fmt.format(t) });
    return out;
  }
  if (bucket === 'hour') {
    const fmt = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      day: '2-digit',
      month: 'short',
      hourCycle: 'h23',
    });
    // Hours in every zone start on a multiple of 15 minutes of UTC; step by real hours from the
    // local hour that holds `start`.
    const first = start - ((((start - startOfDay(dayKey(start, timeZone), timeZone)) % 3_600_000) + 3_600_000) % 3_600_000);
    for (let t = first; t < end; t += 3_600_000) out.push({ start: t, end: t + 3_600_000, label: fmt.format(t) });
    return out;
  }
  let day = dayKey(start, timeZone);
  if (bucket === 'week') day = weekStart(day);
  if (bucket === 'month') day = `${day.slice(0, 7)}-01`;
  while (startOfDay(day, timeZone) < end) {
    let next: string;
    if (bucket === 'day') next = nextDay(day);
    else if (bucket === 'week') next = addDays(day, 7);
    else {
      const { year, month } = parseDayKey(day);
      next = month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`;
    }
    out.push({ start: startOfDay(day, timeZone), end: startOfDay(next, timeZone), label: bucket === 'month' ? day.slice(0, 7) : day });
    day = next;
  }
  return out;
}
