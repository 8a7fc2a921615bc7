import * as path from 'node:path';
import { pickRoots, type AgentReader } from '../agents';

/**
 * Cursor keeps no usable token counts locally: its chat store's `tokenCount` fields have been
 * zeros since about February 2026 and its agent transcripts (`~/.cursor/projects/<id>/
 * agent-transcripts/`) carry none; real usage is on Cursor's servers only. So nothing is read:
 * when Cursor's folder exists, a note says so, instead of a $0 that would look real.
 */
export const CURSOR_SOURCE = 'cursor' as const;

export const CURSOR_NOTE =
  'Cursor usage cannot be read locally: Cursor keeps its token counts on its servers (its local files hold zeros), so Cursor is not counted here.';

export const cursor: AgentReader = {
  id: 'cursor',
  label: 'Cursor',
  source: CURSOR_SOURCE,
  ownsSource: (s) => s === CURSOR_SOURCE,
  roots: (settings, e) => pickRoots(settings, e, 'CURSOR_DIR', [path.join(e.home, '.cursor')]),
  files: () => [],
  reader: () => undefined,
  note: (existing) => (existing.length ? CURSOR_NOTE : undefined),
};
