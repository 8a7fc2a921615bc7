// scripts/system-deps.cjs decides whether `npm start`, `npm test` and `.ci/run` install Debian's
// chromium and libkrb5-dev themselves or stop with the command to run. The machine is simulated:
// a temporary root holds (or lacks) the packages' files, and the commands are recorded, not run.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './helpers';

const root = path.resolve(__dirname, '../../..');

interface EnsureOptions {
  again: string;
  root: string;
  uid: number;
  run: (argv: string[]) => number;
  probe: (argv: string[]) => boolean;
  log: (line: string) => void;
}
interface SystemDeps {
  PACKAGES: Record<string, { file: string }>;
  ensureSystemPackages(names: string[], options: EnsureOptions): { installed: string[] };
  SystemDepsError: new (message: string) => Error;
}
// A CommonJS script outside the TypeScript project, loaded by its path at run time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const deps: SystemDeps = require(path.join(root, 'scripts/system-deps.cjs'));

/** A fake machine: `present` packages have their files below `dir`; every command is recorded. */
function machine(present: string[], { uid = 1000, sudo = false, aptGet = true, aptExit = 0, aptInstalls = true } = {}) {
  const dir = tempDir('tcd-sysroot-');
  const put = (name: string) => {
    const file = path.join(dir, deps.PACKAGES[name].file);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '');
  };
  present.forEach(put);
  const ran: string[] = [];
  const probed: string[] = [];
  const options: EnsureOptions = {
    again: 'npm test',
    root: dir,
    uid,
    log: () => {},
    probe: (argv) => {
      probed.push(argv.join(' '));
      if (argv[0] === 'apt-get') return aptGet;
      if (argv[0] === 'sudo') return sudo;
      throw new Error(`unexpected probe ${argv.join(' ')}`);
    },
    run: (argv) => {
      ran.push(argv.join(' '));
      const install = argv.indexOf('install');
      if (aptExit === 0 && install >= 0 && aptInstalls)
        argv
          .slice(install + 1)
          .filter((a) => !a.startsWith('-'))
          .forEach(put);
      return aptExit;
    },
  };
  return { options, ran, probed };
}

const lock = '-o DPkg::Lock::Timeout=300';

describe('system packages for npm start / npm test (scripts/system-deps.cjs)', () => {
  it('does nothing, and asks nothing, when the packages are there', () => {
    const m = machine(['chromium', 'libkrb5-dev']);
    assert.deepEqual(deps.ensureSystemPackages(['chromium', 'libkrb5-dev'], m.options), { installed: [] });
    assert.deepEqual(m.ran, []);
    assert.deepEqual(m.probed, []);
  });

  it('as root, installs only the missing package with apt-get', () => {
    const m = machine(['chromium'], { uid: 0 });
    assert.deepEqual(deps.ensureSystemPackages(['chromium', 'libkrb5-dev'], m.options), { installed: ['libkrb5-dev'] });
    assert.deepEqual(m.ran, [
      `apt-get ${lock} update -q`,
      `env DEBIAN_FRONTEND=noninteractive apt-get ${lock} install -y -q --no-install-recommends libkrb5-dev`,
    ]);
    assert.ok(!m.probed.some((p) => p.startsWith('sudo')), 'root does not try sudo');
  });

  it('as a user whose sudo does not prompt, installs through sudo -n', () => {
    const m = machine([], { uid: 1000, sudo: true });
    assert.deepEqual(deps.ensureSystemPackages(['chromium', 'libkrb5-dev'], m.options), { installed: ['chromium', 'libkrb5-dev'] });
    assert.deepEqual(m.ran, [
      `sudo -n apt-get ${lock} update -q`,
      `sudo -n env DEBIAN_FRONTEND=noninteractive apt-get ${lock} install -y -q --no-install-recommends chromium libkrb5-dev`,
    ]);
    assert.ok(m.probed.includes('sudo -n true'));
  });

  it('as a user without a password-less sudo, stops at once with the exact command', () => {
    const m = machine(['libkrb5-dev'], { uid: 1000, sudo: false });
    assert.throws(
      () => deps.ensureSystemPackages(['chromium', 'libkrb5-dev'], m.options),
      (e: Error) => {
        assert.ok(e instanceof deps.SystemDepsError);
        assert.match(e.message, /Missing Debian packages: chromium \(/);
        assert.ok(e.message.includes('    sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium\n'), e.message);
        assert.match(e.message, /then `npm test` again/);
        return true;
      },
    );
    assert.deepEqual(m.ran, [], 'nothing was run');
  });

  it('without apt-get, says which packages to install with the system package manager', () => {
    const m = machine([], { uid: 0, aptGet: false });
    assert.throws(
      () => deps.ensureSystemPackages(['libkrb5-dev'], m.options),
      /apt-get is not available.*\n\n {4}install libkrb5-dev \(their Debian names\)/s,
    );
    assert.deepEqual(m.ran, []);
  });

  it('when apt-get fails, stops with its exit code and the command to run by hand', () => {
    const m = machine([], { uid: 0, aptExit: 100 });
    assert.throws(
      () => deps.ensureSystemPackages(['chromium'], m.options),
      (e: Error) => {
        assert.match(e.message, /`apt-get -o DPkg::Lock::Timeout=300 update -q` failed \(exit 100\)/);
        assert.ok(e.message.includes('    apt-get update && apt-get install -y --no-install-recommends chromium\n'), e.message);
        return true;
      },
    );
    assert.equal(m.ran.length, 1, 'no install after a failed update');
  });

  it('when apt-get succeeds but the file is still missing, names the file', () => {
    const m = machine([], { uid: 0, aptInstalls: false });
    assert.throws(
      () => deps.ensureSystemPackages(['libkrb5-dev'], m.options),
      /libkrb5-dev's .*usr\/include\/gssapi\/gssapi\.h is still missing/,
    );
  });

  it('`npm test` stops before building, with the command, when the packages cannot be installed', function () {
    this.timeout(30_000);
    // A machine without the packages (an empty root), an apt-get that fails and a sudo that asks
    // for a password, on PATH before the real ones: whoever runs this test, nothing is installed.
    const bin = tempDir('tcd-fakebin-');
    writeFileSync(path.join(bin, 'apt-get'), '#!/bin/sh\n[ "$1" = --version ] && exit 0\necho "E: Could not get lock" >&2\nexit 100\n');
    writeFileSync(path.join(bin, 'sudo'), '#!/bin/sh\necho "sudo: a password is required" >&2\nexit 1\n');
    for (const f of ['apt-get', 'sudo']) chmodSync(path.join(bin, f), 0o755);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      TOKEN_COST_SYSTEM_ROOT: tempDir('tcd-sysroot-'),
      VSCODE_TEST_CACHE: tempDir('tcd-cache-'),
    };
    delete env.CHROMIUM_PATH;
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/test-all.mjs'), 'e2e'], { cwd: root, env, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /Missing Debian packages: chromium|`.*apt-get.*` failed \(exit 100\)/);
    assert.ok(r.stderr.includes('apt-get install -y --no-install-recommends chromium libkrb5-dev prometheus sqlite3\n'), r.stderr);
    assert.match(r.stdout, /tests: 0 passed, 1 failed, 0 skipped/);
    assert.doesNotMatch(r.stdout, /=== build and package/, 'it stopped before building');
  });
});
