import { describe, expect, it } from 'vitest';
import type { CallState } from '../../../common/call-status';
import { CALL_STATES } from '../../../common/call-status';
import { CALL_TRANSITIONS, IllegalCallTransition, nextCallState } from '../../../main/sip/calls/call-state';
import { inviteFailoverDecision } from '../../../main/sip/calls/invite-failover';

describe('call state table', () => {
  it('walks an outgoing call with a failover, early media, hold and hang-up', () => {
    const path: CallState[] = ['dialing', 'trying', 'dialing', 'trying', 'ringing', 'early-media', 'connected', 'held', 'connected', 'ended'];
    let state: CallState = 'dialing';
    for (const next of path.slice(1)) state = nextCallState(state, next);
    expect(state).toBe('ended');
  });

  it('lets every state but ended end, and nothing leave ended', () => {
    for (const s of CALL_STATES.filter((s) => s !== 'ended')) expect(nextCallState(s, 'ended')).toBe('ended');
    for (const s of CALL_STATES) expect(() => nextCallState('ended', s)).toThrow(IllegalCallTransition);
  });

  it.each([
    ['dialing', 'connected'],
    ['ringing', 'held'],
    ['connected', 'ringing'],
    ['held', 'trying'],
    ['ringing', 'dialing'],
  ] as const)('refuses %s → %s with a message naming both', (from, to) => {
    expect(() => nextCallState(from, to)).toThrow(`call state cannot go from ${from} to ${to}`);
  });

  it('treats a repeated state (a second 180) as no move', () => {
    expect(nextCallState('ringing', 'ringing')).toBe('ringing');
  });

  it('covers every state', () => {
    expect(Object.keys(CALL_TRANSITIONS).sort()).toEqual([...CALL_STATES].sort());
  });
});

describe('INVITE failover decision (SPEC "INVITE failover")', () => {
  const ctx = { had1xx: false, stopFailoverAfterInviteTimeout: false, isLastServer: false };

  it.each([
    [{ kind: 'no-response' as const }, 'no response to INVITE within the signal-retry budget'],
    [{ kind: 'final' as const, code: 503, reason: 'Service Unavailable' }, '503 Service Unavailable'],
    [{ kind: 'final' as const, code: 500, reason: 'Server Internal Error' }, '500 Server Internal Error'],
    [{ kind: 'transport-error' as const, reason: 'ICMP port unreachable' }, 'ICMP port unreachable'],
  ])('fails over on %j before any 1xx', (outcome, cause) => {
    expect(inviteFailoverDecision(outcome, ctx)).toEqual({ action: 'failover', cause });
  });

  it.each([486, 404, 480, 603, 408, 502, 504])('never fails over on the callee\'s %i', (code) => {
    expect(inviteFailoverDecision({ kind: 'final', code, reason: 'x' }, ctx)).toEqual({ action: 'end', code, reason: 'x', serverUnavailable: false });
  });

  it('never fails over after a 1xx, whatever follows', () => {
    const after = { ...ctx, had1xx: true };
    expect(inviteFailoverDecision({ kind: 'final', code: 503, reason: 'Service Unavailable' }, after)).toMatchObject({ action: 'end', code: 503, serverUnavailable: false });
    expect(inviteFailoverDecision({ kind: 'transport-error', reason: 'reset' }, after)).toMatchObject({ action: 'end', code: 503, serverUnavailable: false });
    expect(inviteFailoverDecision({ kind: 'no-response' }, after)).toMatchObject({ action: 'end', code: 408, serverUnavailable: false });
  });

  it('stopFailoverAfterInviteTimeout: silence ends 408 and the line is left alone; 503/ICMP still fail over', () => {
    const stop = { ...ctx, stopFailoverAfterInviteTimeout: true };
    expect(inviteFailoverDecision({ kind: 'no-response' }, stop)).toEqual({ action: 'end', code: 408, reason: 'no response to INVITE within the signal-retry budget', serverUnavailable: false });
    expect(inviteFailoverDecision({ kind: 'final', code: 503, reason: 'Service Unavailable' }, stop).action).toBe('failover');
    expect(inviteFailoverDecision({ kind: 'transport-error', reason: 'refused' }, stop).action).toBe('failover');
  });

  it('on the last server the call ends and the line still hears the server failed', () => {
    const last = { ...ctx, isLastServer: true };
    expect(inviteFailoverDecision({ kind: 'no-response' }, last)).toMatchObject({ action: 'end', code: 408, serverUnavailable: true });
    expect(inviteFailoverDecision({ kind: 'final', code: 503, reason: 'Service Unavailable' }, last)).toMatchObject({ action: 'end', code: 503, serverUnavailable: true });
    expect(inviteFailoverDecision({ kind: 'transport-error', reason: 'refused' }, last)).toMatchObject({ action: 'end', code: 503, serverUnavailable: true });
  });
});
