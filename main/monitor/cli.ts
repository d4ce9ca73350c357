/**
 * `npm run monitor -- --config lines.json [--json] [--metrics 9464] [--hep udp:IP:PORT] …`:
 * registers every line of the file and shows them live; optionally serves Prometheus metrics and
 * exports the SIP to a HEP collector. SIGHUP re-reads the file and applies only the difference.
 * SIGINT/SIGTERM unregister everything (bounded) and exit 0.
 *
 * Output: the table (or, with --json, one JSON event per line change) on stdout; the log as
 * NDJSON on stderr (pino). Usage and startup config errors are plain text on stderr, exit 2.
 */
import { readFileSync } from 'node:fs';
import type { LineSnapshot } from '../../common/line-status';
import { formatErrors } from '../../common/schema';
import type { LineConfig } from '../../common/line-config';
import { CallManager } from '../sip/calls/call-manager';
import { systemClock } from '../sip/clock';
import type { EngineOptions } from '../sip/engine';
import { DEFAULT_UNREGISTER_BOUND_MS, SipEngine } from '../sip/engine';
import type { HepExporter, HepTarget } from '../monitoring/hep-exporter';
import { createHepExporter, DEFAULT_HEP_CAPTURE_ID, parseHepTarget } from '../monitoring/hep-exporter';
import type { MetricsAuth, MetricsEndpoint, ListenAddress } from '../monitoring/metrics-server';
import { parseListenAddress, parseMetricsAuth, startMetricsEndpoint } from '../monitoring/metrics-server';
import type { MonitorConfig } from '../monitoring/monitor-config';
import { loadMonitorConfig } from '../monitoring/monitor-config';
import type { LogLevel } from '../monitoring/monitor-logger';
import { createMonitorLogger, LOG_LEVELS } from '../monitoring/monitor-logger';
import { MonitorMetrics } from '../monitoring/monitor-metrics';
import { ConfigReloader } from '../monitoring/config-reloader';
import type { TestCallReport } from '../monitoring/scheduled-test-calls';
import { ScheduledTestCalls } from '../monitoring/scheduled-test-calls';
import { onQuitSignals } from './quit-signals';
import { renderStatusTable } from './status-table';

const USAGE = `usage: npm run monitor -- --config <file.json> [options]

  --config <file>              lines to register, { "lines": [ … ], "dns": { … } } (README "Monitor config");
                               SIGHUP re-reads it and applies only what changed
  --json                       one JSON object per line event on stdout instead of the table
  --unregister-timeout <ms>    how long quitting may wait for Expires:0 answers (default ${DEFAULT_UNREGISTER_BOUND_MS})
  --log-level <level>          NDJSON log on stderr: ${LOG_LEVELS.join(', ')} (default info)
  --metrics <[addr:]port>      serve /metrics, /healthz, /readyz (a bare port listens on 127.0.0.1)
  --metrics-auth-file <file>   require "bearer <token>" or "basic <user>:<password>" (the file's one line)
  --hep udp:<ip>:<port>        send every SIP message as HEPv3 to a collector (Homer, sngrep -L)
  --hep-capture-id <n>         HEP capture agent id (default ${DEFAULT_HEP_CAPTURE_ID})
  --hep-password-file <file>   HEP auth key, read from a file
  --hep-unmasked               send Authorization values and passwords unmasked (default: masked as in the trace)`;

