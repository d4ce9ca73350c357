/**
 * The monitor's Prometheus metrics (prom-client): what the engine tells about each line, mapped to
 * series a team alerts on. Names follow Prometheus conventions — base units (`_seconds`), `_total`
 * counters, timestamps as `_timestamp_seconds` — and every label is bounded: `line` (the configured
 * id), `server` (index, 0 = primary), `state` (one of LINE_STATES), `class` (`1xx`…`6xx`,
 * `timeout`, `transport-error`), `result` (`answered`/`failed`). Never a Call-ID or free text.
 *
 * Three inputs feed it:
 * - snapshots and history entries from the engine (`attach(engine)`),
 * - a {@link RegistrationObserver} the engine calls once per REGISTER/OPTIONS outcome,
 * - {@link MonitorMetrics.recordTestCall} for scheduled test calls.
 *
 * The monitor passes `observeRegistration` to the engine (`EngineOptions.registrationObserver`).
 * An engine without it (scripted channels, the desktop app's endpoint) still gets REGISTER outcomes
 * and liveness round trips derived from snapshot changes: coarser (no REGISTER round trips, no
 * digest challenges), but never empty. The first observer call switches that derivation off for
 * good, so nothing is counted twice.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LineEvent, LineHistoryEntry, LineSnapshot } from '../../common/line-status';
import { LINE_STATES } from '../../common/line-status';
import type { RegistrationObservation } from '../sip/engine';

/** How one REGISTER or OPTIONS transaction ended, as the engine reports it (`EngineOptions.registrationObserver`). */
export type { RegistrationObservation };

/** Called by the engine once per finished REGISTER/OPTIONS client transaction (digest retries included). */
export type RegistrationObserver = (observation: RegistrationObservation) => void;

/** One finished scheduled test call. */
export interface TestCallResult {
  /** answered: the far end answered and media flowed; failed: anything else. */
  result: 'answered' | 'failed';
  /** Final SIP status of the INVITE (200 when answered), 0 when no response came. */
  code: number;
  /** INVITE sent → final response (post-dial delay included), ms; null when none came. */
  setupMs: number | null;
  /** Estimated MOS (1–4.5); null when no media was measured. */
  mos: number | null;
  /** RFC 3550 §6.4.1 interarrival jitter, ms; null when unmeasured. */
  jitterMs: number | null;
  /** Lost / expected RTP packets, 0–1; null when unmeasured. */
  packetsLostRatio: number | null;
  /** When the call ended, epoch ms. */
  time: number;
}

/** The parts of the engine the metrics read (SipEngine satisfies it). */
export interface LineEventSource {
  onLine(listener: (snapshot: LineSnapshot) => void): () => void;
  onHistory(listener: (entry: LineHistoryEntry) => void): () => void;
  onRemoved(listener: (id: string) => void): () => void;
  snapshots(): LineSnapshot[];
}

/** Round trips on loopback are ~1 ms, across a continent ~100 ms, a struggling server seconds. */
const RTT_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** `1xx`…`6xx` for a status code; `timeout`/`transport-error` for a local outcome. */
export function responseClass(outcome: RegistrationObservation['outcome']): string {
  if (typeof outcome !== 'number') return outcome;
  if (!Number.isInteger(outcome) || outcome < 100 || outcome > 699) return 'transport-error';
  return `${Math.floor(outcome / 100)}xx`;
}

/** Code 0 in a snapshot is local: its reason tells a timeout from a transport failure. */
function localOutcome(reason: string | null): 'timeout' | 'transport-error' {
  return /time ?out|timed out|no response|no answer/i.test(reason ?? '') ? 'timeout' : 'transport-error';
}

export interface MonitorMetricsOptions {
  /** Registry to fill; a fresh one by default. */
  registry?: Registry;
  /** prom-client's process metrics (CPU, memory, event loop lag, fds); default true. */
  processMetrics?: boolean;
}

interface LineSeries {
  /** `server|class` pairs and server indexes seen, so removing the line removes every series. */
  responses: Set<string>;
  registerServers: Set<number>;
  livenessServers: Set<number>;
  /** What the last snapshot-derived response was, so a repeated snapshot counts nothing. */
  lastDerivedResponse: string | null;
  lastDerivedLiveness: string | null;
}

