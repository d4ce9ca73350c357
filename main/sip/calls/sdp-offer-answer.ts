/**
 * RFC 3264 offer/answer for one plain audio stream: RTP/AVP with G.711 and RFC 4733
 * telephone-event, or SRTP with SDES keys (RFC 4568, `RTP/SAVP`, or `RTP/AVP` + `a=crypto` as
 * "best-effort SRTP" when SRTP is optional, as Asterisk and baresip do).
 *
 * Pure functions over SDP text (parsed and written with sdp-transform) plus {@link SdpOrigin},
 * which numbers our `o=` versions. Remote SDP that cannot be used throws {@link SdpError}
 * naming the field; SDP that is well formed but offers nothing we can accept throws
 * {@link SdpNotAcceptableError}, which JsSIP turns into 488 Not Acceptable Here.
 */
import * as sdpTransform from 'sdp-transform';
import type { SdpCrypto, SdpMedia, SdpSession } from 'sdp-transform';
import type { CodecName, MediaConfiguration, MediaDirection, SrtpSuite } from './media-port';
import { directionOf, directionReceives, directionSends, intersectDirections, reverseDirection } from './media-port';

/** Per-line SRTP policy (SPEC "Calls"): off, optional (best effort), mandatory. */
export type SrtpMode = 'off' | 'optional' | 'mandatory';

/** Our side of the negotiation, fixed for a call. */
export interface LocalMediaPolicy {
  /** Codecs we accept, in our order of preference (at least one). */
  codecs: readonly CodecName[];
  srtp: SrtpMode;
}

/** Our stream as written into an offer or answer. */
export interface LocalStream {
  /** IPv4 address for `c=`/`o=`: the local address that reaches the far end. */
  address: string;
  /** Our RTP port (RTCP is port + 1). */
  port: number;
  /** The direction to write (RFC 3264 §5.1). */
  direction: MediaDirection;
  /** Our SDES master key ‖ salt, base64 (30 bytes); required unless SRTP is off. */
  srtpKeyBase64: string | null;
}

/** A negotiated stream: what the media host needs, plus what the call shows. */
export interface MediaPlan extends MediaConfiguration {
  /** The far end's offer put us on hold (`a=sendonly`/`a=inactive`, or legacy `c=0.0.0.0`). */
  remoteHold: boolean;
}

/** Remote SDP that is malformed or incomplete; `field` names the SDP line at fault. */
export class SdpError extends Error {
  constructor(readonly field: string, message: string) {
    super(`SDP ${field}: ${message}`);
    this.name = 'SdpError';
  }
}

/** Remote SDP that is well formed but has no stream we can accept (→ 488, RFC 3261 §13.3.1.3). */
export class SdpNotAcceptableError extends SdpError {
  constructor(field: string, message: string) {
    super(field, message);
    this.name = 'SdpNotAcceptableError';
  }
}

/** RFC 3551 table 4: static payload types of our codecs. */
const STATIC_PAYLOAD_TYPES: Record<CodecName, number> = { PCMU: 0, PCMA: 8 };
/** Our dynamic payload type for telephone-event in offers (RFC 4733 §7.1.1, any dynamic PT). */
export const OFFER_TELEPHONE_EVENT_PT = 101;
/** RFC 4733 §3.2: DTMF 0–9 * # A–D (0–15) and flash (16). */
const TELEPHONE_EVENTS = '0-16';
/** The one crypto tag we offer (RFC 4568 §9.1: the answer echoes the tag it accepts). */
const OFFER_CRYPTO_TAG = 1;
const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80'];
/** RFC 4568 §6.2: 128-bit master key + 112-bit master salt. */
const SRTP_KEY_BYTES: Record<SrtpSuite, number> = { AES_CM_128_HMAC_SHA1_80: 30 };
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/**
 * Our `o=` line across one dialog. RFC 3264 §8: the version goes up by one exactly when the
 * session description changes, so a re-offer with the same content (a session refresh, or JsSIP's
 * second createOffer after a 18x with SDP) is byte-identical to the previous one.
 */
export class SdpOrigin {
  private lastContent: string | null = null;
  private currentVersion: number;

