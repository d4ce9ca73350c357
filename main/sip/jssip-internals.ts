/**
 * The JsSIP internals the engine builds on, in one place. JsSIP's public `Registrator` cannot do
 * what SPEC asks (it refreshes at a random point between 50 % and E−32 s, reports only the first
 * success, never retries, and allows one dialog per UA), so registration is built here on the
 * same pieces JsSIP's own Registrator uses: `OutgoingRequest` to build a request and
 * `RequestSender` to run its client transaction and answer digest challenges (RFC 2617, with
 * `stale=true` retried once, see node_modules/jssip/lib/RequestSender.js).
 */
import type { UA, URI } from 'jssip';
import type { IncomingResponse, OutgoingRequest } from 'jssip/lib/SIPMessage';

/* eslint-disable @typescript-eslint/no-require-imports -- JsSIP ships these modules without types */
const SIPMessage = require('jssip/lib/SIPMessage') as {
  OutgoingRequest: new (method: string, ruri: URI | string, ua: UA, params: RequestParams, extraHeaders: string[], body?: string) => OutgoingRequest;
};
const RequestSender = require('jssip/lib/RequestSender') as new (ua: UA, request: OutgoingRequest, handlers: SenderHandlers) => SenderInstance;
/* eslint-enable @typescript-eslint/no-require-imports */

export type { IncomingResponse, OutgoingRequest };

export interface RequestParams {
  to_uri?: URI;
  call_id?: string;
  cseq?: number;
  from_tag?: string;
}

export interface SenderHandlers {
  /** Timer F fired, or a 408 arrived (JsSIP does not tell them apart). */
  onRequestTimeout(): void;
  onTransportError(): void;
  /** Every response but a 401/407 that JsSIP answered itself. */
  onReceiveResponse(response: IncomingResponse): void;
  /** JsSIP re-sent the request with credentials (CSeq + 1, new transaction). */
  onAuthenticated(request: OutgoingRequest): void;
}

interface SenderInstance {
  send(): void;
  clientTransaction?: { id: string };
}

export function buildRequest(method: string, ruri: URI | string, ua: UA, params: RequestParams, extraHeaders: string[]): OutgoingRequest {
  return new SIPMessage.OutgoingRequest(method, ruri, ua, params, extraHeaders);
}

/** Starts the client transaction; `branch()` names the transaction now in flight (its Via branch). */
export function sendRequest(ua: UA, request: OutgoingRequest, handlers: SenderHandlers): { branch(): string | null } {
  const sender = new RequestSender(ua, request, handlers);
  sender.send();
  return { branch: () => sender.clientTransaction?.id ?? null };
}

/** The CSeq number of a response (JsSIP parses it; the type declarations omit it). */
export function cseqOf(message: IncomingResponse | OutgoingRequest): number {
  return Number((message as unknown as { cseq: number }).cseq);
}

/** The parts of a UA that JsSIP's type declarations leave out. */
export interface UaInternals {
  transport: { connect(): void; disconnect(): void; isConnecting(): boolean };
  contact: { uri: URI };
  configuration: { uri: URI };
}

export function internalsOf(ua: UA): UaInternals {
  return ua as unknown as UaInternals;
}