export class MonitorMetrics {
  readonly registry: Registry;
  private readonly lines = new Map<string, LineSeries>();
  private observerActive = false;

  private readonly registered: Gauge<'line'>;
  private readonly state: Gauge<'line' | 'state'>;
  private readonly activeServer: Gauge<'line'>;
  private readonly grantedExpiry: Gauge<'line'>;
  private readonly consecutiveFailures: Gauge<'line'>;
  private readonly failovers: Counter<'line'>;
  private readonly failbacks: Counter<'line'>;
  private readonly responses: Counter<'line' | 'server' | 'class'>;
  private readonly registerRtt: Histogram<'line' | 'server'>;
  private readonly livenessRtt: Histogram<'line' | 'server'>;
  private readonly nextRefresh: Gauge<'line'>;
  private readonly nextRetry: Gauge<'line'>;
  private readonly nextFailback: Gauge<'line'>;
  private readonly testCalls: Counter<'line' | 'result'>;
  private readonly testSuccess: Gauge<'line'>;
  private readonly testSetup: Gauge<'line'>;
  private readonly testMos: Gauge<'line'>;
  private readonly testJitter: Gauge<'line'>;
  private readonly testLoss: Gauge<'line'>;
  private readonly testCode: Gauge<'line'>;
  private readonly testTime: Gauge<'line'>;

  constructor(options: MonitorMetricsOptions = {}) {
    const registers = [(this.registry = options.registry ?? new Registry())];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const gauge = <L extends string>(name: string, help: string, labelNames: L[]) => new Gauge<L>({ name, help, labelNames, registers });
    const counter = <L extends string>(name: string, help: string, labelNames: L[]) => new Counter<L>({ name, help, labelNames, registers });
    const histogram = (name: string, help: string) =>
      new Histogram<'line' | 'server'>({ name, help, labelNames: ['line', 'server'], buckets: RTT_BUCKETS_SECONDS, registers });

    this.registered = gauge('trunkline_line_registered', 'Whether the line holds a registration (1) or not (0).', ['line']);
    this.state = gauge('trunkline_line_state', 'The line state: 1 for the current state, 0 for every other.', ['line', 'state']);
    this.activeServer = gauge('trunkline_line_active_server', 'Index of the server holding the registration (0 = primary), -1 when not registered.', ['line']);
    this.grantedExpiry = gauge('trunkline_line_granted_expiry_seconds', 'Registration lifetime granted by the active server.', ['line']);
    this.consecutiveFailures = gauge('trunkline_line_consecutive_failures', 'Failed registration attempts since the last success.', ['line']);
    this.failovers = counter('trunkline_line_failovers_total', 'Moves of the registration to another server after a failure.', ['line']);
    this.failbacks = counter('trunkline_line_failbacks_total', 'Returns of the registration to the primary server.', ['line']);
    this.responses = counter('trunkline_register_responses_total', 'Final outcomes of REGISTER transactions by server and response class.', ['line', 'server', 'class']);
    this.registerRtt = histogram('trunkline_register_rtt_seconds', 'REGISTER request to final response.');
    this.livenessRtt = histogram('trunkline_liveness_rtt_seconds', 'OPTIONS liveness request to final response.');
    this.nextRefresh = gauge('trunkline_line_next_refresh_timestamp_seconds', 'When the registration will be refreshed (Unix time); absent when not scheduled.', ['line']);
    this.nextRetry = gauge('trunkline_line_next_retry_timestamp_seconds', 'When registering will be retried (Unix time); absent when not scheduled.', ['line']);
    this.nextFailback = gauge('trunkline_line_next_failback_timestamp_seconds', 'When the primary will be probed for failback (Unix time); absent when not scheduled.', ['line']);
    this.testCalls = counter('trunkline_test_calls_total', 'Scheduled test calls by result.', ['line', 'result']);
    this.testSuccess = gauge('trunkline_test_call_success', 'Whether the last test call was answered (1) or failed (0).', ['line']);
    this.testSetup = gauge('trunkline_test_call_setup_seconds', 'Last test call: INVITE to final response.', ['line']);
    this.testMos = gauge('trunkline_test_call_mos', 'Last test call: estimated MOS (1 to 4.5).', ['line']);
    this.testJitter = gauge('trunkline_test_call_jitter_seconds', 'Last test call: RTP interarrival jitter (RFC 3550).', ['line']);
    this.testLoss = gauge('trunkline_test_call_packets_lost_ratio', 'Last test call: lost / expected RTP packets.', ['line']);
    this.testCode = gauge('trunkline_test_call_last_code', 'Last test call: final SIP status of the INVITE (0 = none).', ['line']);
    this.testTime = gauge('trunkline_test_call_last_timestamp_seconds', 'When the last test call ended (Unix time).', ['line']);
  }

