/**
 * A ServerChannel that answers like a server would, without a network: for the renderer benchmark
 * and for looking at thousands of lines in development (`--synthetic N`). Each server's behaviour
 * is fixed when it is created; answers come after a few milliseconds on the real clock, and every
 * exchange leaves a short SIP-looking trace so the detail pane has something to show.
 */
import type { LineConfig } from '../../common/line-config';
import { serverLabel } from '../../common/line-config';
import type { LivenessOutcome, RegisterOutcome, ServerChannel, UnregisterOutcome } from '../sip/server-channel';
import type { TraceRecord } from '../sip/transport/sip-socket';

export type SyntheticBehaviour = 'ok' | 'unavailable' | 'auth-failed';

export class SyntheticChannel implements ServerChannel {
  onConnectionLost: (() => void) | null = null;
  private bindingUntil = 0;
  private cseq = 1;
  private readonly callId = Math.random().toString(36).slice(2, 12);
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly line: LineConfig,
    private readonly serverIndex: number,
    private readonly behaviour: SyntheticBehaviour,
    private readonly onTrace: (record: TraceRecord) => void,
  ) {}

  register(expires: number): Promise<RegisterOutcome> {
    return this.exchange('REGISTER', expires, (): RegisterOutcome => {
      if (this.behaviour === 'unavailable') return { kind: 'unavailable', code: 503, reason: 'Service Unavailable' };
      if (this.behaviour === 'auth-failed') return { kind: 'auth-failed', code: 403, reason: 'Forbidden' };
      this.bindingUntil = Date.now() + expires * 1000;
      return { kind: 'registered', granted: expires, code: 200, reason: 'OK' };
    });
  }

  unregister(): Promise<UnregisterOutcome> {
    return this.exchange('REGISTER', 0, (): UnregisterOutcome => {
      this.bindingUntil = 0;
      return { kind: 'removed', code: 200, reason: 'OK' };
    });
  }

  checkLiveness(): Promise<LivenessOutcome> {
    const started = Date.now();
    return this.exchange('OPTIONS', null, (): LivenessOutcome =>
      this.behaviour === 'unavailable'
        ? { kind: 'unavailable', code: 503, reason: 'Service Unavailable' }
        : { kind: 'alive', rttMs: Math.max(1, Date.now() - started), code: 200, reason: 'OK' },
    );
  }

  hasBinding(): boolean {
    return this.bindingUntil > Date.now();
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private exchange<T extends { code: number; reason: string }>(method: string, expires: number | null, answer: () => T): Promise<T> {
    const server = this.line.servers[this.serverIndex]!;
    const cseq = this.cseq++;
    const request = [
      `${method} sip:${this.line.domain} SIP/2.0`,
      `Via: SIP/2.0/${server.transport.toUpperCase()} 192.0.2.10:5060;branch=z9hG4bK${this.callId}${cseq};rport`,
      `From: <sip:${this.line.username}@${this.line.domain}>;tag=${this.callId}`,
      `To: <sip:${this.line.username}@${this.line.domain}>`,
      `Call-ID: ${this.callId}@${serverLabel(server)}`,
      `CSeq: ${cseq} ${method}`,
      ...(expires === null ? [] : [`Contact: <sip:${this.line.username}@192.0.2.10:5060>`, `Expires: ${expires}`]),
      'Content-Length: 0',
    ].join('\r\n');
    this.onTrace({ direction: 'sent', text: `${request}\r\n\r\n`, retransmission: false, time: Date.now() });
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const outcome = answer();
        const response = [`SIP/2.0 ${outcome.code} ${outcome.reason}`, ...request.split('\r\n').slice(1, 6), 'Content-Length: 0'].join('\r\n');
        this.onTrace({ direction: 'received', text: `${response}\r\n\r\n`, retransmission: false, time: Date.now() });
        resolve(outcome);
      }, 3 + Math.floor(Math.random() * 37));
      this.timers.add(timer);
    });
  }
}
