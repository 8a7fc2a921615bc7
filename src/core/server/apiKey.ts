import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** 32 random bytes, base64url: what every request but /api/health must carry. */
export function generateApiKey(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/**
 * Constant-time comparison. Both sides are hashed first so that the compared buffers always have
 * the same length: timingSafeEqual throws on unequal lengths, and an early length check would
 * tell an attacker the key's length. node:crypto is the library here; nothing more is needed.
 */
export function apiKeyMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined || expected === '') return false;
  const a = crypto.createHash('sha256').update(presented, 'utf8').digest();
  const b = crypto.createHash('sha256').update(expected, 'utf8').digest();
  return crypto.timingSafeEqual(a, b);
}

/** The key a request presents: `x-api-key`, else `Authorization: Bearer <key>`. */
export function presentedApiKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const direct = headers['x-api-key'];
  if (typeof direct === 'string' && direct !== '') return direct.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return undefined;
}

export const API_KEY_ENV = 'TOKEN_COST_API_KEY';
export const API_KEY_FILE = 'api-key';

/**
 * The CLI's key: `$TOKEN_COST_API_KEY` when set, else the `api-key` file in the data folder,
 * created on first use with mode 0600 (owner only). `created` tells the caller to say where it is.
 */
export function loadOrCreateKeyFile(
  dataDir: string,
  env: NodeJS.ProcessEnv = process.env,
): { key: string; source: string; created: boolean } {
  const fromEnv = env[API_KEY_ENV]?.trim();
  if (fromEnv) return { key: fromEnv, source: `$${API_KEY_ENV}`, created: false };
  const file = path.join(dataDir, API_KEY_FILE);
  const existing = readKeyFile(file);
  if (existing) return { key: existing, source: file, created: false };
  fs.mkdirSync(dataDir, { recursive: true });
  const key = generateApiKey();
  try {
    // 'wx': never overwrite a key another process created meanwhile.
    fs.writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const raced = readKeyFile(file);
    if (raced) return { key: raced, source: file, created: false };
    throw err;
  }
  return { key, source: file, created: true };
}

/** Reads an existing key (env first, then file) without creating one. */
export function readApiKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[API_KEY_ENV]?.trim() || readKeyFile(path.join(dataDir, API_KEY_FILE));
}

function readKeyFile(file: string): string | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}