  /**
   * @param sessionId decimal digits, unique per dialog (RFC 4566 §5.2); keep it below 2^53 so
   *   sdp-transform round-trips it exactly.
   * @param firstVersion the version of our first description.
   */
  constructor(readonly sessionId: string, firstVersion = 1) {
    if (!/^\d{1,15}$/.test(sessionId)) throw new Error(`sessionId must be 1 to 15 decimal digits (got "${sessionId}")`);
    this.currentVersion = firstVersion;
  }

  get version(): number {
    return this.currentVersion;
  }

  /** The version for a description with this content (everything but the `o=` line). */
  stamp(content: string): number {
    if (this.lastContent !== null && this.lastContent !== content) this.currentVersion += 1;
    this.lastContent = content;
    return this.currentVersion;
  }
}

/** One description under construction: sdp-transform's model, without `o=`. */
type Description = SdpSession & { media: SdpMedia[] };

function baseDescription(address: string): Description {
  return {
    version: 0,
    name: '-',
    connection: { version: 4, ip: address },
    timing: { start: 0, stop: 0 },
    media: [],
  };
}

/**
 * Writes a description with our `o=`, stamping the version over the content that would be
 * written with `versionDirection` (see {@link MediaPeer}: JsSIP rewrites the direction of our
 * re-offers, so the version must follow what reaches the wire, not what we hand JsSIP).
 */
function writeDescription(description: Description, origin: SdpOrigin, address: string, versionDirection?: MediaDirection): string {
  const audio = description.media.find((m) => m.type === 'audio' && m.port !== 0);
  const written = audio?.direction;
  if (audio && versionDirection) audio.direction = versionDirection;
  const version = origin.stamp(sdpTransform.write({ ...description, origin: undefined }));
  if (audio && versionDirection) audio.direction = written;
  const origin_ = { username: '-', sessionId: origin.sessionId, sessionVersion: version, netType: 'IN', ipVer: 4, address };
  return sdpTransform.write({ ...description, origin: origin_ });
}

function checkLocal(stream: LocalStream, policy: LocalMediaPolicy): void {
  if (!IPV4.test(stream.address)) throw new Error(`local address must be an IPv4 address (got "${stream.address}")`);
  if (!Number.isInteger(stream.port) || stream.port < 1 || stream.port > 65535) throw new Error(`local RTP port must be 1–65535 (got ${stream.port})`);
  if (policy.codecs.length === 0) throw new Error('codecs must name at least one of PCMU, PCMA');
  for (const codec of policy.codecs) {
    if (!(codec in STATIC_PAYLOAD_TYPES)) throw new Error(`codecs: "${String(codec)}" is not supported (allowed: PCMU, PCMA)`);
  }
  if (policy.srtp !== 'off') {
    const key = stream.srtpKeyBase64 === null ? null : Buffer.from(stream.srtpKeyBase64, 'base64');
    if (!key || key.length !== SRTP_KEY_BYTES.AES_CM_128_HMAC_SHA1_80) {
      throw new Error(`SRTP "${policy.srtp}" needs a ${SRTP_KEY_BYTES.AES_CM_128_HMAC_SHA1_80}-byte master key and salt in base64`);
    }
  }
}

function cryptoLine(tag: number, suite: SrtpSuite, keyBase64: string): SdpCrypto {
  return { id: tag, suite, config: `inline:${keyBase64}` };
}

/**
 * Our offer: `m=audio PORT RTP/AVP <codecs in policy order> 101` (RTP/SAVP when SRTP is
 * mandatory), rtpmap for each, `a=fmtp:101 0-16`, `a=ptime:20`, the direction, and
 * `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:…` unless SRTP is off.
 *
 * @param versionDirection the direction the wire will carry when it differs from `stream.direction`
 *   (JsSIP's hold rewrite); defaults to `stream.direction`.
 * @throws Error naming the local field when the stream or policy is invalid.
 */
