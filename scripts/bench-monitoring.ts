/**
 * Monitoring benchmark, on the devhost's synthetic lines (SyntheticChannel: no sockets, answers
 * after a few ms) so thousands of lines fit one machine:
 *
 * 1. Scrape time and body size of GET /metrics (real HTTP endpoint, process metrics included) at
 *    1,000 and 5,000 lines, once the lines have settled and each has REGISTER and OPTIONS round
 *    trips observed (both histograms populated, as in steady state).
 * 2. CPU cost of HEP export: 1,000 lines' REGISTER exchanges (REGISTER, 401, REGISTER with
 *    Authorization, 200 — the masking path included) encoded and sent to a UDP sink, as CPU µs per
 *    message and as the CPU share at 1,000 lines refreshing every 300 s (the shortest synthetic
 *    expiry, refreshed at half of it).
 * 3. Reload of a 5,000-line config file with 10 lines changed: load + validate + diff time, apply
 *    time, and which lines sent a REGISTER afterwards (target: exactly the 10).
 *
 *   npx tsx scripts/bench-monitoring.ts
 */
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import type { LineConfig } from '../common/line-config';
import { syntheticLines } from '../main/devhost/synthetic-lines';
import { SyntheticChannel } from '../main/devhost/synthetic-channel';
import { ConfigReloader } from '../main/monitoring/config-reloader';
import { createHepExporter } from '../main/monitoring/hep-exporter';
import { startMetricsEndpoint } from '../main/monitoring/metrics-server';
import { loadMonitorConfig } from '../main/monitoring/monitor-config';
import { MonitorMetrics } from '../main/monitoring/monitor-metrics';
import { SipEngine } from '../main/sip/engine';
import type { TraceRecord } from '../main/sip/transport/sip-socket';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A synthetic engine whose REGISTERs are counted per line (and every trace optionally tapped). */
function engine(onTrace?: (line: LineConfig, record: TraceRecord) => void): SipEngine {
  return new SipEngine({
    userAgent: 'Trunkline-bench',
    traceCapacity: 40,
    createChannel: (line, serverIndex, trace) => {
      const index = Number(line.id.replace(/\D/g, '')) - 1;
      const k = index % 100;
      const behaviour = serverIndex === 0 ? (k >= 95 && k < 97 ? 'auth-failed' : k >= 84 && k < 97 ? 'unavailable' : 'ok') : k >= 92 && k < 95 ? 'unavailable' : 'ok';
      return new SyntheticChannel(line, serverIndex, behaviour, (record) => {
        trace(record);
        onTrace?.(line, record);
      });
    },
  });
}

async function scrapeBench(lines: number): Promise<void> {
  const e = engine();
  const metrics = new MonitorMetrics();
  metrics.attach(e);
  for (const line of syntheticLines(lines)) e.addLine(line);
  await sleep(3000);
  // Steady state: every line has had REGISTER and OPTIONS round trips observed (as the engine's
  // observer will report them), so both histograms have a series per line and server.
  for (const s of e.snapshots()) {
    metrics.observeRegistration({ line: s.id, server: 0, method: 'REGISTER', outcome: 200, rttMs: 20 });
    metrics.observeRegistration({ line: s.id, server: 0, method: 'OPTIONS', outcome: 200, rttMs: 15 });
  }
  const endpoint = await startMetricsEndpoint({ host: '127.0.0.1', port: 0, metrics: () => metrics.metrics(), contentType: metrics.registry.contentType, ready: () => true });
  const url = `http://127.0.0.1:${endpoint.address.port}/metrics`;
  const collect: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await metrics.metrics();
    collect.push(performance.now() - start);
  }
  // The longest the event loop (SIP timers, sockets) waits while a scrape is formatted.
  const stall = monitorEventLoopDelay({ resolution: 5 });
  stall.enable();
  await metrics.metrics();
  stall.disable();
  const times: number[] = [];
  let bytes = 0;
  let series = 0;
  for (let i = 0; i < 15; i++) {
    const start = performance.now();
    const body = await (await fetch(url)).text();
    times.push(performance.now() - start);
    bytes = Buffer.byteLength(body);
    series = body.split('\n').filter((l) => l && !l.startsWith('#')).length;
  }
  const registered = e.snapshots().filter((s) => s.state === 'registered').length;
  const gzipped = gzipSync(await metrics.metrics()).length;
  console.log(`scrape  ${String(lines).padStart(5)} lines (${registered} registered): GET /metrics median ${median(times).toFixed(1)} ms (max ${Math.max(...times).toFixed(1)} ms; ` +
    `formatting alone ${median(collect).toFixed(1)} ms, longest event-loop stall ${(stall.max / 1e6).toFixed(0)} ms), body ${(bytes / 1024).toFixed(0)} KiB (${(gzipped / 1024).toFixed(0)} KiB gzipped), ${series} series`);
  await endpoint.close();
  await e.shutdown(500);
  await sleep(200);
}

