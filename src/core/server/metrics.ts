import { countersByModelSourceProject } from '../query';
import type { UsageStore } from '../store';

/** A Prometheus label value: backslash, double quote and newline escaped (text format 0.0.4). */
export function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * All-time counters by model, source and project, so that a team's Prometheus can sum many
 * machines. They only grow, except when tokenCost.retentionDays prunes old requests (Prometheus
 * treats that drop as a counter reset).
 */
export function prometheusText(store: UsageStore): string {
  const rows = countersByModelSourceProject(store);
  const out: string[] = [];
  const labels = (r: { model: string; source: string; project: string }, extra = '') =>
    `model="${labelValue(r.model)}",source="${labelValue(r.source)}",project="${labelValue(r.project)}"${extra}`;
  out.push('# HELP token_cost_tokens_total Tokens used, by model, source, project and token type.');
  out.push('# TYPE token_cost_tokens_total counter');
  for (const r of rows) {
    for (const [type, v] of [
      ['input', r.inputTokens],
      ['output', r.outputTokens],
      ['cache_write', r.cacheWriteTokens],
      ['cache_read', r.cacheReadTokens],
    ] as const) {
      out.push(`token_cost_tokens_total{${labels(r, `,type="${type}"`)}} ${v}`);
    }
  }
  out.push('# HELP token_cost_cost_usd_total Cost in USD, by model, source and project.');
  out.push('# TYPE token_cost_cost_usd_total counter');
  for (const r of rows) out.push(`token_cost_cost_usd_total{${labels(r)}} ${r.cost}`);
  out.push('# HELP token_cost_requests_total Model requests, by model, source and project.');
  out.push('# TYPE token_cost_requests_total counter');
  for (const r of rows) out.push(`token_cost_requests_total{${labels(r)}} ${r.requests}`);
  return `${out.join('\n')}\n`;
}