export function buildOffer(origin: SdpOrigin, stream: LocalStream, policy: LocalMediaPolicy, versionDirection?: MediaDirection): string {
  checkLocal(stream, policy);
  const description = baseDescription(stream.address);
  const payloadTypes = policy.codecs.map((c) => STATIC_PAYLOAD_TYPES[c]);
  const media: SdpMedia = {
    type: 'audio',
    port: stream.port,
    // RFC 4568 §3.1.4: SDES needs a secure profile when SRTP is required; "optional" offers the
    // keys on RTP/AVP so a far end without SRTP still accepts the stream.
    protocol: policy.srtp === 'mandatory' ? 'RTP/SAVP' : 'RTP/AVP',
    payloads: [...payloadTypes, OFFER_TELEPHONE_EVENT_PT].join(' '),
    rtp: [
      ...policy.codecs.map((codec) => ({ payload: STATIC_PAYLOAD_TYPES[codec], codec, rate: 8000 })),
      { payload: OFFER_TELEPHONE_EVENT_PT, codec: 'telephone-event', rate: 8000 },
    ],
    fmtp: [{ payload: OFFER_TELEPHONE_EVENT_PT, config: TELEPHONE_EVENTS }],
    ptime: 20,
    direction: stream.direction,
  };
  if (policy.srtp !== 'off') media.crypto = [cryptoLine(OFFER_CRYPTO_TAG, 'AES_CM_128_HMAC_SHA1_80', stream.srtpKeyBase64 as string)];
  description.media.push(media);
  return writeDescription(description, origin, stream.address, versionDirection);
}

/** The outcome of answering a remote offer. */
export interface AnswerResult {
  sdp: string;
  plan: MediaPlan;
}

/** The parsed remote offer that {@link buildAnswer} answers, kept between setRemoteDescription and createAnswer. */
export interface AcceptedOffer {
  /** Index of the audio m-line we accept; every other m-line is rejected with port 0. */
  index: number;
  /** Common codecs as (offer PT, codec), in the offer's order. */
  codecs: { payloadType: number; codec: CodecName }[];
  telephoneEventPt: number | null;
  /** The offer's direction from the offerer's side, after legacy `c=0.0.0.0` hold. */
  offerDirection: MediaDirection;
  remoteAddress: string;
  remotePort: number;
  remoteRtcpPort: number;
  remoteHold: boolean;
  /** The crypto line we accept, or null for plain RTP. */
  crypto: { tag: number; suite: SrtpSuite; keyBase64: string } | null;
  protocol: string;
  /** The offer's m-lines, to answer each one (RFC 3264 §6: same number, same order). */
  mediaLines: { type: string; protocol: string; payloads: string }[];
}

/**
 * Parses a remote SDP and checks the structure every description needs (RFC 4566 §5):
 * `v=0`, `o=`, at least one `m=`.
 */
export function parseRemoteSdp(sdp: string): Description {
  if (typeof sdp !== 'string' || sdp.trim() === '') throw new SdpError('body', 'is empty');
  if (!/^v=0\r?$/m.test(sdp.split('\n', 1)[0] ?? '')) throw new SdpError('v=', 'the first line must be "v=0"');
  const parsed = sdpTransform.parse(sdp);
  if (!parsed.origin) throw new SdpError('o=', 'is missing or malformed (expected "o=<user> <session id> <version> IN IP4 <address>")');
  if (!Array.isArray(parsed.media) || parsed.media.length === 0) throw new SdpError('m=', 'no media description');
  return parsed as Description;
}

function connectionOf(session: Description, media: SdpMedia, index: number): string {
  const connection = media.connection ?? session.connection;
  if (!connection) throw new SdpError(`c= (m-line ${index})`, 'missing at session and media level (RFC 4566 §5.7)');
  if (connection.version !== 4) throw new SdpError(`c= (m-line ${index})`, `IPv${connection.version} media is not supported; IN IP4 only`);
  if (!IPV4.test(connection.ip)) throw new SdpError(`c= (m-line ${index})`, `"${connection.ip}" is not an IPv4 address`);
  return connection.ip;
}

