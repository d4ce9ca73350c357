/**
 * The one message protocol between the engine (parent) and the media host (child process or
 * Electron utilityProcess). Both sides import it with `import type`; the child validates every
 * request (`media-request-validation.ts`) and answers `{ ok: true, value } | { ok: false, error }`
 * rather than throwing (STYLE.md "Main validates every IPC call").
 *
 * Wire shapes (structured-clone/JSON safe, no Buffers):
 *   parent → child  {@link MediaRequest}   `{ kind: 'request', id, command, params }`
 *   child → parent  {@link MediaResponse}  `{ kind: 'response', id, ok: true, value }` or `{ …, ok: false, error }`
 *                   {@link MediaEventMessage} `{ kind: 'event', event, payload }` (pushed)
 *                   {@link MediaReadyMessage} `{ kind: 'ready', pid }` once, when the child listens
 *
 * Units: times are epoch milliseconds (`…At`) or milliseconds (`…Ms`); levels dBFS relative to a
 * full-scale 16-bit sample (32768); ports are UDP ports.
 */

/** G.711 codecs the media host encodes and decodes (RFC 3551 §4.5.14). */
export type G711Codec = 'PCMU' | 'PCMA';

/** RFC 3264 §5.1 stream direction, from our point of view. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** A UDP transport address. `address` is an IPv4 or IPv6 literal. */
export interface TransportAddress {
  address: string;
  port: number;
}

/** `open`: bind a new session's sockets. */
export interface OpenParams {
  /** Caller-chosen id, unique within the host (e.g. the call id). */
  session: string;
  /** Local address to bind: the address that reaches the trunk (it goes into `c=`). */
  localAddress: string;
  /** Inclusive port range; RTP takes an even port p and RTCP p+1 (RFC 3550 §11), both inside it. */
  portMin: number;
  portMax: number;
}

export interface OpenResult {
  /** Even RTP port bound on `localAddress`. */
  rtpPort: number;
  /** RTCP port (rtpPort + 1), bound as well, so a later `rtcpMux: false` answer still works. */
  rtcpPort: number;
}

/**
 * SDES-SRTP keys (RFC 4568). Each key is the base64 `inline:` value of an `a=crypto` line:
 * 16-byte master key followed by the 14-byte master salt (30 bytes). `sendKey` is ours (the one in
 * our SDP), `receiveKey` the far end's. Only AES_CM_128_HMAC_SHA1_80: werift-rtp 0.8.9 has no _32.
 */
export interface SrtpKeys {
  suite: 'AES_CM_128_HMAC_SHA1_80';
  sendKey: string;
  receiveKey: string;
}

/** `configure`: the negotiated media (may be repeated on every re-INVITE; the send stream continues). */
export interface ConfigureParams {
  session: string;
  /**
   * Far end from the SDP (`c=` + `m=` port). Port 0 (rejected stream) or address 0.0.0.0 / ::
   * (legacy hold) means: send nothing.
   */
  remoteAddress: string;
  remoteRtpPort: number;
  /** Defaults to remoteRtpPort + 1, or remoteRtpPort when `rtcpMux` (RFC 3605 `a=rtcp` overrides). */
  remoteRtcpPort?: number;
  /** RFC 5761: RTCP shares the RTP port. Default false. */
  rtcpMux?: boolean;
  codec: G711Codec;
  payloadType: number;
  /** RFC 4733 telephone-event payload type, or null when the far end did not offer it. */
  telephoneEventPayloadType: number | null;
  direction: MediaDirection;
  /** Packet time in ms: 10–60 in steps of 10. Default 20. */
  ptimeMs?: number;
  /** SDES-SRTP keys, or null/absent for plain RTP/AVP. */
  srtp?: SrtpKeys | null;
  /**
   * No RTP nor RTCP received for this long while we expect media (direction sendrecv or
   * recvonly) → an `inactive` event. Default 60 000; 0 = off.
   */
  inactivityTimeoutMs?: number;
  /** Mean RTCP report interval, ms (default 5000, RFC 3550 §6.2's minimum; lower it only in tests). */
  rtcpIntervalMs?: number;
}

/** What the session sends as its audio. `dBFS` of a tone is the sine's peak level (≤ 0). */
export type AudioSourceSpec =
  | { kind: 'tone'; frequencyHz: number; dBFS: number }
  | { kind: 'wav'; path: string; loop?: boolean }
  | { kind: 'silence' };

