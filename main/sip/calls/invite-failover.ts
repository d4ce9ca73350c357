/**
 * When an INVITE moves to the next server (SPEC "Calls" → "INVITE failover"; calls-design §6), as
 * one pure decision. The INVITE goes to the server the line is registered on; that server is
 * unavailable when it stays silent for the signal-retry budget, answers 500 or 503 itself, is
 * unreachable (ICMP) or refuses/drops the connection. Then the line registers on the next server
 * and the same call goes out there. Never after a provisional response (the server, or something
 * behind it, is alive and owns the transaction), never on any other final answer (that is the
 * callee's answer, RFC 3261 §16.7: a proxy forwards the best final response).
 */

/** How one INVITE attempt on one server ended without a 2xx. */
export type InviteAttemptOutcome =
  | { kind: 'no-response' }
  | { kind: 'transport-error'; reason: string }
  | { kind: 'final'; code: number; reason: string };

export interface InviteFailoverContext {
  /** A 1xx (100 Trying included) arrived on this attempt. */
  had1xx: boolean;
  /** The line's `stopFailoverAfterInviteTimeout`. */
  stopFailoverAfterInviteTimeout: boolean;
  /** The attempt went to the line's last server: there is no next one. */
  isLastServer: boolean;
}

export type InviteFailoverDecision =
  /** Tell the line the server is unavailable, register on the next one, send the INVITE there. */
  | { action: 'failover'; cause: string }
  /**
   * The call ends with `code`/`reason`. `serverUnavailable`: the line must still hear that this
   * server failed (the last server: it then waits to retry, as after a failed REGISTER).
   */
  | { action: 'end'; code: number; reason: string; serverUnavailable: boolean };

/** RFC 3261 §21.5.1/§21.5.4: the server's own failure, not the callee's answer. */
const SERVER_FAILURE_CODES = new Set([500, 503]);

/**
 * Decides what follows an INVITE attempt that got no 2xx.
 *
 * | outcome | after a 1xx | stop… on | last server | decision |
 * |---|---|---|---|---|
 * | final 500/503 | no | – | no | failover |
 * | final 500/503 | no | – | yes | end (code), server unavailable |
 * | transport error | no | – | no / yes | failover / end 503, server unavailable |
 * | no response | no | yes | – | end 408, line left alone (nothing reaches the next server) |
 * | no response | no | no | no / yes | failover / end 408, server unavailable |
 * | anything | yes | – | – | end (its code; 408 for silence, 503 for transport) |
 * | any other final | – | – | – | end (its code) |
 */
export function inviteFailoverDecision(outcome: InviteAttemptOutcome, context: InviteFailoverContext): InviteFailoverDecision {
  const end = (code: number, reason: string, serverUnavailable = false): InviteFailoverDecision => ({ action: 'end', code, reason, serverUnavailable });
  if (outcome.kind === 'final') {
    if (context.had1xx || !SERVER_FAILURE_CODES.has(outcome.code)) return end(outcome.code, outcome.reason);
    const cause = `${outcome.code} ${outcome.reason}`.trim();
    return context.isLastServer ? end(outcome.code, outcome.reason, true) : { action: 'failover', cause };
  }
  if (outcome.kind === 'transport-error') {
    if (context.had1xx) return end(503, outcome.reason);
    return context.isLastServer ? end(503, outcome.reason, true) : { action: 'failover', cause: outcome.reason };
  }
  const silence = 'no response to INVITE within the signal-retry budget';
  if (context.had1xx) return end(408, 'no final response to INVITE');
  if (context.stopFailoverAfterInviteTimeout) return end(408, silence);
  return context.isLastServer ? end(408, silence, true) : { action: 'failover', cause: silence };
}