/** The codec a payload type stands for, from `a=rtpmap` or the static table. */
function codecOfPayload(media: SdpMedia, payloadType: number): CodecName | 'telephone-event' | null {
  const map = media.rtp.find((r) => r.payload === payloadType);
  if (map) {
    const name = map.codec.toUpperCase();
    if (map.rate !== 8000 || (map.encoding !== undefined && map.encoding !== 1)) return null;
    if (name === 'PCMU' || name === 'PCMA') return name;
    if (name === 'TELEPHONE-EVENT') return 'telephone-event';
    return null;
  }
  if (payloadType === 0) return 'PCMU';
  if (payloadType === 8) return 'PCMA';
  return null;
}

function payloadTypesOf(media: SdpMedia, index: number): number[] {
  const list = String(media.payloads ?? '').trim();
  if (list === '') throw new SdpError(`m= (m-line ${index})`, 'has no payload types');
  return list.split(/\s+/).map((token) => {
    const pt = Number(token);
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) throw new SdpError(`m= (m-line ${index})`, `payload type "${token}" is not 0–127`);
    return pt;
  });
}

function directionOfMedia(session: Description, media: SdpMedia): MediaDirection {
  return media.direction ?? session.direction ?? 'sendrecv';
}

/** First crypto line with a suite we run and a usable key (RFC 4568 §7.1.2: answerer picks one). */
function acceptableCrypto(lines: SdpCrypto[] | undefined): { tag: number; suite: SrtpSuite; keyBase64: string } | null {
  for (const line of lines ?? []) {
    const suite = SRTP_SUITES.find((s) => s === line.suite);
    // Session parameters (UNENCRYPTED_SRTP, KDR, …) change the semantics: skip such lines.
    if (!suite || line.sessionConfig) continue;
    const keyParams = line.config.split(';');
    // Several keys need MKI in every packet (RFC 4568 §6.1); we take single-key lines only.
    if (keyParams.length !== 1) continue;
    const match = /^inline:([A-Za-z0-9+/=]+)(\|[^|]*)?(\|[^|]*)?$/.exec(keyParams[0] as string);
    if (!match) continue;
    const [, keyBase64, first, second] = match;
    // An MKI (a "|n:m" part with a colon) cannot be honoured: skip the line.
    if ([first, second].some((part) => part?.includes(':'))) continue;
    if (Buffer.from(keyBase64 as string, 'base64').length !== SRTP_KEY_BYTES[suite]) continue;
    return { tag: line.id, suite, keyBase64: keyBase64 as string };
  }
  return null;
}

function rtcpPortOf(media: SdpMedia): number {
  const port = media.rtcp?.port;
  return typeof port === 'number' && port > 0 && port <= 65535 ? port : media.port + 1;
}

/**
 * Reads a remote offer and picks the stream we answer: the first audio m-line with a common codec
 * (restricted to `policy.codecs`, in the offer's order) and a transport our SRTP policy accepts.
 *
 * @throws SdpError when the SDP is malformed; SdpNotAcceptableError (→ 488) when no audio stream
 *   can be accepted, with each m-line's reason.
 */
