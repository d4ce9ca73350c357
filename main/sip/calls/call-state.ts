/**
 * The call state machine of common/call-status.ts as one transition function that refuses
 * illegal moves (STYLE: explicit state machines).
 *
 * ```
 * outgoing:  dialing ──INVITE sent──► trying ──180/183──► ringing ⇄ early-media ──200──► connected ⇄ held
 *               ▲                       │  └────────────────200───────────────────────────┘
 *               └── INVITE failover ────┘  (registering on the next server, then trying there)
 * incoming:  ringing ──answer──► connected
 * any state but ended ── BYE / CANCEL / final error / decline ──► ended
 * ```
 * `held` is "on hold on either side"; who holds is in the snapshot's `localHold`/`remoteHold`.
 */
import type { CallState } from '../../../common/call-status';

/** Every move the state machine allows; a state not listed as a key moves nowhere. */
export const CALL_TRANSITIONS: Readonly<Record<CallState, readonly CallState[]>> = {
  dialing: ['trying', 'ended'],
  trying: ['dialing', 'ringing', 'early-media', 'connected', 'ended'],
  ringing: ['early-media', 'connected', 'ended'],
  'early-media': ['ringing', 'connected', 'ended'],
  connected: ['held', 'ended'],
  held: ['connected', 'ended'],
  ended: [],
};

/** Thrown for a move the table does not allow: always a bug in the caller, never a far end's doing. */
export class IllegalCallTransition extends Error {
  constructor(readonly from: CallState, readonly to: CallState) {
    super(`call state cannot go from ${from} to ${to}`);
  }
}

/**
 * The state after moving `from` → `to`. Staying in the same state (a second 180) is allowed and
 * changes nothing, except for `ended`, which is final.
 *
 * @throws IllegalCallTransition for a move not in {@link CALL_TRANSITIONS}.
 */
export function nextCallState(from: CallState, to: CallState): CallState {
  if (from === to && from !== 'ended') return from;
  if (!CALL_TRANSITIONS[from].includes(to)) throw new IllegalCallTransition(from, to);
  return to;
}
