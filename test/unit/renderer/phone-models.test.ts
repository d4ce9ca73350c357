import { describe, expect, it } from 'vitest';
import { callBackTarget, filterHistory } from '../../../renderer/src/model/call-history-filter';
import { callStateText, durationText, partyDetail, partyName, qualityText, recordOutcome, resultText } from '../../../renderer/src/model/call-text';
import { cleanDialInput } from '../../../renderer/src/model/dial-text';
import { call, record } from './call-snapshots';

describe('number field cleanup', () => {
  it('drops the separators of a pasted number and keeps the leading +', () => {
    expect(cleanDialInput('+1 (555) 010-0199')).toBe('+15550100199');
    expect(cleanDialInput(' 555.010.0199 ')).toBe('5550100199');
    expect(cleanDialInput('*72#')).toBe('*72#');
  });

  it('leaves URIs and user names as typed (trimmed)', () => {
    expect(cleanDialInput(' sip:alice@example.org;transport=tcp ')).toBe('sip:alice@example.org;transport=tcp');
    expect(cleanDialInput('tel:+1-555-0100')).toBe('tel:+1-555-0100');
    expect(cleanDialInput('alice')).toBe('alice');
    expect(cleanDialInput('')).toBe('');
  });
});

describe('call state in words', () => {
  it('reads every state of an outgoing call, with the timer once connected', () => {
    expect(callStateText(call({ state: 'dialing' }), 0)).toBe('Calling…');
    expect(callStateText(call({ state: 'trying', failovers: 1 }), 0)).toBe('Trying backup…');
    expect(callStateText(call({ state: 'ringing' }), 0)).toBe('Ringing…');
    expect(callStateText(call({ state: 'early-media' }), 0)).toBe('Early media');
    expect(callStateText(call({ state: 'connected', answeredAt: 10_000 }), 75_400)).toBe('Connected 1:05');
    expect(callStateText(call({ state: 'held', answeredAt: 0, localHold: true }), 3_723_000)).toBe('On hold 1:02:03');
    expect(callStateText(call({ state: 'held', answeredAt: 0, remoteHold: true }), 1_000)).toBe('Held by the other side 0:01');
    expect(callStateText(call({ state: 'connected', answeredAt: 0 }), 0, true)).toBe('Transferring…');
  });

  it('says why a call ended, with code and reason', () => {
    expect(callStateText(call({ state: 'ended', code: 486, reason: 'Busy Here', endedBy: 'remote' }), 0)).toBe('Ended — 486 Busy Here');
    expect(callStateText(call({ state: 'ended', code: 404, reason: null, endedBy: 'remote' }), 0)).toBe('Ended — 404 Not Found');
    expect(callStateText(call({ state: 'ended', code: 0, reason: 'no answer from any server', endedBy: 'local' }), 0)).toBe('Ended — No SIP response: no answer from any server');
    expect(callStateText(call({ state: 'ended', code: 487, endedBy: 'local' }), 0)).toBe('Cancelled');
    expect(callStateText(call({ state: 'ended', answeredAt: 5, endedBy: 'local', code: 200 }), 0)).toBe('Ended — you hung up');
    expect(callStateText(call({ state: 'ended', answeredAt: 5, endedBy: 'remote', code: 200 }), 0)).toBe('Ended — the other side hung up');
    expect(resultText(603, null)).toBe('603 Decline');
  });

  it('shows the name first and the number under it', () => {
    const remote = { uri: 'sip:1002@example.org', user: '1002', displayName: 'Alice' };
    expect([partyName(remote), partyDetail(remote)]).toEqual(['Alice', '1002']);
    expect([partyName({ ...remote, displayName: null }), partyDetail({ ...remote, displayName: null })]).toEqual(['1002', 'sip:1002@example.org']);
  });

  it('quality reads loss, jitter and MOS compactly; nothing before any packet', () => {
    expect(qualityText(null)).toBe('');
    expect(qualityText({ packetsSent: 10, packetsReceived: 0, packetsLost: 0, jitterMs: 0, rttMs: null, mos: null, rmsDbfs: null })).toBe('');
    expect(qualityText({ packetsSent: 500, packetsReceived: 498, packetsLost: 2, jitterMs: 3.4, rttMs: 12, mos: 4.31, rmsDbfs: -20 })).toBe('loss 0.4 % · jitter 3 ms · MOS 4.3');
    expect(durationText(59_999)).toBe('0:59');
  });
});

describe('call history', () => {
  const records = [
    record({ id: 'a', direction: 'incoming', missed: true, remote: { uri: 'sip:1003@x', user: '1003', displayName: 'Bob Smith' }, code: 487, endedBy: 'remote' }),
    record({ id: 'b', direction: 'outgoing', answeredAt: 0, durationMs: 65_000 }),
    record({ id: 'c', direction: 'incoming', endedBy: 'local', code: 486, reason: 'Busy Here', line: 'support' }),
  ];

  it('filters missed, incoming and outgoing', () => {
    expect(filterHistory(records, 'all', '').map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(filterHistory(records, 'missed', '').map((r) => r.id)).toEqual(['a']);
    expect(filterHistory(records, 'incoming', '').map((r) => r.id)).toEqual(['a', 'c']);
    expect(filterHistory(records, 'outgoing', '').map((r) => r.id)).toEqual(['b']);
  });

  it('searches names, numbers (separators ignored) and the line', () => {
    expect(filterHistory(records, 'all', 'bob').map((r) => r.id)).toEqual(['a']);
    expect(filterHistory(records, 'all', 'smith bob').map((r) => r.id)).toEqual(['a']);
    expect(filterHistory(records, 'all', '555 010').map((r) => r.id)).toEqual(['b', 'c']);
    expect(filterHistory(records, 'all', 'support').map((r) => r.id)).toEqual(['c']);
    expect(filterHistory(records, 'missed', '555')).toEqual([]);
  });

  it('reads the outcome and calls back the number (else the URI)', () => {
    expect(records.map(recordOutcome)).toEqual(['Missed', '1:05', 'Declined']);
    expect(recordOutcome(record({ code: 404, reason: 'Not Found', endedBy: 'remote' }))).toBe('404 Not Found');
    expect(callBackTarget(records[1]!)).toBe('+15550100199');
    expect(callBackTarget(record({ remote: { uri: 'sip:alice@example.org', user: 'alice', displayName: null } }))).toBe('sip:alice@example.org');
  });
});