  /**
   * Follows an engine: every current line now, then each change, history entry and removal.
   * Returns a function that stops following (series stay).
   */
  attach(source: LineEventSource): () => void {
    for (const snapshot of source.snapshots()) this.updateLine(snapshot);
    const offs = [
      source.onLine((s) => this.updateLine(s)),
      source.onHistory((e) => this.recordHistory(e)),
      source.onRemoved((id) => this.removeLine(id)),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Sets every per-line gauge from a snapshot (and, until the observer is wired, derives outcomes). */
  updateLine(s: LineSnapshot): void {
    const series = this.series(s.id);
    const line = { line: s.id };
    this.registered.set(line, s.state === 'registered' ? 1 : 0);
    for (const state of LINE_STATES) this.state.set({ line: s.id, state }, state === s.state ? 1 : 0);
    // The server that holds the registration: while registering, the snapshot names the server
    // being tried, which holds nothing yet.
    this.activeServer.set(line, s.state === 'registered' ? (s.server ?? -1) : -1);
    this.consecutiveFailures.set(line, s.consecutiveFailures);
    setOrRemove(this.grantedExpiry, line, s.expires);
    setOrRemove(this.nextRefresh, line, s.nextRefreshAt === null ? null : s.nextRefreshAt / 1000);
    setOrRemove(this.nextRetry, line, s.nextRetryAt === null ? null : s.nextRetryAt / 1000);
    setOrRemove(this.nextFailback, line, s.nextFailbackAt === null ? null : s.nextFailbackAt / 1000);
    if (!this.observerActive) this.deriveOutcomes(s, series);
  }

  /** Counts failovers and failbacks from the line's history. */
  recordHistory(entry: LineHistoryEntry): void {
    this.series(entry.line);
    const kind = entry.event?.kind ?? (entry.reason.startsWith('failover') ? 'failover' : entry.reason.startsWith('failback to') ? 'failback' : null);
    if (kind === 'failover') this.failovers.inc({ line: entry.line });
    else if (kind === 'failback') this.failbacks.inc({ line: entry.line });
    if (!this.observerActive && entry.event) this.deriveFailure(entry.line, entry.event);
  }

  /** The engine's hook: one call per finished REGISTER or OPTIONS transaction. */
  readonly observeRegistration: RegistrationObserver = (o) => {
    this.observerActive = true;
    this.observe(o);
  };

  /** The test-call scheduler's hook: one call per finished test call. */
  recordTestCall(lineId: string, result: TestCallResult): void {
    this.series(lineId);
    const line = { line: lineId };
    this.testCalls.inc({ line: lineId, result: result.result });
    this.testSuccess.set(line, result.result === 'answered' ? 1 : 0);
    this.testCode.set(line, result.code);
    this.testTime.set(line, result.time / 1000);
    setOrRemove(this.testSetup, line, result.setupMs === null ? null : result.setupMs / 1000);
    setOrRemove(this.testMos, line, result.mos);
    setOrRemove(this.testJitter, line, result.jitterMs === null ? null : result.jitterMs / 1000);
    setOrRemove(this.testLoss, line, result.packetsLostRatio);
  }

  /** Drops every series of a removed line (a removed line is not a line that is down). */
  removeLine(id: string): void {
    const series = this.lines.get(id);
    if (!series) return;
    this.lines.delete(id);
    const line = { line: id };
    for (const g of [this.registered, this.activeServer, this.grantedExpiry, this.consecutiveFailures, this.nextRefresh, this.nextRetry, this.nextFailback,
      this.testSuccess, this.testSetup, this.testMos, this.testJitter, this.testLoss, this.testCode, this.testTime]) g.remove(line);
    for (const state of LINE_STATES) this.state.remove({ line: id, state });
    this.failovers.remove(line);
    this.failbacks.remove(line);
    for (const key of series.responses) {
      const [server = '', cls = ''] = key.split('|');
      this.responses.remove({ line: id, server, class: cls });
    }
    for (const server of series.registerServers) this.registerRtt.remove({ line: id, server: String(server) });
    for (const server of series.livenessServers) this.livenessRtt.remove({ line: id, server: String(server) });
    for (const result of ['answered', 'failed']) this.testCalls.remove({ line: id, result });
  }

  /**
   * The text exposition of every metric (what GET /metrics returns), the same text as
   * `registry.metrics()`. Formatting is synchronous work — at 5,000 lines over a second of it —
   * so this yields to the event loop between metric families: SIP timers wait at most for one
   * family, not for the whole scrape.
   */
  async metrics(): Promise<string> {
    const parts: string[] = [];
    for (const metric of this.registry.getMetricsAsArray()) {
      parts.push(await this.registry.getSingleMetricAsString(metric.name));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return `${parts.join('\n\n')}\n`;
  }

  private observe(o: RegistrationObservation): void {
    const series = this.series(o.line);
    const server = String(o.server);
    if (o.method === 'REGISTER') {
      const cls = responseClass(o.outcome);
      series.responses.add(`${server}|${cls}`);
      this.responses.inc({ line: o.line, server, class: cls });
      if (o.rttMs !== null) {
        series.registerServers.add(o.server);
        this.registerRtt.observe({ line: o.line, server }, o.rttMs / 1000);
      }
    } else if (o.rttMs !== null) {
      series.livenessServers.add(o.server);
      this.livenessRtt.observe({ line: o.line, server }, o.rttMs / 1000);
    }
  }

  /** History-derived failures: the server and cause a failed REGISTER event names. */
  private deriveFailure(line: string, event: LineEvent): void {
    const failed =
      event.kind === 'failover' ? { server: event.from, cause: event.cause }
      : event.kind === 'unavailable' || event.kind === 'auth-failed' || event.kind === 'rejected' || event.kind === 'failback-failed' ? { server: event.server, cause: event.cause }
      : null;
    // Liveness (OPTIONS) and call failures are not REGISTER responses.
    if (!failed || failed.cause.during === 'liveness' || failed.cause.during === 'call') return;
    const outcome = failed.cause.code === 0 ? localOutcome(failed.cause.reason) : failed.cause.code;
    this.observe({ line, server: failed.server.index, method: 'REGISTER', outcome, rttMs: null });
  }

  /**
   * Snapshot-derived outcomes: a new successful (code, schedule) on the active server counts one
   * 2xx response (failures come from history events, which name the server); a new liveness RTT
   * counts one liveness round trip.
   */
  private deriveOutcomes(s: LineSnapshot, series: LineSeries): void {
    if (s.code !== null && s.code >= 200 && s.code < 300 && s.server !== null) {
      const key = [s.code, s.reason, s.server, s.nextRefreshAt, s.nextRetryAt, s.consecutiveFailures].join('|');
      if (key !== series.lastDerivedResponse) {
        series.lastDerivedResponse = key;
        this.observe({ line: s.id, server: s.server, method: 'REGISTER', outcome: s.code, rttMs: null });
      }
    }
    if (s.livenessRttMs !== null && s.server !== null) {
      const key = [s.livenessRttMs, s.nextLivenessAt, s.server].join('|');
      if (key !== series.lastDerivedLiveness) {
        series.lastDerivedLiveness = key;
        this.observe({ line: s.id, server: s.server, method: 'OPTIONS', outcome: 200, rttMs: s.livenessRttMs });
      }
    }
  }

  private series(id: string): LineSeries {
    let series = this.lines.get(id);
    if (!series) {
      series = { responses: new Set(), registerServers: new Set(), livenessServers: new Set(), lastDerivedResponse: null, lastDerivedLiveness: null };
      this.lines.set(id, series);
      // Counters exist from the start at 0, so rate() and increase() see the first failover.
      this.failovers.inc({ line: id }, 0);
      this.failbacks.inc({ line: id }, 0);
    }
    return series;
  }
}

function setOrRemove(gauge: Gauge<'line'>, labels: { line: string }, value: number | null): void {
  if (value === null || !Number.isFinite(value)) gauge.remove(labels);
  else gauge.set(labels, value);
}

