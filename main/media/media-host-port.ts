/**
 * One call's {@link MediaPort} (the seam MediaPeer drives, `main/sip/calls/media-port.ts`) served by
 * a session in a media host child. Parent-side glue only: names are mapped, the session's events
 * are filtered out of the host's stream, and `close` may come at any time, even while `open` is
 * still binding (it then closes right after).
 */
import type { MediaConfiguration, MediaPort, PortRange } from '../sip/calls/media-port';
import type { MediaHostClient } from './media-host-client';
import type { MediaStats, SessionSourceSpec } from './media-protocol';

export interface MediaHostPortOptions {
  /** Unique within the host, e.g. the call id. */
  session: string;
  /** No RTP/RTCP for this long while media is expected → `onInactive` (0 = off; default 60 000). */
  inactivityTimeoutMs?: number;
  /** What to send (default silence): a tone/WAV (test call) or the audio bus (`{ kind: 'bus', bus, mid }`, the app). */
  source?: SessionSourceSpec;
  /** Record what is received to this WAV file (test call `--record`). */
  recordPath?: string;
}

export class MediaHostPort implements MediaPort {
  private opening: Promise<unknown> | null = null;
  private opened = false;
  private closing: Promise<void> | null = null;
  private finalStats: MediaStats | null = null;

  constructor(private readonly host: MediaHostClient, private readonly options: MediaHostPortOptions) {}

  get session(): string {
    return this.options.session;
  }

  async open(request: { localAddress: string; portRange: PortRange }): Promise<{ port: number }> {
    if (this.closing) throw new Error('media port already closed');
    const opening = this.host.open({ session: this.session, localAddress: request.localAddress, portMin: request.portRange.min, portMax: request.portRange.max });
    this.opening = opening.catch(() => undefined);
    const { rtpPort } = await opening;
    this.opened = true;
    if (this.options.source) await this.host.setSource(this.session, this.options.source);
    if (this.options.recordPath) await this.host.record(this.session, this.options.recordPath);
    return { port: rtpPort };
  }

  async configure(c: MediaConfiguration): Promise<void> {
    await this.host.configure({
      session: this.session,
      remoteAddress: c.remoteAddress,
      remoteRtpPort: c.remotePort,
      remoteRtcpPort: c.remoteRtcpPort,
      codec: c.codec,
      payloadType: c.payloadType,
      telephoneEventPayloadType: c.telephoneEventPt,
      direction: c.direction,
      srtp: c.srtp ? { suite: c.srtp.suite, sendKey: c.srtp.sendKeyBase64, receiveKey: c.srtp.receiveKeyBase64 } : null,
      inactivityTimeoutMs: this.options.inactivityTimeoutMs ?? 60_000,
    });
  }

  async sendDtmf(digits: string, durationMs: number, gapMs: number): Promise<void> {
    await this.host.sendDtmf(this.session, digits, { durationMs, gapMs });
  }

  setMuted(muted: boolean): Promise<void> {
    return this.host.mute(this.session, muted);
  }

  /** Live statistics (rejects once closed: use {@link closedStats}). */
  stats(): Promise<MediaStats> {
    return this.host.stats(this.session);
  }

  /** The statistics returned by the media host when this port closed, or null. */
  get closedStats(): MediaStats | null {
    return this.finalStats;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.opening) await this.opening;
      if (!this.opened || !this.host.running) return;
      this.finalStats = await this.host.close(this.session).catch(() => null);
    })();
    return this.closing;
  }

  onDtmf(listener: (digit: string) => void): () => void {
    return this.host.on('dtmf', (e) => {
      if (e.session === this.session) listener(e.digit);
    });
  }

  onInactive(listener: () => void): () => void {
    return this.host.on('inactive', (e) => {
      if (e.session === this.session) listener();
    });
  }

  /** Statistics every second while open. */
  onStats(listener: (stats: MediaStats) => void): () => void {
    return this.host.on('stats', (s) => {
      if (s.session === this.session) listener(s);
    });
  }

  /** The first RTP packet arrived (post-dial delay, "media flowing"). */
  onRtpStarted(listener: () => void): () => void {
    return this.host.on('rtp-started', (e) => {
      if (e.session === this.session) listener();
    });
  }
}