interface Args {
  config: string;
  json: boolean;
  unregisterTimeoutMs: number;
  logLevel: LogLevel;
  metrics: ListenAddress | null;
  metricsAuth: MetricsAuth | null;
  hep: HepTarget | null;
  hepCaptureId: number;
  hepPassword: string | null;
  hepUnmasked: boolean;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function readSecretFile(option: string, path: string | undefined): string {
  if (!path) fail(`${option}: needs a file name`);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    fail(`${option}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> = {
    json: false, unregisterTimeoutMs: DEFAULT_UNREGISTER_BOUND_MS, logLevel: 'info', metrics: null, metricsAuth: null,
    hep: null, hepCaptureId: DEFAULT_HEP_CAPTURE_ID, hepPassword: null, hepUnmasked: false,
  };
  const attempt = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      fail((error as Error).message);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') args.json = true;
    else if (arg === '--config') args.config = argv[++i];
    else if (arg === '--unregister-timeout') {
      const ms = Number(argv[++i]);
      if (!Number.isInteger(ms) || ms < 100 || ms > 60_000) fail('--unregister-timeout: must be an integer from 100 to 60000 ms');
      args.unregisterTimeoutMs = ms;
    } else if (arg === '--log-level') {
      const level = argv[++i] as LogLevel;
      if (!LOG_LEVELS.includes(level)) fail(`--log-level: must be one of ${LOG_LEVELS.join(', ')} (got "${level ?? ''}")`);
      args.logLevel = level;
    } else if (arg === '--metrics') {
      const text = argv[++i] ?? '';
      args.metrics = attempt(() => parseListenAddress(text));
    } else if (arg === '--metrics-auth-file') {
      const path = argv[++i];
      const text = readSecretFile(arg, path);
      args.metricsAuth = attempt(() => parseMetricsAuth(text, path!));
    } else if (arg === '--hep') {
      const text = argv[++i] ?? '';
      args.hep = attempt(() => parseHepTarget(text));
    } else if (arg === '--hep-capture-id') {
      const id = Number(argv[++i]);
      if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) fail('--hep-capture-id: must be an integer from 0 to 4294967295');
      args.hepCaptureId = id;
    } else if (arg === '--hep-password-file') {
      args.hepPassword = readSecretFile(arg, argv[++i]).replace(/\r?\n$/, '');
    } else if (arg === '--hep-unmasked') args.hepUnmasked = true;
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown argument "${arg}"\n\n${USAGE}`);
  }
  if (!args.config) fail(`--config is required\n\n${USAGE}`);
  if (args.metricsAuth && !args.metrics) fail('--metrics-auth-file: needs --metrics');
  if ((args.hepPassword !== null || args.hepUnmasked) && !args.hep) fail('--hep-password-file and --hep-unmasked need --hep');
  return args as Args;
}

function readConfig(path: string): MonitorConfig {
  const loaded = loadMonitorConfig(path);
  if (!loaded.ok) fail(`config file ${path} is invalid:\n${formatErrors(loaded.errors)}`);
  return loaded.value;
}

/** The monitor's JSON event: the snapshot, flattened, with `time` and `line`. */
export function jsonEvent(snapshot: LineSnapshot, time: number): string {
  const { id, ...rest } = snapshot;
  return JSON.stringify({ time, line: id, ...rest });
}

/** The monitor's JSON event for one scheduled test call (README "Scheduled test calls"). */
export function testCallJsonEvent(report: TestCallReport): string {
  const { time, line, result, code, reason, setupMs, mos, jitterMs, lost } = report;
  return JSON.stringify({ time, line, event: 'test-call', result, code, reason, setupMs, mos, jitterMs, lost });
}

