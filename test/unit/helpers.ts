import { mkdtempSync, mkdirSync, writeFileSync, appendFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function tempDir(prefix = 'tcd-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface LineOpts {
  id?: string;
  requestId?: string;
  model?: string;
  timestamp?: string;
  input?: number;
  output?: number;
  cacheWrite?: number;
  cacheWrite1h?: number;
  cacheRead?: number;
  cwd?: string;
  sessionId?: string;
  isSidechain?: boolean;
  costUSD?: number;
}

/** One Claude Code assistant line, as the CLI writes it. */
export function assistantLine(o: LineOpts = {}): string {
  const usage: Record<string, unknown> = {
    input_tokens: o.input ?? 10,
    cache_creation_input_tokens: o.cacheWrite ?? 0,
    cache_read_input_tokens: o.cacheRead ?? 0,
    output_tokens: o.output ?? 100,
  };
  if (o.cacheWrite1h !== undefined) {
    usage.cache_creation = { ephemeral_5m_input_tokens: (o.cacheWrite ?? 0) - o.cacheWrite1h, ephemeral_1h_input_tokens: o.cacheWrite1h };
  }
  const line: Record<string, unknown> = {
    parentUuid: null,
    isSidechain: o.isSidechain ?? false,
    cwd: o.cwd ?? '/home/me/app',
    sessionId: o.sessionId ?? 'session-1',
    version: '2.0.14',
    type: 'assistant',
    timestamp: o.timestamp ?? '2026-11-20T10:00:00.000Z',
    message: {
      id: o.id,
      type: 'message',
      role: 'assistant',
      model: o.model ?? 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'ok' }],
      usage,
    },
  };
  if (o.requestId !== undefined) line.requestId = o.requestId;
  if (o.costUSD !== undefined) line.costUSD = o.costUSD;
  return JSON.stringify(line);
}

export function writeLines(file: string, lines: string[], append = false): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const text = lines.map((l) => `${l}\n`).join('');
  if (append) appendFileSync(file, text);
  else writeFileSync(file, text);
}
