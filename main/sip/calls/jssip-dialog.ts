/**
 * The JsSIP 3.13.8 RTCSession internals calls build on, in one place (like ../jssip-internals.ts
 * for registration). Pinned to 3.13.8: every field named here was read in
 * node_modules/jssip/lib/RTCSession.js and Dialog.js of that version.
 *
 * - INVITE failover needs every response of the INVITE client transaction (100 Trying included,
 *   which RTCSession emits no event for), its transport error and Timer B *before* JsSIP acts on
 *   them, and the Via branch to stop our socket's retransmissions.
 * - BYE failover needs the confirmed dialog (Call-ID, tags, CSeq, route set, remote target) to
 *   build the same BYE on another server's UA (RFC 3261 §12.2.1.1, RFC 3263 §4.3: a new branch),
 *   and a way to end the session locally without JsSIP sending its own BYE.
 */
import type { UA, URI } from 'jssip';
import type { RTCSession } from 'jssip/lib/RTCSession';
import type { IncomingResponse, OutgoingRequest, RequestParams } from '../jssip-internals';
import { buildRequest } from '../jssip-internals';

/** What JsSIP's `Dialog` holds about a confirmed dialog (RFC 3261 §12). */
export interface DialogSnapshot {
  callId: string;
  localTag: string;
  remoteTag: string;
  localUri: URI;
  remoteUri: URI;
  /** The far end's Contact: the Request-URI of in-dialog requests (RFC 3261 §12.2.1.1). */
  remoteTarget: URI;
  /** Route headers of in-dialog requests, in order (Record-Route reversed for a UAC). */
  routeSet: string[];
  /** CSeq number the next in-dialog request takes. */
  nextCseq: number;
}

interface DialogInternals {
  _id: { call_id: string; local_tag: string; remote_tag: string };
  _local_uri: URI;
  _remote_uri: URI;
  _remote_target: URI;
  _route_set: string[];
  _local_seqnum?: number;
}

interface SessionInternals {
  _dialog?: DialogInternals;
  _request?: { transaction?: { id?: string } };
  _receiveInviteResponse(response: IncomingResponse): void;
  onTransportError(): void;
  onRequestTimeout(): void;
  _ended(originator: 'local' | 'remote' | 'system', message: unknown, cause: string): void;
}

function internals(session: RTCSession): SessionInternals {
  return session as unknown as SessionInternals;
}

/**
 * The confirmed dialog of `session`, or null when it has none (not answered yet, or already
 * ended). `random` picks the CSeq of a dialog that never sent a request (RFC 3261 §12.2.1.1:
 * the UAS side starts its own CSeq space anywhere below 2^31).
 */
export function dialogOf(session: RTCSession, random: () => number): DialogSnapshot | null {
  const dialog = internals(session)._dialog;
  if (!dialog) return null;
  const local = dialog._local_seqnum || Math.floor(random() * 10000) + 1;
  return {
    callId: dialog._id.call_id,
    localTag: dialog._id.local_tag,
    remoteTag: dialog._id.remote_tag,
    localUri: dialog._local_uri,
    remoteUri: dialog._remote_uri,
    remoteTarget: dialog._remote_target,
    routeSet: [...dialog._route_set],
    nextCseq: local + 1,
  };
}

/**
 * An in-dialog request of `dialog` built on `ua` (any server link of the line): the same Call-ID,
 * tags, CSeq, route set and Request-URI whichever UA sends it; the Via branch is the new client
 * transaction's. Exactly what Dialog._createRequest builds.
 */
export function buildDialogRequest(ua: UA, dialog: DialogSnapshot, method: 'BYE', extraHeaders: string[] = []): OutgoingRequest {
  const params = {
    call_id: dialog.callId,
    cseq: dialog.nextCseq,
    from_uri: dialog.localUri,
    from_tag: dialog.localTag,
    to_uri: dialog.remoteUri,
    to_tag: dialog.remoteTag,
    route_set: dialog.routeSet,
  } as RequestParams;
  return buildRequest(method, dialog.remoteTarget, ua, params, extraHeaders);
}

/**
 * Ends `session` on our side as JsSIP does after a BYE (`_ended`: media closed, dialog and timers
 * gone, `ended` emitted with originator "local") without sending anything: the caller sends the
 * BYE itself (see {@link buildDialogRequest}). Only for a confirmed session.
 */
export function endSessionWithoutBye(session: RTCSession, cause: string): void {
  internals(session)._ended('local', null, cause);
}

/** Via branch of the INVITE now in flight (a digest retry is a new transaction), or null. */
export function inviteBranch(session: RTCSession): string | null {
  return internals(session)._request?.transaction?.id ?? null;
}

export interface InviteClientObserver {
  /** Every response to the INVITE, 100 included, before JsSIP handles it. */
  onResponse(response: IncomingResponse): void;
  /** The transport failed (ICMP, refused, reset) before JsSIP turns it into a failure. */
  onTransportError(): void;
  /** Timer B fired (JsSIP's 32 s) before JsSIP turns it into a 408 failure. */
  onRequestTimeout(): void;
}

/**
 * Observes the INVITE client side of an outgoing `session` (per instance: other sessions and
 * JsSIP's prototype are untouched). The observer runs first, so it may still prepare for what
 * JsSIP does next (e.g. keep the media port open for the next server).
 */
export function observeInviteClient(session: RTCSession, observer: InviteClientObserver): void {
  const s = internals(session);
  const receive = s._receiveInviteResponse.bind(s);
  const transportError = s.onTransportError.bind(s);
  const requestTimeout = s.onRequestTimeout.bind(s);
  s._receiveInviteResponse = (response) => {
    observer.onResponse(response);
    receive(response);
  };
  s.onTransportError = () => {
    observer.onTransportError();
    transportError();
  };
  s.onRequestTimeout = () => {
    observer.onRequestTimeout();
    requestTimeout();
  };
}
