/**
 * One call's media toward the trunk: RTP/AVP or RTP/SAVP (SDES) with G.711 and RFC 4733 over a
 * UDP socket pair. This file is the glue: sockets, SRTP, latching, RTCP reports, statistics and
 * the inactivity watch; packets are made by `RtpSender`, received audio kept by `ReceivedAudio`.
 *
 * ```
 *   open ──► opened ──configure──► configured ──close──► closed
 *            (ports bound,          ▲       │           (RTCP BYE, recording
 *             clock running,        └───────┘            finalised, ports freed)
 *             nothing sent)    configure again (re-INVITE): SSRC, sequence
 *                              numbers and timestamp continue
 * ```
 *
 * Policies:
 * - Symmetric RTP (RFC 4961): RTP leaves from the port it is received on; RTCP likewise.
 * - Latching: the first packet after a (re)configure with a new far end that passes SRTP
 *   authentication fixes where we send, when its source differs from the SDP's (NAT).
 * - Mute and hold stop RTP packets, not RTCP (RFC 3264 §5.1). Port 0 or a null address
 *   (0.0.0.0, ::) means the far end takes nothing: we send nothing at all.
 * - What arrives is accepted whatever our direction (a far end's late re-INVITE must not lose
 *   audio); inactivity is only watched while we expect media (sendrecv, recvonly).
 */
import type { Socket } from 'node:dgram';
import { RtpPacket } from 'werift-rtp';
import type { Clock, Random } from '../sip/clock';
import { TimerSet } from '../sip/clock';
import { SAMPLE_RATE, createAudioSource } from './audio-source';
import { decodeG711 } from './g711-codec';
import type {
  AudioSourceSpec, ConfigureParams, MediaEvents, MediaStats, OpenParams, TransportAddress,
} from './media-protocol';
import { estimateMos } from './mos-estimate';
import { ReceivedAudio } from './received-audio';
import { buildBye, buildCompoundReport, readCompoundReport, roundTripMs, rtcpIntervalMs } from './rtcp-report';
import { bindRtpPorts } from './rtp-port-binding';
import { RtpReceiveStats } from './rtp-receive-stats';
import type { LegFormat } from './bus-relay';
import type { RelayedPacket, SendStream } from './rtp-sender';
import { RtpSender } from './rtp-sender';
import type { SrtpContexts } from './srtp-sdes';
import { createSrtpContexts } from './srtp-sdes';
import { TelephoneEventReceiver } from './telephone-event';

export type EmitMediaEvent = <E extends keyof MediaEvents>(event: E, payload: MediaEvents[E]) => void;

export interface MediaSessionDeps {
  clock: Clock;
  random: Random;
  emit: EmitMediaEvent;
}

type Config = Required<Omit<ConfigureParams, 'srtp'>> & { srtp: ConfigureParams['srtp'] };

/** Received-side figures of sources seen before the current one (SSRC changed). */
interface FoldedReception {
  expected: number;
  received: number;
}

const STATS_INTERVAL_MS = 1000;
/** RFC 5761 §4: second octet 192–223 is RTCP on a multiplexed port. */
const isRtcpOctet = (b: number | undefined): boolean => b !== undefined && b >= 192 && b <= 223;

export class MediaSession {
  private readonly timers: TimerSet<'packet' | 'rtcp' | 'stats' | 'inactivity'>;
  private config: Config | null = null;
  private srtp: SrtpContexts | null = null;
  private closed = false;
  private readonly sender: RtpSender;
  private sendErrorReported = false;

  // Receive side.
  private reception: RtpReceiveStats | null = null;
  private folded: FoldedReception = { expected: 0, received: 0 };
  private remoteSsrc: number | null = null;
  private packetsReceived = 0;
  private bytesReceived = 0;
  private undecryptable = 0;
  private readonly audio: ReceivedAudio;
  private lastPacketAt: number | null = null;
  private rtpStartPending = true;
  private latchedRtp: TransportAddress | null = null;
  private latchedRtcp: TransportAddress | null = null;
  private readonly telephoneEvents: TelephoneEventReceiver;
  /** Set while the audio bus is this session's source: every accepted RTP packet from the trunk. */
  private relaySink: ((packet: RtpPacket) => void) | null = null;

  // RTCP.
  private lastSr: { lsr: number; at: number } | null = null;
  private rttMs: number | null = null;
  private remoteReport: MediaStats['remoteReport'] = null;

