import { describe, expect, it } from 'vitest';
import { formatCountdown, formatDuration } from '../../../common/countdown';
import type { LineSnapshot } from '../../../common/line-status';
import { renderStatusTable } from '../../../main/monitor/status-table';

const now = 1_700_000_000_000;
const snapshot: LineSnapshot = {
  id: 'carrier-a', name: 'Carrier A', state: 'registered', server: 1, serverLabel: '10.0.0.2:5060/udp',
  code: 200, reason: 'OK', expires: 600,
  nextRefreshAt: now + 299_500, nextRetryAt: null, nextFailbackAt: now + 1_800_000, nextLivenessAt: now + 4_000,
  consecutiveFailures: 0, livenessRttMs: 12, since: now - 65_000, bindings: [1],
};

describe('monitor table', () => {
  it('shows one row per line with countdowns from absolute deadlines', () => {
    const table = renderStatusTable([snapshot, { ...snapshot, id: 'b', name: 'b', state: 'retry-wait', server: null, serverLabel: null, code: 0, reason: 'no response within 7.5 s', expires: null, nextRefreshAt: null, nextFailbackAt: null, nextLivenessAt: null, nextRetryAt: now + 60_000, consecutiveFailures: 2, livenessRttMs: null }], now);
    const [header, first, second, , summary] = table.split('\n');
    expect(header).toMatch(/^LINE\s+STATE\s+SERVER\s+LAST RESPONSE\s+EXPIRES\s+REFRESH\s+RETRY\s+FAILBACK\s+LIVENESS\s+RTT\s+FAILS\s+SINCE$/);
    expect(first).toMatch(/^Carrier A \(carrier-a\)\s+registered\s+backup 1 10\.0\.0\.2:5060\/udp\s+200 OK\s+600s\s+5m00s\s+—\s+30m00s\s+4s\s+12ms\s+0\s+1m05s$/);
    expect(first).toContain('30m00s');
    expect(first).toContain('12ms');
    expect(first).toMatch(/1m05s$/);
    expect(second).toMatch(/^b\s+retry-wait\s+—\s+no response within 7\.5 s\s+—\s+—\s+1m00s\s+—\s+—\s+—\s+2/);
    expect(summary).toMatch(/^1\/2 registered/);
  });

  it('formats durations compactly', () => {
    expect(formatCountdown(null, now)).toBe('—');
    expect(formatCountdown(now - 5, now)).toBe('now');
    expect(formatDuration(999)).toBe('1s');
    expect(formatDuration(61_000)).toBe('1m01s');
    expect(formatDuration(3_600_000 + 120_000)).toBe('1h02m');
    expect(formatDuration(90_000_000)).toBe('1d01h');
  });
});
