/**
 * The registration path to ONE server of ONE line, as the line's failover policy sees it.
 * Mechanism (sockets, JsSIP, digest, 423) lives behind this interface; policy (which server is
 * active, when to retry, when to probe the primary) lives in `line-controller.ts`. Each server has
 * its own channel — its own Call-ID, Contact and instance — so a failback probe to the primary is
 * an independent REGISTER dialog while the backup keeps the line registered.
 */

/** The result of one REGISTER (after digest challenges and 423 retries have been handled). */
export type RegisterOutcome =
  | { kind: 'registered'; granted: number; code: number; reason: string }
  /** 500/503, no answer within the silence budget, connect refused/timed out, ICMP unreachable. */
  | { kind: 'unavailable'; code: number; reason: string }
  /** 403, or a second 401/407 for the same credentials: never a failover trigger. */
  | { kind: 'auth-failed'; code: number; reason: string }
  /** Any other final failure (404, 4xx, 6xx): the server answered, but will not register us. */
  | { kind: 'rejected'; code: number; reason: string };

export type UnregisterOutcome = { kind: 'removed' | 'failed'; code: number; reason: string };

export type LivenessOutcome =
  | { kind: 'alive'; rttMs: number; code: number; reason: string }
  | { kind: 'unavailable'; code: number; reason: string };

export interface ServerChannel {
  /** REGISTER asking for `expires` seconds; silence longer than `silenceBudgetMs` is unavailability. */
  register(expires: number, silenceBudgetMs: number): Promise<RegisterOutcome>;
  /** REGISTER Expires:0 on the same Call-ID (RFC 3261 §10.2.2), answering challenges. */
  unregister(silenceBudgetMs: number): Promise<UnregisterOutcome>;
  /** OPTIONS to the server itself (RFC 3261 §11). */
  checkLiveness(silenceBudgetMs: number): Promise<LivenessOutcome>;
  /** Whether the server still holds a binding we created (granted and not yet expired or removed). */
  hasBinding(): boolean;
  /** Called when a reliable connection (TCP/TLS/WS) to this server drops unexpectedly. */
  onConnectionLost: (() => void) | null;
  /** Closes sockets and timers; sends nothing. */
  dispose(): void;
}

/** 0 stands for "no SIP response": a local timeout or a transport failure. */
export const NO_RESPONSE = 0;

/**
 * How an outcome reads in a sentence: "503 Service Unavailable", or the local reason alone
 * ("no response within 7.5 s"). Outcomes keep the code and the reason phrase apart.
 */
export function describeResponse(outcome: { code: number; reason: string }): string {
  return outcome.code === NO_RESPONSE ? outcome.reason : `${outcome.code} ${outcome.reason}`.trim();
}
