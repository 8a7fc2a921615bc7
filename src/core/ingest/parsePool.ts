/**
 * Worker threads that read and parse JSONL files (parseWorker.ts) while the main thread folds
 * their records into the store: a first scan's reading and JSON.parse then use the other core.
 * Each job's records come back as columns (lineFile.ts encodeRecords; typed arrays transferred)
 * and are made into records again here, in the main thread.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PriceOverride } from '../pricing/pricing';
import { decodeRecords, type EncodedRecords, type LineFileJob, type ParsedLineFile } from './lineFile';

/** The file could not be read (the worker said why); a pool that failed rejects with PoolFailure. */
export class FileReadError extends Error {}
export class PoolFailure extends Error {}

type Reply = { id: number; ok?: Omit<ParsedLineFile, 'records'> & { encoded: EncodedRecords }; error?: string };

interface Slot {
  worker: Worker;
  jobs: Set<number>;
}

export class ParsePool {
  private readonly slots: Slot[] = [];
  private readonly waiting = new Map<number, { resolve: (p: ParsedLineFile) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failed: Error | undefined;

  /**
   * `count` workers pricing with the bundled table plus `priceOverrides` (the same overrides as
   * the scanner's own price table). The worker script sits beside this module (dist/ or out/).
   */
  constructor(count: number, priceOverrides?: Record<string, PriceOverride>) {
    const script = path.join(__dirname, 'parseWorker.js');
    for (let i = 0; i < count; i++) {
      const worker = new Worker(script, { workerData: { priceOverrides } });
      const slot: Slot = { worker, jobs: new Set() };
      worker.on('message', (m: Reply) => this.settle(slot, m));
      const fail = (err: Error) => {
        this.failed ??= new PoolFailure(`parse worker failed: ${err.message}`);
        for (const id of slot.jobs) this.waiting.get(id)?.reject(this.failed);
        slot.jobs.clear();
      };
      worker.on('error', fail);
      worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
      this.slots.push(slot);
    }
  }

  private settle(slot: Slot, m: Reply): void {
    slot.jobs.delete(m.id);
    const w = this.waiting.get(m.id);
    this.waiting.delete(m.id);
    if (!w) return;
    if (m.error !== undefined || !m.ok) w.reject(new FileReadError(m.error ?? 'no answer'));
    else {
      const { encoded, ...rest } = m.ok;
      w.resolve({ ...rest, records: decodeRecords(encoded) });
    }
  }

  /** Parses one file in the least busy worker. */
  parse(job: LineFileJob): Promise<ParsedLineFile> {
    if (this.failed) return Promise.reject(this.failed);
    const slot = this.slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      slot.jobs.add(id);
      slot.worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    this.failed ??= new PoolFailure('parse pool closed');
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
