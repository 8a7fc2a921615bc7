/**
 * A parse worker (parsePool.ts): reads the JSONL files it is sent with the scanner's own line
 * reader and parsers (lineFile.ts) and answers with their records as columns. It has no store.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PriceTable, type PriceOverride } from '../pricing/pricing';
import { encodeRecords, parseLineFile, type LineFileJob } from './lineFile';

const prices = new PriceTable((workerData as { priceOverrides?: Record<string, PriceOverride> } | undefined)?.priceOverrides ?? {});

// Values the readers compute once per scan (a Codex home's config.toml tier): a pool lives for one scan.
const memo = new Map<string, unknown>();
const once = <T>(key: string, compute: () => T): T => {
  if (!memo.has(key)) memo.set(key, compute());
  return memo.get(key) as T;
};

parentPort!.on('message', (msg: { id: number; job: LineFileJob }) => {
  parseLineFile(msg.job, prices, true, once).then(
    ({ records, ...rest }) => {
      const encoded = encodeRecords(records);
      parentPort!.postMessage({ id: msg.id, ok: { ...rest, encoded } }, [
        encoded.numbers.buffer as ArrayBuffer,
        encoded.flags.buffer as ArrayBuffer,
        encoded.nameIndex.buffer as ArrayBuffer,
      ]);
    },
    (err: Error) => parentPort!.postMessage({ id: msg.id, error: err.message }),
  );
});