  // Inactivity.
  private activityBaseline = 0;
  private inactiveReported = false;

  private constructor(
    readonly id: string,
    private readonly localAddress: string,
    private readonly rtpSocket: Socket,
    private readonly rtcpSocket: Socket,
    readonly rtpPort: number,
    private readonly deps: MediaSessionDeps,
  ) {
    const { random, clock } = deps;
    this.timers = new TimerSet(clock);
    this.sender = new RtpSender(random, clock.now(), (packet) => this.sendRtpPacket(packet));
    this.audio = new ReceivedAudio((error) => this.fault(error));
    this.telephoneEvents = new TelephoneEventReceiver(SAMPLE_RATE, (digit, durationMs) => deps.emit('dtmf', { session: id, digit, durationMs }));
    rtpSocket.on('message', (msg, rinfo) => this.guard(() => {
      if (isRtcpOctet(msg[1])) this.onRtcp(msg, rinfo);
      else this.onRtp(msg, rinfo);
    }));
    rtcpSocket.on('message', (msg, rinfo) => this.guard(() => this.onRtcp(msg, rinfo)));
    for (const socket of [rtpSocket, rtcpSocket]) socket.on('error', (error) => this.fault(error));
    this.timers.set('packet', 0, () => this.tick());
    this.timers.set('stats', STATS_INTERVAL_MS, () => this.emitStats());
  }

  /** Binds the socket pair. @throws Error when no port pair can be bound. */
  static async open(params: OpenParams, deps: MediaSessionDeps): Promise<MediaSession> {
    const ports = await bindRtpPorts(params.localAddress, params.portMin, params.portMax, deps.random);
    return new MediaSession(params.session, params.localAddress, ports.rtp, ports.rtcp, ports.rtpPort, deps);
  }

  /** Applies negotiated media. @throws Error for bad SRTP keys (nothing changed then). */
  configure(params: ConfigureParams): void {
    const rtcpMux = params.rtcpMux ?? false;
    const next: Config = {
      ...params,
      rtcpMux,
      remoteRtcpPort: params.remoteRtcpPort ?? (rtcpMux ? params.remoteRtpPort : params.remoteRtpPort + 1),
      ptimeMs: params.ptimeMs ?? 20,
      inactivityTimeoutMs: params.inactivityTimeoutMs ?? 60_000,
      rtcpIntervalMs: params.rtcpIntervalMs ?? 5000,
      srtp: params.srtp ?? null,
    };
    const srtp = next.srtp ? createSrtpContexts(next.srtp) : null;
    const previous = this.config;
    const remoteChanged = !previous || previous.remoteAddress !== next.remoteAddress || previous.remoteRtpPort !== next.remoteRtpPort;
    if (remoteChanged) {
      // A new far end (re-INVITE, transfer): latch and announce afresh.
      this.latchedRtp = null;
      this.latchedRtcp = null;
      this.rtpStartPending = true;
    }
    if (!previous || previous.ptimeMs !== next.ptimeMs) {
      this.sender.setPtime(next.ptimeMs, this.deps.clock.now());
      this.timers.set('packet', 0, () => this.tick());
    }
    if (previous && previous.srtp?.receiveKey !== next.srtp?.receiveKey) this.lastSr = null;
    this.srtp = srtp;
    this.config = next;
    if (!this.canSendEvents()) this.sender.dtmf.cancel('DTMF cancelled: the stream no longer sends telephone-events');
    const expectingBefore = previous ? this.expectsMedia(previous) : false;
    if (!expectingBefore || remoteChanged) this.activityBaseline = this.deps.clock.now();
    this.inactiveReported = false;
    this.armInactivity();
    if (!previous || previous.rtcpIntervalMs !== next.rtcpIntervalMs) {
      this.timers.set('rtcp', rtcpIntervalMs(this.deps.random, true, next.rtcpIntervalMs), () => this.sendReport());
    }
  }

  setSource(spec: AudioSourceSpec): void {
    this.relaySink = null;
    this.sender.setSource(createAudioSource(spec));
  }

  /**
   * Hands this session's audio to a relay (the audio bus, `bus-link.ts`): our own source stops,
   * {@link relayToTrunk} sends what the bus sends, and `sink` gets every RTP packet accepted from
   * the trunk (after SRTP and the receive statistics; recording and levels continue as before).
   */
  useRelay(sink: (packet: RtpPacket) => void): void {
    this.relaySink = sink;
    this.sender.setSource(null);
  }

