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
  /**
   * Set by `abandon()`. The name is part of the contract: a digest hook on
   * `RequestSender.prototype._receiveResponse` checks `this.abandoned === true` first.
   */
  abandoned?: boolean;
  _receiveResponse(response: IncomingResponse): void;
  _eventHandlers: SenderHandlers;
}

const RequestSenderPrototype = (RequestSender as unknown as { prototype: SenderInstance }).prototype;

/** A client transaction started by `sendRequest`. */
export interface SentRequest {
  /** Via branch of the transaction now in flight (a digest retry is a new one), or null. */
  branch(): string | null;
  /**
   * Cancels it for good (RFC 3261 §10.2: its CSeq is behind us): `sender.abandoned = true`, and a
   * late 401/407 is passed to `onReceiveResponse` as is instead of being answered with a new
   * request. Retransmissions are the socket's: stop them with `socket.stopRetransmitting(branch())`.
   */
  abandon(): void;
}

export function buildRequest(method: string, ruri: URI | string, ua: UA, params: RequestParams, extraHeaders: string[]): OutgoingRequest {
  return new SIPMessage.OutgoingRequest(method, ruri, ua, params, extraHeaders);
}

/** Starts the client transaction; see `SentRequest`. */
export function sendRequest(ua: UA, request: OutgoingRequest, handlers: SenderHandlers): SentRequest {
  const sender = new RequestSender(ua, request, handlers);
  // Per instance, and looked up at call time: a hook installed on the prototype later still runs
  // for live senders, while an abandoned one never answers a challenge whoever hooked what.
  sender._receiveResponse = function receiveResponse(this: SenderInstance, response: IncomingResponse): void {
    if (this.abandoned === true) {
      this._eventHandlers.onReceiveResponse(response);
      return;
    }
    RequestSenderPrototype._receiveResponse.call(this, response);
  };
  sender.send();
  return {
    branch: () => sender.clientTransaction?.id ?? null,
    abandon: () => {
      sender.abandoned = true;
    },
  };
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
