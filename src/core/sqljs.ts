import * as fs from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';

let loading: Promise<SqlJsStatic> | undefined;

/**
 * The wasm binary sits beside the bundle (dist/sql-wasm.wasm); in unit tests, which run the
 * unbundled modules, it comes from the sql.js package.
 */
function wasmPath(): string {
  const beside = path.join(__dirname, 'sql-wasm.wasm');
  if (fs.existsSync(beside)) return beside;
  // Unbundled runs only (tests); the indirection keeps the bundler from resolving it at build time.
  const resolve: (id: string) => string = require.resolve;
  return resolve('sql.js/dist/sql-wasm.wasm');
}

/** Loads sql.js once per process from the local wasm file: no fetch, no network. */
export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!loading) {
    const wasmBinary = fs.readFileSync(wasmPath());
    loading = initSqlJs({
      wasmBinary: wasmBinary.buffer.slice(wasmBinary.byteOffset, wasmBinary.byteOffset + wasmBinary.byteLength) as ArrayBuffer,
    });
  }
  return loading;
}
