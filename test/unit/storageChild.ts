// A process that accepts usage records into a shared database and prints "ack <key>" for each
// one only after engine.accept() resolved: what a heartbeat endpoint acknowledges with 200.
// Used by storage.test.ts, which kills it at random moments and runs several at once.
import { UsageEngine } from '../../src/core/engine';
import type { UsageRecord } from '../../src/core/model';
import { PriceTable } from '../../src/core/pricing/pricing';

const [dbFile, prefix, countText, sharedText] = process.argv.slice(2);
const count = Number(countText);
const shared = Number(sharedText ?? 0);

function record(key: string): UsageRecord {
  return {
    dedupKey: `hb:${key}`,
    timestamp: Date.parse('2026-11-20T10:00:00Z'),
    source: 'heartbeat',
    model: 'claude-sonnet-4-5-20250929',
    project: '/p',
    sessionId: key,
    inputTokens: 100,
    outputTokens: 10,
    cacheWriteTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
    reportedCost: null,
    cost: 0.001,
    unpriced: false,
    isSidechain: false,
  };
}

async function main(): Promise<void> {
  const prices = new PriceTable();
  const engine = await UsageEngine.open({
    dbFile,
    roots: () => [],
    prices: () => prices,
    costMode: () => 'auto',
    followEveryMs: 100,
    snapshotAfterMs: 200,
    snapshotJournalBytes: 20_000,
  });
  process.stdout.write(`role ${engine.role}\n`);
  engine.onDidChangeRole((r) => process.stdout.write(`role ${r}\n`));
  for (let i = 0; i < count || count < 0; i++) {
    const keys = [`${prefix}-${i}`];
    if (i < shared) keys.push(`shared-${i}`);
    // Several in flight at once, as concurrent HTTP clients would be.
    await Promise.all(
      keys.map(async (k) => {
        await engine.accept([record(k)]);
        process.stdout.write(`ack ${k}\n`);
      }),
    );
  }
  await engine.close();
  process.stdout.write('done\n');
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
