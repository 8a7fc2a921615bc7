import { createHash } from 'node:crypto';

/**
 * A 64-bit identity for a dedup key or message id. Rows keep this instead of the text (which is
 * 40-80 bytes and would need its own index); at a million requests the chance that two distinct
 * keys collide is about 3e-8.
 */
export function hashKey(text: string): bigint {
  return createHash('sha1').update(text).digest().readBigInt64BE(0);
}
