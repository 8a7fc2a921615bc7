import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { defaultDataDir } from '../core/limitsLog';
import { claudeSettingsFile, planStatusLineSetup, planStatusLineUndo, shellQuote, type StatusLineValue } from '../core/statusLineSetup';

/** What undo needs, kept in the data folder: the file changed, its backup, the status line before. */
const RECORD = 'statusline-setup.json';

interface SetupRecord {
  file: string;
  backup?: string;
  previous: StatusLineValue | null;
  at: string;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Temporary file and rename: Claude Code never reads half a settings file. */
function writeAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Options a caller (a test, a walkthrough) may pass; without `confirm` the change is shown first. */
interface RunOptions {
  confirm?: boolean;
}

/**
 * "Token Cost: Set Up Claude Code Status Line" and its undo. The status-line script is copied to
 * the data folder (it is self-contained), so the command in settings.json survives updates of
 * this extension, whose folder name carries its version.
 */
export function registerStatusLineCommands(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const dataDir = defaultDataDir();
  const recordFile = path.join(dataDir, RECORD);

  const setUp = async (opts: RunOptions = {}): Promise<string> => {
    const file = claudeSettingsFile();
    const text = readText(file);
    const script = path.join(dataDir, 'statusline.js');
    const command = `node ${shellQuote(script)}`;
    const plan = planStatusLineSetup(text, file, command);
    if (!plan) {
      void vscode.window.showInformationMessage(`Claude Code's status line already runs Token Cost (${file}).`);
      return 'unchanged';
    }
    if (!opts.confirm) {
      const detail =
        `File: ${file}\n\nstatusLine now: ${plan.before?.command ?? '(none)'}\n\nstatusLine after: ${plan.after.command}\n\n` +
        (plan.chained ? 'Your current status line keeps running: its output is printed after ours.\n\n' : '') +
        `${text !== undefined ? `A backup is kept as ${file}.token-cost-backup. ` : ''}"Token Cost: Undo Claude Code Status Line Setup" puts it back.`;
      const choice = await vscode.window.showInformationMessage(
        "Set Token Cost as Claude Code's status line?",
        { modal: true, detail },
        'Apply',
      );
      if (choice !== 'Apply') return 'cancelled';
    }
    fs.mkdirSync(dataDir, { recursive: true });
    fs.copyFileSync(vscode.Uri.joinPath(extensionUri, 'dist', 'statuslineMain.js').fsPath, script);
    const record: SetupRecord = { file, previous: plan.before ?? null, at: new Date().toISOString() };
    if (text !== undefined) {
      record.backup = `${file}.token-cost-backup`;
      writeAtomic(record.backup, text);
    }
    writeAtomic(recordFile, `${JSON.stringify(record, null, 2)}\n`);
    writeAtomic(file, plan.text);
    log.info(`Set Claude Code's status line in ${file} to: ${plan.after.command}${record.backup ? ` (backup: ${record.backup})` : ''}.`);
    void vscode.window.showInformationMessage(`Claude Code's status line now shows cost and plan limits (from its next reply).`);
    return 'applied';
  };

  const undo = async (opts: RunOptions = {}): Promise<string> => {
    let record: SetupRecord;
    try {
      record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as SetupRecord;
    } catch {
      void vscode.window.showInformationMessage("Token Cost has not set up Claude Code's status line on this machine: nothing to undo.");
      return 'nothing';
    }
    const next = planStatusLineUndo(readText(record.file), record.file, record.previous ?? undefined);
    if (next === undefined) {
      void vscode.window.showInformationMessage(
        `Claude Code's status line in ${record.file} is no longer Token Cost's; nothing was changed.`,
      );
      fs.rmSync(recordFile, { force: true });
      return 'nothing';
    }
    if (!opts.confirm) {
      const choice = await vscode.window.showInformationMessage(
        "Put Claude Code's status line back as it was?",
        {
          modal: true,
          detail: `File: ${record.file}\n\nstatusLine after: ${record.previous?.command ?? '(none)'}\n\nOther settings changed since stay as they are.`,
        },
        'Undo',
      );
      if (choice !== 'Undo') return 'cancelled';
    }
    writeAtomic(record.file, next);
    fs.rmSync(recordFile, { force: true });
    log.info(`Put Claude Code's status line in ${record.file} back to: ${record.previous?.command ?? '(none)'}.`);
    return 'undone';
  };

  const guard = (f: (o?: RunOptions) => Promise<string>) => async (o?: RunOptions) => {
    try {
      return await f(o);
    } catch (err) {
      void vscode.window.showErrorMessage(`Token Cost: ${(err as Error).message}`);
      return 'failed';
    }
  };
  return [
    vscode.commands.registerCommand('tokenCost.setUpStatusLine', guard(setUp)),
    vscode.commands.registerCommand('tokenCost.undoStatusLine', guard(undo)),
  ];
}
