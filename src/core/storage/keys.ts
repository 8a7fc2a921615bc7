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
