/**
 * A real, tiny media host for tests: one UDP socket on 127.0.0.1 per call that sends a PCMU/PCMA
 * packet every 20 ms while the direction allows and the port is not muted, counts what arrives,
 * sends RFC 4733 events for DTMF and reports the ones it receives, and — when configured with
 * SDES keys — protects and unprotects every packet with werift-rtp's SRTP. Nothing is faked:
 * the tests watch packets move, stop and resume on the loopback.
 */
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { RtpHeader, RtpPacket, SrtpSession } from 'werift-rtp';
import type { MediaConfiguration, MediaPort, PortRange } from '../../../main/sip/calls/media-port';
import { directionReceives, directionSends } from '../../../main/sip/calls/media-port';

const EVENTS = '0123456789*#ABCD';

export interface UdpTestMediaPortOptions {
  /** Reports `onInactive` when no audio arrived for this long while receiving (0 = never). */
  inactivityMs?: number;
  /** Tells the test every operation in order. */
  log?: string[];
}

function srtpSession(keys: NonNullable<MediaConfiguration['srtp']>): SrtpSession {
  const send = Buffer.from(keys.sendKeyBase64, 'base64');
  const receive = Buffer.from(keys.receiveKeyBase64, 'base64');
  return new SrtpSession({
    profile: 1, // AES_CM_128_HMAC_SHA1_80
    keys: { localMasterKey: send.subarray(0, 16), localMasterSalt: send.subarray(16), remoteMasterKey: receive.subarray(0, 16), remoteMasterSalt: receive.subarray(16) },
  });
}

export class UdpTestMediaPort implements MediaPort {
  socket: Socket | null = null;
  port = 0;
  config: MediaConfiguration | null = null;
  readonly configurations: MediaConfiguration[] = [];
  readonly dtmfSent: { digits: string; durationMs: number; gapMs: number }[] = [];
  readonly dtmfReceived: string[] = [];
  muted = false;
  closed = false;
  sent = 0;
  /** Audio packets that arrived (and decrypted, with SRTP). */
  received = 0;
  /** Packets that failed SRTP authentication. */
  rejected = 0;
  private seq = 1000;
  private timestamp = 0;
  private readonly ssrc = Math.floor(Math.random() * 0xffffffff);
  private sender: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private lastAudioAt = Date.now();
  private inactiveReported = false;
  private srtp: SrtpSession | null = null;
  private lastEventTimestamp = -1;
  private readonly dtmfListeners = new Set<(digit: string) => void>();
  private readonly inactiveListeners = new Set<() => void>();

  constructor(private readonly options: UdpTestMediaPortOptions = {}) {}

  async open(request: { localAddress: string; portRange: PortRange }): Promise<{ port: number }> {
    this.options.log?.push(`open ${request.localAddress}`);
    const socket = createSocket('udp4');
    socket.on('message', (message) => this.onMessage(message));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, request.localAddress, () => resolve());
    });
    this.socket = socket;
    this.port = socket.address().port;
    this.watchdog = setInterval(() => this.checkInactivity(), 25);
    return { port: this.port };
  }

  async configure(configuration: MediaConfiguration): Promise<void> {
    this.options.log?.push(`configure ${configuration.direction} ${configuration.codec}/${configuration.payloadType}`);
    if (this.closed) throw new Error('configure after close');
    this.config = configuration;
    this.configurations.push(configuration);
    this.srtp = configuration.srtp ? srtpSession(configuration.srtp) : null;
    this.lastAudioAt = Date.now();
    this.inactiveReported = false;
    this.sender ??= setInterval(() => this.sendAudio(), 20);
  }

  async sendDtmf(digits: string, durationMs: number, gapMs: number): Promise<void> {
    this.options.log?.push(`dtmf ${digits}`);
    this.dtmfSent.push({ digits, durationMs, gapMs });
    for (const digit of digits) {
      const event = EVENTS.indexOf(digit);
      if (event < 0) continue;
      this.timestamp += 160;
      const duration = Math.min(0xffff, Math.round(durationMs * 8));
      const pt = this.config?.telephoneEventPt ?? 101;
      // RFC 4733 §2.5.1.2: the first packet of an event carries the marker bit; §2.5.1.4: the end
      // packet (E bit, final duration) is sent three times. All share the event's timestamp.
      this.send(pt, Buffer.from([event, 10, 0, 160]), true);
      const end = Buffer.from([event, 0x80 | 10, duration >> 8, duration & 0xff]);
      for (let i = 0; i < 3; i++) this.send(pt, end, false);
    }
  }

  async setMuted(muted: boolean): Promise<void> {
    this.options.log?.push(`muted ${muted}`);
    this.muted = muted;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.options.log?.push('close');
    this.closed = true;
    if (this.sender) clearInterval(this.sender);
    if (this.watchdog) clearInterval(this.watchdog);
    this.socket?.close();
    this.socket = null;
  }

  onDtmf(listener: (digit: string) => void): () => void {
    this.dtmfListeners.add(listener);
    return () => this.dtmfListeners.delete(listener);
  }

  onInactive(listener: () => void): () => void {
    this.inactiveListeners.add(listener);
    return () => this.inactiveListeners.delete(listener);
  }

  /** Stops sending for good, as a far end whose media died would. */
  stopSending(): void {
    if (this.sender) clearInterval(this.sender);
    this.sender = null;
  }

  private sendAudio(): void {
    const config = this.config;
    if (!config || this.muted || !directionSends(config.direction)) return;
    this.timestamp += 160;
    this.send(config.payloadType, Buffer.alloc(160, config.codec === 'PCMU' ? 0xff : 0xd5), false);
  }

  private send(payloadType: number, payload: Buffer, marker: boolean): void {
    const config = this.config;
    if (!config || !this.socket) return;
    this.seq = (this.seq + 1) & 0xffff;
    const header = new RtpHeader({ payloadType, sequenceNumber: this.seq, timestamp: this.timestamp >>> 0, ssrc: this.ssrc, marker });
    const packet = this.srtp ? this.srtp.encrypt(payload, header) : new RtpPacket(header, payload).serialize();
    this.socket.send(packet, config.remotePort, config.remoteAddress);
    if (payloadType === config.payloadType) this.sent += 1;
  }

  private onMessage(message: Buffer): void {
    const config = this.config;
    if (!config || message.length < 12) return;
    let plain = message;
    if (this.srtp) {
      try {
        plain = this.srtp.decrypt(message);
      } catch {
        this.rejected += 1;
        return;
      }
    }
    const packet = RtpPacket.deSerialize(plain);
    if (packet.header.payloadType === config.telephoneEventPt) {
      const end = ((packet.payload[1] ?? 0) & 0x80) !== 0;
      if (end && packet.header.timestamp !== this.lastEventTimestamp) {
        this.lastEventTimestamp = packet.header.timestamp;
        const digit = EVENTS[packet.payload[0] ?? 255];
        if (digit) {
          this.dtmfReceived.push(digit);
          for (const listener of this.dtmfListeners) listener(digit);
        }
      }
      return;
    }
    this.received += 1;
    this.lastAudioAt = Date.now();
  }

  private checkInactivity(): void {
    const limit = this.options.inactivityMs ?? 0;
    const config = this.config;
    if (!limit || !config || this.inactiveReported || !directionReceives(config.direction)) return;
    if (Date.now() - this.lastAudioAt > limit) {
      this.inactiveReported = true;
      for (const listener of this.inactiveListeners) listener();
    }
  }
}
