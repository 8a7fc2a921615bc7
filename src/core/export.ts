import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { UsageStore } from './store';
import { eachRequest, type ExportRow, type TimeRange } from './query';

export const CSV_COLUMNS = [
  'timestamp', 'source', 'model', 'project', 'session', 'input_tokens', 'output_tokens',
  'cache_write_tokens', 'cache_read_tokens', 'total_tokens', 'cost_usd',
] as const;

/**
 * Quotes a CSV cell. Cells a spreadsheet would run as a formula (= + - @, tab, CR) get a leading
 * apostrophe: project and session names come from files and agents we do not control.
 */
export function csvCell(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(row: ExportRow): string {
  return [
    row.timestamp, row.source, row.model, row.project, row.session, row.inputTokens, row.outputTokens,
    row.cacheWriteTokens, row.cacheReadTokens, row.totalTokens, row.cost,
  ].map(csvCell).join(',');
}

/** Writes one CSV row per request in the range; returns the number of rows. */
export async function writeCsv(store: UsageStore, range: TimeRange, file: string): Promise<number> {
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
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
  return rows;
}
