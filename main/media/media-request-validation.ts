/**
 * Checks every request the media host receives: a message from another process is data, not a
 * promise. Each error names the field and what is allowed (STYLE.md "Bad input → clear error").
 */
import { isIP } from 'node:net';
import type {
  BusOpenParams, BusParams, ConfigureParams, DtmfParams, MediaCommand, MediaCommands, MuteParams, OpenParams, RecordParams,
  SessionParams, SessionSourceSpec, SourceParams, SrtpKeys, WebrtcAcceptParams, WebrtcAnswerParams, WebrtcOfferParams,
} from './media-protocol';

/** Largest bus SDP accepted from the renderer (a few audio transceivers take ~2 KB each). */
export const MAX_BUS_SDP_LENGTH = 64 * 1024;

type Fields = Record<string, unknown>;

function object(value: unknown, field: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${field}: must be an object`);
  return value as Fields;
}

function string(o: Fields, field: string, prefix = ''): string {
  const value = o[field];
  if (typeof value !== 'string' || value.length === 0) throw new Error(`${prefix}${field}: must be a non-empty string`);
  return value;
}

function integer(o: Fields, field: string, min: number, max: number, fallback?: number, prefix = ''): number {
  const value = o[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${prefix}${field}: must be an integer from ${min} to ${max} (got ${JSON.stringify(o[field])})`);
  }
  return value;
}

function number(o: Fields, field: string, min: number, max: number, prefix = ''): number {
  const value = o[field];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${prefix}${field}: must be a number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return value;
}

function oneOf<T extends string>(o: Fields, field: string, allowed: readonly T[], fallback?: T): T {
  const value = o[field] ?? fallback;
  if (!allowed.includes(value as T)) throw new Error(`${field}: must be one of ${allowed.join(', ')} (got ${JSON.stringify(o[field])})`);
  return value as T;
}

function ipAddress(o: Fields, field: string): string {
  const value = string(o, field);
  if (isIP(value) === 0) throw new Error(`${field}: must be an IPv4 or IPv6 address (got "${value}")`);
  return value;
}

function session(o: Fields): string {
  return string(o, 'session');
}

function validateOpen(o: Fields): OpenParams {
  const portMin = integer(o, 'portMin', 1024, 65534);
  const portMax = integer(o, 'portMax', 1025, 65535);
  if (portMax <= portMin) throw new Error(`portMax: must be greater than portMin (${portMin}) (got ${portMax})`);
  return { session: session(o), localAddress: ipAddress(o, 'localAddress'), portMin, portMax };
}

function validateSrtp(value: unknown): SrtpKeys | null {
  if (value === undefined || value === null) return null;
  const o = object(value, 'srtp');
  if (o.suite !== 'AES_CM_128_HMAC_SHA1_80') {
    throw new Error(`srtp.suite: must be AES_CM_128_HMAC_SHA1_80 (werift-rtp has no _32) (got ${JSON.stringify(o.suite)})`);
  }
  return { suite: 'AES_CM_128_HMAC_SHA1_80', sendKey: string(o, 'sendKey', 'srtp.'), receiveKey: string(o, 'receiveKey', 'srtp.') };
}

