/**
 * The mechanism to one server over a JsSIP UA (`ServerLink`): builds the REGISTER the registration
 * machine asks for (its Call-ID, CSeq, Contacts and expiries), runs it, and reads the answer back
 * into plain facts (code, CSeq, Retry-After, Min-Expires, the Contacts the registrar lists and
 * which of them are ours). It keeps no binding facts of its own: those are the machine's.
 */
import { URI } from 'jssip';
import type { LineConfig } from '../../common/line-config';
import type { Clock, Random } from './clock';
import type { IncomingResponse, OutgoingRequest } from './jssip-internals';
import { digestRefusalOf } from './jssip-digest';
import { buildRequest, cseqOf, internalsOf } from './jssip-internals';
import { parseRetryAfter } from './registration-schedule';
import type { ConnectResult, ListedContact, OptionsResult, RegisterRequest, RegisterResult, ServerChannel, Transaction } from './server-channel';
import { randomToken, ServerLink } from './server-link';
import type { TraceRecord } from './transport/sip-socket';

export interface JsSipChannelOptions {
  line: LineConfig;
  serverIndex: number;
  clock: Clock;
  random: Random;
  userAgent: string;
  onTrace: (record: TraceRecord) => void;
}

interface ParsedContact {
  getParam(name: string): string | undefined;
  uri: URI;
}

/** One spelling for a Contact URI, so what we sent and what the registrar lists compare equal. */
function canonicalContact(uri: { user?: string | null; host: string; port?: number | null; getParam(name: string): unknown }): string {
  const transport = uri.getParam('transport');
  const port = uri.port ? `:${uri.port}` : '';
  const user = uri.user ? `${uri.user}@` : '';
  return `sip:${user}${uri.host.toLowerCase()}${port}${typeof transport === 'string' ? `;transport=${transport.toLowerCase()}` : ''}`;
}

export class JsSipChannel implements ServerChannel {
  onConnectionLost: (() => void) | null = null;

  private readonly serverLink: ServerLink;

  constructor(private readonly options: JsSipChannelOptions) {
    const server = options.line.servers[options.serverIndex];
    if (!server) throw new Error(`line ${options.line.id} has no server ${options.serverIndex}`);
    this.serverLink = new ServerLink({ ...options, server });
    this.serverLink.onConnectionLost = () => this.onConnectionLost?.();
  }

  link(): ServerLink {
    return this.serverLink;
  }

  async connect(budgetMs: number): Promise<ConnectResult> {
    const connected = await this.serverLink.connect(budgetMs);
    if (!connected.ok) return connected;
    return { ok: true, contact: canonicalContact(internalsOf(this.serverLink.ua).contact.uri) };
  }

  sendRegister(request: RegisterRequest, budgetMs: number, onAuthenticated: (cseq: number) => void): Transaction<RegisterResult> {
    // The digest retry (answered by jssip-digest.ts on the link's UA) is a new transaction with
    // CSeq + 1 on the same Call-ID: the machine keeps its CSeq past it.
    const sent = this.serverLink.send(() => this.buildRegister(request), budgetMs, (authenticated) => onAuthenticated(cseqOf(authenticated)));
    const result = sent.result.then((r): RegisterResult => {
      if (r.kind !== 'response') return r;
      return this.readRegisterResponse(r.response, request.cseq);
    });
    return { result, abandon: () => sent.abandon() };
  }

  sendOptions(budgetMs: number): Transaction<OptionsResult> {
    const { clock } = this.options;
    let abandoned = false;
    let sent: { abandon(): void } | null = null;
    const result = (async (): Promise<OptionsResult> => {
      const started = clock.now();
      const connected = await this.serverLink.connect(budgetMs);
      if (!connected.ok) return { kind: 'transport-error', reason: connected.reason };
      if (abandoned) return { kind: 'timeout', reason: 'abandoned' };
      const transaction = this.serverLink.send(() => this.buildOptions(), Math.max(1, budgetMs - (clock.now() - started)));
      sent = transaction;
      const r = await transaction.result;
      if (r.kind !== 'response') return r;
      const { response } = r;
      return {
        kind: 'response',
        code: response.status_code,
        reason: response.reason_phrase || '',
        rttMs: clock.now() - r.sentAt,
        retryAfterS: parseRetryAfter(response.hasHeader('Retry-After') ? response.getHeader('Retry-After') : null),
      };
    })();
    return {
      result,
      abandon: () => {
        abandoned = true;
        sent?.abandon();
      },
    };
  }