export function acceptOffer(sdp: string, policy: LocalMediaPolicy): AcceptedOffer {
  const session = parseRemoteSdp(sdp);
  const reasons: string[] = [];
  let accepted: AcceptedOffer | null = null;
  session.media.forEach((media, index) => {
    if (accepted) return;
    const reject = (why: string): void => void reasons.push(`m-line ${index} (${media.type}): ${why}`);
    if (media.type !== 'audio') return reject('not audio');
    if (media.port === 0) return reject('port 0 (disabled by the offerer)');
    if (!Number.isInteger(media.port) || media.port < 1 || media.port > 65535) throw new SdpError(`m= (m-line ${index})`, `port ${String(media.port)} is not 1–65535`);
    const protocol = media.protocol;
    if (protocol !== 'RTP/AVP' && protocol !== 'RTP/SAVP') return reject(`transport "${protocol}" is not RTP/AVP or RTP/SAVP`);
    const crypto = policy.srtp === 'off' ? null : acceptableCrypto(media.crypto);
    if (protocol === 'RTP/SAVP' && policy.srtp === 'off') return reject('RTP/SAVP but SRTP is off on this line');
    if (protocol === 'RTP/SAVP' && !crypto) return reject(`RTP/SAVP without a usable a=crypto (we run ${SRTP_SUITES.join(', ')}, single key, no MKI)`);
    if (policy.srtp === 'mandatory' && !crypto) return reject('SRTP is mandatory on this line and the offer has no usable a=crypto');
    const payloadTypes = payloadTypesOf(media, index);
    const allowed = new Set(policy.codecs);
    const codecs: AcceptedOffer['codecs'] = [];
    let telephoneEventPt: number | null = null;
    for (const pt of payloadTypes) {
      const codec = codecOfPayload(media, pt);
      if (codec === 'telephone-event') telephoneEventPt ??= pt;
      else if (codec && allowed.has(codec)) codecs.push({ payloadType: pt, codec });
    }
    if (codecs.length === 0) return reject(`no common codec (offer: ${payloadTypes.join(' ')}; we accept ${policy.codecs.join(', ')})`);
    const address = connectionOf(session, media, index);
    const stated = directionOfMedia(session, media);
    // RFC 3264 §8.4: c=0.0.0.0 is RFC 2543 hold: never send to it.
    const legacyHold = address === '0.0.0.0';
    const offerDirection = legacyHold ? directionOf(directionSends(stated), false) : stated;
    accepted = {
      index,
      codecs,
      telephoneEventPt,
      offerDirection,
      remoteAddress: address,
      remotePort: media.port,
      remoteRtcpPort: rtcpPortOf(media),
      remoteHold: legacyHold || !directionReceives(stated),
      crypto,
      protocol,
      mediaLines: [],
    };
  });
  if (!accepted) throw new SdpNotAcceptableError('m=', `no acceptable audio stream: ${reasons.join('; ')}`);
  const result = accepted as AcceptedOffer;
  result.mediaLines = session.media.map((m) => ({ type: m.type, protocol: m.protocol, payloads: String(m.payloads ?? '') }));
  return result;
}

/**
 * Our answer to an accepted offer (RFC 3264 §6.1): the offer's m-lines in order, ours with port
 * `stream.port`, the common codecs under the offer's payload types, its telephone-event PT, and
 * the direction that both the offer and `localDirection` allow (sendonly→recvonly,
 * recvonly→sendonly, inactive→inactive; on local hold sendonly or inactive); every other m-line
 * rejected with port 0 (§6). With SRTP, our key under the accepted crypto tag (RFC 4568 §7.1.2).
 *
 * @param localDirection what we want: `sendrecv`, or `sendonly` while we hold the call.
 */
export function buildAnswer(
  origin: SdpOrigin,
  offer: AcceptedOffer,
  stream: Omit<LocalStream, 'direction'>,
  policy: LocalMediaPolicy,
  localDirection: MediaDirection,
): AnswerResult {
  checkLocal({ ...stream, direction: localDirection }, offer.crypto ? policy : { ...policy, srtp: 'off' });
  const direction = intersectDirections(reverseDirection(offer.offerDirection), localDirection);
  const description = baseDescription(stream.address);
  offer.mediaLines.forEach((line, index) => {
    if (index !== offer.index) {
      // RFC 3264 §6: a rejected stream keeps its m-line with port 0 and at least one format.
      description.media.push({ type: line.type, port: 0, protocol: line.protocol, payloads: line.payloads.split(/\s+/)[0] ?? '0', rtp: [], fmtp: [] });
      return;
    }
    const payloads = offer.codecs.map((c) => c.payloadType);
    const media: SdpMedia = {
      type: 'audio',
      port: stream.port,
      protocol: offer.protocol,
      payloads: [...payloads, ...(offer.telephoneEventPt === null ? [] : [offer.telephoneEventPt])].join(' '),
      rtp: offer.codecs.map((c) => ({ payload: c.payloadType, codec: c.codec, rate: 8000 })),
      fmtp: [],
      ptime: 20,
      direction,
    };
    if (offer.telephoneEventPt !== null) {
      media.rtp.push({ payload: offer.telephoneEventPt, codec: 'telephone-event', rate: 8000 });
      media.fmtp.push({ payload: offer.telephoneEventPt, config: TELEPHONE_EVENTS });
    }
    if (offer.crypto) media.crypto = [cryptoLine(offer.crypto.tag, offer.crypto.suite, stream.srtpKeyBase64 as string)];
    description.media.push(media);
  });
  const sdp = writeDescription(description, origin, stream.address);
  const first = offer.codecs[0] as AcceptedOffer['codecs'][number];
  const plan: MediaPlan = {
    remoteAddress: offer.remoteAddress,
    remotePort: offer.remotePort,
    remoteRtcpPort: offer.remoteRtcpPort,
    payloadType: first.payloadType,
    codec: first.codec,
    telephoneEventPt: offer.telephoneEventPt,
    direction,
    remoteHold: offer.remoteHold,
  };
  if (offer.crypto) plan.srtp = { suite: offer.crypto.suite, sendKeyBase64: stream.srtpKeyBase64 as string, receiveKeyBase64: offer.crypto.keyBase64 };
  return { sdp, plan };
}