/** How long quitting waits for test calls to hang up. */
const TEST_CALL_HANGUP_BOUND_MS = 3_000;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // A SIGHUP while starting (a quick `systemctl reload`) must not kill the process, which is
  // SIGHUP's default action: it is remembered and applied once the monitor runs.
  let hangupWhileStarting = false;
  const onEarlyHangup = (): void => void (hangupWhileStarting = true);
  process.on('SIGHUP', onEarlyHangup);
  const config = readConfig(args.config);
  const log = createMonitorLogger(args.logLevel);
  const metrics = new MonitorMetrics();
  let hep: HepExporter | null = null;
  if (args.hep) {
    hep = createHepExporter({ target: args.hep, captureId: args.hepCaptureId, password: args.hepPassword, unmasked: args.hepUnmasked });
    log.info({ hep: `udp:${args.hep.host}:${args.hep.port}`, captureId: args.hepCaptureId, masked: !args.hepUnmasked }, 'HEP export on');
    if (args.hepUnmasked) log.warn('HEP export sends Authorization values and passwords unmasked (--hep-unmasked)');
  }
  const options: EngineOptions = {
    userAgent: 'Trunkline-monitor',
    dns: config.dns, // RFC 3263 location through the file's resolvers (default: the system's)
    registrationObserver: metrics.observeRegistration,
    ...(hep ? { traceSink: hep.exportRecord } : {}),
  };
  const engine = new SipEngine(options);
  metrics.attach(engine);
  let running = false;
  let stopping = false;

  let endpoint: MetricsEndpoint | null = null;
  if (args.metrics) {
    try {
      endpoint = await startMetricsEndpoint({
        ...args.metrics,
        metrics: () => metrics.metrics(),
        contentType: metrics.registry.contentType,
        ready: () => running && !stopping,
        auth: args.metricsAuth,
      });
    } catch (error) {
      fail(`--metrics: cannot listen on ${args.metrics.host}:${args.metrics.port}: ${(error as Error).message}`);
    }
    log.info({ metrics: `http://${endpoint.address.host.includes(':') ? `[${endpoint.address.host}]` : endpoint.address.host}:${endpoint.address.port}/metrics`, auth: args.metricsAuth?.scheme ?? 'none' }, 'metrics endpoint listening');
  }

  // The engine's timers never hold a process open on their own; the monitor is meant to run
  // until told to stop, so it holds one handle for as long as it runs.
  const keepAlive = setInterval(() => undefined, 60_000);
  let redraw: NodeJS.Timeout | null = null;
  if (args.json) {
    engine.onLine((snapshot) => process.stdout.write(`${jsonEvent(snapshot, Date.now())}\n`));
  } else {
    const draw = (): void => {
      const table = renderStatusTable(engine.snapshots(), Date.now());
      process.stdout.write(process.stdout.isTTY ? `\x1b[H\x1b[2J${table}\n` : `${table}\n\n`);
    };
    // A terminal gets a live table; a pipe gets a fresh table each second something changed.
    let changed = true;
    engine.onLine(() => (changed = true));
    redraw = setInterval(() => {
      if (process.stdout.isTTY || changed) draw();
      changed = false;
    }, 1000);
  }
  engine.onHistory((entry) => log.info({ line: entry.line, from: entry.from, to: entry.to, server: entry.server, event: entry.event?.kind }, entry.reason));

  // Scheduled test calls: the CallManager (and its media host) exists only once a line has a
  // testCall. Created before that line is added, so its UA's incoming calls are declined too:
  // the monitor is not a phone.
  let calls: CallManager | null = null;
  let testCalls: ScheduledTestCalls | null = null;
  const onTestCall = (report: TestCallReport): void => {
    metrics.recordTestCall(report.line, report);
    if (args.json) process.stdout.write(`${testCallJsonEvent(report)}\n`);
    const { line, result, code, setupMs, mos, jitterMs, lost } = report;
    log[result === 'answered' ? 'info' : 'warn']({ line, event: 'test-call', result, code, setupMs, mos, jitterMs, lost }, `test call ${result}: ${report.reason}`);
  };
  const syncTestCalls = async (lines: readonly LineConfig[]): Promise<void> => {
    if (!testCalls) {
      if (!lines.some((l) => l.testCall)) return;
      const manager = new CallManager(engine);
      manager.on('incoming', (s) => void manager.decline(s.id, 486).catch(() => undefined));
      // The media host starts now, so the first test call's timing is not a process fork's.
      manager.prepareMedia().catch((error: unknown) => log.error({ error: (error as Error).message }, 'the media host did not start: test calls will fail'));
      calls = manager;
      testCalls = new ScheduledTestCalls({ clock: systemClock, lines: engine, calls: manager, onResult: onTestCall });
    }
    await testCalls.sync(lines);
  };
  await syncTestCalls(config.lines);
  for (const line of config.lines) engine.addLine(line);
  running = true;
  log.info({ config: args.config, lines: config.lines.length, dnsServers: config.dns.servers }, 'monitor started');

  const reloader = new ConfigReloader({
    engine,
    initial: config,
    load: () => loadMonitorConfig(args.config),
    unregisterBoundMs: args.unregisterTimeoutMs,
    log,
    beforeApply: (next) => syncTestCalls(next.lines),
  });
  const onHangup = (): void => {
    if (stopping) return;
    log.info({ config: args.config }, 'SIGHUP: reloading the config');
    void reloader.reload();
  };
  process.off('SIGHUP', onEarlyHangup);
  process.on('SIGHUP', onHangup);
  if (hangupWhileStarting) onHangup();

  onQuitSignals({
    stop: (signal) => {
      stopping = true;
      process.off('SIGHUP', onHangup);
      if (redraw) clearInterval(redraw);
      clearInterval(keepAlive);
      const count = engine.lineIds().length;
      process.stderr.write(`${signal}: unregistering ${count} line(s), at most ${args.unregisterTimeoutMs} ms…\n`);
      log.info({ signal, lines: count, boundMs: args.unregisterTimeoutMs }, 'stopping');
      void reloader
        .idle()
        .then(() => testCalls?.dispose())
        .then(() => (calls as CallManager | null)?.shutdown(TEST_CALL_HANGUP_BOUND_MS))
        .then(() => engine.shutdown(args.unregisterTimeoutMs))
        .then(async () => {
          if (!args.json) process.stdout.write(`${renderStatusTable(engine.snapshots(), Date.now())}\n`);
          await Promise.all([endpoint?.close(), hep?.close()]);
          process.exit(0);
        });
    },
    again: (signal) => {
      process.stderr.write(`${signal} again: quitting without waiting\n`);
      process.exit(1);
    },
  });
}

if (require.main === module) void main();
