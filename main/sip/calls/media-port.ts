/**
 * The seam between the signalling side of a call (JsSIP driving {@link MediaPeer}) and the media
 * host that owns the RTP sockets. One `MediaPort` is one media session: one RTP/RTCP port pair
 * toward the far end, for the life of one call. Everything is asynchronous because the media host
 * runs in another process; the peer keeps every value JsSIP reads synchronously on its own side.
 *
 * Words are RFC 3550/3264/4733/4568 words: payload type, direction, telephone-event, SRTP master
 * key. The peer never needs anything else from the media host.
 */

/** G.711 codecs (RFC 3551 §4.5.14), as named in `a=rtpmap`. */
export type CodecName = 'PCMU' | 'PCMA';

/** RFC 3264 §5.1 stream direction, always from our side: `sendonly` = we send, they do not. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** SDES crypto suites the media host can run (RFC 4568 §6.2; werift-rtp implements this one). */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80';

/** An inclusive UDP port range; RTP takes an even port, RTCP the next odd one (RFC 3550 §11). */
export interface PortRange {
  min: number;
  max: number;
}

/**
 * SRTP keys for one negotiated stream (RFC 4568 §6.1): each side encrypts with the key it put in
 * its own SDP, so `sendKeyBase64` is ours and `receiveKeyBase64` is the far end's. Each is the
 * base64 of master key ‖ master salt (30 bytes for AES_CM_128_HMAC_SHA1_80).
 */
export interface SrtpKeys {
  suite: SrtpSuite;
  sendKeyBase64: string;
  receiveKeyBase64: string;
}

/** What the negotiated offer/answer says the media host must do (RFC 3264 §5–§8). */
export interface MediaConfiguration {
  /** Where to send RTP (IPv4 dotted quad); symmetric RTP/latching may override it later. */
  remoteAddress: string;
  remotePort: number;
  /** `a=rtcp` (RFC 3605) or RTP port + 1. */
  remoteRtcpPort: number;
  /** The payload type to send `codec` with, as the far end numbered it. */
  payloadType: number;
  codec: CodecName;
  /** RFC 4733 telephone-event payload type, or null when the far end did not offer it. */
  telephoneEventPt: number | null;
  /** Our direction: send only when it includes "send", accept media only when it includes "recv". */
  direction: MediaDirection;
  /** Present when the stream is SRTP (RFC 3711 with SDES keys, RFC 4568). */
  srtp?: SrtpKeys;
}

/**
 * One media session in the media host. Call order: `open` once, then `configure` after every
 * completed offer/answer (re-INVITEs reconfigure), `setMuted`/`sendDtmf` at any time after the
 * first `configure`, `close` once at the end (it may come at any point, even while `open` is
 * pending). Rejections carry an `Error` whose message says what failed.
 */
export interface MediaPort {
  /** Binds an even RTP port (and the next one for RTCP) on `localAddress` within `portRange`. */
  open(request: { localAddress: string; portRange: PortRange }): Promise<{ port: number }>;
  /** Applies a negotiated configuration; starts or re-targets sending and receiving. */
  configure(configuration: MediaConfiguration): Promise<void>;
  /**
   * Sends RFC 4733 events after any still queued: `digits` from [0-9A-D*#] plus "R" (flash,
   * event 16) and "," (a 2 s pause, as W3C RTCDTMFSender); `durationMs` per tone, `gapMs` between.
   */
  sendDtmf(digits: string, durationMs: number, gapMs: number): Promise<void>;
  /** Stops (true) or resumes (false) sending our audio; receiving is unaffected. */
  setMuted(muted: boolean): Promise<void>;
  /** Releases the ports; idempotent. */
  close(): Promise<void>;
  /** A digit received as RFC 4733 telephone-event (reported once per event, at its end). */
  onDtmf(listener: (digit: string) => void): () => void;
  /** No RTP arrived within the media host's inactivity timeout while we expected some. */
  onInactive(listener: () => void): () => void;
}

/** Directions as sets of {send, recv}, for RFC 3264 §6.1 arithmetic. */
export function directionSends(direction: MediaDirection): boolean {
  return direction === 'sendrecv' || direction === 'sendonly';
}

export function directionReceives(direction: MediaDirection): boolean {
  return direction === 'sendrecv' || direction === 'recvonly';
}

export function directionOf(sends: boolean, receives: boolean): MediaDirection {
  if (sends && receives) return 'sendrecv';
  if (sends) return 'sendonly';
  if (receives) return 'recvonly';
  return 'inactive';
}

/** The direction seen from the other side: sendonly ↔ recvonly (RFC 3264 §6.1). */
export function reverseDirection(direction: MediaDirection): MediaDirection {
  return directionOf(directionReceives(direction), directionSends(direction));
}

/** What both directions allow. */
export function intersectDirections(a: MediaDirection, b: MediaDirection): MediaDirection {
  return directionOf(directionSends(a) && directionSends(b), directionReceives(a) && directionReceives(b));
}
