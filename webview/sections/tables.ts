import type { AgentRow, DashboardData, ModelRow, ProjectRow, RecentRow, SessionRow, TaskRow } from '../../src/protocol';
import { el } from '../dom';
import type { Deferral } from '../lazy';
import { formatCost, formatInt, formatPct, formatTime, formatTokens, sourceLabel } from '../format';
import { SortableTable } from '../tables';

const money = (v: number) => formatCost(v);
const perDollar = (v: number | null) => (v === null ? '–' : v >= 100 ? formatInt(v) : v.toFixed(1));

/** The panel's seven tables; times are shown in the zone of the figures (`timeZone()`). */
export function createTables(timeZone: () => string, deferral: Deferral) {
  const models = new SortableTable<ModelRow>(
    'table-models',
    'Model performance',
    [
      { label: 'Model', value: (r) => r.model, text: (r) => r.model, title: (r) => r.model, className: 'mono model-id' },
      { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
      {
        label: 'Tokens',
        value: (r) => r.totalTokens,
        text: (r) => formatTokens(r.totalTokens),
        title: (r) => formatInt(r.totalTokens),
        numeric: true,
      },
      { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
      {
        label: 'Avg cost/request',
        value: (r) => r.avgCostPerRequest,
        text: (r) => money(r.avgCostPerRequest),
        title: (r) => `$${r.avgCostPerRequest}`,
        numeric: true,
      },
      {
        label: 'Avg tokens/request',
        value: (r) => r.avgTokensPerRequest,
        text: (r) => formatTokens(r.avgTokensPerRequest),
        title: (r) => formatInt(r.avgTokensPerRequest),
        numeric: true,
      },
    ],
    'No models in this range.',
    deferral,
  );

  const providers = new SortableTable<ModelRow>(
    'table-providers',
    'Provider & model breakdown',
    [
      { label: 'Provider', value: (r) => r.provider, text: (r) => r.provider },
      { label: 'Model', value: (r) => r.model, text: (r) => r.model, title: (r) => r.model, className: 'mono model-id' },
      { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
      { label: 'Input', value: (r) => r.inputTokens, text: (r) => formatInt(r.inputTokens), numeric: true },
      { label: 'Output', value: (r) => r.outputTokens, text: (r) => formatInt(r.outputTokens), numeric: true },
      { label: 'Cache write', value: (r) => r.cacheWriteTokens, text: (r) => formatInt(r.cacheWriteTokens), numeric: true },
      { label: 'Cache read', value: (r) => r.cacheReadTokens, text: (r) => formatInt(r.cacheReadTokens), numeric: true },
      { label: 'Total tokens', value: (r) => r.totalTokens, text: (r) => formatInt(r.totalTokens), numeric: true, className: 'strong' },
      {
        label: 'Est. cost',
        value: (r) => r.cost,
        text: (r) => `${money(r.cost)} (${formatPct(r.costShare)})`,
        title: (r) => `$${r.cost}`,
        numeric: true,
      },
    ],
    'No usage in this range.',
    deferral,
  );

  const sessions = new SortableTable<SessionRow>(
    'table-sessions',
    'Top sessions by cost',
    [
      {
        label: 'Session',
        value: (r) => r.session,
        text: (r) => (r.session.length > 14 ? `${r.session.slice(0, 13)}…` : r.session),
        title: (r) => r.session,
        className: 'mono',
      },
      { label: 'Status', value: (r) => (r.active ? 1 : 0), text: (r) => (r.active ? 'active' : 'inactive') },
      { label: 'Project', value: (r) => r.project, text: (r) => r.project, title: (r) => r.project },
      { label: 'Agent', value: (r) => r.agent, text: (r) => sourceLabel(r.agent) },
      { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
      {
        label: 'Tokens',
        value: (r) => r.totalTokens,
        text: (r) => formatTokens(r.totalTokens),
        title: (r) => formatInt(r.totalTokens),
        numeric: true,
      },
      { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
      { label: 'Last activity', value: (r) => r.lastActivity, text: (r) => formatTime(r.lastActivity, timeZone()), numeric: true },
    ],
    'No sessions in this range.',
    deferral,
  );

  const projects = new SortableTable<ProjectRow>(
    'table-projects',
    'Projects',
    [
      { label: 'Project', value: (r) => r.project, text: (r) => r.project, title: (r) => r.project },
      { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
      {
        label: 'Tokens',
        value: (r) => r.totalTokens,
        text: (r) => formatTokens(r.totalTokens),
        title: (r) => formatInt(r.totalTokens),
        numeric: true,
      },
      { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
      { label: 'Sessions', value: (r) => r.sessions, text: (r) => formatInt(r.sessions), numeric: true },
      { label: 'Last activity', value: (r) => r.lastActivity, text: (r) => formatTime(r.lastActivity, timeZone()), numeric: true },
    ],
    'No projects in this range.',
    deferral,
  );

  const tasks = new SortableTable<TaskRow>(
    'table-tasks',
    'Top tasks (heartbeats and manual logs)',
    [
      { label: 'Task', value: (r) => r.task, text: (r) => r.task, title: (r) => r.task },
      { label: 'Project', value: (r) => r.project, text: (r) => r.project, title: (r) => r.project },
      { label: 'Agent', value: (r) => r.agent, text: (r) => sourceLabel(r.agent) },
      { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
      {
        label: 'Tokens',
        value: (r) => r.totalTokens,
        text: (r) => formatTokens(r.totalTokens),
        title: (r) => formatInt(r.totalTokens),
        numeric: true,
      },
      { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
    ],
    'No heartbeat tasks or manual logs in this range.',
    deferral,
  );

  const agents = new SortableTable<AgentRow>(
    'table-agents',
    'Agents by efficiency',
    [
      { label: 'Agent', value: (r) => r.agent, text: (r) => sourceLabel(r.agent), title: (r) => r.agent },
      { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
      {
        label: 'Tokens',
        value: (r) => r.totalTokens,
        text: (r) => formatTokens(r.totalTokens),
        title: (r) => formatInt(r.totalTokens),
        numeric: true,
      },
      { label: 'Requests', value: (r) => r.requests, text: (r) => formatInt(r.requests), numeric: true },
      { label: 'Tasks', value: (r) => r.tasks, text: (r) => formatInt(r.tasks), numeric: true },
      {
        label: 'Requests per $',
        value: (r) => r.requestsPerDollar ?? -1,
        text: (r) => perDollar(r.requestsPerDollar),
        title: (r) => (r.requestsPerDollar === null ? 'no cost' : String(r.requestsPerDollar)),
        numeric: true,
      },
      {
        label: 'Tasks per $',
        value: (r) => r.tasksPerDollar ?? -1,
        text: (r) => perDollar(r.tasksPerDollar),
        title: (r) => (r.tasksPerDollar === null ? 'no cost' : String(r.tasksPerDollar)),
        numeric: true,
      },
    ],
    'No agents in this range.',
    deferral,
  );

  const recent = new SortableTable<RecentRow>(
    'table-recent',
    'Recent activity',
    [
      {
        label: 'Time',
        value: (r) => r.timestamp,
        text: (r) => formatTime(r.timestamp, timeZone()),
        title: (r) => new Date(r.timestamp).toISOString(),
        numeric: true,
      },
      { label: 'Agent', value: (r) => r.agent, text: (r) => sourceLabel(r.agent) },
      { label: 'Model', value: (r) => r.model, text: (r) => r.model, title: (r) => r.model, className: 'mono model-id' },
      { label: 'Project', value: (r) => r.project, text: (r) => r.project, title: (r) => r.project },
      {
        label: 'Tokens',
        value: (r) => r.totalTokens,
        text: (r) => formatTokens(r.totalTokens),
        title: (r) => formatInt(r.totalTokens),
        numeric: true,
      },
      { label: 'Cost', value: (r) => r.cost, text: (r) => money(r.cost), title: (r) => `$${r.cost}`, numeric: true },
    ],
    'No requests in this range.',
    deferral,
  );

  const element = el(
    'div',
    { class: 'tables' },
    providers.section,
    models.section,
    agents.section,
    sessions.section,
    projects.section,
    tasks.section,
    recent.section,
  );

  function render(d: DashboardData): void {
    models.update(d.models);
    const k = d.kpis;
    providers.update(d.models, [
      'Total',
      '',
      formatInt(k.requests),
      formatInt(k.inputTokens),
      formatInt(k.outputTokens),
      formatInt(k.cacheWriteTokens),
      formatInt(k.cacheReadTokens),
      formatInt(k.totalTokens),
      money(k.cost),
    ]);
    sessions.update(d.sessions);
    projects.update(d.projects);
    tasks.update(d.tasks);
    agents.update(d.agents);
    recent.update(d.recent);
  }
  return { element, render };
}