  dispose(): void {
    this.serverLink.close();
  }

  private buildRegister(request: RegisterRequest): OutgoingRequest {
    const { line } = this.options;
    const instance = `+sip.instance="<urn:uuid:${this.serverLink.instanceId}>"`;
    // RFC 3261 §10.2.1/§10.2.2: our current Contact with the lifetime asked, every other Contact
    // of ours with expires=0 in the same request.
    const contacts = request.contacts.map((c, i) => `<${c.uri}>;expires=${c.expires}${i === 0 ? `;${instance}` : ''}`);
    const headers = [`Contact: ${contacts.join(', ')}`, `Expires: ${request.expires}`];
    if (line.privacy !== 'ignore') headers.push(`Privacy: ${line.privacy}`); // RFC 3323 §4.2
    // RFC 3261 §10.2: the Request-URI names the domain of the location service.
    const registrar = new URI('sip', undefined as unknown as string, line.domain);
    return buildRequest('REGISTER', registrar, this.serverLink.ua, {
      to_uri: internalsOf(this.serverLink.ua).configuration.uri,
      call_id: request.callId,
      cseq: request.cseq,
    }, headers);
  }

  private buildOptions(): OutgoingRequest {
    return buildRequest('OPTIONS', this.serverLink.serverUri(), this.serverLink.ua, { call_id: randomToken(this.options.random, 22) }, ['Accept: application/sdp']);
  }

  private readRegisterResponse(response: IncomingResponse, askedCseq: number): RegisterResult {
    const cseq = cseqOf(response);
    const header = (name: string): string | null => (response.hasHeader(name) ? response.getHeader(name) : null);
    const minExpires = Number(header('Min-Expires'));
    const expiresHeader = Number(header('Expires'));
    return {
      kind: 'response',
      code: response.status_code,
      reason: this.reasonOf(response),
      cseq: Number.isFinite(cseq) ? cseq : askedCseq,
      retryAfterS: parseRetryAfter(header('Retry-After')),
      minExpires: header('Min-Expires') !== null && Number.isInteger(minExpires) ? minExpires : null,
      expiresHeader: header('Expires') !== null && Number.isFinite(expiresHeader) ? expiresHeader : null,
      contacts: response.status_code >= 200 && response.status_code < 300 ? this.listedContacts(response) : [],
    };
  }

  /** The reason phrase, and for a 401/407 our digest passed on unanswered, why (no secrets in it). */
  private reasonOf(response: IncomingResponse): string {
    const phrase = response.reason_phrase || '';
    const refusal = response.status_code === 401 || response.status_code === 407 ? digestRefusalOf(response) : undefined;
    return refusal ? `${phrase} (${refusal.reason})`.trim() : phrase;
  }

  /** RFC 3261 §10.3 step 8: every binding of the AOR; ours carry our Contact user or instance. */
  private listedContacts(response: IncomingResponse): ListedContact[] {
    const listed: ListedContact[] = [];
    const instance = `"<urn:uuid:${this.serverLink.instanceId}>"`;
    const headers = response.getHeaders('Contact').length;
    // JsSIP's parser splits comma-separated Contact values into one header entry each.
    for (let i = 0; i < headers; i++) {
      const parsed = response.parseHeader<ParsedContact>('Contact', i);
      if (!parsed) continue;
      const expires = Number(parsed.getParam('expires'));
      listed.push({
        uri: canonicalContact(parsed.uri),
        expires: parsed.getParam('expires') !== undefined && Number.isFinite(expires) ? expires : null,
        ours: parsed.uri.user === this.serverLink.contactUser || parsed.getParam('+sip.instance') === instance,
      });
    }
    return listed;
  }
}
