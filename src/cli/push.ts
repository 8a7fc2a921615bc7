/**
 * `token-cost push`: read transcripts into the store, then send the store's all-time counters,
 * labelled with --user and --machine, to a Prometheus remote-write endpoint and/or an OTLP/HTTP
 * metrics endpoint. Nothing is sent unless one of the URLs is given.
 */
import { performance } from 'node:perf_hooks';
import { pushCounters } from '../core/teamExport';
import type { Flags } from './options';
import { UsageError } from './options';
import { openScanned } from './scan';

export async function push(flags: Flags): Promise<void> {
  if (!flags.remoteWrite && !flags.otlp)
    throw new UsageError('Give --remote-write URL, --otlp URL or both: push sends nothing otherwise.', 'push');
  const who = { user: flags.user, machine: flags.machine };
  const { engine } = await openScanned(flags);
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await pushCounters(engine.store, who, { remoteWrite: flags.remoteWrite, otlp: flags.otlp, project: flags.projectLabel });
    const cpu = process.cpuUsage(cpu0);
    const total = process.cpuUsage();
    const summary = {
      user: who.user,
      machine: who.machine,
      series: result.series,
      ...Object.fromEntries(result.sent.map((s) => [s.target, { url: s.url, bytes: s.bytes }])),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      wallMs: Math.round(performance.now() - t0),
      // The whole run: start-up, loading the database and the transcript scan included.
      processCpuMs: Math.round((total.user + total.system) / 1000),
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      const where = result.sent.map((s) => `${s.target === 'otlp' ? 'OTLP' : 'remote write'} ${s.url} (${s.bytes} bytes)`).join(' and ');
      process.stdout.write(`Pushed ${result.series} series as user "${who.user}", machine "${who.machine}" to ${where}.\n`);
    }
  } finally {
    await engine.close();
  }
}
