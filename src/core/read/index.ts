/**
 * The read layer, one import for the views: filters (filter.ts: on names; rollupQuery.idWhere: on
 * ids), rows (rollupQuery.usageRows: whole hours from the rollup, ragged ends from requests),
 * totals and per-model sums (rollupQuery), the live figures (figures.ts), the ccusage-shaped
 * reports and the API's group sums (query.ts), and the per-filter breakdowns the dashboard and the
 * sidebar show (breakdowns.ts). The views (dashboard.ts, sidebar.ts, server/readApi.ts) build
 * their payloads from these and hold no SQL of their own.
 */
export * from './breakdowns';
export { creditsBySource } from './credits';
export * from '../figures';
export * from '../query';
export { costColumn, idWhere, totalsOf, type ModelSums, type Totals } from '../rollupQuery';