/**
 * Reads the far end's answer to our offer (RFC 3264 §6.1/§7) into a media plan: its first
 * payload type that is one of our offered codecs, its telephone-event PT, our direction (what we
 * offered, narrowed by its reversed answer), and SRTP keys when it accepted our crypto tag.
 *
 * @param offered our offer as sent: `direction` as on the wire, `policy` as offered.
 * @throws SdpError when malformed; SdpNotAcceptableError when it rejected the audio stream,
 *   chose no codec of ours, or refused SRTP that is mandatory.
 */
export function readAnswer(sdp: string, offered: { direction: MediaDirection; policy: LocalMediaPolicy; srtpKeyBase64: string | null }): MediaPlan {
  const session = parseRemoteSdp(sdp);
  const index = session.media.findIndex((m) => m.type === 'audio');
  const media = session.media[index];
  if (!media) throw new SdpNotAcceptableError('m=', 'the answer has no audio m-line');
  if (media.port === 0) throw new SdpNotAcceptableError(`m= (m-line ${index})`, 'the far end rejected the audio stream (port 0)');
  if (!Number.isInteger(media.port) || media.port < 1 || media.port > 65535) throw new SdpError(`m= (m-line ${index})`, `port ${String(media.port)} is not 1–65535`);
  const offeredCodecs = new Set(offered.policy.codecs);
  let chosen: { payloadType: number; codec: CodecName } | null = null;
  let telephoneEventPt: number | null = null;
  for (const pt of payloadTypesOf(media, index)) {
    const codec = codecOfPayload(media, pt);
    if (codec === 'telephone-event') telephoneEventPt ??= pt;
    else if (codec && offeredCodecs.has(codec)) chosen ??= { payloadType: pt, codec };
  }
  if (!chosen) throw new SdpNotAcceptableError(`m= (m-line ${index})`, `the answer chose no codec we offered (${offered.policy.codecs.join(', ')})`);
  const address = connectionOf(session, media, index);
  const stated = directionOfMedia(session, media);
  const remoteDirection = address === '0.0.0.0' ? directionOf(directionSends(stated), false) : stated;
  const plan: MediaPlan = {
    remoteAddress: address,
    remotePort: media.port,
    remoteRtcpPort: rtcpPortOf(media),
    payloadType: chosen.payloadType,
    codec: chosen.codec,
    telephoneEventPt,
    direction: intersectDirections(reverseDirection(remoteDirection), offered.direction),
    remoteHold: false,
  };
  if (offered.policy.srtp !== 'off') {
    const crypto = acceptableCrypto(media.crypto?.filter((c) => c.id === OFFER_CRYPTO_TAG));
    if (crypto) {
      plan.srtp = { suite: crypto.suite, sendKeyBase64: offered.srtpKeyBase64 as string, receiveKeyBase64: crypto.keyBase64 };
    } else if (offered.policy.srtp === 'mandatory') {
      throw new SdpNotAcceptableError(`a=crypto (m-line ${index})`, `SRTP is mandatory and the answer accepted no crypto line of ours (tag ${OFFER_CRYPTO_TAG}, ${SRTP_SUITES.join(', ')})`);
    }
  }
  return plan;
}
