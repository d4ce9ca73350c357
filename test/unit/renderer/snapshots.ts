import type { LineSnapshot } from '../../../common/line-status';

/** A snapshot with every field filled, overridden where a test cares. */
export function snapshot(over: Partial<LineSnapshot> & { id: string }): LineSnapshot {
  return {
    name: over.id,
    state: 'registered',
    server: 0,
    serverLabel: '10.0.0.1:5060/udp',
    code: 200,
    reason: 'OK',
    expires: 3600,
    nextRefreshAt: null,
    nextRetryAt: null,
    nextFailbackAt: null,
    nextLivenessAt: null,
    consecutiveFailures: 0,
    livenessRttMs: null,
    since: 0,
    bindings: [0],
    ...over,
  };
}
