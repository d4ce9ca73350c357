/**
 * One call's media toward the trunk: RTP/AVP or RTP/SAVP (SDES) with G.711 and RFC 4733 over a
 * UDP socket pair, RTCP reports, statistics, recording and an inactivity watch.
 *
 * Lifecycle: `open` (sockets bound, packet clock running, nothing sent) → `configure` (sending
 * starts when the direction allows it and the far end has a real address; repeatable on every
 * re-INVITE: SSRC, sequence numbers and timestamps continue) → `close` (RTCP BYE, recording
 * finalised, sockets closed).
 *
 * Policies:
 * - Symmetric RTP (RFC 4961): RTP leaves from the port it is received on; RTCP likewise.
 * - Latching: the first packet after a (re)configure that passes SRTP authentication fixes where
 *   we send, when its source differs from the SDP's (a far end behind NAT).
 * - Mute and hold stop RTP packets (RTCP continues, RFC 3264 §5.1); the timestamp keeps running
 *   and the first packet after a gap carries the marker bit (RFC 3551 §4.1).
 * - What arrives is accepted whatever our direction (a far end's late re-INVITE must not lose
 *   audio); inactivity is only watched while we expect media (sendrecv, recvonly).
 */
import type { Socket } from 'node:dgram';
import { RtpHeader, RtpPacket } from 'werift-rtp';
import type { Clock, Random } from '../sip/clock';
import { TimerSet } from '../sip/clock';
import type { AudioSource } from './audio-source';
import { SAMPLE_RATE, SilenceSource, createAudioSource } from './audio-source';
import { DtmfSender } from './dtmf-sender';
import { decodeG711, encodeG711 } from './g711-codec';
import type {
  AudioSourceSpec, ConfigureParams, MediaEvents, MediaStats, OpenParams, TransportAddress,
} from './media-protocol';
import { IntervalHistogram } from './interval-histogram';
import { estimateMos } from './mos-estimate';
import { packetsDue } from './packet-schedule';
import { buildBye, buildCompoundReport, readCompoundReport, roundTripMs, rtcpIntervalMs } from './rtcp-report';
import { RtpReceiveStats } from './rtp-receive-stats';
import { bindRtpPorts } from './rtp-port-binding';
import type { SrtpContexts } from './srtp-sdes';
import { createSrtpContexts } from './srtp-sdes';
import { TelephoneEventReceiver } from './telephone-event';
import { WavRecorder } from './wav-recorder';

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
  private source: AudioSource = new SilenceSource();
  private frame = new Int16Array(160);
  private readonly dtmf = new DtmfSender();
  private muted = false;
  private closed = false;

  // Send side (RFC 3550 §5.1: random SSRC, initial sequence number and timestamp).
  private readonly ssrc: number;
  private seq: number;
  private ts0: number;
  private startAt: number;
  private nextIndex = 0;
  private gap = true;
  private packetsSent = 0;
  private bytesSent = 0;
  private sentSinceReport = false;
  private sendErrorReported = false;
  private readonly sendIntervals = new IntervalHistogram();
  private lastSendAt: number | null = null;

  // Receive side.
  private reception: RtpReceiveStats | null = null;
  private folded: FoldedReception = { expected: 0, received: 0 };
  private remoteSsrc: number | null = null;
  private packetsReceived = 0;
  private bytesReceived = 0;
  private undecryptable = 0;
  private sumSquares = 0;
  private samplesReceived = 0;
  private lastPacketAt: number | null = null;
  private rtpStartPending = true;
  private latchedRtp: TransportAddress | null = null;
  private latchedRtcp: TransportAddress | null = null;
  private telephoneEvents: TelephoneEventReceiver;
  private recorder: WavRecorder | null = null;
  private recordNextTs: number | null = null;

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
    this.ssrc = Math.floor(random() * 2 ** 32) >>> 0;
    this.seq = Math.floor(random() * 2 ** 16);
    this.ts0 = Math.floor(random() * 2 ** 32) >>> 0;
    this.startAt = clock.now();
    this.timers = new TimerSet(clock);
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
      // Restart the packet clock at the current timestamp so the stream stays continuous.
      const now = this.deps.clock.now();
      this.ts0 = (this.currentTimestamp(now) >>> 0);
      this.startAt = now;
      this.nextIndex = 0;
      this.frame = new Int16Array(next.ptimeMs * 8);
      this.timers.set('packet', 0, () => this.tick());
    }
    if (previous && previous.srtp?.receiveKey !== next.srtp?.receiveKey) this.lastSr = null;
    this.srtp = srtp;
    this.config = next;
    if (!this.canSendEvents()) this.dtmf.cancel('DTMF cancelled: the stream no longer sends telephone-events');
    const expectingBefore = previous ? this.expectsMedia(previous) : false;
    if (!expectingBefore || remoteChanged) this.activityBaseline = this.deps.clock.now();
    this.inactiveReported = false;
    this.armInactivity();
    if (!previous || previous.rtcpIntervalMs !== next.rtcpIntervalMs) {
      this.timers.set('rtcp', rtcpIntervalMs(this.deps.random, true, next.rtcpIntervalMs), () => this.sendReport());
    }
  }

  setSource(spec: AudioSourceSpec): void {
    this.source = createAudioSource(spec);
  }

  /** Starts (or replaces) the recording; null stops it. Resolves once the file is ready or finalised. */
  async record(path: string | null): Promise<void> {
    const previous = this.recorder;
    this.recorder = null;
    this.recordNextTs = null;
    if (previous) await previous.close();
    if (path === null) return;
    const recorder = await WavRecorder.create(path, (error) => this.fault(error));
    // Closed (or another record request won) while the file was being created.
    if (this.closed || this.recorder) await recorder.close();
    else this.recorder = recorder;
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  /** Sends digits as RFC 4733 events; resolves after the last one. @throws when the stream cannot carry them. */
  sendDtmf(digits: string, durationMs: number, gapMs: number): Promise<void> {
    if (!this.config || this.config.telephoneEventPayloadType === null) {
      return Promise.reject(new Error('the far end did not negotiate telephone-event: send DTMF by SIP INFO'));
    }
    if (!this.canSendEvents()) return Promise.reject(new Error(`the stream does not send (direction ${this.config.direction})`));
    return this.dtmf.enqueue(digits, durationMs, gapMs, this.config.ptimeMs);
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
      muted: this.muted,
      packetsSent: this.packetsSent,
      bytesSent: this.bytesSent,
      packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived,
      packetsLost,
      lossFraction,
      jitterMs,
      rttMs: this.rttMs,
      remoteReport: this.remoteReport,
      undecryptable: this.undecryptable,
      // Digital silence reads −120 dBFS (a finite floor keeps the figure JSON-safe).
      rmsDbfs: this.samplesReceived > 0 ? Math.max(-120, 20 * Math.log10(Math.sqrt(this.sumSquares / this.samplesReceived) / 32768)) : null,
      mos: this.packetsReceived > 0 ? estimateMos({ lossFraction, rttMs: this.rttMs, jitterMs, ptimeMs }) : null,
      lastPacketAt: this.lastPacketAt,
      remoteSsrc: this.remoteSsrc,
      localSsrc: this.ssrc,
      sendIntervalMs: this.sendIntervals.summary(),
    };
  }

  /** RTCP BYE, recording finalised, sockets closed. Idempotent; returns the final statistics. */
  async close(): Promise<MediaStats> {
    if (this.closed) return this.stats();
    this.closed = true;
    this.timers.dispose();
    this.dtmf.cancel('session closed');
    // RFC 3550 §6.6: a BYE goes in a compound packet after a report.
    this.sendRtcp(Buffer.concat([this.buildReport(), buildBye(this.ssrc)]));
    const final = this.stats();
    await this.record(null).catch((error: Error) => this.fault(error));
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

  private currentTimestamp(now: number): number {
    return this.ts0 + Math.floor(((now - this.startAt) * SAMPLE_RATE) / 1000);
  }

  private tick(): void {
    if (this.closed) return;
    const ptimeMs = this.config?.ptimeMs ?? 20;
    const due = packetsDue(this.startAt, ptimeMs, this.nextIndex, this.deps.clock.now());
    if (due.skipped > 0) this.gap = true;
    for (let i = 0; i < due.count; i++) this.guard(() => this.sendSlot(due.firstIndex + i));
    this.nextIndex = due.firstIndex + due.count;
    // Whole milliseconds, rounded up: Node keeps one timer list per distinct duration, and waking
    // a fraction early would only find nothing due and sleep again.
    this.timers.set('packet', Math.ceil(due.nextDelayMs), () => this.tick());
  }

  private sendSlot(index: number): void {
    const samples = this.frame.length;
    const timestamp = (this.ts0 + index * samples) >>> 0;
    // The source runs with time whether or not we send, like a microphone.
    this.source.read(this.frame);
    const config = this.config;
    const target = this.rtpTarget();
    if (!config || !target || !this.sends(config.direction)) {
      this.gap = true;
      return;
    }
    const event = config.telephoneEventPayloadType !== null ? this.dtmf.next(timestamp) : null;
    if (event) {
      this.sendRtp(config.telephoneEventPayloadType!, event.marker, event.timestamp, event.payload, target);
      this.gap = true;
      return;
    }
    if (this.muted) {
      this.gap = true;
      return;
    }
    const now = this.deps.clock.now();
    // Intervals between consecutive audio packets only: a gap (mute, hold, DTMF) is not jitter.
    if (!this.gap && this.lastSendAt !== null) this.sendIntervals.record(now - this.lastSendAt);
    this.lastSendAt = now;
    this.sendRtp(config.payloadType, this.gap, timestamp, encodeG711(config.codec, this.frame), target);
    this.gap = false;
  }

  private sendRtp(payloadType: number, marker: boolean, timestamp: number, payload: Buffer, target: TransportAddress): void {
    const header = new RtpHeader({ payloadType, marker, sequenceNumber: this.seq, timestamp, ssrc: this.ssrc });
    this.seq = (this.seq + 1) & 0xffff;
    const packet = this.srtp ? this.srtp.srtp.encrypt(payload, header) : new RtpPacket(header, payload).serialize();
    this.rtpSocket.send(packet, target.port, target.address, (error) => this.onSendError(error));
    this.packetsSent++;
    this.bytesSent += payload.length;
    this.sentSinceReport = true;
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
      this.recordNextTs = null;
    }
    if (!this.reception!.update(header.sequenceNumber, header.timestamp, now)) return;
    this.packetsReceived++;
    this.bytesReceived += packet.payload.length;
    if (header.payloadType === config.telephoneEventPayloadType) {
      this.telephoneEvents.receive(header.timestamp, packet.payload);
    } else if (header.payloadType === config.payloadType) {
      this.onAudio(header.timestamp, decodeG711(config.codec, packet.payload));
    }
  }

  private onAudio(timestamp: number, samples: Int16Array): void {
    for (const s of samples) this.sumSquares += s * s;
    this.samplesReceived += samples.length;
    if (!this.recorder) return;
    // Keep the recording on the sender's timeline: lost packets become silence; late ones are dropped.
    if (this.recordNextTs !== null) {
      const gap = (timestamp - this.recordNextTs) | 0;
      if (gap < 0) return;
      if (gap > 0 && gap <= SAMPLE_RATE) this.recorder.write(new Int16Array(gap));
    }
    this.recorder.write(samples);
    this.recordNextTs = (timestamp + samples.length) >>> 0;
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
      report = readCompoundReport(plain, this.ssrc);
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
    const sender = this.sentSinceReport
      ? { epochMs: now, rtpTimestamp: this.currentTimestamp(now), packetCount: this.packetsSent, octetCount: this.bytesSent }
      : null;
    this.sentSinceReport = false;
    const block = this.reception && this.remoteSsrc !== null
      ? {
          ssrc: this.remoteSsrc,
          ...this.reception.takeReportBlock(),
          lsr: this.lastSr?.lsr ?? 0,
          // DLSR in 1/65536 s (RFC 3550 §6.4.1).
          dlsr: this.lastSr ? Math.floor(((now - this.lastSr.at) / 1000) * 65536) >>> 0 : 0,
        }
      : null;
    return buildCompoundReport(this.ssrc, `tl-${this.ssrc.toString(16).padStart(8, '0')}@trunkl`, sender, block);
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