/**
 * The audio bus as a session's source (research/calls-design.md §3.3): the session relays RTP
 * between its trunk leg and transceiver `mid` of bus `bus` (opened with `bus-open`), both ways,
 * until it gets another source or closes. `mid` is the renderer's `RTCRtpTransceiver.mid`.
 */
export interface BusSourceSpec {
  kind: 'bus';
  bus: string;
  mid: string;
}

/** Every source a session can have: generated audio or the bus. */
export type SessionSourceSpec = AudioSourceSpec | BusSourceSpec;

export interface SourceParams {
  session: string;
  source: SessionSourceSpec;
}

/** `bus-open`: creates bus `bus` on the first offer, re-negotiates it on later ones (a transceiver added per call). */
export interface BusOpenParams {
  /** Caller-chosen id (one per renderer holding the devices, e.g. "main-window"). */
  bus: string;
  /** The renderer's complete offer (ICE gathering finished: the bus does not trickle). */
  sdpOffer: string;
}

export interface BusOpenResult {
  /** The media host's answer, with 127.0.0.1 candidates only. */
  sdpAnswer: string;
  /** The audio transceivers' mids the bus now has, in SDP order. */
  mids: string[];
}

export interface BusParams {
  bus: string;
}

export interface RecordParams {
  session: string;
  /** WAV file to write what is received (8 kHz mono 16-bit PCM); null stops and finalises. */
  path: string | null;
}

export interface DtmfParams {
  session: string;
  /** 0-9, *, #, A-D, R (flash, event 16); ',' pauses 2 s (as RTCDTMFSender). */
  digits: string;
  /** Per digit, 40–6000 ms. Default 100. */
  durationMs?: number;
  /** Silence between digits, 30–6000 ms. Default 70 (W3C RTCDTMFSender). */
  gapMs?: number;
}

export interface DtmfResult {
  /** The digits sent (the request resolves after the last end packet left). */
  digits: string;
}

/** Mute stops our audio packets; RTCP continues and queued or new DTMF still goes out. */
export interface MuteParams {
  session: string;
  muted: boolean;
}

export interface SessionParams {
  session: string;
}

/** Per-session statistics (RFC 3550 §6.4 terms). */
export interface MediaStats {
  session: string;
  /** When the snapshot was taken. */
  at: number;
  localRtp: TransportAddress;
  /** Where RTP goes now (after latching), or null when nothing is configured. */
  remoteRtp: TransportAddress | null;
  /** True when RTP goes to a source seen on the wire rather than the SDP's address (NAT). */
  latched: boolean;
  codec: G711Codec | null;
  direction: MediaDirection | null;
  muted: boolean;
  /** RTP packets and payload octets sent (the RTCP SR counts, RFC 3550 §6.4.1). */
  packetsSent: number;
  bytesSent: number;
  /** RTP packets and payload octets received and accepted (after SRTP authentication). */
  packetsReceived: number;
  bytesReceived: number;
  /** RFC 3550 A.3: expected − received (may go negative with duplicates). */
  packetsLost: number;
  /** Lost ÷ expected over the whole call, 0–1. */
  lossFraction: number;
  /** RFC 3550 A.8 interarrival jitter, ms. */
  jitterMs: number;
  /** RFC 3550 §6.4.1 round trip from LSR/DLSR, ms; null before the first report block about us. */
  rttMs: number | null;
  /** What the far end reports about our stream (its last report block on our SSRC). */
  remoteReport: { packetsLost: number; fractionLost: number; jitterMs: number } | null;
  /** SRTP/SRTCP packets that failed authentication or decryption. */
  undecryptable: number;
  /** RMS of all received audio, dBFS (a −20 dBFS peak sine reads ≈ −23; silence −120); null before audio. */
  rmsDbfs: number | null;
  /** Estimated MOS (ITU-T G.107 E-model, simplified: see `mos-estimate.ts`); null before RTP. */
  mos: number | null;
  /** Last RTP/RTCP packet received, or null. */
  lastPacketAt: number | null;
  /** The far end's SSRC, or null. */
  remoteSsrc: number | null;
  localSsrc: number;
  /**
   * Intervals between consecutive audio packets as the sender issued them (gaps excluded), ms,
   * over the session; null before two packets. Target: p50 ≈ ptime, p99 ≤ ptime + 2.
   */
  sendIntervalMs: { p50: number; p99: number; max: number; count: number } | null;
}

