/**
 * Our digest in place of JsSIP's, for every request a UA sends (REGISTER, OPTIONS, INVITE, BYE,
 * REFER, INFO, MESSAGE …). JsSIP's RequestSender reads only the first challenge header, answers
 * MD5 only, and after one success replaces the UA's password with an HA1 bound to that realm, so
 * a second header, SHA-256 or a realm change fail (node_modules/jssip/lib/RequestSender.js,
 * DigestAuthentication.js). Every client request of JsSIP, in or out of a dialog, goes through
 * `RequestSender`, so its prototype is where challenges are answered:
 *
 * - `_receiveResponse`: a response of an abandoned sender (`sender.abandoned = true`, set by
 *   whoever gave up on the transaction) is dropped, never answered. For a UA given credentials
 *   with {@link useDigest}, a 401/407 is answered by {@link DigestCredentials} exactly as JsSIP
 *   would (clone, CSeq + 1, `onAuthenticated(request)`, `send()`), or handed to
 *   `onReceiveResponse` as the final answer when it must not be answered (see
 *   {@link digestRefusalOf}); `Authentication-Info` of a final response is read.
 * - `send`: a new request in a known protection space carries credentials before being asked.
 * - JsSIP's parser (`Parser.parseMessage`) drops a whole response whose challenge header its
 *   grammar cannot read (two challenges in one value, RFC 7235 §4.1): such a response is parsed
 *   again with those headers hidden from JsSIP, and we read them from the raw text.
 *
 * UAs without `useDigest` keep JsSIP's behaviour (except that abandoned senders stay silent and
 * such a response now arrives as a 401/407 instead of being dropped). Pinned to JsSIP 3.13.8:
 * these are internals, and another version fails loudly at the first `useDigest`.
 */
import type { UA } from 'jssip';
import type { AuthorizationHeader, DigestRefusal } from './digest-credentials';
import { DigestAttempt, DigestCredentials } from './digest-credentials';
import { parseAuthParams } from './digest/challenge';
import type { IncomingResponse } from './jssip-internals';

export { DigestCredentials };
export type { DigestRefusal };

/** The JsSIP version whose internals this file was written against. */
export const PINNED_JSSIP_VERSION = '3.13.8';

const ATTEMPT = Symbol('trunkline.digestAttempt');
/** Marks credentials we added, so a request sent again by a new sender (491 retry) gets fresh ones. */
const OURS = Symbol('trunkline.digestHeaders');

/** The parts of JsSIP's OutgoingRequest used here (SIPMessage.js). */
interface RequestInternals {
  cseq: number;
  ruri: unknown;
  body?: string | null;
  extraHeaders: string[];
  headers: Record<string, string[]>;
  clone(): RequestInternals;
}

interface SenderInternals {
  _ua: UA;
  _request: RequestInternals;
  _method: string;
  _eventHandlers: { onReceiveResponse(response: IncomingResponse): void; onAuthenticated(request: RequestInternals): void };
  /** Set by the owner of a transaction it gave up on: no response of it is acted on any more. */
  abandoned?: boolean;
  send(): void;
  _receiveResponse(response: IncomingResponse): void;
  [ATTEMPT]?: DigestAttempt;
}

const credentialsByUa = new WeakMap<UA, DigestCredentials>();
const refusals = new WeakMap<IncomingResponse, DigestRefusal>();
let installed = false;

/**
 * Answers every digest challenge of `ua`'s requests with `credentials` from now on (one
 * DigestCredentials per UA: its protection spaces are that server's).
 * @throws Error when the installed JsSIP is not {@link PINNED_JSSIP_VERSION}.
 */
export function useDigest(ua: UA, credentials: DigestCredentials): void {
  installDigestHandling();
  credentialsByUa.set(ua, credentials);
}

/** The credentials `useDigest` gave `ua`, e.g. to `forget()` them when the line's password changes. */
export function digestCredentialsOf(ua: UA): DigestCredentials | undefined {
  return credentialsByUa.get(ua);
}

/** Why our digest passed this 401/407 on unanswered (no password, unsupported, rejected). */
export function digestRefusalOf(response: IncomingResponse): DigestRefusal | undefined {
  return refusals.get(response);
}

/**
 * Every value of header `name` in the raw message, unfolded. JsSIP keeps only the last
 * WWW-/Proxy-Authenticate header (its parser `setHeader`s them), so the raw text is the source.
 */
export function rawHeaderValues(message: string, name: string): string[] {
  const end = message.indexOf('\r\n\r\n');
  const head = (end < 0 ? message : message.slice(0, end)).replace(/\r\n[ \t]+/g, ' ');
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === lower) values.push(line.slice(colon + 1).trim());
  }
  return values;
}

