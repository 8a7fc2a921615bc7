/**
 * The 5-hour billing blocks of Claude's subscriptions, as ccusage's `blocks` report counts them:
 * a block starts at the (UTC) hour of its first request and lasts 5 hours; a request 5 hours or
 * more after the block's start, or after the previous request, starts the next block. The
 * dashboard's "current block" and the CLI's `blocks` report both come from here.
 */
import { ROLLUP_HOUR_MS } from './store';

export const BLOCK_MS = 5 * 3_600_000;

/** The first and last request time of one hour that has requests (hours in ascending order). */
export interface HourSpan {
  lo: number;
  hi: number;
}

/** One block: [start, end) with the first and last request in it and which hours it holds. */
export interface BlockSpan {
  start: number;
  end: number;
  firstRequest: number;
  lastRequest: number;
  /** Indexes into the hour list: [fromHour, toHour). */
  fromHour: number;
  toHour: number;
}

/**
 * Blocks from the hours that hold requests. Per hour only its first request can start a block
 * (a block starts on a whole hour and lasts whole hours), so each hour belongs to exactly one
 * block and the hourly rollup's per-hour sums add up to a block's figures.
 */
export function blockSpans(hours: readonly HourSpan[]): BlockSpan[] {
  const out: BlockSpan[] = [];
  let cur: BlockSpan | undefined;
  hours.forEach((h, i) => {
    if (!cur || h.lo - cur.start >= BLOCK_MS || h.lo - cur.lastRequest >= BLOCK_MS) {
      if (cur) out.push(cur);
      const start = Math.floor(h.lo / ROLLUP_HOUR_MS) * ROLLUP_HOUR_MS;
      cur = { start, end: start + BLOCK_MS, firstRequest: h.lo, lastRequest: h.hi, fromHour: i, toHour: i + 1 };
    } else {
      cur.lastRequest = Math.max(cur.lastRequest, h.hi);
      cur.toHour = i + 1;
    }
  });
  if (cur) out.push(cur);
  return out;
}

/** A block is running while its 5 hours last and its last request is under 5 hours old. */
export function isActiveBlock(b: Pick<BlockSpan, 'end' | 'lastRequest'>, now: number): boolean {
  return now < b.end && now - b.lastRequest < BLOCK_MS;
}

/**
 * The idle stretch between two blocks that ccusage lists as a gap block: from 5 hours after the
 * last request of one block to the first request of the next, when that is later.
 */
export function gapBetween(a: BlockSpan, b: BlockSpan): { start: number; end: number } | undefined {
  const start = a.lastRequest + BLOCK_MS;
  return start < b.firstRequest ? { start, end: b.firstRequest } : undefined;
}

export interface BlockBurn {
  /** All tokens per minute between the block's first and last request. */
  tokensPerMinute: number;
  /** Input and output tokens only per minute (ccusage's indicator figure). */
  tokensPerMinuteForIndicator: number;
  costPerHour: number;
}

/** ccusage's burn rate of a block: over its first to last request; none with a single instant. */
export function blockBurn(
  b: Pick<BlockSpan, 'firstRequest' | 'lastRequest'>,
  sums: { totalTokens: number; inputOutputTokens: number; cost: number },
): BlockBurn | null {
  const minutes = (b.lastRequest - b.firstRequest) / 60_000;
  if (minutes <= 0) return null;
  return {
    tokensPerMinute: sums.totalTokens / minutes,
    tokensPerMinuteForIndicator: sums.inputOutputTokens / minutes,
    costPerHour: (sums.cost / minutes) * 60,
  };
}

/** Where a running block ends if it goes on at its burn rate (ccusage's projection, unrounded). */
export function blockProjection(
  b: Pick<BlockSpan, 'end'>,
  burn: BlockBurn | null,
  sums: { totalTokens: number; cost: number },
  now: number,
) {
  const remainingMinutes = Math.max(0, (b.end - now) / 60_000);
  return {
    totalTokens: sums.totalTokens + (burn ? burn.tokensPerMinute * remainingMinutes : 0),
    totalCost: sums.cost + (burn ? (burn.costPerHour / 60) * remainingMinutes : 0),
    remainingMinutes,
  };
}
