import * as path from 'node:path';
import { listFiles, pickRoots, xdgData, type AgentReader } from '../agents';
import { readOpenCodeDb, type OpenCodeFlavor } from '../opencode';

/**
 * Kilo CLI (an OpenCode fork): `${KILO_DATA_DIR:-~/.local/share/kilo}/kilo.db`, table `message`
 * holding OpenCode's message JSON, read by OpenCode's reader. One difference, as ccusage 20.0.24:
 * under costMode "auto" a stored `cost` is Kilo's figure whenever it is a number, 0 included
 * (OpenCode's is used only when positive). The Kilo Code VS Code extension writes Cline's task
 * format instead, which is not read here.
 */
export const KILO_SOURCE = 'kilo' as const;

const KILO: OpenCodeFlavor = { source: KILO_SOURCE, keyPrefix: 'kilo', storedCost: 'any' };

export const kilo: AgentReader = {
  id: 'kilo',
  label: 'Kilo',
  source: KILO_SOURCE,
  ownsSource: (s) => s === KILO_SOURCE,
  roots: (settings, e) => pickRoots(settings, e, 'KILO_DATA_DIR', [path.join(xdgData(e), 'kilo')]),
  files: (root) => listFiles(root, (name) => /^kilo(?:-[\w.-]+)?\.db$/.test(name), 0),
  reader: () => ({ kind: 'sqlite', read: (db, ctx) => readOpenCodeDb(db, ctx, KILO, 'Kilo') }),
};
