import * as crypto from 'node:crypto';

// One-shot hashing (Node >= 20.12) avoids a Hash object per key: scans hash every request.
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;

/**
 * A 64-bit hash of a dedup key or message id. Rows keep hashes instead of the text (40-80 bytes,
 * and an index of its own); see requestKey for how a stored key is made of them.
 */
export function hashKey(text: string): bigint {
  const digest = oneShot ? oneShot('sha1', text, 'buffer') : crypto.createHash('sha1').update(text).digest();
  return digest.readBigInt64BE(0);
}

/** Low bits of a request's key that tell apart the requests of one message. */
const REQUEST_BITS = 20n;
const REQUEST_MASK = (1n << REQUEST_BITS) - 1n;

/**
 * A stored request's 64-bit key. Requests that carry a message id share the message's high 44
 * bits and differ in the low 20 (from the dedup key), so all copies of one message sit in one
 * range of keys: the sidechain rule finds them by a range read of the table itself, without a
 * message column and its index (about 30 bytes per request).
 *
 * What this trades: two requestIds of one message share a key with odds of 2^-20 per pair (they
 * then count once, where ccusage counts a main-chain pair twice; such pairs are rare). Among a
 * million stored messages, two share a range with odds of about 3 %, and the sidechain rule
 * only joins them if they also have the same model and one is a subagent's copy. Requests
 * without a message id (heartbeats, Codex, manual logs) keep a full 64-bit hash of their key.
 */
export function requestKey(dedupKey: string, messageId?: string): bigint {
  const own = hashKey(dedupKey);
  return messageId ? (hashKey(messageId) & ~REQUEST_MASK) | (own & REQUEST_MASK) : own;
}

/** The inclusive key range holding every request of a message. */
export function messageKeyRange(messageId: string): [bigint, bigint] {
  const low = hashKey(messageId) & ~REQUEST_MASK;
  return [low, low | REQUEST_MASK];
}

export const REQUEST_KEY_MASK = REQUEST_MASK;
