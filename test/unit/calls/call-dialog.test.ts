/**
 * The JsSIP internals BYE failover rests on (main/sip/calls/jssip-dialog.ts), under real JsSIP
 * 3.13.8: the BYE we build from a dialog snapshot is JsSIP's own BYE, header for header; a session
 * ended without a BYE is over locally while nothing went on the wire.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RTCSession } from 'jssip/lib/RTCSession';
import { buildDialogRequest, dialogOf, endSessionWithoutBye } from '../../../main/sip/calls/jssip-dialog';
import type { Party } from './jssip-pair';
import { startPair, stopPair, waitFor } from './jssip-pair';

let parties: Party[] = [];

afterEach(async () => {
  await stopPair(parties);
  parties = [];
});

async function connected(): Promise<{ alice: Party; bob: Party; session: RTCSession; bobSession: RTCSession }> {
  parties = await startPair({ user: 'alice' }, { user: 'bob' });
  const [alice, bob] = parties as [Party, Party];
  bob.onIncoming = (s) => setTimeout(() => bob.answer(s), 10);
  let confirmed = false;
  const out = alice.call('sip:bob@test.invalid', { confirmed: () => (confirmed = true) });
  await waitFor('confirmed', () => confirmed);
  await waitFor('bob answered', () => bob.incoming[0]?.isEstablished() === true);
  return { alice, bob, session: out.session, bobSession: bob.incoming[0]! };
}

function header(message: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)\\r$`, 'mi').exec(message)?.[1];
}

describe('dialog snapshot and the BYE built from it', () => {
  it('is JsSIP\'s own BYE: request line, Call-ID, From/To tags, CSeq, Route', async () => {
    const { alice, session } = await connected();
    const dialog = dialogOf(session, () => 0.5);
    expect(dialog).not.toBeNull();
    const ours = buildDialogRequest(alice.ua, dialog!, 'BYE', ['Reason: SIP ;cause=408 ;text="no RTP for 60 s"']).toString();
    session.terminate();
    const theirs = alice.sentMatching(/^BYE /)[0]!;
    expect(ours.split('\r\n')[0]).toBe(theirs.split('\r\n')[0]);
    for (const name of ['Call-ID', 'CSeq', 'From', 'To', 'Route']) expect(header(ours, name), name).toBe(header(theirs, name));
    expect(header(ours, 'CSeq')).toMatch(/^\d+ BYE$/);
    expect(header(ours, 'Reason')).toBe('SIP ;cause=408 ;text="no RTP for 60 s"');
  });

  it('the callee side (no request sent yet in its CSeq space) gets a CSeq from the injected randomness', async () => {
    const { bobSession } = await connected();
    const dialog = dialogOf(bobSession, () => 0.25);
    expect(dialog?.nextCseq).toBe(2502);
    expect(String(dialog?.remoteTarget)).toMatch(/^sip:\S+@/);
  });

  it('endSessionWithoutBye ends the session locally ("ended", local) and sends nothing; a session without a dialog has no snapshot', async () => {
    const { alice, bob, session, bobSession } = await connected();
    const ended: string[] = [];
    session.on('ended', (e: { originator: string }) => ended.push(e.originator));
    const sentBefore = alice.socket.sent.length;
    endSessionWithoutBye(session, 'Terminated');
    expect(ended).toEqual(['local']);
    expect(session.isEnded()).toBe(true);
    expect(alice.socket.sent.length).toBe(sentBefore);
    expect(bobSession.isEnded()).toBe(false);
    expect(dialogOf(session, () => 0.5)).toBeNull();
    expect(bob.errors).toEqual([]);
  });
});
