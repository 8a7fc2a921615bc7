import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { UsageRecord } from '../model';
import type { CostMode, PriceTable } from '../pricing/pricing';
import type { UsageStore } from '../store';
import { USAGE_MARKER, describeTranscript, parseClaudeLine, type TranscriptFile } from './claude';
import { scanMarkedLines } from './lineReader';

export interface ScanStats {
  filesSeen: number;
  filesRead: number;
  bytesRead: number;
  records: number;
  /** Rows added or improved in the store. */
  changed: number;
  malformedLines: number;
  oversizedLines: number;
  unreadableFiles: number;
  unpricedModels: string[];
  durationMs: number;
}

export interface ScannerOptions {
  roots: () => string[];
  prices: () => PriceTable;
  costMode: () => CostMode;
  log?: (message: string) => void;
}

/** Lists every `*.jsonl` below `dir`, recursively; a missing folder lists nothing. */
export async function listJsonl(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && e.name.endsWith('.jsonl')) out.push(full);
    }
  };
  await walk(dir);
  return out.sort();
}

/**
 * Reads Claude Code transcripts into the store. Each file is read from where the last read
 * stopped (its cursor); a file that shrank or was replaced is read again from the start, which
 * is safe because records are deduplicated by identity.
 */
export class TranscriptScanner {
  constructor(
    private readonly store: UsageStore,
    private readonly opts: ScannerOptions,
  ) {}

  async scanAll(): Promise<ScanStats> {
    const started = Date.now();
    const stats: ScanStats = {
      filesSeen: 0, filesRead: 0, bytesRead: 0, records: 0, changed: 0, malformedLines: 0, oversizedLines: 0,
      unreadableFiles: 0, unpricedModels: [], durationMs: 0,
    };
    const unpriced = new Set<string>();
    for (const root of this.opts.roots()) {
      for (const file of await listJsonl(root)) {
        stats.filesSeen++;
        await this.scanFile(describeTranscript(root, file), stats, unpriced);
      }
    }
    stats.unpricedModels = [...unpriced].sort();
    stats.durationMs = Date.now() - started;
    return stats;
  }

  private async scanFile(file: TranscriptFile, stats: ScanStats, unpriced: Set<string>): Promise<void> {
    let st;
    try {
      st = await fsp.stat(file.path);
    } catch {
      return;
    }
    const prior = this.store.cursor(file.path);
    const replaced = prior !== undefined && (prior.ino !== st.ino || st.size < prior.offset);
    if (prior && !replaced && prior.size === st.size && prior.mtimeMs === st.mtimeMs) return;
    const start = prior && !replaced ? prior.offset : 0;

    const batch: UsageRecord[] = [];
    const prices = this.opts.prices();
    const mode = this.opts.costMode();
    let result;
    try {
      result = await scanMarkedLines(file.path, start, USAGE_MARKER, (line, offset) => {
        const outcome = parseClaudeLine(line, offset, file, prices, mode);
        if (outcome.kind === 'record') {
          batch.push(outcome.record);
          if (outcome.record.unpriced) unpriced.add(outcome.record.model);
        } else if (outcome.kind === 'malformed') {
          stats.malformedLines++;
        }
      });
    } catch (err) {
      stats.unreadableFiles++;
      this.opts.log?.(`Could not read ${file.path}: ${(err as Error).message}`);
      return;
    }
    stats.filesRead++;
    stats.bytesRead += st.size - start;
    stats.records += batch.length;
    stats.oversizedLines += result.oversized;
    stats.changed += this.store.insert(batch);
    this.store.setCursor({ path: file.path, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, offset: result.endOffset });
  }
}
