// The Debian packages `npm start`, `npm test` and `.ci/run` need, installed on the spot when this
// process may (root, or a sudo that does not ask for a password), else a stop at once with the exact
// command to run. One module for all three entry points, so the rule lives in one place.
// CommonJS so that both the ESM scripts and the compiled unit tests can load it on any Node 20.
'use strict';
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

/** Each package, the file whose presence shows it is installed, and what it is for. */
const PACKAGES = {
  chromium: { file: '/usr/bin/chromium', purpose: 'the browser the integration and e2e tests drive' },
  'libkrb5-dev': { file: '/usr/include/gssapi/gssapi.h', purpose: "the headers code-server's kerberos module builds against, once" },
  prometheus: { file: '/usr/bin/prometheus', purpose: 'the real Prometheus the `token-cost push` test writes to and queries' },
  sqlite3: { file: '/usr/bin/sqlite3', purpose: 'a second process that locks and writes an agent database while the agent tests read it' },
};

// apt-get waits this long for another apt (unattended upgrades, a second terminal) to finish.
const APT_LOCK_WAIT_S = 300;

/** The packages of `names` whose marker file is absent below `root` ("/" outside tests). */
function missingPackages(names, root = '/') {
  return names.filter((name) => {
    if (!PACKAGES[name]) throw new Error(`Unknown system package "${name}" (known: ${Object.keys(PACKAGES).join(', ')})`);
    return !existsSync(join(root, PACKAGES[name].file));
  });
}

/** The two apt-get commands (update, install), as argv arrays, with `prefix` before each. */
function aptCommands(missing, prefix = []) {
  const wait = ['-o', `DPkg::Lock::Timeout=${APT_LOCK_WAIT_S}`];
  return [
    [...prefix, 'apt-get', ...wait, 'update', '-q'],
    [...prefix, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...wait, 'install', '-y', '-q', '--no-install-recommends', ...missing],
  ];
}

/** What a person types: `sudo apt-get update && sudo apt-get install -y … chromium libkrb5-dev`. */
function manualCommand(missing, asRoot) {
  const s = asRoot ? '' : 'sudo ';
  return `${s}apt-get update && ${s}apt-get install -y --no-install-recommends ${missing.join(' ')}`;
}

/**
 * What to do about `missing`: nothing; run `commands` (as root, or through `sudo -n`); or stop and
 * tell the user `command`. `canSudo` is whether `sudo -n true` succeeds; `hasAptGet` whether
 * apt-get exists.
 */
function plan({ missing, uid, canSudo, hasAptGet }) {
  if (missing.length === 0) return { action: 'none' };
  if (!hasAptGet) {
    return {
      action: 'stop',
      reason: 'apt-get is not available on this machine',
      command: `install ${missing.join(' ')} (their Debian names) with your system's package manager`,
    };
  }
  if (uid === 0) return { action: 'install', via: 'root', commands: aptCommands(missing) };
  if (canSudo) return { action: 'install', via: 'sudo', commands: aptCommands(missing, ['sudo', '-n']) };
  return {
    action: 'stop',
    reason: 'this user is not root and sudo needs a password (or is not installed)',
    command: manualCommand(missing, false),
  };
}

class SystemDepsError extends Error {}

function describe(missing) {
  return missing.map((n) => `${n} (${PACKAGES[n].purpose})`).join(', ');
}

/**
 * Makes sure the Debian packages `names` are installed; installs the missing ones when allowed.
 * Throws a SystemDepsError whose message says exactly what to run otherwise. `again` is the
 * command to repeat afterwards (`npm test`). The options after it exist for the unit tests.
 */
function ensureSystemPackages(
  names,
  {
    again,
    root = process.env.TOKEN_COST_SYSTEM_ROOT || '/',
    uid = process.getuid ? process.getuid() : -1,
    run = (argv) => spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' }).status,
    probe = (argv) => spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' }).status === 0,
    log = console.log,
  } = {},
) {
  const missing = missingPackages(names, root);
  if (missing.length === 0) return { installed: [] };
  const decision = plan({
    missing,
    uid,
    hasAptGet: probe(['apt-get', '--version']),
    canSudo: uid !== 0 && probe(['sudo', '-n', 'true']),
  });
  if (decision.action === 'stop') {
    throw new SystemDepsError(
      `Missing Debian packages: ${describe(missing)}.\n` +
        `They cannot be installed from here: ${decision.reason}. Run this, then \`${again}\` again:\n\n    ${decision.command}\n`,
    );
  }
  log(
    `Installing Debian packages ${missing.join(', ')} with apt-get${decision.via === 'sudo' ? ' through sudo' : ''}: ${describe(missing)}.`,
  );
  for (const argv of decision.commands) {
    log(`$ ${argv.join(' ')}`);
    const status = run(argv);
    if (status !== 0) {
      throw new SystemDepsError(
        `\`${argv.join(' ')}\` failed (exit ${status}). Fix that, or run this yourself, then \`${again}\` again:\n\n    ${manualCommand(missing, uid === 0)}\n`,
      );
    }
  }
  const still = missingPackages(missing, root);
  if (still.length) {
    throw new SystemDepsError(
      `apt-get finished, but ${still.map((n) => `${n}'s ${join(root, PACKAGES[n].file)}`).join(' and ')} ${still.length > 1 ? 'are' : 'is'} still missing.`,
    );
  }
  return { installed: missing };
}

/** ensureSystemPackages for the entry scripts: prints the message and exits 1 instead of throwing. */
function ensureSystemPackagesOrExit(names, options) {
  try {
    return ensureSystemPackages(names, options);
  } catch (e) {
    if (!(e instanceof SystemDepsError)) throw e;
    console.error(`\n${e.message}`);
    process.exit(1);
  }
}

module.exports = { PACKAGES, missingPackages, plan, manualCommand, ensureSystemPackages, ensureSystemPackagesOrExit, SystemDepsError };
