/**
 * The mechanism to ONE server of ONE line, as narrow as the registration machine needs it: connect
 * (learning our Contact), run one REGISTER client transaction, run one OPTIONS. Dialog state
 * (Call-ID, CSeq, bindings, timers) lives in `registration-machine.ts`; failover policy in
 * `line-controller.ts`. Each server has its own channel — its own socket, Contact user and
 * `+sip.instance` — so a failback probe to the primary is an independent REGISTER dialog while the
 * backup keeps the line registered.
 */
import type { ServerLink } from './server-link';

/** One Contact of a REGISTER and the lifetime asked for it, in seconds (0 = remove the binding). */
export interface ContactExpiry {
  /** The Contact URI without angle brackets, as `ConnectResult.contact` names it. */
  uri: string;
  expires: number;
}

/** What the machine asks the channel to send. The first contact is our current one. */
export interface RegisterRequest {
  callId: string;
  /** RFC 3261 §10.2.4: strictly increasing within the Call-ID. */
  cseq: number;
  /** Expires header value in seconds. */
  expires: number;
  contacts: ContactExpiry[];
}

/** A Contact the registrar lists in a 2xx (RFC 3261 §10.3 step 8: every binding of the AOR). */
export interface ListedContact {
  uri: string;
  /** Its `expires` parameter in seconds, or null when absent. */
  expires: number | null;
  /** Created by this channel (our Contact user or our `+sip.instance`), so ours to remove. */
  ours: boolean;
}

/** The result of one REGISTER transaction, digest retry included. */
export type RegisterResult =
  | {
      kind: 'response';
      code: number;
      reason: string;
      /** CSeq of the final response (one more than asked after a digest retry). */
      cseq: number;
      /** RFC 3261 §20.33 Retry-After, seconds; null when absent. */
      retryAfterS: number | null;
      /** RFC 3261 §20.23 Min-Expires of a 423, seconds; null when absent. */
      minExpires: number | null;
      /** Expires header of the response, seconds; null when absent. */
      expiresHeader: number | null;
      contacts: ListedContact[];
      /**
       * RFC 3581 §4: the response showed a NAT and our Contact now names the public address: the
       * binding just made is on the private one, so register again at once (which removes it).
       */
      contactChanged?: boolean;
    }
  | { kind: 'timeout' | 'transport-error'; reason: string };

/** The result of one OPTIONS transaction. */
export type OptionsResult =
  | { kind: 'response'; code: number; reason: string; rttMs: number; retryAfterS: number | null }
  | { kind: 'timeout' | 'transport-error'; reason: string };

export type ConnectResult = { ok: true; contact: string } | { ok: false; reason: string };

/** A client transaction in flight. */
export interface Transaction<T> {
  /** Settles once: the final response, a timeout, a transport error, or `abandoned`. */
  readonly result: Promise<T>;
  /**
   * Cancels it: retransmissions stop, late responses are ignored, and a late 401/407 is never
   * answered (that would reuse a CSeq the dialog has moved past). `result` resolves as timed out.
   */
  abandon(): void;
}

export interface ServerChannel {
  /** Connects if needed; resolves with our Contact URI on the real local address. */
  connect(budgetMs: number): Promise<ConnectResult>;
  /**
   * Sends one REGISTER. Silence longer than `budgetMs` resolves as a timeout (and abandons the
   * transaction). A 401/407 is answered once with credentials (a new transaction, CSeq + 1,
   * reported through `onAuthenticated` before it is sent).
   */
  sendRegister(request: RegisterRequest, budgetMs: number, onAuthenticated: (cseq: number) => void): Transaction<RegisterResult>;
  /** OPTIONS to the server itself (RFC 3261 §11), with its own Call-ID. */
  sendOptions(budgetMs: number): Transaction<OptionsResult>;
  /**
   * RFC 3263 §4.3: moves to the next located target of this server entry after the current one
   * proved unavailable. False when there is none (absent: the entry has a single target).
   */
  nextTarget?(): boolean;
  /** The located target in use, e.g. `sip.example.org → 127.0.0.7:5060/udp`; null when not located. */
  describeTarget?(): string | null;
  /** The JsSIP UA behind this channel, for calls through the same server; null for scripted channels. */
  link(): ServerLink | null;
  /** Called when a reliable connection (TCP/TLS/WS) to this server drops unexpectedly. */
  onConnectionLost: (() => void) | null;
  /** Closes sockets and timers; sends nothing. */
  dispose(): void;
}

/** The result of checking a server with OPTIONS, as the policy sees it. */
export type LivenessOutcome =
  | { kind: 'alive'; rttMs: number; code: number; reason: string }
  | { kind: 'unavailable'; code: number; reason: string };

/** 0 stands for "no SIP response": a local timeout or a transport failure. */
export const NO_RESPONSE = 0;

/**
 * How an outcome reads in a sentence: "503 Service Unavailable", or the local reason alone
 * ("no response within 7.5 s"). Outcomes keep the code and the reason phrase apart.
 */
export function describeResponse(outcome: { code: number; reason: string }): string {
  return outcome.code === NO_RESPONSE ? outcome.reason : `${outcome.code} ${outcome.reason}`.trim();
}
