import * as fs from 'node:fs';
import * as path from 'node:path';

/** `server.json` beside the database: how scripts and `token-cost log` find the running server. */
export const DISCOVERY_FILE = 'server.json';

export interface DiscoveryInfo {
  url: string;
  port: number;
  pid: number;
  startedAt: string;
}

export function discoveryPath(storageDir: string): string {
  return path.join(storageDir, DISCOVERY_FILE);
}

/** Written under a temporary name and renamed, so a reader never sees half a file. */
export function writeDiscovery(storageDir: string, info: DiscoveryInfo): void {
  fs.mkdirSync(storageDir, { recursive: true });
  const file = discoveryPath(storageDir);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function readDiscovery(storageDir: string): DiscoveryInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(discoveryPath(storageDir), 'utf8')) as DiscoveryInfo;
    return typeof info.url === 'string' && Number.isInteger(info.port) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the file only if this process wrote it: a newer server may have replaced it. */
export function removeDiscovery(storageDir: string, pid = process.pid): void {
  const info = readDiscovery(storageDir);
  if (info && info.pid !== pid) return;
  fs.rmSync(discoveryPath(storageDir), { force: true });
}
