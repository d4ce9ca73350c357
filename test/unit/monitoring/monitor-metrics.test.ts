import { describe, expect, it } from 'vitest';
import type { LineEvent, LineHistoryEntry, LineSnapshot } from '../../../common/line-status';
import { MonitorMetrics, responseClass } from '../../../main/monitoring/monitor-metrics';

const T0 = 1_800_000_000_000;

function snapshot(fields: Partial<LineSnapshot> = {}): LineSnapshot {
  return {
    id: 'carrier-a', name: 'Carrier A', state: 'registering', server: 0, serverLabel: '127.0.0.1:5060/udp', code: null, reason: null,
    expires: null, nextRefreshAt: null, nextRetryAt: null, nextFailbackAt: null, nextLivenessAt: null, consecutiveFailures: 0,
    livenessRttMs: null, since: T0, bindings: [], ...fields,
  };
}

function history(event: LineEvent, fields: Partial<LineHistoryEntry> = {}): LineHistoryEntry {
  return { time: T0, line: 'carrier-a', from: 'registered', to: 'registered', server: 1, reason: event.kind, event, ...fields };
}

/** The value of one series in the exposition text, or undefined when absent. */
async function value(metrics: MonitorMetrics, series: string): Promise<number | undefined> {
  const text = await metrics.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const primary = { index: 0, label: '10.0.0.1:5060/udp' };
const backup = { index: 1, label: '10.0.0.2:5060/udp' };

describe('monitor metrics', () => {
  it('a registered snapshot sets registered, one state series to 1, server, expiry, and deadlines as Unix seconds', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.updateLine(snapshot({ state: 'registered', code: 200, reason: 'OK', expires: 600, nextRefreshAt: T0 + 300_000, nextFailbackAt: null }));
    expect(await value(m, 'trunkline_line_registered{line="carrier-a"}')).toBe(1);
    expect(await value(m, 'trunkline_line_state{line="carrier-a",state="registered"}')).toBe(1);
    expect(await value(m, 'trunkline_line_state{line="carrier-a",state="retry-wait"}')).toBe(0);
    expect(await value(m, 'trunkline_line_active_server{line="carrier-a"}')).toBe(0);
    expect(await value(m, 'trunkline_line_granted_expiry_seconds{line="carrier-a"}')).toBe(600);
    expect(await value(m, 'trunkline_line_next_refresh_timestamp_seconds{line="carrier-a"}')).toBe((T0 + 300_000) / 1000);
    expect(await value(m, 'trunkline_line_next_failback_timestamp_seconds{line="carrier-a"}')).toBeUndefined();
    expect(await value(m, 'trunkline_line_failovers_total{line="carrier-a"}')).toBe(0);
  });

  it('retry-wait: not registered, active server -1, retry deadline set, expiry gone', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.updateLine(snapshot({ state: 'registered', code: 200, expires: 600 }));
    m.updateLine(snapshot({ state: 'retry-wait', server: null, code: 503, expires: null, nextRetryAt: T0 + 60_000, consecutiveFailures: 2 }));
    expect(await value(m, 'trunkline_line_registered{line="carrier-a"}')).toBe(0);
    expect(await value(m, 'trunkline_line_active_server{line="carrier-a"}')).toBe(-1);
    expect(await value(m, 'trunkline_line_granted_expiry_seconds{line="carrier-a"}')).toBeUndefined();
    expect(await value(m, 'trunkline_line_next_retry_timestamp_seconds{line="carrier-a"}')).toBe((T0 + 60_000) / 1000);
    expect(await value(m, 'trunkline_line_consecutive_failures{line="carrier-a"}')).toBe(2);
  });

  it('a line still registering holds no server yet: active server -1', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.updateLine(snapshot({ state: 'registering', server: 1 }));
    expect(await value(m, 'trunkline_line_active_server{line="carrier-a"}')).toBe(-1);
    m.updateLine(snapshot({ state: 'registered', server: 1, code: 200 }));
    expect(await value(m, 'trunkline_line_active_server{line="carrier-a"}')).toBe(1);
  });

  it('failover and failback history entries count; other events do not', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.recordHistory(history({ kind: 'failover', from: primary, to: backup, cause: { code: 503, reason: 'Service Unavailable' } }));
    m.recordHistory(history({ kind: 'failback', server: primary }));
    m.recordHistory(history({ kind: 'failback-failed', server: primary, cause: { code: 0, reason: 'no response within 7.5 s' } }));
    m.recordHistory(history({ kind: 'retry', afterSeconds: 60 }));
    expect(await value(m, 'trunkline_line_failovers_total{line="carrier-a"}')).toBe(1);
    expect(await value(m, 'trunkline_line_failbacks_total{line="carrier-a"}')).toBe(1);
    // Until the engine reports through the observer, failures are derived from the events.
    expect(await value(m, 'trunkline_register_responses_total{line="carrier-a",server="0",class="5xx"}')).toBe(1);
    expect(await value(m, 'trunkline_register_responses_total{line="carrier-a",server="0",class="timeout"}')).toBe(1);
  });

  it('the observer counts responses by server and class and fills both RTT histograms', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.observeRegistration({ line: 'carrier-a', server: 0, method: 'REGISTER', outcome: 401, rttMs: 3 });
    m.observeRegistration({ line: 'carrier-a', server: 0, method: 'REGISTER', outcome: 200, rttMs: 4 });
    m.observeRegistration({ line: 'carrier-a', server: 1, method: 'REGISTER', outcome: 'timeout', rttMs: null });
    m.observeRegistration({ line: 'carrier-a', server: 1, method: 'OPTIONS', outcome: 200, rttMs: 120 });
    expect(await value(m, 'trunkline_register_responses_total{line="carrier-a",server="0",class="4xx"}')).toBe(1);
    expect(await value(m, 'trunkline_register_responses_total{line="carrier-a",server="0",class="2xx"}')).toBe(1);
    expect(await value(m, 'trunkline_register_responses_total{line="carrier-a",server="1",class="timeout"}')).toBe(1);
    expect(await value(m, 'trunkline_register_rtt_seconds_count{line="carrier-a",server="0"}')).toBe(2);
    expect(await value(m, 'trunkline_register_rtt_seconds_bucket{le="0.005",line="carrier-a",server="0"}')).toBe(2);
    expect(await value(m, 'trunkline_liveness_rtt_seconds_bucket{le="0.1",line="carrier-a",server="1"}')).toBe(0);
    expect(await value(m, 'trunkline_liveness_rtt_seconds_bucket{le="0.25",line="carrier-a",server="1"}')).toBe(1);
  });

  it('once the observer is wired, snapshots and history no longer count responses (nothing twice)', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.updateLine(snapshot({ state: 'registered', code: 200, nextRefreshAt: T0 + 1 }));
    expect(await value(m, 'trunkline_register_responses_total{line="carrier-a",server="0",class="2xx"}')).toBe(1);
    m.updateLine(snapshot({ state: 'registered', code: 200, nextRefreshAt: T0 + 1, nextLivenessAt: T0 + 5 }));
    expect(await value(m, 'trunkline_register_responses_total{line="carrier-a",server="0",class="2xx"}')).toBe(1);
    m.observeRegistration({ line: 'carrier-a', server: 0, method: 'REGISTER', outcome: 200, rttMs: 2 });
    m.updateLine(snapshot({ state: 'registered', code: 200, nextRefreshAt: T0 + 2 }));
    m.recordHistory(history({ kind: 'unavailable', server: primary, every: false, cause: { code: 503, reason: 'x' } }));
    expect(await value(m, 'trunkline_register_responses_total{line="carrier-a",server="0",class="2xx"}')).toBe(2);
    expect(await value(m, 'trunkline_register_responses_total{line="carrier-a",server="0",class="5xx"}')).toBeUndefined();
  });

  it('a liveness RTT in a snapshot is observed once per check', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.updateLine(snapshot({ state: 'registered', code: 200, livenessRttMs: 40, nextLivenessAt: T0 + 60_000 }));
    m.updateLine(snapshot({ state: 'registered', code: 200, livenessRttMs: 40, nextLivenessAt: T0 + 60_000, consecutiveFailures: 0 }));
    m.updateLine(snapshot({ state: 'registered', code: 200, livenessRttMs: 41, nextLivenessAt: T0 + 120_000 }));
    expect(await value(m, 'trunkline_liveness_rtt_seconds_count{line="carrier-a",server="0"}')).toBe(2);
  });

  it('recordTestCall exports the last call and counts results', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.recordTestCall('carrier-a', { result: 'answered', code: 200, setupMs: 850, mos: 4.3, jitterMs: 2.5, packetsLostRatio: 0.01, time: T0 });
    m.recordTestCall('carrier-a', { result: 'failed', code: 486, setupMs: 400, mos: null, jitterMs: null, packetsLostRatio: null, time: T0 + 60_000 });
    expect(await value(m, 'trunkline_test_calls_total{line="carrier-a",result="answered"}')).toBe(1);
    expect(await value(m, 'trunkline_test_calls_total{line="carrier-a",result="failed"}')).toBe(1);
    expect(await value(m, 'trunkline_test_call_success{line="carrier-a"}')).toBe(0);
    expect(await value(m, 'trunkline_test_call_last_code{line="carrier-a"}')).toBe(486);
    expect(await value(m, 'trunkline_test_call_setup_seconds{line="carrier-a"}')).toBe(0.4);
    expect(await value(m, 'trunkline_test_call_mos{line="carrier-a"}')).toBeUndefined();
    expect(await value(m, 'trunkline_test_call_last_timestamp_seconds{line="carrier-a"}')).toBe((T0 + 60_000) / 1000);
  });

  it('removing a line removes every series it had, and only those', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.updateLine(snapshot({ state: 'registered', code: 200, expires: 60 }));
    m.updateLine(snapshot({ id: 'other', state: 'registered', code: 200 }));
    m.observeRegistration({ line: 'carrier-a', server: 1, method: 'OPTIONS', outcome: 200, rttMs: 5 });
    m.recordTestCall('carrier-a', { result: 'answered', code: 200, setupMs: 1, mos: 4, jitterMs: 1, packetsLostRatio: 0, time: T0 });
    m.removeLine('carrier-a');
    const text = await m.metrics();
    expect(text).not.toContain('line="carrier-a"');
    expect(text).toContain('trunkline_line_registered{line="other"} 1');
  });

  it('labels stay bounded: no Call-ID or reason text in any series', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.updateLine(snapshot({ state: 'retry-wait', server: null, code: 0, reason: 'no response within 7.5 s from a7f3@host' }));
    m.recordHistory(history({ kind: 'unavailable', server: primary, every: true, cause: { code: 0, reason: 'no response within 7.5 s' } }));
    const text = await m.metrics();
    expect(text).not.toContain('a7f3');
    expect(text).not.toContain('no response');
    const labels = new Set([...text.matchAll(/(\w+)="/g)].map((x) => x[1]));
    expect([...labels].sort()).toEqual(['class', 'line', 'server', 'state']);
  });

  it('metrics() is exactly the registry text, yielding between families', async () => {
    const m = new MonitorMetrics({ processMetrics: false });
    m.updateLine(snapshot({ state: 'registered', code: 200, expires: 60 }));
    m.observeRegistration({ line: 'carrier-a', server: 0, method: 'OPTIONS', outcome: 200, rttMs: 5 });
    expect(await m.metrics()).toBe(await m.registry.metrics());
  });

  it('default process metrics are there unless turned off', async () => {
    expect(await new MonitorMetrics().metrics()).toContain('process_cpu_seconds_total');
  });

  it.each([[100, '1xx'], [200, '2xx'], [403, '4xx'], [503, '5xx'], [603, '6xx'], [0, 'transport-error'], ['timeout', 'timeout'], ['transport-error', 'transport-error']] as const)(
    'response class of %s is %s', (outcome, cls) => expect(responseClass(outcome)).toBe(cls));
});
