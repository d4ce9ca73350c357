/**
 * Media host benchmark: 1, 10 and 50 concurrent sessions in one media host child, each sending a
 * tone (PCMU, 20 ms) and recording what comes back. The far ends are plain UDP sockets in this
 * process that timestamp every packet on arrival and echo it back, so each session records its
 * own tone. Prints the sender's inter-packet interval p50/p99 twice: as the child issued the
 * packets (its `sendIntervalMs` statistic, per session: the worst p50/p99/max over sessions) and
 * as they arrived here over loopback (this process's own scheduling included: an upper bound);
 * and the child's CPU share and RSS.
 *
 *   npx tsx scripts/bench-media.ts [seconds per run, default 10] [--compiled]
 *
 * `--compiled` runs the child from out/main/media (after `npx tsc -b`) instead of the TypeScript
 * source under tsx, as the app and the monitor run it; tsx's loader alone costs the child ~40 MB.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { MediaHostClient } from '../main/media/media-host-client';

const seconds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10);
const entry = process.argv.includes('--compiled') ? join(__dirname, '..', 'out', 'main', 'media', 'media-host-main.js') : undefined;
const CLOCK_TICKS = 100; // USER_HZ on Linux

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) / 1024;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(count: number, dir: string): Promise<void> {
  const host = await MediaHostClient.start({ requestTimeoutMs: 10_000, entry });
  const pid = host.pid!;
  const errors: string[] = [];
  host.on('error', (e) => errors.push(e.message));
  const far: Socket[] = [];
  const intervals: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const session = `s${i}`;
      await host.open({ session, localAddress: '127.0.0.1', portMin: 40000, portMax: 49999 });
      const socket = createSocket('udp4');
      let last: number | null = null;
      socket.on('message', (msg, rinfo) => {
        if (msg[1]! >= 192 && msg[1]! <= 223) return; // RTCP
        const now = performance.now();
        if (last !== null) intervals.push(now - last);
        last = now;
        socket.send(msg, rinfo.port, rinfo.address);
      });
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      far.push(socket);
      await host.setSource(session, { kind: 'tone', frequencyHz: 440 + i, dBFS: -20 });
      await host.record(session, join(dir, `${session}.wav`));
      await host.configure({ session, remoteAddress: '127.0.0.1', remoteRtpPort: socket.address().port, codec: 'PCMU', payloadType: 0,
        telephoneEventPayloadType: 101, direction: 'sendrecv' });
    }
    // Let every session settle, then measure.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    intervals.length = 0;
    const cpu0 = cpuTicks(pid);
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const cpuShare = ((cpuTicks(pid) - cpu0) / CLOCK_TICKS) / ((performance.now() - t0) / 1000);
    const rss = rssMb(pid);
    const sorted = [...intervals].sort((a, b) => a - b);
    let received = 0;
    let lost = 0;
    const sender = { p50: 0, p99: 0, max: 0 };
    for (let i = 0; i < count; i++) {
      const s = await host.close(`s${i}`);
      received += s.packetsReceived;
      lost += Math.max(0, s.packetsLost);
      sender.p50 = Math.max(sender.p50, s.sendIntervalMs?.p50 ?? NaN);
      sender.p99 = Math.max(sender.p99, s.sendIntervalMs?.p99 ?? NaN);
      sender.max = Math.max(sender.max, s.sendIntervalMs?.max ?? NaN);
    }
    console.log([
      `${String(count).padStart(2)} sessions`,
      `sent (worst session) p50 ${sender.p50.toFixed(1)} p99 ${sender.p99.toFixed(1)} max ${sender.max.toFixed(1)} ms`,
      `arrived p50 ${percentile(sorted, 50).toFixed(2)} p99 ${percentile(sorted, 99).toFixed(2)} max ${(sorted.at(-1) ?? NaN).toFixed(2)} ms`,
      `(${sorted.length} intervals)`,
      `child CPU ${(cpuShare * 100).toFixed(1)} % of one core`,
      `RSS ${rss.toFixed(1)} MB`,
      `echoed back: ${received} received, ${lost} lost`,
      errors.length ? `errors: ${errors.slice(0, 3).join('; ')}` : '',
    ].join(' | '));
  } finally {
    for (const s of far) s.close();
    await host.stop();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-bench-media-'));
  try {
    console.log(`media host benchmark: ${seconds} s per run, PCMU 20 ms, tone + recording per session, Node ${process.version}, child ${entry ?? 'from TypeScript source (tsx)'}`);
    for (const count of [1, 10, 50]) await run(count, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