  /** Ends a relay started by {@link useRelay}: silence until the next source. */
  stopRelay(): void {
    if (this.relaySink === null) return;
    this.relaySink = null;
    this.sender.setSource(createAudioSource({ kind: 'silence' }));
  }

  /** The trunk leg's negotiated format, or null before the first `configure`. */
  get legFormat(): LegFormat | null {
    const config = this.config;
    return config ? { codec: config.codec, payloadType: config.payloadType, telephoneEventPayloadType: config.telephoneEventPayloadType } : null;
  }

  /** Our RTP timestamp at this instant (where a relayed stream starts, RFC 3550 §5.1). */
  timestampNow(): number {
    return this.sender.timestampAt(this.deps.clock.now());
  }

  /**
   * Sends a packet relayed from the bus on the trunk leg as ours. Only while the stream is
   * sendrecv: on our hold (sendonly) the microphone must not reach the held party, and the bus has
   * no music on hold to play them. @returns whether it went out (mute, hold, no far end: not).
   */
  relayToTrunk(packet: RelayedPacket): boolean {
    if (this.closed) return false;
    // A null stream still tells the sender a packet was held back: the first one after carries the marker.
    return this.sender.relay(this.config?.direction === 'sendrecv' ? this.sendStream() : null, packet, this.deps.clock.now());
  }

  /** Starts (or replaces) the recording; null stops it. Resolves once the file is ready or finalised. */
  record(path: string | null): Promise<void> {
    return this.audio.record(path);
  }

  setMuted(muted: boolean): void {
    this.sender.muted = muted;
  }

  /** Sends digits as RFC 4733 events; resolves after the last one. @throws when the stream cannot carry them. */
  sendDtmf(digits: string, durationMs: number, gapMs: number): Promise<void> {
    if (!this.config || this.config.telephoneEventPayloadType === null) {
      return Promise.reject(new Error('the far end did not negotiate telephone-event: send DTMF by SIP INFO'));
    }
    if (!this.canSendEvents()) return Promise.reject(new Error(`the stream does not send (direction ${this.config.direction})`));
    return this.sender.dtmf.enqueue(digits, durationMs, gapMs, this.config.ptimeMs);
  }

  stats(): MediaStats {
    const now = this.deps.clock.now();
    const expected = this.folded.expected + (this.reception?.expected ?? 0);
    const received = this.folded.received + (this.reception?.packetsReceived ?? 0);
    const packetsLost = expected - received;
    const lossFraction = expected > 0 ? Math.max(0, packetsLost) / expected : 0;
    const jitterMs = this.reception?.jitterMs ?? 0;
    const ptimeMs = this.config?.ptimeMs ?? 20;
    const target = this.rtpTarget();
    return {
      session: this.id,
      at: now,
      localRtp: { address: this.localAddress, port: this.rtpPort },
      remoteRtp: target,
      latched: this.latchedRtp !== null,
      codec: this.config?.codec ?? null,
      direction: this.config?.direction ?? null,
      muted: this.sender.muted,
      packetsSent: this.sender.packetsSent,
      bytesSent: this.sender.bytesSent,
      packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived,
      packetsLost,
      lossFraction,
      jitterMs,
      rttMs: this.rttMs,
      remoteReport: this.remoteReport,
      undecryptable: this.undecryptable,
      rmsDbfs: this.audio.rmsDbfs,
      mos: this.packetsReceived > 0 ? estimateMos({ lossFraction, rttMs: this.rttMs, jitterMs, ptimeMs }) : null,
      lastPacketAt: this.lastPacketAt,
      remoteSsrc: this.remoteSsrc,
      localSsrc: this.sender.ssrc,
      sendIntervalMs: this.sender.sendIntervals,
    };
  }

