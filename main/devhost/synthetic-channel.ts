/**
 * A ServerChannel that answers like a server would, without a network: for the renderer benchmark
 * and for looking at thousands of lines in development (`--synthetic N`). Each server's behaviour
 * is fixed when it is created; answers come after a few milliseconds on the real clock, and every
 * exchange leaves a short SIP-looking trace so the detail pane has something to show.
 */
import type { LineConfig } from '../../common/line-config';
import { serverLabel } from '../../common/line-config';
import type { ConnectResult, OptionsResult, RegisterRequest, RegisterResult, ServerChannel, Transaction } from '../sip/server-channel';
import type { TraceRecord } from '../sip/transport/sip-socket';

export type SyntheticBehaviour = 'ok' | 'unavailable' | 'auth-failed';

export class SyntheticChannel implements ServerChannel {
  onConnectionLost: (() => void) | null = null;
  private readonly callId = Math.random().toString(36).slice(2, 12);
  private readonly contact = `sip:${Math.random().toString(36).slice(2, 10)}@192.0.2.10:5060`;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly line: LineConfig,
    private readonly serverIndex: number,
    private readonly behaviour: SyntheticBehaviour,
    private readonly onTrace: (record: TraceRecord) => void,
  ) {}

  connect(): Promise<ConnectResult> {
    return Promise.resolve({ ok: true, contact: this.contact });
  }

  sendRegister(request: RegisterRequest): Transaction<RegisterResult> {
    const result = this.exchange('REGISTER', request.cseq, request.expires, (): RegisterResult => {
      const base = { cseq: request.cseq, retryAfterS: null, minExpires: null, expiresHeader: null, contacts: [] };
      if (this.behaviour === 'unavailable') return { ...base, kind: 'response', code: 503, reason: 'Service Unavailable' };
      if (this.behaviour === 'auth-failed') return { ...base, kind: 'response', code: 403, reason: 'Forbidden' };
      return { ...base, kind: 'response', code: 200, reason: 'OK', expiresHeader: request.expires };
    });
    return { result, abandon: () => undefined };
  }

  sendOptions(): Transaction<OptionsResult> {
    const started = Date.now();
    const result = this.exchange('OPTIONS', 1, null, (): OptionsResult =>
      this.behaviour === 'unavailable'
        ? { kind: 'response', code: 503, reason: 'Service Unavailable', rttMs: Math.max(1, Date.now() - started), retryAfterS: null }
        : { kind: 'response', code: 200, reason: 'OK', rttMs: Math.max(1, Date.now() - started), retryAfterS: null },
    );
    return { result, abandon: () => undefined };
  }

  link(): null {
    return null;
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private exchange<T extends { kind: string }>(method: string, cseq: number, expires: number | null, answer: () => T): Promise<T> {
    const server = this.line.servers[this.serverIndex]!;
    const request = [
      `${method} sip:${this.line.domain} SIP/2.0`,
      `Via: SIP/2.0/${server.transport.toUpperCase()} 192.0.2.10:5060;branch=z9hG4bK${this.callId}${cseq};rport`,
      `From: <sip:${this.line.username}@${this.line.domain}>;tag=${this.callId}`,
      `To: <sip:${this.line.username}@${this.line.domain}>`,
      `Call-ID: ${this.callId}@${serverLabel(server)}`,
      `CSeq: ${cseq} ${method}`,
      ...(expires === null ? [] : [`Contact: <${this.contact}>`, `Expires: ${expires}`]),
      'Content-Length: 0',
    ].join('\r\n');
    this.onTrace({ direction: 'sent', text: `${request}\r\n\r\n`, retransmission: false, time: Date.now() });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const outcome = answer() as T & { code?: number; reason?: string };
        const response = [`SIP/2.0 ${outcome.code ?? 0} ${outcome.reason ?? ''}`, ...request.split('\r\n').slice(1, 6), 'Content-Length: 0'].join('\r\n');
        this.onTrace({ direction: 'received', text: `${response}\r\n\r\n`, retransmission: false, time: Date.now() });
        resolve(outcome);
      }, 3 + Math.floor(Math.random() * 37));
      this.timers.add(timer);
    });
  }
}
