/**
 * `token-cost push`: read transcripts into the store, then send the store's all-time counters,
 * labelled with --user and --machine, to a Prometheus remote-write endpoint and/or an OTLP/HTTP
 * metrics endpoint. Nothing is sent unless one of the URLs is given.
 */
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { counterSeries, otlpMetricsBody, REMOTE_WRITE_HEADERS, remoteWriteBody, type PushLabels } from '../core/teamExport';
import type { Flags } from './options';
import { UsageError } from './options';
import { openScanned } from './scan';

async function send(url: string, body: Buffer, headers: Record<string, string>, what: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new Error(`${what} to ${url} failed: ${(err as Error).cause ? String((err as Error & { cause: Error }).cause.message) : (err as Error).message}`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).slice(0, 300);
    throw new Error(`${what} to ${url} was refused: HTTP ${res.status}${text ? ` (${text.trim()})` : ''}`);
  }
}

export async function push(flags: Flags): Promise<void> {
  if (!flags.remoteWrite && !flags.otlp) throw new UsageError('Give --remote-write URL, --otlp URL or both: push sends nothing otherwise.', 'push');
  const who: PushLabels = { user: flags.user, machine: flags.machine };
  const { engine } = await openScanned(flags);
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const series = counterSeries(engine.store, who, { project: flags.projectLabel });
    const now = Date.now();
    const sent: Record<string, { url: string; bytes: number }> = {};
    if (flags.remoteWrite) {
      const body = remoteWriteBody(series, now);
      await send(flags.remoteWrite, body, REMOTE_WRITE_HEADERS, 'Remote write');
      sent.remoteWrite = { url: flags.remoteWrite, bytes: body.length };
    }
    if (flags.otlp) {
      const first = Number(engine.store.get('SELECT min(ts) AS t FROM requests')?.t ?? now);
      // Attribute names repeat in every data point: gzip (which every OTLP receiver takes) shrinks it about tenfold.
      const body = gzipSync(otlpMetricsBody(series, who, now, first));
      await send(flags.otlp, body, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, 'OTLP export');
      sent.otlp = { url: flags.otlp, bytes: body.length };
    }
    const cpu = process.cpuUsage(cpu0);
    const summary = {
      user: who.user, machine: who.machine, series: series.length, ...sent,
      cpuMs: Math.round((cpu.user + cpu.system) / 1000), wallMs: Math.round(performance.now() - t0),
      // The whole run: start-up, loading the database and the transcript scan included.
      processCpuMs: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000),
    };
    if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      const where = Object.entries(sent).map(([k, v]) => `${k === 'otlp' ? 'OTLP' : 'remote write'} ${v.url} (${v.bytes} bytes)`).join(' and ');
      process.stdout.write(`Pushed ${series.length} series as user "${who.user}", machine "${who.machine}" to ${where}.\n`);
    }
  } finally {
    await engine.close();
  }
}
