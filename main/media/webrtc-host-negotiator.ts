/**
 * A call's {@link WebrtcNegotiator} served by the media host: the `webrtc-*` commands on the call's
 * session (media-protocol.ts), whose leg the host creates on first use (webrtc-leg.ts).
 */
import type { WebrtcNegotiation, WebrtcNegotiator } from '../sip/calls/webrtc-media-peer';
import type { MediaHostClient } from './media-host-client';

export class WebrtcHostNegotiator implements WebrtcNegotiator {
  constructor(private readonly host: MediaHostClient, private readonly session: string) {}

  offer(iceAddress: string, portRange?: { min: number; max: number }): Promise<WebrtcNegotiation> {
    return this.host.webrtcOffer(this.session, iceAddress, portRange);
  }

  answer(iceAddress: string, sdpOffer: string, portRange?: { min: number; max: number }): Promise<WebrtcNegotiation> {
    return this.host.webrtcAnswer(this.session, iceAddress, sdpOffer, portRange);
  }

  accept(sdpAnswer: string): Promise<WebrtcNegotiation> {
    return this.host.webrtcAccept(this.session, sdpAnswer);
  }

  /** ICE + DTLS state changes of this call's leg; `elapsedMs` since the leg was created. @returns unsubscribe */
  onState(listener: (state: string, elapsedMs: number) => void): () => void {
    return this.host.on('webrtc-state', (e) => {
      if (e.session === this.session) listener(e.state, e.elapsedMs);
    });
  }
}
