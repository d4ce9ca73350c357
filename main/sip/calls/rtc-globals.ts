/**
 * Installs MediaPeer as the `RTCPeerConnection` JsSIP 3.13.8 constructs. JsSIP has no injection
 * option: it reads the bare globals `RTCPeerConnection` (RTCSession.js:1365; `window.` in
 * connect() and UA.receiveRequest, UA.js:527) and `RTCSessionDescription` (RTCSession.js:522, 1098,
 * 1699, 2040, 2067, 2182). One class therefore serves every line and call; each call's options
 * ride in `rtcConstraints.trunkline` (calls-design §1.1).
 */
import { MediaPeer } from './media-peer';
import type { SessionDescriptionInit } from './media-peer';

/** The RTCSessionDescription JsSIP builds from every remote body before handing it to the peer. */
export class SessionDescription implements SessionDescriptionInit {
  readonly type: SessionDescriptionInit['type'];
  readonly sdp: string;

  constructor(init: { type: SessionDescriptionInit['type']; sdp?: string }) {
    if (!init || !['offer', 'answer', 'pranswer', 'rollback'].includes(init.type)) {
      throw new TypeError(`RTCSessionDescription type must be offer, answer, pranswer or rollback (got "${String(init?.type)}")`);
    }
    this.type = init.type;
    this.sdp = init.sdp ?? '';
  }

  toJSON(): SessionDescriptionInit {
    return { type: this.type, sdp: this.sdp };
  }
}

/**
 * Sets `globalThis.RTCPeerConnection` and `globalThis.RTCSessionDescription` (and
 * `window = globalThis` if nobody has) once; later calls change nothing. Call it before the first
 * `ua.call()` or incoming INVITE. Refuses to replace a different RTCPeerConnection (a real WebRTC
 * implementation in the same process) rather than silently hijacking it.
 *
 * @throws Error when another RTCPeerConnection is already installed.
 */
export function installRtcGlobals(): void {
  const g = globalThis as { window?: unknown; RTCPeerConnection?: unknown; RTCSessionDescription?: unknown };
  g.window ??= globalThis;
  if (g.RTCPeerConnection === MediaPeer && g.RTCSessionDescription === SessionDescription) return;
  if (g.RTCPeerConnection !== undefined && g.RTCPeerConnection !== MediaPeer) {
    throw new Error('installRtcGlobals: a different RTCPeerConnection is already installed in this process');
  }
  g.RTCPeerConnection = MediaPeer;
  g.RTCSessionDescription = SessionDescription;
}
