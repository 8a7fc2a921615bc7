import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { agentOf, providerOf } from './model';
import type { UsageStore } from './store';
import type { RangeChoice } from '../protocol';
import { eachRequest, type ExportRow, type UsageFilter } from './query';
import { dayKey } from './time';

/**
 * Mission Control's Token & Cost Dashboard's export columns first (Timestamp, Model, Session ID,
 * Input tokens, Output tokens, Total tokens, Cost), so a spreadsheet built on its exports reads
 * ours; then what it lacks. Cost is in USD; total tokens are all four kinds.
 */
export const CSV_COLUMNS = [
  'Timestamp',
  'Model',
  'Session ID',
  'Input tokens',
  'Output tokens',
  'Total tokens',
  'Cost',
  'Source',
  'Agent',
  'Provider',
  'Project',
  'Cache write tokens',
  'Cache read tokens',
] as const;

/**
 * Quotes a CSV cell. Cells a spreadsheet would run as a formula (= + - @, tab, CR) get a leading
 * apostrophe: project and session names come from files and agents we do not control. Written
 * here, not taken from a CSV library: the quoting is three lines, and the neutralisation, which
 * such libraries leave to the caller, is the point.
 */
export function csvCell(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One request as the JSON export and the read API's export list it. */
export function exportRecord(row: ExportRow): object {
  return {
    timestamp: row.timestamp,
    source: row.source,
    agent: agentOf(row.source, row.session),
    provider: providerOf(row.model),
    model: row.model,
    project: row.project,
    session: row.session,
    inputTokens: row.inputTokens,
    outputTokens: row.outputTokens,
    cacheWriteTokens: row.cacheWriteTokens,
    cacheReadTokens: row.cacheReadTokens,
    totalTokens: row.totalTokens,
    cost: row.cost,
  };
}

export function csvLine(row: ExportRow): string {
  return [
    row.timestamp,
    row.model,
    row.session,
    row.inputTokens,
    row.outputTokens,
    row.totalTokens,
    row.cost,
    row.source,
    agentOf(row.source, row.session),
    providerOf(row.model),
    row.project,
    row.cacheWriteTokens,
    row.cacheReadTokens,
  ]
    .map(csvCell)
    .join(',');
}

export type ExportFormat = 'csv' | 'json';

/** `token-usage-{timeframe}-{date}.{csv|json}`, as Mission Control's Token & Cost Dashboard names its exports. */
export function exportFileName(timeframe: string, format: ExportFormat, now: number, timeZone: string): string {
  return `token-usage-${timeframe}-${dayKey(now, timeZone)}.${format}`;
}

/**
 * The `{timeframe}` of a dashboard range: hour, day, week or month where the range is one of
 * those (that dashboard's names); for the others a slug of its label (`last-7-days`) or the days.
 */
export function rangeTimeframe(range: RangeChoice, label: string): string {
  if (range.kind === 'quick') return range.quick;
  if (range.kind === 'custom') return `${range.from}_${range.until}`;
  if (range.preset === 'today') return 'day';
  if (range.preset === 'thisMonth') return 'month';
  return label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * Writes every request in the range as CSV (one row per request) or JSON (`{exportedAt, range,
 * totals, requests: [...]}`). The rows are read one at a time but held as text until the end
 * (the totals come first in the file), then written 10,000 at a time with the stream's
 * back-pressure. `onProgress` gets the number of rows written so far. Returns the number of rows.
 */
export async function writeExport(
  store: UsageStore,
  range: UsageFilter,
  file: string,
  format: ExportFormat,
  onProgress?: (rows: number) => void,
): Promise<number> {
  if (format === 'csv') return writeCsv(store, range, file, onProgress);
  const out = createWriteStream(file, { encoding: 'utf8' });
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  const chunks: string[] = [];
  let rows = 0;
  const totals = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, totalTokens: 0, cost: 0, requests: 0 };
  eachRequest(store, range, (row) => {
    chunks.push(JSON.stringify(exportRecord(row)));
    totals.inputTokens += row.inputTokens;
    totals.outputTokens += row.outputTokens;
    totals.cacheWriteTokens += row.cacheWriteTokens;
    totals.cacheReadTokens += row.cacheReadTokens;
    totals.totalTokens += row.totalTokens;
    totals.cost += row.cost;
    rows++;
  });
  totals.requests = rows;
  const head = `{"exportedAt":${JSON.stringify(new Date().toISOString())},"range":${JSON.stringify({
    from: range.start === undefined ? null : new Date(range.start).toISOString(),
    until: range.end === undefined ? null : new Date(range.end).toISOString(),
  })},"totals":${JSON.stringify(totals)},"requests":[\n`;
  if (!out.write(head)) await Promise.race([once(out, 'drain'), failed]);
  for (let i = 0; i < chunks.length; i += 10_000) {
    const piece = chunks.slice(i, i + 10_000).join(',\n') + (i + 10_000 < chunks.length ? ',\n' : '\n');
    if (!out.write(piece)) await Promise.race([once(out, 'drain'), failed]);
    onProgress?.(Math.min(rows, i + 10_000));
  }
  out.end(']}\n');
  await Promise.race([once(out, 'finish'), failed]);
  return rows;
}

/** Writes one CSV row per request in the range; returns the number of rows. */
export async function writeCsv(store: UsageStore, range: UsageFilter, file: string, onProgress?: (rows: number) => void): Promise<number> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  const failed = once(out, 'error').then(([err]) => Promise.reject(err as Error));
  failed.catch(() => undefined);
  const lines: string[] = [CSV_COLUMNS.join(',')];
  let rows = 0;
  eachRequest(store, range, (row) => {
    lines.push(csvLine(row));
    rows++;
  });
  for (let i = 0; i < lines.length; i += 10_000) {
    if (!out.write(`${lines.slice(i, i + 10_000).join('\n')}\n`)) await Promise.race([once(out, 'drain'), failed]);
    onProgress?.(Math.max(0, Math.min(rows, i + 10_000 - 1)));
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return rows;
}
