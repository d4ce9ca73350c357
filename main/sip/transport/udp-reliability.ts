import type { Clock } from '../clock';
import { TimerSet } from '../clock';
import { cseqMethod, isResponse, requestMethod, responseStatus, topViaBranch } from './message-head';

/** How the reliability layer reaches the wire and the clock. */
export interface UdpReliabilityOptions {
  clock: Clock;
  /** RFC 3261 §17.1.1.1 T1: RTT estimate, default 500 ms. */
  t1Ms: number;
  /** RFC 3261 §17.1.2.2 T2: cap of the non-INVITE retransmit interval, default 4 s. */
  t2Ms: number;
  /** Sends a request again, exactly as first sent (Timers A and E). */
  retransmit(text: string): void;
}

/** What to do with a received message. */
export type IncomingVerdict =
  /** New: pass to JsSIP. */
  | { kind: 'deliver' }
  /** A retransmission JsSIP must not see; `reply` (our last response, or our ACK) goes out again. */
  | { kind: 'duplicate'; reply: string | null };

const DELIVER: IncomingVerdict = { kind: 'deliver' };

interface ClientTransaction {
  text: string;
  invite: boolean;
  intervalMs: number;
  /** Non-INVITE only: a provisional response arrived, so Timer E now runs at T2. */
  proceeding: boolean;
}

interface ServerTransaction {
  firstSeenAt: number;
  lastResponse: string | null;
}

interface SentAck {
  text: string;
  sentAt: number;
}

/**
 * The UDP transaction-layer reliability JsSIP leaves out (it never retransmits, and its Timers
 * D/J/K are 0). Watches messages in both directions, keyed by top-Via branch + method (CSeq
 * method for responses): INVITE and the CANCEL/ACK that share its branch stay distinct.
 *
 * - Client requests are retransmitted: INVITE on Timer A, non-INVITE on Timer E, until a response
 *   (RFC 3261 §17.1.1.2, §17.1.2.2) or 64×T1 (Timers B/F). ACK and responses never are.
 * - A retransmitted final non-2xx response to our INVITE gets our ACK again (§17.1.1.2) instead of
 *   reaching JsSIP, whose transaction is already gone.
 * - Retransmitted incoming requests never reach JsSIP twice; they get our last response to them,
 *   if any (§17.2.1, §17.2.2), for 64×T1 after the first copy.
 */
export class UdpReliability {
  private readonly timers: TimerSet<string>;
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly acks = new Map<string, SentAck>();

  constructor(private readonly options: UdpReliabilityOptions) {
    this.timers = new TimerSet(options.clock);
  }

  /** 64×T1: Timers B, F, H, J and the lifetime of the caches (RFC 3261 Table 4). */
  private get transactionLifetimeMs(): number {
    return 64 * this.options.t1Ms;
  }

  /** Learns from a message just sent for the first time. */
  outgoing(text: string): void {
    const branch = topViaBranch(text);
    if (branch === null) return;
    if (isResponse(text)) {
      const server = this.servers.get(key(branch, cseqMethod(text)));
      if (server) server.lastResponse = text;
      return;
    }
    const method = requestMethod(text);
    if (method === null) return;
    // RFC 3261 §17.1.1.3: an ACK is never retransmitted on a timer, only re-sent per final response.
    if (method === 'ACK') {
      this.acks.delete(branch); // re-insert so the Map stays in sending order for expire()
      this.acks.set(branch, { text, sentAt: this.options.clock.now() });
      return;
    }
    this.startRetransmitting(key(branch, method), text, method === 'INVITE');
  }

  /** Classifies a received message; the caller sends the verdict's `reply`, if any. */
  incoming(text: string): IncomingVerdict {
    this.expire();
    const branch = topViaBranch(text);
    if (branch === null) return DELIVER;
    if (isResponse(text)) return this.incomingResponse(text, branch);
    const method = requestMethod(text);
    if (method === null) return DELIVER;
    const serverKey = key(branch, method);
    const server = this.servers.get(serverKey);
    if (!server) {
      this.servers.set(serverKey, { firstSeenAt: this.options.clock.now(), lastResponse: null });
      return DELIVER;
    }
    // RFC 3261 §17.2.1/§17.2.2: a retransmitted request gets the most recent response again;
    // before we have answered, it is simply absorbed.
    return { kind: 'duplicate', reply: server.lastResponse };
  }

  /** Stops retransmitting every request carrying this branch. */
  stop(branch: string): void {
    for (const clientKey of [...this.clients.keys()]) {
      if (clientKey.startsWith(`${branch} `)) this.forget(clientKey);
    }
  }

  /** Clears every timer and forgets every transaction. */
  dispose(): void {
    this.timers.dispose();
    this.clients.clear();
    this.servers.clear();
    this.acks.clear();
  }

  private incomingResponse(text: string, branch: string): IncomingVerdict {
    const status = responseStatus(text) ?? 0;
    const method = cseqMethod(text);
    const clientKey = key(branch, method);
    const client = this.clients.get(clientKey);
    if (client) {
      // RFC 3261 §17.1.1.2: any response stops Timer A. §17.1.2.2: a provisional one moves a
      // non-INVITE transaction to Proceeding (Timer E at T2), a final one ends it.
      if (client.invite || status >= 200) this.forget(clientKey);
      else client.proceeding = true;
      return DELIVER;
    }
    const ack = method === 'INVITE' && status >= 300 ? this.acks.get(branch) : undefined;
    return ack ? { kind: 'duplicate', reply: ack.text } : DELIVER;
  }

  private startRetransmitting(clientKey: string, text: string, invite: boolean): void {
    const { t1Ms } = this.options;
    this.clients.set(clientKey, { text, invite, intervalMs: t1Ms, proceeding: false });
    this.timers.set(`retransmit ${clientKey}`, t1Ms, () => this.retransmitClient(clientKey));
    // Timers B and F: past 64×T1 JsSIP has given up on the transaction, and so do we.
    this.timers.set(`timeout ${clientKey}`, this.transactionLifetimeMs, () => this.forget(clientKey));
  }

  private retransmitClient(clientKey: string): void {
    const client = this.clients.get(clientKey);
    if (!client) return;
    const { t2Ms } = this.options;
    this.options.retransmit(client.text);
    if (client.invite) {
      client.intervalMs *= 2; // Timer A doubles without a cap (§17.1.1.2)
    } else {
      // Timer E doubles up to T2 while Trying, and is T2 once Proceeding (§17.1.2.2).
      client.intervalMs = client.proceeding ? t2Ms : Math.min(client.intervalMs * 2, t2Ms);
    }
    this.timers.set(`retransmit ${clientKey}`, client.intervalMs, () => this.retransmitClient(clientKey));
  }

  private forget(clientKey: string): void {
    this.clients.delete(clientKey);
    this.timers.clear(`retransmit ${clientKey}`);
    this.timers.clear(`timeout ${clientKey}`);
  }

  /** Drops cache entries older than 64×T1; Maps iterate oldest first, so stop at the first live one. */
  private expire(): void {
    const oldest = this.options.clock.now() - this.transactionLifetimeMs;
    for (const [serverKey, server] of this.servers) {
      if (server.firstSeenAt > oldest) break;
      this.servers.delete(serverKey);
    }
    for (const [branch, ack] of this.acks) {
      if (ack.sentAt > oldest) break;
      this.acks.delete(branch);
    }
  }
}

function key(branch: string, method: string | null): string {
  return `${branch} ${method ?? ''}`;
}
