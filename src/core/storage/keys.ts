import * as crypto from 'node:crypto';

// One-shot hashing (Node >= 20.12) avoids a Hash object per key: scans hash every request.
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string, enc: 'buffer') => Buffer }).hash;

/**
 * A 64-bit identity for a dedup key or message id. Rows keep this instead of the text (which is
 * 40-80 bytes and would need its own index); at a million requests the chance that two distinct
 * keys collide is about 3e-8.
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

/** The same range for a key already stored (a v3 row's message hash). */
export function keyRangeOf(messageHash: bigint): [bigint, bigint] {
  const low = messageHash & ~REQUEST_MASK;
  return [low, low | REQUEST_MASK];
}

export const REQUEST_KEY_MASK = REQUEST_MASK;
