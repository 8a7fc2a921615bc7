import * as vscode from 'vscode';

/** The open workspace folders on disk (the dashboard's "This workspace", exports and the bridge). */
export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}
