/**
 * The registration path to one server, over a JsSIP UA: a REGISTER dialog (RFC 3261 §10.2: one
 * Call-ID per registrar, CSeq + 1 per request, the Contact on the real local address with its own
 * `+sip.instance`) and OPTIONS liveness checks. Turns SIP results into the outcomes the line's
 * policy understands.
 */
import { URI } from 'jssip';
import type { LineConfig } from '../../common/line-config';
import type { Clock, Random } from './clock';
import type { IncomingResponse, OutgoingRequest } from './jssip-internals';
import { DigestCredentials } from './digest-credentials';
import { buildRequest, cseqOf, internalsOf } from './jssip-internals';
import type { TransactionResult } from './server-link';
import { randomToken, ServerLink } from './server-link';
import type { LivenessOutcome, RegisterOutcome, ServerChannel, UnregisterOutcome } from './server-channel';
import { NO_RESPONSE } from './server-channel';
import type { TraceRecord } from './transport/sip-socket';

/** RFC 3261 §10.2.8: at most this many 423s in a row before giving up. */
const MAX_INTERVAL_TOO_BRIEF = 3;

export interface JsSipChannelOptions {
  line: LineConfig;
  serverIndex: number;
  clock: Clock;
  random: Random;
  userAgent: string;
  onTrace: (record: TraceRecord) => void;
}

interface ContactParams {
  getParam(name: string): string | undefined;
  uri: { user?: string };
}

export class JsSipChannel implements ServerChannel {
  onConnectionLost: (() => void) | null = null;

  private readonly link: ServerLink;
  private readonly callId: string;
  private cseq = 0;
  private bindingUntil: number | null = null;
  /** A REGISTER whose answer we do not know yet may create a binding: count it as held. */
  private registerInFlight = false;
  /** A REGISTER that timed out may still have been processed (a frozen server wakes up). */
  private maybeBoundUntil: number | null = null;
  private minExpires: number | null = null;
  private readonly credentials: DigestCredentials;

  constructor(private readonly options: JsSipChannelOptions) {
    const server = options.line.servers[options.serverIndex];
    if (!server) throw new Error(`line ${options.line.id} has no server ${options.serverIndex}`);
    this.link = new ServerLink({ ...options, server });
    this.link.onConnectionLost = () => this.onConnectionLost?.();
    this.callId = randomToken(options.random, 22);
    this.credentials = new DigestCredentials(options.line.authUsername ?? options.line.username, options.line.password);
  }

  hasBinding(): boolean {
    const now = this.options.clock.now();
    return this.registerInFlight || (this.bindingUntil ?? 0) > now || (this.maybeBoundUntil ?? 0) > now;
  }

  async register(expires: number, silenceBudgetMs: number): Promise<RegisterOutcome> {
    this.registerInFlight = true;
    try {
      let asked = Math.max(expires, this.minExpires ?? 0);
      for (let attempt = 0; ; attempt++) {
        const result = await this.link.transact(() => this.buildRegister(asked), silenceBudgetMs, (r) => this.authenticated(r));
        if (result.kind !== 'response') {
          if (result.kind === 'timeout') this.maybeBoundUntil = this.options.clock.now() + asked * 1000;
          return { kind: 'unavailable', code: NO_RESPONSE, reason: result.reason };
        }
        const { response } = result;
        this.noteCseq(response);
        const code = response.status_code;
        const reason = response.reason_phrase || '';
        if (code >= 200 && code < 300) {
          const granted = this.grantedExpires(response, asked);
          this.bindingUntil = granted > 0 ? this.options.clock.now() + granted * 1000 : null;
          if (granted <= 0) return { kind: 'rejected', code, reason: `${reason}, but no binding was granted` };
          return { kind: 'registered', granted, code, reason };
        }
        // RFC 3261 §10.2.8: 423 Interval Too Brief → retry at once with the server's Min-Expires.
        if (code === 423 && attempt + 1 < MAX_INTERVAL_TOO_BRIEF) {
          const min = Number(response.getHeader('Min-Expires'));
          if (Number.isInteger(min) && min > asked) {
            this.minExpires = min;
            asked = min;
            continue;
          }
        }
        return this.classifyFailure(code, reason);
      }
    } finally {
      this.registerInFlight = false;
    }
  }

