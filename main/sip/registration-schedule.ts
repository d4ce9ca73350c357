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
 * What to ask for in every REGISTER (SPEC "Requested lifetime"), in seconds: the configured
 * lifetime, raised to a Min-Expires the server has taught us (RFC 3261 §10.2.8) and kept there.
 * The granted value never feeds back into the request — it only schedules the refresh — so a
 * registrar that grants a little less each time cannot walk the request down to its floor.
 */
export function requestedExpires(configured: number, minExpires: number | null): number {
  return minExpires !== null ? Math.max(configured, minExpires) : configured;
}

/** Fixed retry delay, no backoff (SPEC "retry delay"). */
export function retryDelayMs(retryDelaySeconds: number): number {
  return retryDelaySeconds * 1000;
}

/**
 * When the line may try again after every server failed, as an epoch-ms time: the retry delay,
 * but never before the first server may be asked again (RFC 3261 §21.5.4 / §20.33: a 503's
 * Retry-After says when). `notBefore` holds each server's Retry-After deadline or null.
 */
export function nextRetryAt(now: number, retryDelaySeconds: number, notBefore: readonly (number | null)[]): number {
  const earliestServer = Math.min(...notBefore.map((t) => t ?? now));
  return Math.max(now + retryDelayMs(retryDelaySeconds), earliestServer);
}

/** When the next failback probe may go: the interval, but never before the primary's Retry-After. */
export function nextFailbackAt(now: number, intervalSeconds: number, primaryNotBefore: number | null): number {
  return Math.max(now + intervalSeconds * 1000, primaryNotBefore ?? now);
}

/**
 * RFC 3261 §20.33: `Retry-After: 60`, optionally followed by a comment and `;duration=`. Seconds,
 * or null when absent or not a number.
 */
export function parseRetryAfter(value: string | null | undefined): number | null {
  if (value == null) return null;
  const match = /^\s*(\d+)/.exec(value);
  return match ? Number(match[1]) : null;
}
