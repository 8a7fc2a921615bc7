// Fails on any import cycle among the TypeScript files of src/ and webview/, and on any import of
// `vscode` from src/core (the core runs in the CLI and the tests without VS Code). Type-only
// imports count: a cycle of types is still two modules that cannot be understood one without the
// other. Uses the TypeScript compiler's own import scanner, so every form (import, export from,
// import type, dynamic import(), require) is seen as the compiler sees it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const roots = process.argv.slice(2).length ? process.argv.slice(2).map((d) => resolve(d)) : [join(root, 'src'), join(root, 'webview')];

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The file a relative specifier names, as the bundler resolves it; undefined for packages. */
function resolveImport(from, spec) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile() && /\.tsx?$/.test(candidate)) return candidate;
  }
  return undefined;
}

const files = roots.filter((r) => existsSync(r)).flatMap(tsFiles);
const known = new Set(files);
const edges = new Map();
const problems = [];
for (const file of files) {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const to = new Set();
  for (const { fileName: spec } of info.importedFiles) {
    const rel = relative(process.cwd(), file);
    if (spec === 'vscode' && /(^|[\\/])src[\\/]core[\\/]/.test(rel))
      problems.push(`${rel} imports 'vscode': src/core must run without VS Code.`);
    const target = resolveImport(file, spec);
    if (target && known.has(target)) to.add(target);
  }
  edges.set(file, [...to]);
}

// Tarjan's strongly connected components, iterative so deep graphs cannot overflow the stack.
let index = 0;
const idx = new Map();
const low = new Map();
const onStack = new Set();
const stack = [];
const cycles = [];
for (const start of files) {
  if (idx.has(start)) continue;
  const work = [[start, 0]];
  idx.set(start, index);
  low.set(start, index++);
  stack.push(start);
  onStack.add(start);
  while (work.length) {
    const frame = work[work.length - 1];
    const [v, i] = frame;
    const next = edges.get(v);
    if (i < next.length) {
      frame[1]++;
      const w = next[i];
      if (!idx.has(w)) {
        idx.set(w, index);
        low.set(w, index++);
        stack.push(w);
        onStack.add(w);
        work.push([w, 0]);
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
      continue;
    }
    work.pop();
    if (work.length) {
      const parent = work[work.length - 1][0];
      low.set(parent, Math.min(low.get(parent), low.get(v)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || edges.get(v).includes(v)) cycles.push(scc.map((f) => relative(process.cwd(), f)).sort());
    }
  }
}

for (const c of cycles) problems.push(`import cycle among ${c.length} files: ${c.join(' <-> ')}`);
if (problems.length) {
  for (const p of problems) console.error(p);
  console.error(
    `\n${problems.length} layering problem(s) in ${files.length} files. Move the shared type or function to a module both can import.`,
  );
  process.exit(1);
}
console.log(`import graph: ${files.length} files, no cycle; src/core does not import vscode.`);
