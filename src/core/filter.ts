/**
 * What a read is narrowed to: a time range and any of sources, models, projects and agents, and
 * the WHERE clause that narrows the `usage` view to it (rollupQuery.idWhere resolves the same
 * choices to dimension ids). Its own module so that both query engines (query.ts on names,
 * rollupQuery.ts on ids) import it and neither imports the other.
 */
import type { SqlValue } from 'sql.js';
import type { CostRules } from './pricing/pricing';

/** A half-open interval of instants [start, end); either side may be open. */
export interface TimeRange {
  start?: number;
  end?: number;
  /** Whose rules the dollars follow: ccusage's (the default) or what the API would bill. */
  costRules?: CostRules;
}

/**
 * What the dashboard, exports and API narrow usage to, besides time. Each list is "any of";
 * an empty or missing list does not narrow. A project matches exactly or as a parent folder
 * (the dashboard's "This workspace"); an agent is a heartbeat agent's id or another source.
 */
export interface UsageFilter extends TimeRange {
  sources?: readonly string[];
  models?: readonly string[];
  projects?: readonly string[];
  agents?: readonly string[];
}

function inList(column: string, values: readonly string[], params: SqlValue[]): string {
  params.push(...values);
  return `${column} IN (${values.map(() => '?').join(', ')})`;
}

/** The WHERE clause (with its parameters) narrowing the `usage` view to a filter. */
export function filterClause(filter: UsageFilter, alias = ''): { sql: string; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (filter.start !== undefined) {
    parts.push(`${alias}ts >= ?`);
    params.push(filter.start);
  }
  if (filter.end !== undefined) {
    parts.push(`${alias}ts < ?`);
    params.push(filter.end);
  }
  if (filter.sources?.length) parts.push(inList(`${alias}source`, filter.sources, params));
  if (filter.models?.length) parts.push(inList(`${alias}model`, filter.models, params));
  if (filter.projects?.length) {
    const any = filter.projects.map((p) => {
      // A prefix compare, not LIKE: folder names may contain % and _.
      const sep = p.includes('\\') && !p.includes('/') ? '\\' : '/';
      const folder = `${p.replace(/[\\/]+$/, '')}${sep}`;
      params.push(p, folder.length, folder);
      // Windows paths compare without case: VS Code writes `c:\`, agents often `C:\`.
      if (/^[a-zA-Z]:[\\/]/.test(p)) return `lower(${alias}project) = lower(?) OR lower(substr(${alias}project, 1, ?)) = lower(?)`;
      return `${alias}project = ? OR substr(${alias}project, 1, ?) = ?`;
    });
    parts.push(`(${any.join(' OR ')})`);
  }
  if (filter.agents?.length) {
    const others = filter.agents.filter((a) => a !== 'heartbeat');
    const ors: string[] = [];
    if (others.length) {
      ors.push(`(${alias}source <> 'heartbeat' AND ${inList(`${alias}source`, others, params)})`);
      ors.push(`(${alias}source = 'heartbeat' AND ${inList(`${alias}session`, others, params)})`);
    }
    parts.push(ors.length ? `(${ors.join(' OR ')})` : '0');
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}