  async unregister(silenceBudgetMs: number): Promise<UnregisterOutcome> {
    // RFC 3261 §10.2.2: Expires 0 on the same Call-ID removes our binding. A REGISTER still in
    // flight is abandoned here (treated as timed out) so quitting never waits on it.
    const result = await this.link.transact(() => this.buildRegister(0), silenceBudgetMs, (r) => this.authenticated(r));
    if (result.kind !== 'response') return { kind: 'failed', code: NO_RESPONSE, reason: result.reason };
    this.noteCseq(result.response);
    const code = result.response.status_code;
    const reason = result.response.reason_phrase || '';
    if (code >= 200 && code < 300) {
      this.bindingUntil = null;
      this.maybeBoundUntil = null;
      return { kind: 'removed', code, reason };
    }
    return { kind: 'failed', code, reason };
  }

  async checkLiveness(silenceBudgetMs: number): Promise<LivenessOutcome> {
    const result: TransactionResult = await this.link.transact(() => this.buildOptions(), silenceBudgetMs);
    if (result.kind !== 'response') return { kind: 'unavailable', code: NO_RESPONSE, reason: result.reason };
    const code = result.response.status_code;
    const reason = result.response.reason_phrase || '';
    // Any final answer proves the server alive, except a 5xx: it is there but not serving.
    if (code >= 500 && code < 600) return { kind: 'unavailable', code, reason };
    return { kind: 'alive', rttMs: this.options.clock.now() - result.sentAt, code, reason };
  }

  dispose(): void {
    this.link.close();
  }

  private classifyFailure(code: number, reason: string): RegisterOutcome {
    const text = reason;
    // SPEC: 500/503 mean the server is unavailable; 403 and a repeated challenge are about us.
    if (code === 500 || code === 503) return { kind: 'unavailable', code, reason: text };
    if (code === 401 || code === 407 || code === 403) return { kind: 'auth-failed', code, reason: text };
    return { kind: 'rejected', code, reason: text };
  }

  private buildRegister(expires: number): OutgoingRequest {
    const { line } = this.options;
    const contact = `<${internalsOf(this.link.ua).contact.uri.toString()}>;expires=${expires};+sip.instance="<urn:uuid:${this.link.instanceId}>"`;
    const headers = [`Contact: ${contact}`, `Expires: ${expires}`];
    if (line.privacy !== 'ignore') headers.push(`Privacy: ${line.privacy}`); // RFC 3323 §4.2
    // RFC 3261 §10.2: the Request-URI names the domain of the location service.
    const registrar = new URI('sip', undefined as unknown as string, line.domain);
    const authorization = this.credentials.authorize('REGISTER', registrar.toString());
    if (authorization) headers.push(`${authorization.name}: ${authorization.value}`);
    return buildRequest('REGISTER', registrar, this.link.ua, {
      to_uri: internalsOf(this.link.ua).configuration.uri,
      call_id: this.callId,
      cseq: ++this.cseq,
    }, headers);
  }

  private buildOptions(): OutgoingRequest {
    return buildRequest('OPTIONS', this.link.serverUri(), this.link.ua, { call_id: randomToken(this.options.random, 22) }, ['Accept: application/sdp']);
  }

  private authenticated(request: OutgoingRequest): void {
    this.cseq = Math.max(this.cseq, cseqOf(request));
    const proxy = request.getHeader('Proxy-Authorization');
    const www = request.getHeader('Authorization');
    if (www) this.credentials.remember('Authorization', www);
    else if (proxy) this.credentials.remember('Proxy-Authorization', proxy);
  }

  private noteCseq(response: IncomingResponse): void {
    const cseq = cseqOf(response);
    if (Number.isFinite(cseq)) this.cseq = Math.max(this.cseq, cseq);
  }

  /** RFC 3261 §10.2.4: our Contact's `expires` in the 200 OK, else its Expires header, else what we asked. */
  private grantedExpires(response: IncomingResponse, asked: number): number {
    const contacts: ContactParams[] = [];
    const count = response.getHeaders('Contact').length;
    for (let i = 0; i < count; i++) {
      const parsed = response.parseHeader<ContactParams>('Contact', i);
      if (parsed) contacts.push(parsed);
    }
    const instance = `"<urn:uuid:${this.link.instanceId}>"`;
    const ours = contacts.find((c) => c.getParam('+sip.instance') === instance) ?? contacts.find((c) => c.uri.user === this.link.contactUser);
    const fromContact = ours?.getParam('expires');
    const fromHeader = response.hasHeader('Expires') ? response.getHeader('Expires') : undefined;
    const value = Number(fromContact ?? fromHeader ?? asked);
    return Number.isFinite(value) ? value : asked;
  }
}
