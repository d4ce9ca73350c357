/**
 * The media port MediaPeer sees for a managed call: the call's {@link MediaPort} with RTP
 * inactivity taken out. The call manager ends an inactive call itself (BYE with a Reason and BYE
 * failover, "no RTP for N s"), so MediaPeer must not also turn it into JsSIP's own
 * `iceconnectionstatechange: failed` → terminate() path, which would race the manager's BYE.
 */
import type { MediaConfiguration, MediaPort, PortRange } from './media-port';

export class CallMediaPort implements MediaPort {
  constructor(private readonly inner: MediaPort) {}

  open(request: { localAddress: string; portRange: PortRange }): Promise<{ port: number }> {
    return this.inner.open(request);
  }

  configure(configuration: MediaConfiguration): Promise<void> {
    return this.inner.configure(configuration);
  }

  sendDtmf(digits: string, durationMs: number, gapMs: number): Promise<void> {
    return this.inner.sendDtmf(digits, durationMs, gapMs);
  }

  setMuted(muted: boolean): Promise<void> {
    return this.inner.setMuted(muted);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  onDtmf(listener: (digit: string) => void): () => void {
    return this.inner.onDtmf(listener);
  }

  /** Never fires: the call manager listens to the inner port's inactivity instead. */
  onInactive(): () => void {
    return () => undefined;
  }
}