function exchange(line: number, secret: string): TraceRecord[] {
  const head = (first: string, cseq: number, extra: string[] = []) => [
    first,
    `Via: SIP/2.0/UDP 192.0.2.10:${10000 + line};branch=z9hG4bK${line}x${cseq};rport`,
    `From: <sip:${10000 + line}@sip${line % 20}.example.net>;tag=${line}abc`,
    `To: <sip:${10000 + line}@sip${line % 20}.example.net>`,
    `Call-ID: ${line}-5f1c2d@192.0.2.10`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:${line}x@192.0.2.10:${10000 + line};transport=udp>;expires=300;+sip.instance="<urn:uuid:00000000-0000-4000-8000-${String(line).padStart(12, '0')}>"`,
    'Expires: 300',
    'User-Agent: Trunkline-bench',
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  const auth = `Authorization: Digest username="${10000 + line}", realm="sip${line % 20}.example.net", nonce="ZmFrZW5vbmNlZmFrZW5vbmNl", uri="sip:sip${line % 20}.example.net", response="0123456789abcdef0123456789abcdef", algorithm=MD5, cnonce="abc", qop=auth, nc=00000001`;
  const local = { address: '192.0.2.10', port: 10000 + line };
  const remote = { address: '198.51.100.1', port: 5060 };
  const r = (direction: 'sent' | 'received', text: string): TraceRecord => ({ direction, text, retransmission: false, time: Date.now(), transport: 'udp', local, remote });
  return [
    r('sent', head(`REGISTER sip:sip${line % 20}.example.net SIP/2.0`, 1)),
    r('received', head('SIP/2.0 401 Unauthorized', 1, [`WWW-Authenticate: Digest realm="sip${line % 20}.example.net", nonce="ZmFrZW5vbmNl", qop="auth", algorithm=MD5`])),
    r('sent', head(`REGISTER sip:sip${line % 20}.example.net SIP/2.0`, 2, [auth, `X-Secret-Echo: ${secret}`])),
    r('received', head('SIP/2.0 200 OK', 2)),
  ];
}

async function hepBench(): Promise<void> {
  const sink = createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  sink.on('message', () => undefined);
  const exporter = createHepExporter({ target: { host: '127.0.0.1', port: sink.address().port }, captureId: 1 });
  const lines = 1000;
  const records = Array.from({ length: lines }, (_, i) => exchange(i, `synthetic-${i}`)).flat();
  const rounds = 10;
  // Warm up the JIT once.
  for (const record of records) exporter.exportRecord(record, ['warm-up']);
  await sleep(200);
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let round = 0; round < rounds; round++) {
    records.forEach((record, i) => exporter.exportRecord(record, [`synthetic-${Math.floor(i / 4)}`]));
    await sleep(0);
  }
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - start;
  const messages = records.length * rounds;
  const cpuUsPerMessage = (used.user + used.system) / messages;
  // 1,000 lines refreshing every 150 s (expiry 300 s at 50 %), 4 messages each refresh with a challenge.
  const perSecond = (lines * 4) / 150;
  console.log(`hep     ${messages} messages (${lines} lines × 4 × ${rounds}): ${cpuUsPerMessage.toFixed(1)} µs CPU/message, ${(messages / (wall / 1000)).toFixed(0)} messages/s; ` +
    `1,000 lines refreshing every 150 s = ${perSecond.toFixed(1)} messages/s ≈ ${((perSecond * cpuUsPerMessage) / 1e4).toFixed(3)} % of one core; stats ${JSON.stringify(exporter.stats())}`);
  await exporter.close();
  sink.close();
}

async function reloadBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'trunkline-bench-reload-'));
  const path = join(dir, 'monitor.json');
  const lines = syntheticLines(5000);
  const asFile = (list: LineConfig[]) => JSON.stringify({ lines: list });
  writeFileSync(path, asFile(lines));
  const registers = new Map<string, number>();
  let counting = false;
  const e = engine((line, record) => {
    if (counting && record.direction === 'sent' && record.text.startsWith('REGISTER ')) registers.set(line.id, (registers.get(line.id) ?? 0) + 1);
  });
  const initial = loadMonitorConfig(path);
  if (!initial.ok) throw new Error(JSON.stringify(initial.errors.slice(0, 3)));
  for (const line of initial.value.lines) e.addLine(line);
  await sleep(3000);
  // Ten enabled lines get another retry delay.
  const changed = new Set(lines.filter((l) => l.enabled).slice(100, 110).map((l) => l.id));
  writeFileSync(path, asFile(lines.map((l) => (changed.has(l.id) ? { ...l, retryDelay: l.retryDelay + 30 } : l))));
  let loadMs = 0;
  const reloader = new ConfigReloader({
    engine: e,
    initial: initial.value,
    load: () => {
      const start = performance.now();
      const result = loadMonitorConfig(path);
      loadMs = performance.now() - start;
      return result;
    },
    unregisterBoundMs: 1000,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined } as never,
  });
  counting = true;
  const start = performance.now();
  const outcome = await reloader.reload();
  const totalMs = performance.now() - start;
  await sleep(1500);
  counting = false;
  const sent = [...registers.keys()];
  const onlyChanged = sent.every((id) => changed.has(id)) && [...changed].every((id) => registers.has(id));
  console.log(`reload  5000 lines, 10 changed: load+validate ${loadMs.toFixed(0)} ms, whole reload ${totalMs.toFixed(0)} ms (unregister/register of the 10 included); ` +
    `diff ${outcome.ok ? `${outcome.diff.changed.length} changed, ${outcome.diff.unchanged.length} unchanged` : 'refused'}; ` +
    `lines that sent REGISTER afterwards: ${sent.length} (${onlyChanged ? 'exactly the 10 changed' : `NOT only the changed ones: ${sent.slice(0, 5).join(', ')}`})`);
  await e.shutdown(500);
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${new Date().toISOString()}`);
  await scrapeBench(1000);
  await scrapeBench(5000);
  await hepBench();
  await reloadBench();
  process.exit(0);
}

void main();