function validateConfigure(o: Fields): ConfigureParams {
  const rtcpMux = o.rtcpMux ?? false;
  if (typeof rtcpMux !== 'boolean') throw new Error('rtcpMux: must be true or false');
  const te = o.telephoneEventPayloadType;
  const ptimeMs = integer(o, 'ptimeMs', 10, 60, 20);
  if (ptimeMs % 10 !== 0) throw new Error(`ptimeMs: must be a multiple of 10 from 10 to 60 (got ${ptimeMs})`);
  const params: ConfigureParams = {
    session: session(o),
    remoteAddress: ipAddress(o, 'remoteAddress'),
    remoteRtpPort: integer(o, 'remoteRtpPort', 0, 65535),
    rtcpMux,
    codec: oneOf(o, 'codec', ['PCMU', 'PCMA'] as const),
    payloadType: integer(o, 'payloadType', 0, 127),
    telephoneEventPayloadType: te === null || te === undefined ? null : integer(o, 'telephoneEventPayloadType', 96, 127),
    direction: oneOf(o, 'direction', ['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const),
    ptimeMs,
    srtp: validateSrtp(o.srtp),
    inactivityTimeoutMs: integer(o, 'inactivityTimeoutMs', 0, 3_600_000, 60_000),
    rtcpIntervalMs: integer(o, 'rtcpIntervalMs', 100, 60_000, 5000),
  };
  if (o.remoteRtcpPort !== undefined) params.remoteRtcpPort = integer(o, 'remoteRtcpPort', 1, 65535);
  if (params.telephoneEventPayloadType === params.payloadType) throw new Error('telephoneEventPayloadType: must differ from payloadType');
  return params;
}

function validateSource(o: Fields): SourceParams {
  const s = object(o.source, 'source');
  let source: SessionSourceSpec;
  switch (s.kind) {
    case 'tone':
      source = { kind: 'tone', frequencyHz: number(s, 'frequencyHz', 1, 3999, 'source.'), dBFS: number(s, 'dBFS', -90, 0, 'source.') };
      break;
    case 'wav': {
      if (s.loop !== undefined && typeof s.loop !== 'boolean') throw new Error('source.loop: must be true or false');
      source = { kind: 'wav', path: string(s, 'path', 'source.'), loop: (s.loop as boolean | undefined) ?? true };
      break;
    }
    case 'silence':
      source = { kind: 'silence' };
      break;
    case 'bus':
      source = { kind: 'bus', bus: string(s, 'bus', 'source.'), mid: string(s, 'mid', 'source.') };
      break;
    default:
      throw new Error(`source.kind: must be one of tone, wav, silence, bus (got ${JSON.stringify(s.kind)})`);
  }
  return { session: session(o), source };
}

function validateRecord(o: Fields): RecordParams {
  return { session: session(o), path: o.path === null ? null : string(o, 'path') };
}

function validateDtmf(o: Fields): DtmfParams {
  const digits = string(o, 'digits');
  if (!/^[0-9*#A-Da-dRr,]+$/.test(digits)) throw new Error(`digits: must use 0-9 * # A-D, R (flash) and "," (got "${digits}")`);
  return { session: session(o), digits: digits.toUpperCase(), durationMs: integer(o, 'durationMs', 40, 6000, 100), gapMs: integer(o, 'gapMs', 30, 6000, 70) };
}

function validateMute(o: Fields): MuteParams {
  if (typeof o.muted !== 'boolean') throw new Error('muted: must be true or false');
  return { session: session(o), muted: o.muted };
}

function validateSession(o: Fields): SessionParams {
  return { session: session(o) };
}

function validateBusOpen(o: Fields): BusOpenParams {
  const sdpOffer = string(o, 'sdpOffer');
  if (sdpOffer.length > MAX_BUS_SDP_LENGTH) throw new Error(`sdpOffer: must be at most ${MAX_BUS_SDP_LENGTH} characters (got ${sdpOffer.length})`);
  if (!sdpOffer.startsWith('v=0')) throw new Error('sdpOffer: must be an SDP body starting with "v=0"');
  return { bus: string(o, 'bus'), sdpOffer };
}

function validateBus(o: Fields): BusParams {
  return { bus: string(o, 'bus') };
}

function validateWebrtcOffer(o: Fields): WebrtcOfferParams {
  const iceAddress = ipAddress(o, 'iceAddress');
  if (isIP(iceAddress) !== 4) throw new Error(`iceAddress: must be an IPv4 address (got "${iceAddress}")`);
  if (o.portMin === undefined && o.portMax === undefined) return { session: session(o), iceAddress };
  const portMin = integer(o, 'portMin', 1024, 65534);
  const portMax = integer(o, 'portMax', 1025, 65535);
  if (portMax <= portMin) throw new Error(`portMax: must be greater than portMin (${portMin}) (got ${portMax})`);
  return { session: session(o), iceAddress, portMin, portMax };
}

function webrtcSdp(o: Fields, field: string): string {
  const sdp = string(o, field);
  if (sdp.length > MAX_BUS_SDP_LENGTH) throw new Error(`${field}: must be at most ${MAX_BUS_SDP_LENGTH} characters (got ${sdp.length})`);
  if (!sdp.startsWith('v=0')) throw new Error(`${field}: must be an SDP body starting with "v=0"`);
  return sdp;
}

function validateWebrtcAnswer(o: Fields): WebrtcAnswerParams {
  return { ...validateWebrtcOffer(o), sdpOffer: webrtcSdp(o, 'sdpOffer') };
}

function validateWebrtcAccept(o: Fields): WebrtcAcceptParams {
  return { session: session(o), sdpAnswer: webrtcSdp(o, 'sdpAnswer') };
}

const validators: { [C in MediaCommand]: (o: Fields) => MediaCommands[C]['params'] } = {
  open: validateOpen,
  configure: validateConfigure,
  source: validateSource,
  record: validateRecord,
  dtmf: validateDtmf,
  mute: validateMute,
  stats: validateSession,
  close: validateSession,
  'bus-open': validateBusOpen,
  'bus-close': validateBus,
  'webrtc-offer': validateWebrtcOffer,
  'webrtc-answer': validateWebrtcAnswer,
  'webrtc-accept': validateWebrtcAccept,
};

export function isMediaCommand(command: unknown): command is MediaCommand {
  return typeof command === 'string' && Object.prototype.hasOwnProperty.call(validators, command);
}

/** @throws Error naming the offending field. */
export function validateParams<C extends MediaCommand>(command: C, params: unknown): MediaCommands[C]['params'] {
  return validators[command](object(params, 'params'));
}