/**
 * `webrtc-offer` / `webrtc-answer` / `webrtc-accept`: the session's trunk leg toward a WebRTC far
 * end (line `calls.mediaMode: "webrtc"`, `webrtc-leg.ts`). The session must be open on 127.0.0.1;
 * the first of these creates a werift peer (ICE host candidates on `iceAddress`, DTLS-SRTP) bridged
 * to it. The engine then `configure`s the session with remote 127.0.0.1:`bridgePort`.
 */
export interface WebrtcOfferParams {
  session: string;
  /** IPv4 address that reaches the SIP server: ICE gathers host candidates there only. */
  iceAddress: string;
  /** The line's RTP port range: the ICE candidate's UDP port is taken from it (default: any port). */
  portMin?: number;
  portMax?: number;
}

export interface WebrtcAnswerParams extends WebrtcOfferParams {
  /** The far end's offer (SDP, `v=0…`). */
  sdpOffer: string;
}

export interface WebrtcAcceptParams {
  session: string;
  /** The far end's answer to our last `webrtc-offer`. */
  sdpAnswer: string;
}

export interface WebrtcResult {
  /** Our SDP (offer or answer), complete with candidates: SIP does not trickle. */
  sdp: string;
  /** Bridge port on 127.0.0.1: configure the session's remote RTP/RTCP port with it. */
  bridgePort: number;
  /** What was negotiated (after an answer either way), else null. */
  format: { codec: G711Codec; payloadType: number; telephoneEventPayloadType: number | null } | null;
}

/** Every command: its parameters and its answer value. */
export interface MediaCommands {
  open: { params: OpenParams; result: OpenResult };
  configure: { params: ConfigureParams; result: null };
  source: { params: SourceParams; result: null };
  record: { params: RecordParams; result: null };
  dtmf: { params: DtmfParams; result: DtmfResult };
  mute: { params: MuteParams; result: null };
  stats: { params: SessionParams; result: MediaStats };
  close: { params: SessionParams; result: MediaStats };
  'bus-open': { params: BusOpenParams; result: BusOpenResult };
  /** Closes the bus; sessions relaying through it fall back to silence. */
  'bus-close': { params: BusParams; result: null };
  'webrtc-offer': { params: WebrtcOfferParams; result: WebrtcResult };
  'webrtc-answer': { params: WebrtcAnswerParams; result: WebrtcResult };
  'webrtc-accept': { params: WebrtcAcceptParams; result: WebrtcResult };
}

export type MediaCommand = keyof MediaCommands;

/** Pushed events and their payloads. */
export interface MediaEvents {
  /** The first RTP packet of the session arrived (again after a re-`configure` with a new remote). */
  'rtp-started': { session: string; from: TransportAddress; ssrc: number; payloadType: number; latched: boolean };
  /** An RFC 4733 event ended (reported once per event, on its first end packet). */
  dtmf: { session: string; digit: string; durationMs: number };
  /** No RTP/RTCP for `timeoutMs` while media was expected: the parent ends the call with a reason. */
  inactive: { session: string; timeoutMs: number; lastPacketAt: number | null };
  /** Every second while the session is open. */
  stats: MediaStats;
  /** The bus's connection changed (W3C RTCPeerConnectionState). */
  'bus-state': { bus: string; state: 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed' };
  /**
   * A webrtc leg's connection changed. `elapsedMs`: since the leg was created (for an outgoing call
   * this includes the far end answering); `sinceRemoteSdpMs`: since the far end's SDP was applied
   * (ICE checks + DTLS handshake), null before.
   */
  'webrtc-state': { session: string; state: 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed'; elapsedMs: number; sinceRemoteSdpMs: number | null };
  /** A fault inside the host (session null when not tied to one). The host keeps running. */
  error: { session: string | null; message: string };
}

export type MediaEventName = keyof MediaEvents;

export type MediaRequest = {
  [C in MediaCommand]: { kind: 'request'; id: number; command: C; params: MediaCommands[C]['params'] };
}[MediaCommand];

export type MediaResponse =
  | { kind: 'response'; id: number; ok: true; value: unknown }
  | { kind: 'response'; id: number; ok: false; error: string };

export type MediaEventMessage = {
  [E in MediaEventName]: { kind: 'event'; event: E; payload: MediaEvents[E] };
}[MediaEventName];

export interface MediaReadyMessage {
  kind: 'ready';
  pid: number;
}

export type MediaHostMessage = MediaResponse | MediaEventMessage | MediaReadyMessage;