/** Installs the RequestSender and parser hooks once. Idempotent. */
export function installDigestHandling(): void {
  if (installed) return;
  /* eslint-disable @typescript-eslint/no-require-imports -- JsSIP internals ship without types */
  const version = (require('jssip') as { version: string }).version;
  if (version !== PINNED_JSSIP_VERSION) {
    throw new Error(`jssip-digest: written for JsSIP ${PINNED_JSSIP_VERSION} internals (RequestSender._receiveResponse, Parser.parseMessage), found ${version}; re-check them before changing the pin`);
  }
  const RequestSender = require('jssip/lib/RequestSender') as { prototype: SenderInternals };
  const Parser = require('jssip/lib/Parser') as { parseMessage: (data: string, ua: UA) => unknown };
  /* eslint-enable @typescript-eslint/no-require-imports */
  const proto = RequestSender.prototype;
  if (typeof proto._receiveResponse !== 'function' || typeof proto.send !== 'function' || typeof Parser.parseMessage !== 'function') {
    throw new Error('jssip-digest: JsSIP RequestSender/Parser internals are not as expected');
  }
  const originalReceive = proto._receiveResponse;
  const originalSend = proto.send;
  const originalParse = Parser.parseMessage;

  proto._receiveResponse = function receiveResponse(this: SenderInternals, response: IncomingResponse): void {
    if (this.abandoned === true) return;
    const credentials = credentialsByUa.get(this._ua);
    if (!credentials) return originalReceive.call(this, response);
    onResponse(this, credentials, response);
  };

  proto.send = function send(this: SenderInternals): void {
    const credentials = credentialsByUa.get(this._ua);
    if (credentials && !this[ATTEMPT] && !this.abandoned) addPreemptive(this, credentials);
    originalSend.call(this);
  };

  Parser.parseMessage = function parseMessage(data: string, ua: UA): unknown {
    const message = originalParse(data, ua);
    if (message || typeof data !== 'string' || !data.startsWith('SIP/2.0')) return message;
    const end = data.indexOf('\r\n\r\n');
    const head = end < 0 ? data : data.slice(0, end);
    const hidden = head.replace(/^(WWW|Proxy)-Authenticate[ \t]*:/gim, 'X-Unparsed-$1-Authenticate:');
    if (hidden === head) return message;
    const retried = originalParse(hidden + (end < 0 ? '' : data.slice(end)), ua) as { data: string } | undefined;
    if (retried) retried.data = data;
    return retried;
  };
  installed = true;
}

const NOT_CHALLENGEABLE = new Set(['ACK', 'CANCEL']); // RFC 3261 §22.1: they cannot be challenged

function requestOf(sender: SenderInternals): { method: string; uri: string; body: string | null } {
  const request = sender._request;
  return { method: sender._method, uri: String(request.ruri), body: request.body ?? null };
}

function setAuthorization(request: RequestInternals, headers: AuthorizationHeader[]): void {
  // Replace, never add to, whatever credentials the request carried (ours from before, a caller's).
  request.extraHeaders = request.extraHeaders.filter((h) => !/^\s*(proxy-)?authorization\s*:/i.test(h));
  for (const name of ['Authorization', 'Proxy-Authorization'] as const) {
    const values = headers.filter((h) => h.name === name).map((h) => h.value);
    if (values.length > 0) request.headers[name] = values;
    else delete request.headers[name];
  }
  (request as unknown as Record<symbol, boolean>)[OURS] = true;
}

function carriesCredentials(request: RequestInternals): boolean {
  return Boolean(request.headers['Authorization']?.length || request.headers['Proxy-Authorization']?.length) || request.extraHeaders.some((h) => /^\s*(proxy-)?authorization\s*:/i.test(h));
}

function addPreemptive(sender: SenderInternals, credentials: DigestCredentials): void {
  if (NOT_CHALLENGEABLE.has(sender._method)) return;
  const request = sender._request;
  const ours = (request as unknown as Record<symbol, boolean>)[OURS] === true;
  // A caller that put credentials on the request itself (the channel's own `authorize`) keeps them.
  if (carriesCredentials(request) && !ours) return;
  const headers = credentials.preemptive(requestOf(sender));
  if (headers.length > 0 || ours) setAuthorization(request, headers);
}

function onResponse(sender: SenderInternals, credentials: DigestCredentials, response: IncomingResponse): void {
  const code = response.status_code;
  const raw = (response as unknown as { data?: string }).data ?? '';
  if ((code === 401 || code === 407) && !NOT_CHALLENGEABLE.has(sender._method)) {
    const attempt = (sender[ATTEMPT] ??= new DigestAttempt());
    const answer = credentials.answer(
      { 'WWW-Authenticate': rawHeaderValues(raw, 'WWW-Authenticate'), 'Proxy-Authenticate': rawHeaderValues(raw, 'Proxy-Authenticate') },
      requestOf(sender),
      attempt,
    );
    if (answer.kind === 'refused') {
      refusals.set(response, { cause: answer.cause, reason: answer.reason });
      sender._eventHandlers.onReceiveResponse(response);
      return;
    }
    // As JsSIP's RequestSender does: a new transaction for the same request, CSeq + 1 (RFC 3261 §22.2, §8.1.3.5).
    const request = sender._request.clone();
    request.cseq += 1;
    request.headers['CSeq'] = [`${request.cseq} ${sender._method}`];
    setAuthorization(request, answer.headers);
    sender._request = request;
    sender._eventHandlers.onAuthenticated(request);
    sender.send();
    return;
  }
  if (code >= 200) learnAuthenticationInfo(sender._request, raw, credentials);
  sender._eventHandlers.onReceiveResponse(response);
}

/** RFC 7615 §3/§4: a `nextnonce` in (Proxy-)Authentication-Info is the nonce for the next request. */
function learnAuthenticationInfo(request: RequestInternals, raw: string, credentials: DigestCredentials): void {
  const pairs = [
    ['Authentication-Info', 'Authorization'],
    ['Proxy-Authentication-Info', 'Proxy-Authorization'],
  ] as const;
  for (const [info, sent] of pairs) {
    const values = rawHeaderValues(raw, info);
    if (values.length === 0) continue;
    const realms = (request.headers[sent] ?? []).map((v) => parseAuthParams(v).get('realm')).filter((r): r is string => r !== undefined);
    for (const value of values) credentials.acceptAuthenticationInfo(info, value, realms);
  }
}
