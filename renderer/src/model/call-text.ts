/**
 * Calls in words: the state a person reads ("Ringing", "On hold", "Ended — 486 Busy Here"), the
 * running timer, the remote party and the compact quality line. Pure functions of a snapshot.
 */
import type { CallSnapshot, CallStats, RemoteParty } from '../../../common/call-status';
import type { CallRecord } from '../../../preload/contract';

/** "1:05", "12:00", "1:02:03" from milliseconds. */
export function durationText(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Reason phrases for codes a far end may send without one (RFC 3261 §21). */
const REASONS: Record<number, string> = {
  0: 'No response', 404: 'Not Found', 408: 'Request Timeout', 480: 'Temporarily Unavailable', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 500: 'Server Internal Error', 503: 'Service Unavailable', 603: 'Decline',
};

/** "486 Busy Here", "No response (timeout)", or the reason alone when there is no code. */
export function resultText(code: number | null, reason: string | null): string {
  if (code === null) return reason ?? '';
  if (code === 0) return reason ? `No SIP response: ${reason}` : 'No SIP response';
  return `${code} ${reason ?? REASONS[code] ?? ''}`.trim();
}

/** Name to show first: the display name, else the number/user, else the URI. */
export function partyName(remote: RemoteParty): string {
  return remote.displayName?.trim() || remote.user || remote.uri;
}

/** The second line under the name: the number (or URI) when a name was shown. */
export function partyDetail(remote: RemoteParty): string {
  if (!remote.displayName?.trim()) return remote.user ? remote.uri : '';
  return remote.user || remote.uri;
}

/** How a call ended, in words. */
export function endedText(call: Pick<CallSnapshot, 'code' | 'reason' | 'endedBy' | 'answeredAt' | 'direction'>): string {
  if (call.answeredAt !== null) return call.endedBy === 'local' ? 'Ended — you hung up' : call.endedBy === 'remote' ? 'Ended — the other side hung up' : `Ended — ${resultText(call.code, call.reason)}`;
  if (call.direction === 'outgoing' && call.endedBy === 'local' && (call.code === 487 || call.code === null)) return 'Cancelled';
  return `Ended — ${resultText(call.code, call.reason)}`;
}

/** The state of a call in words; `now` drives the timer of a connected call. */
export function callStateText(call: CallSnapshot, now: number, transferring = false): string {
  if (call.state === 'ended') return endedText(call);
  if (transferring) return 'Transferring…';
  switch (call.state) {
    case 'dialing':
      return call.failovers > 0 ? 'Trying backup…' : 'Calling…';
    case 'trying':
      return call.failovers > 0 ? 'Trying backup…' : 'Calling…';
    case 'ringing':
      return call.direction === 'incoming' ? 'Incoming call' : 'Ringing…';
    case 'early-media':
      return 'Early media';
    case 'held':
    case 'connected': {
      const timer = call.answeredAt === null ? '' : ` ${durationText(now - call.answeredAt)}`;
      if (call.localHold) return `On hold${timer}`;
      if (call.remoteHold) return `Held by the other side${timer}`;
      return `Connected${timer}`;
    }
  }
}

/** "loss 0.4 % · jitter 3 ms · MOS 4.3"; '' before any statistics. */
export function qualityText(stats: CallStats | null): string {
  if (!stats || stats.packetsReceived + stats.packetsLost === 0) return '';
  const expected = stats.packetsReceived + Math.max(0, stats.packetsLost);
  const loss = (100 * Math.max(0, stats.packetsLost)) / expected;
  const parts = [`loss ${loss < 10 ? loss.toFixed(1) : Math.round(loss)} %`, `jitter ${Math.round(stats.jitterMs)} ms`];
  if (stats.mos !== null) parts.push(`MOS ${stats.mos.toFixed(1)}`);
  return parts.join(' · ');
}

/** MOS 4.0+ good, 3.6+ fair, else poor (ITU-T G.107 Annex B user satisfaction bands, simplified). */
export function qualityLevel(stats: CallStats | null): 'good' | 'fair' | 'poor' | 'none' {
  if (!stats || stats.mos === null) return 'none';
  return stats.mos >= 4 ? 'good' : stats.mos >= 3.6 ? 'fair' : 'poor';
}

/** A history row's outcome: "Missed", "Declined", "1:05", "486 Busy Here". */
export function recordOutcome(record: CallRecord): string {
  if (record.missed) return 'Missed';
  if (record.answeredAt !== null) return durationText(record.durationMs);
  if (record.direction === 'incoming' && record.endedBy === 'local') return 'Declined';
  if (record.direction === 'outgoing' && record.endedBy === 'local' && (record.code === 487 || record.code === null)) return 'Cancelled';
  return resultText(record.code, record.reason);
}
