/**
 * Calendar days in a chosen IANA zone. Days are never computed in UTC unless the zone is UTC:
 * "today" in the wrong zone is one of the classic bugs of usage tools.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** Throws a readable error for a zone name Intl does not know. */
export function validateTimeZone(timeZone: string): string {
  try {
    partsFormatter(timeZone);
    return timeZone;
  } catch {
    throw new Error(`Unknown time zone "${timeZone}". Use an IANA name such as "Europe/Berlin" or "UTC".`);
  }
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(ms: number, timeZone: string): WallClock {
  const out: Record<string, number> = {};
  for (const p of partsFormatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

/** Offset of the zone from UTC at instant `ms`, in milliseconds (east positive). */
function zoneOffset(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `YYYY-MM-DD` of the instant in the zone. */
export function dayKey(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** `YYYY-MM` of the instant in the zone. */
export function monthKey(ms: number, timeZone: string): string {
  return dayKey(ms, timeZone).slice(0, 7);
}

/** Parses `YYYY-MM-DD`, throwing a readable error otherwise. */
export function parseDayKey(day: string): { year: number; month: number; day: number } {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const parsed = m ? { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) } : null;
  if (!parsed || parsed.month < 1 || parsed.month > 12 || parsed.day < 1 || parsed.day > 31) {
    throw new Error(`Invalid date "${day}": expected YYYY-MM-DD.`);
  }
  return parsed;
}

/** The instant at which the local day `YYYY-MM-DD` starts in the zone (handles DST shifts). */
export function startOfDay(day: string, timeZone: string): number {
  const { year, month, day: d } = parseDayKey(day);
  const guess = Date.UTC(year, month - 1, d);
  let t = guess - zoneOffset(guess, timeZone);
  // A second pass settles days on which the offset changes between the guess and the result.
  t = guess - zoneOffset(t, timeZone);
  // Zones whose DST starts at midnight have no 00:00; the day then starts at the first valid instant.
  if (dayKey(t, timeZone) !== day) t += 3_600_000;
  return t;
}

/** `YYYY-MM-DD` of the day after `day` (calendar arithmetic, zone-free). */
export function nextDay(day: string): string {
  const { year, month, day: d } = parseDayKey(day);
  const n = new Date(Date.UTC(year, month - 1, d + 1));
  return `${pad(n.getUTCFullYear(), 4)}-${pad(n.getUTCMonth() + 1)}-${pad(n.getUTCDate())}`;
}

/** [start, end) instants of the local day containing `ms`. */
export function dayRange(ms: number, timeZone: string): { day: string; start: number; end: number } {
  const day = dayKey(ms, timeZone);
  return { day, start: startOfDay(day, timeZone), end: startOfDay(nextDay(day), timeZone) };
}

/** Every local day from `fromDay` to `toDay` inclusive, with its [start, end) instants. */
export function daysBetween(fromDay: string, toDay: string, timeZone: string): { day: string; start: number; end: number }[] {
  const out: { day: string; start: number; end: number }[] = [];
  let day = fromDay;
  let start = startOfDay(day, timeZone);
  while (day <= toDay) {
    const next = nextDay(day);
    const end = startOfDay(next, timeZone);
    out.push({ day, start, end });
    day = next;
    start = end;
  }
  return out;
}

/**
 * The first day of the week holding a `YYYY-MM-DD` day; weeks start on `firstDay` (0 Sunday to
 * 6 Saturday; default Monday, the ISO week).
 */
export function weekStart(day: string, firstDay = 1): string {
  const { year, month, day: d } = parseDayKey(day);
  const utc = new Date(Date.UTC(year, month - 1, d));
  const back = (utc.getUTCDay() - firstDay + 7) % 7;
  utc.setUTCDate(utc.getUTCDate() - back);
  return utc.toISOString().slice(0, 10);
}
