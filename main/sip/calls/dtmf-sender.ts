/**
 * The RTCDTMFSender surface JsSIP 3.13.8 uses for `sendDTMF(tones, {transportType: 'RFC2833'})`
 * (`RTCSession.js:753–761`): it reads `toneBuffer`, then calls
 * `insertDTMF(toneBuffer + tones, duration, interToneGap)`. The tones go to the media host, which
 * queues and paces them as RFC 4733 events; so `toneBuffer` stays empty here, and JsSIP's
 * "buffer + new tones" becomes "append new tones" — what a person pressing keys expects.
 */

/** W3C webrtc-pc §7.2: tones are 0–9, A–D, *, #, and "," (a 2 s pause); JsSIP adds R (flash). */
const TONES = /^[0-9A-D#*,R]*$/;
/** W3C insertDTMF clamps: duration 40–6000 ms, gap ≥ 30 ms. */
const MIN_DURATION_MS = 40;
const MAX_DURATION_MS = 6000;
const MIN_GAP_MS = 30;

/** Where the tones go: the peer, which knows whether the negotiated stream can carry them. */
export interface DtmfTarget {
  /** True once a stream with telephone-event is configured and we may send on it. */
  canSendDtmf(): boolean;
  sendDtmf(tones: string, durationMs: number, gapMs: number): void;
}

export class DtmfSender {
  /** W3C event handler slot; JsSIP never sets it. */
  ontonechange: ((event: { tone: string }) => void) | null = null;

  constructor(private readonly target: DtmfTarget) {}

  /** Tones not yet handed over: always "" (the media host owns the queue). */
  get toneBuffer(): string {
    return '';
  }

  get canInsertDTMF(): boolean {
    return this.target.canSendDtmf();
  }

  /**
   * @param tones characters from [0-9A-D*#,R] (case-insensitive).
   * @param duration ms per tone, clamped to 40–6000 (default 100).
   * @param interToneGap ms between tones, at least 30 (default 70).
   * @throws Error "InvalidStateError" when no negotiated stream can carry RFC 4733 events (no
   *   telephone-event from the far end, or we may not send); "InvalidCharacterError" for other tones.
   */
  insertDTMF(tones: string, duration = 100, interToneGap = 70): void {
    if (!this.target.canSendDtmf()) {
      throw Object.assign(new Error('InvalidStateError: no negotiated telephone-event stream we may send on (RFC 4733); use SIP INFO'), { name: 'InvalidStateError' });
    }
    const upper = String(tones).toUpperCase();
    if (!TONES.test(upper)) {
      throw Object.assign(new Error(`InvalidCharacterError: tones must be 0-9, A-D, *, #, "," or R (got "${tones}")`), { name: 'InvalidCharacterError' });
    }
    if (upper === '') return;
    const durationMs = Math.min(MAX_DURATION_MS, Math.max(MIN_DURATION_MS, Math.round(duration)));
    const gapMs = Math.max(MIN_GAP_MS, Math.round(interToneGap));
    this.target.sendDtmf(upper, durationMs, gapMs);
  }
}
