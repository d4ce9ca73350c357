/**
 * The registration schedules as pure functions of plain numbers (seconds in, milliseconds out),
 * so each rule is unit-tested without a clock.
 */

/** RFC 3261 §17.1.1.1: the round-trip estimate every SIP timer derives from. */
export const T1_MS = 500;

/**
 * Refresh point: re-REGISTER when half the granted lifetime has passed (SPEC "refresh point 50 %").
 * RFC 3261 §10.2.1 leaves the point to the UA; half leaves room for a failed refresh to fail over
 * before the binding expires.
 */
export function refreshDelayMs(grantedSeconds: number): number {
  return Math.max(1, grantedSeconds) * 500;
}

/**
 * How long a server may stay silent before it counts as unavailable (SPEC "signal retry count").
 * A non-last server gets N retransmissions: sent at 0, T1, 3·T1, … so the last copy goes out at
 * (2^N − 1)·T1 and we give up at (2^(N+1) − 1)·T1 (N = 3 → 7.5 s). The last server gets the full
 * RFC 3261 §17.1.2.2 Timer F, 64·T1 (32 s): there is nowhere else to go, so waiting costs nothing.
 */
export function silenceBudgetMs(signalRetryCount: number, isLastServer: boolean, t1 = T1_MS): number {
  return isLastServer ? 64 * t1 : (2 ** (signalRetryCount + 1) - 1) * t1;
}

/**
 * What to ask for in the next REGISTER (SPEC "expiry mode").
 * - fixed: always the configured lifetime;
 * - auto: the configured lifetime until the server has granted one, then what it granted.
 * Either way never below a Min-Expires the server has taught us (RFC 3261 §10.2.8).
 */
export function requestedExpires(mode: 'auto' | 'fixed', configured: number, granted: number | null, minExpires: number | null): number {
  const wanted = mode === 'auto' && granted !== null && granted > 0 ? granted : configured;
  return minExpires !== null ? Math.max(wanted, minExpires) : wanted;
}

/** Fixed retry delay, no backoff (SPEC "retry delay"). */
export function retryDelayMs(retryDelaySeconds: number): number {
  return retryDelaySeconds * 1000;
}
