import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The file operations the storage layer writes with. Tests swap in failing ones to check that a
 * full disk or a permission error loses nothing.
 */
export interface StorageIo {
  writeFileDurable(file: string, bytes: Uint8Array): Promise<void>;
  appendDurable(file: string, text: string): Promise<void>;
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some file systems cannot fsync a directory; the rename is still atomic there.
  }
}

export const defaultIo: StorageIo = {
  /** Temporary file, flush, rename over the old one, flush the folder: never a half-written file. */
  async writeFileDurable(file, bytes) {
    await fsp.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    try {
      const fh = await fsp.open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, file);
      await fsyncDir(path.dirname(file));
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  },
  async appendDurable(file, text) {
    const fh = await fsp.open(file, 'a', 0o600);
    try {
      await fh.appendFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

export function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
