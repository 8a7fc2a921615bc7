import { statOrUndefined } from './fsio';
import { sameSig, sig, type FileSignature } from './snapshots';

/**
 * How a reader follows the writer (another window, another process): by the files alone, never
 * by talking to it. A replaced snapshot means a full reload; a journal that grew, only its new
 * entries; a journal replaced by a rotation, the new file from its start. The role switches
 * themselves (a reader promoted to writer when the writer's lock is gone, a writer demoted when
 * it lost the lock) are UsageStore.promote/demote, decided by the engine and the lock (lock.ts).
 */
export type FollowStep = { kind: 'reload' } | { kind: 'replay'; from: number } | undefined;

/** What the reader saw at its last look. */
export interface FollowedFiles {
  snapshot: FileSignature | undefined;
  journalIno: number | undefined;
  journalOffset: number;
}

/** What a reader must do to catch up with the writer's files, or undefined when nothing changed. */
export function nextFollowStep(file: string, journalFile: string, seen: FollowedFiles): FollowStep {
  if (!sameSig(sig(statOrUndefined(file)), seen.snapshot)) return { kind: 'reload' };
  const jst = statOrUndefined(journalFile);
  if (!jst) return undefined;
  if (jst.ino !== seen.journalIno) return { kind: 'replay', from: 0 };
  if (jst.size > seen.journalOffset) return { kind: 'replay', from: seen.journalOffset };
  return undefined;
}
