import type { CallSnapshot } from '../../../common/call-status';
import type { CallRecord } from '../../../preload/contract';

/** A call snapshot with every field filled, overridden where a test cares. */
export function call(over: Partial<CallSnapshot> = {}): CallSnapshot {
  return {
    id: 'c1', line: 'desk', direction: 'outgoing', remote: { uri: 'sip:1002@example.org', user: '1002', displayName: null },
    state: 'dialing', server: 0, serverLabel: null, failovers: 0, startedAt: 1_000, answeredAt: null, endedAt: null,
    code: null, reason: null, endedBy: null, localHold: false, remoteHold: false, muted: false, setupMs: null, stats: null,
    ...over,
  };
}

/** A history record with every field filled, overridden where a test cares. */
export function record(over: Partial<CallRecord> = {}): CallRecord {
  return {
    id: 'r1', line: 'desk', direction: 'outgoing', remote: { uri: 'sip:+15550100199@example.org', user: '+15550100199', displayName: null },
    startedAt: 0, answeredAt: null, endedAt: 0, durationMs: 0, code: 200, reason: 'OK', endedBy: 'local', serverLabel: null, failovers: 0, missed: false,
    ...over,
  };
}
