/**
 * `npm run bench`: prints the engine's figures on loopback against the test Kamailio. Figures,
 * not assertions — this machine is shared and noisy; read them against the targets printed
 * beside them.
 *
 *   npm run bench                 everything, scale at 1,000 and 5,000 lines
 *   npm run bench -- --lines 1000 scale at that many lines only
 *   npm run bench -- --quick      latencies only (no scale run)
 */
import { parseLineConfig, type LineConfig, type TransportKind } from '../common/line-config';
import type { LineSnapshot } from '../common/line-status';
import { SipEngine } from '../main/sip/engine';
import { startKamailio, type KamailioInstance } from '../test/harness/kamailio';

const DOMAIN = 'trunkline.test';
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const linesArg = args.indexOf('--lines');
const scaleSizes = linesArg >= 0 ? [Number(args[linesArg + 1])] : [1000, 5000];
const maxUsers = Math.max(200, ...scaleSizes);
const users: Record<string, string> = Object.fromEntries(Array.from({ length: maxUsers }, (_, i) => [`u${i}`, `pw-${i}`]));

let userCursor = 0;
function nextUser(): string {
  return `u${userCursor++}`;
}

function line(id: string, servers: { k: KamailioInstance; transport?: TransportKind }[], extra: Record<string, unknown> = {}): LineConfig {
  const user = nextUser();
  const parsed = parseLineConfig({
    id, username: user, password: users[user], domain: DOMAIN,
    servers: servers.map(({ k, transport = 'udp' }) => ({ host: k.ip, port: k.ports[transport], transport })),
    ...extra,
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

function until(engine: SipEngine, id: string, pred: (s: LineSnapshot) => boolean, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = (s: LineSnapshot) => {
      if (s.id === id && pred(s)) {
        off();
        clearTimeout(timer);
        resolve(Date.now());
      }
    };
    const off = engine.onLine(check);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${id}: not reached in ${timeoutMs} ms (${JSON.stringify(engine.snapshot(id))})`));
    }, timeoutMs);
    check(engine.snapshot(id));
  });
}

const on = (server: number) => (s: LineSnapshot) => s.state === 'registered' && s.server === server;

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${sorted.at(-1)} ms (n=${samples.length})`;
}

function report(name: string, value: string, target?: string): void {
  console.log(`${name.padEnd(44)} ${value}${target ? `   [target ${target}]` : ''}`);
}

async function failoverAfter503(primary: KamailioInstance, backup: KamailioInstance): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    const engine = new SipEngine();
    engine.addLine(line('l', [{ k: primary }, { k: backup }], { liveness: { interval: 0 } }));
    await until(engine, 'l', on(0), 5000);
    await primary.setRegisterReply(503);
    const started = Date.now();
    engine.reRegisterAll('bench');
    samples.push((await until(engine, 'l', on(1), 5000)) - started);
    await primary.setRegisterReply(null);
    await engine.shutdown(1000);
  }
  report('failover after a 503 (refresh → on backup)', stats(samples), '≤ 250 ms');
}

async function failoverAfterKill(primary: KamailioInstance, backup: KamailioInstance, transport: TransportKind): Promise<void> {
  const engine = new SipEngine();
  engine.addLine(line('l', [{ k: primary, transport }, { k: backup, transport }], { liveness: { interval: 5 } }));
  await until(engine, 'l', on(0), 5000);
  // Kill at a random point of the liveness interval, as a real outage would.
  await new Promise((r) => setTimeout(r, 500 + Math.random() * 4000));
  const started = Date.now();
  await primary.kill();
  const took = (await until(engine, 'l', on(1), 20_000)) - started;
  report(`failover after the primary is killed (${transport})`, `${took} ms`, transport === 'udp' ? '≤ liveness 5000 + 250 ms' : '≤ 250 ms (connection drop)');
  await engine.shutdown(1000);
  await primary.start();
}

async function failoverAfterSilence(primary: KamailioInstance, backup: KamailioInstance): Promise<void> {
  const engine = new SipEngine();
  engine.addLine(line('l', [{ k: primary }, { k: backup }], { liveness: { interval: 5 }, signalRetryCount: 3 }));
  await until(engine, 'l', on(0), 5000);
  await new Promise((r) => setTimeout(r, 500 + Math.random() * 4000));
  const started = Date.now();
  primary.freeze();
  const took = (await until(engine, 'l', on(1), 30_000)) - started;
  report('failover after the primary goes silent', `${took} ms`, '≤ liveness 5000 + 7500 (N=3) + 250 ms');
  await engine.shutdown(1000);
  primary.thaw();
}

async function failbackLatency(primary: KamailioInstance, backup: KamailioInstance): Promise<void> {
  const engine = new SipEngine();
  await primary.setRegisterReply(503);
  engine.addLine(line('l', [{ k: primary }, { k: backup }], { failback: { interval: 30 }, liveness: { interval: 0 } }));
  const s = engine.snapshot('l');
  await until(engine, 'l', on(1), 5000);
  await primary.setRegisterReply(null);
  const probeAt = engine.snapshot('l').nextFailbackAt ?? s.nextFailbackAt!;
  const back = await until(engine, 'l', on(0), 40_000);
  report('failback (probe due → on primary)', `${back - probeAt} ms after the probe was due`);
  const user = engine.config('l').username;
  let left = (await backup.bindings(user)).length;
  while (left > 0 && Date.now() - back < 3000) {
    await new Promise((r) => setTimeout(r, 5));
    left = (await backup.bindings(user)).length;
  }
  report('  backup binding removed', left === 0 ? `${Date.now() - back} ms after failback` : 'NOT removed within 3 s', '0 left');
  await engine.shutdown(1000);
}

async function unregisterOnQuit(primary: KamailioInstance, count: number, frozen: boolean): Promise<void> {
  const engine = new SipEngine();
  const mine = new Set<string>();
  for (let i = 0; i < count; i++) {
    const config = line(`q${i}`, [{ k: primary }], { liveness: { interval: 0 } });
    mine.add(config.username);
    engine.addLine(config);
  }
  await waitAll(engine, count, 60_000);
  if (frozen) primary.freeze();
  const started = Date.now();
  await engine.shutdown(3000);
  const took = Date.now() - started;
  if (frozen) primary.thaw();
  const left = frozen ? '(server silent)' : `${(await primary.bindings()).filter((b) => mine.has(b.aor)).length} of ${count} bindings left`;
  report(`quit with ${count} lines, ${frozen ? 'server silent' : 'server reachable'}`, `${took} ms ${left}`, 'never beyond the 3000 ms bound');
}

async function waitAll(engine: SipEngine, count: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const registered = engine.snapshots().filter((s) => s.state === 'registered').length;
    if (registered === count) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`only ${registered}/${count} registered after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function scale(primary: KamailioInstance, backup: KamailioInstance, count: number): Promise<void> {
  userCursor = 0;
  const engine = new SipEngine();
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  for (let i = 0; i < count; i++) engine.addLine(line(`s${i}`, [{ k: primary }, { k: backup }]));
  await waitAll(engine, count, 180_000);
  const took = Date.now() - started;
  report(`register ${count} lines (UDP, digest)`, `${took} ms (${Math.round((count / took) * 1000)} lines/s)`);
  // Steady state over one liveness interval: every line sends its OPTIONS (default 60 s) once.
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 60_000));
  const cpu = process.cpuUsage(cpu0);
  const wall = Date.now() - t0;
  global.gc?.();
  const rss = process.memoryUsage().rss;
  report(`  steady CPU, ${count} lines`, `${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)} % of one core over ${wall} ms`);
  report(`  RSS, ${count} lines`, `${Math.round(rss / 1048576)} MiB (${Math.round((rss - rssBefore) / count / 1024)} KiB per line)`);
  const q0 = Date.now();
  await engine.shutdown(3000);
  const quitMs = Date.now() - q0;
  const unregistered = engine.snapshots().filter((s) => s.state === 'unregistered').length;
  const left = (await primary.contactCount()) + (await backup.contactCount());
  report(`  quit ${count} lines`, `${quitMs} ms; ${left} bindings still held by the servers`, 'never beyond the 3000 ms bound');
  report(`  lines shown unregistered after quit`, `${unregistered}/${count}`);
}

async function main(): Promise<void> {
  const [primary, backup] = await Promise.all([
    startKamailio({ name: 'bench-primary', users, domain: DOMAIN }),
    startKamailio({ name: 'bench-backup', users, domain: DOMAIN }),
  ]);
  try {
    console.log(`Trunkline engine benchmark — node ${process.version}, loopback Kamailio ${primary.ip} / ${backup.ip}\n`);
    await failoverAfter503(primary, backup);
    await failoverAfterKill(primary, backup, 'udp');
    await failoverAfterKill(primary, backup, 'tcp');
    await failoverAfterSilence(primary, backup);
    await failbackLatency(primary, backup);
    await unregisterOnQuit(primary, 100, false);
    await unregisterOnQuit(primary, 100, true);
    if (!quick) for (const count of scaleSizes) await scale(primary, backup, count);
  } finally {
    primary.thaw();
    await Promise.all([primary.stop(), backup.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