  /** RTCP BYE, recording finalised, sockets closed. Idempotent; returns the final statistics. */
  async close(): Promise<MediaStats> {
    if (this.closed) return this.stats();
    this.closed = true;
    this.relaySink = null;
    this.timers.dispose();
    this.sender.dtmf.cancel('session closed');
    // RFC 3550 §6.6: a BYE goes in a compound packet after a report.
    this.sendRtcp(Buffer.concat([this.buildReport(), buildBye(this.sender.ssrc)]));
    const final = this.stats();
    await this.audio.close().catch((error: Error) => this.fault(error));
    await Promise.all([this.rtpSocket, this.rtcpSocket].map((s) => new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    })));
    return final;
  }

  // ——— sending ———

  private tick(): void {
    if (this.closed) return;
    let delay = this.config?.ptimeMs ?? 20;
    this.guard(() => {
      delay = this.sender.tick(this.deps.clock.now(), this.sendStream());
    });
    this.timers.set('packet', delay, () => this.tick());
  }

  private sendStream(): SendStream | null {
    const config = this.config;
    if (!config) return null;
    return {
      codec: config.codec,
      payloadType: config.payloadType,
      telephoneEventPayloadType: config.telephoneEventPayloadType,
      sending: this.sends(config.direction) && this.rtpTarget() !== null,
      srtp: this.srtp?.srtp ?? null,
    };
  }

  private sendRtpPacket(packet: Buffer): void {
    const target = this.rtpTarget();
    if (target) this.rtpSocket.send(packet, target.port, target.address, (error) => this.onSendError(error));
  }

  private onSendError(error: Error | null): void {
    if (!error || this.sendErrorReported) return;
    this.sendErrorReported = true;
    this.fault(new Error(`RTP send failed: ${error.message}`));
  }

  private sends(direction: Config['direction']): boolean {
    return direction === 'sendrecv' || direction === 'sendonly';
  }

  private canSendEvents(): boolean {
    return !!this.config && this.config.telephoneEventPayloadType !== null && this.sends(this.config.direction) && this.rtpTarget() !== null;
  }

  /** Where RTP goes: the latched source, else the SDP's address; null for port 0 or a null address. */
  private rtpTarget(): TransportAddress | null {
    const config = this.config;
    if (!config || config.remoteRtpPort === 0 || config.remoteAddress === '0.0.0.0' || config.remoteAddress === '::') return null;
    return this.latchedRtp ?? { address: config.remoteAddress, port: config.remoteRtpPort };
  }

  // ——— receiving ———

  private onRtp(msg: Buffer, rinfo: { address: string; port: number }): void {
    const config = this.config;
    if (!config || msg.length < 12 || msg[0]! >> 6 !== 2) return;
    let plain = msg;
    if (this.srtp) {
      try {
        plain = this.srtp.srtp.decrypt(msg);
      } catch {
        this.undecryptable++;
        return;
      }
    }
    let packet: RtpPacket;
    try {
      packet = RtpPacket.deSerialize(plain);
    } catch {
      return; // malformed: dropped like any stray datagram
    }
    const { header } = packet;
    const now = this.deps.clock.now();
    this.noteActivity(now);
    if (this.rtpStartPending) {
      this.rtpStartPending = false;
      const latched = rinfo.address !== config.remoteAddress || rinfo.port !== config.remoteRtpPort;
      if (latched) this.latchedRtp = { address: rinfo.address, port: rinfo.port };
      this.deps.emit('rtp-started', { session: this.id, from: { address: rinfo.address, port: rinfo.port }, ssrc: header.ssrc, payloadType: header.payloadType, latched });
    }
    if (this.remoteSsrc !== header.ssrc) {
      // A new source (RFC 3550 §8.2 collision or the far end changed streams): keep its predecessor's counts.
      if (this.reception) this.folded = { expected: this.folded.expected + this.reception.expected, received: this.folded.received + this.reception.packetsReceived };
      this.reception = new RtpReceiveStats(SAMPLE_RATE);
      this.remoteSsrc = header.ssrc;
      this.audio.sourceChanged();
    }
    if (!this.reception!.update(header.sequenceNumber, header.timestamp, now)) return;
    this.packetsReceived++;
    this.bytesReceived += packet.payload.length;
    this.relaySink?.(packet);
    if (header.payloadType === config.telephoneEventPayloadType) {
      this.telephoneEvents.receive(header.timestamp, packet.payload);
    } else if (header.payloadType === config.payloadType) {
      this.audio.add(header.timestamp, decodeG711(config.codec, packet.payload));
    }
  }

  private onRtcp(msg: Buffer, rinfo: { address: string; port: number }): void {
    const config = this.config;
    if (!config || msg.length < 8) return;
    let plain = msg;
    if (this.srtp) {
      try {
        plain = this.srtp.srtcp.decrypt(msg);
      } catch {
        this.undecryptable++;
        return;
      }
    }
    const now = this.deps.clock.now();
    this.noteActivity(now);
    const expectedPort = config.rtcpMux ? config.remoteRtpPort : config.remoteRtcpPort;
    if (!this.latchedRtcp && (rinfo.address !== config.remoteAddress || rinfo.port !== expectedPort)) {
      this.latchedRtcp = { address: rinfo.address, port: rinfo.port };
    }
    let report: ReturnType<typeof readCompoundReport>;
    try {
      report = readCompoundReport(plain, this.sender.ssrc);
    } catch {
      return; // malformed compound packet
    }
    if (report.senderReport) this.lastSr = { lsr: report.senderReport.lsr, at: now };
    if (report.aboutUs) {
      this.rttMs = roundTripMs(now, report.aboutUs.lsr, report.aboutUs.dlsr) ?? this.rttMs;
      this.remoteReport = {
        packetsLost: report.aboutUs.packetsLost,
        fractionLost: report.aboutUs.fractionLost / 256,
        jitterMs: (report.aboutUs.jitter * 1000) / SAMPLE_RATE,
      };
    }
  }

  // ——— RTCP, stats, inactivity ———

  private buildReport(): Buffer {
    const now = this.deps.clock.now();
    const { sender: rtp } = this;
    const sender = rtp.sentSinceReport
      ? { epochMs: now, rtpTimestamp: rtp.timestampAt(now), packetCount: rtp.packetsSent, octetCount: rtp.bytesSent }
      : null;
    rtp.sentSinceReport = false;
    const block = this.reception && this.remoteSsrc !== null
      ? {
          ssrc: this.remoteSsrc,
          ...this.reception.takeReportBlock(),
          lsr: this.lastSr?.lsr ?? 0,
          // DLSR in 1/65536 s (RFC 3550 §6.4.1).
          dlsr: this.lastSr ? Math.floor(((now - this.lastSr.at) / 1000) * 65536) >>> 0 : 0,
        }
      : null;
    return buildCompoundReport(rtp.ssrc, `tl-${rtp.ssrc.toString(16).padStart(8, '0')}@trunkl`, sender, block);
  }

  private sendReport(): void {
    this.guard(() => this.sendRtcp(this.buildReport()));
    if (!this.closed) this.timers.set('rtcp', rtcpIntervalMs(this.deps.random, false, this.config?.rtcpIntervalMs), () => this.sendReport());
  }

  private sendRtcp(compound: Buffer): void {
    const config = this.config;
    if (!config || !this.rtpTarget()) return;
    const packet = this.srtp ? this.srtp.srtcp.encrypt(compound) : compound;
    if (config.rtcpMux) {
      const target = this.rtpTarget()!;
      this.rtpSocket.send(packet, target.port, target.address, (error) => this.onSendError(error));
    } else {
      const target = this.latchedRtcp ?? { address: config.remoteAddress, port: config.remoteRtcpPort };
      this.rtcpSocket.send(packet, target.port, target.address, (error) => this.onSendError(error));
    }
  }

  private emitStats(): void {
    if (this.closed) return;
    this.guard(() => this.deps.emit('stats', this.stats()));
    this.timers.set('stats', STATS_INTERVAL_MS, () => this.emitStats());
  }

  private expectsMedia(config: Config): boolean {
    return (config.direction === 'sendrecv' || config.direction === 'recvonly') && config.remoteRtpPort !== 0;
  }

  private noteActivity(now: number): void {
    this.lastPacketAt = now;
    this.inactiveReported = false;
  }

  /** Re-arms for the remaining silence budget; reports once per silence. */
  private armInactivity(): void {
    const config = this.config;
    this.timers.clear('inactivity');
    if (!config || config.inactivityTimeoutMs <= 0 || this.closed) return;
    const timeoutMs = config.inactivityTimeoutMs;
    const now = this.deps.clock.now();
    const since = Math.max(this.lastPacketAt ?? 0, this.activityBaseline);
    const remaining = since + timeoutMs - now;
    if (remaining <= 0 && this.expectsMedia(config) && !this.inactiveReported) {
      this.inactiveReported = true;
      this.deps.emit('inactive', { session: this.id, timeoutMs, lastPacketAt: this.lastPacketAt });
    }
    this.timers.set('inactivity', remaining > 0 ? remaining : timeoutMs, () => this.armInactivity());
  }

  private guard(action: () => void): void {
    try {
      action();
    } catch (error) {
      this.fault(error as Error);
    }
  }

  private fault(error: Error): void {
    this.deps.emit('error', { session: this.id, message: error.message });
  }
}
