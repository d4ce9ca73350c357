/**
 * The MediaStream/MediaStreamTrack surface JsSIP 3.13.8 touches when it is handed a
 * `mediaStream` (calls-design §1.2): `getTracks` (connect/answer → addTrack), `getAudioTracks`,
 * `getVideoTracks`, `removeTrack` (answer with `mediaConstraints.video === false`), and the audio
 * track's `kind` and `enabled` (mute/hold: `RTCSession.js:2497`). Passing one always keeps JsSIP
 * away from `navigator.mediaDevices`, which Node does not have. The audio itself never passes
 * here: it lives in the media host.
 */

/** An audio track whose `enabled` JsSIP flips for mute and hold; the owner hears every change. */
export class AudioTrackStub {
  readonly kind = 'audio' as const;
  readonly id: string;
  readonly label = 'trunkline-audio';
  readyState: 'live' | 'ended' = 'live';
  private isEnabled = true;
  private readonly listeners = new Set<(enabled: boolean) => void>();

  constructor(id = 'trunkline-audio-0') {
    this.id = id;
  }

  get enabled(): boolean {
    return this.isEnabled;
  }

  set enabled(value: boolean) {
    const next = Boolean(value);
    if (next === this.isEnabled) return;
    this.isEnabled = next;
    for (const listener of this.listeners) listener(next);
  }

  /** Calls `listener` with the new value whenever `enabled` changes; returns the unsubscribe. */
  onEnabledChange(listener: (enabled: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.readyState = 'ended';
  }
}

/** A stream of zero or one audio track; never any video. */
export class MediaStreamStub {
  readonly id: string;
  private tracks: AudioTrackStub[];

  constructor(tracks: AudioTrackStub[] = [new AudioTrackStub()], id = 'trunkline-stream') {
    this.tracks = [...tracks];
    this.id = id;
  }

  getTracks(): AudioTrackStub[] {
    return [...this.tracks];
  }

  getAudioTracks(): AudioTrackStub[] {
    return [...this.tracks];
  }

  getVideoTracks(): never[] {
    return [];
  }

  addTrack(track: AudioTrackStub): void {
    if (!this.tracks.includes(track)) this.tracks.push(track);
  }

  removeTrack(track: AudioTrackStub): void {
    this.tracks = this.tracks.filter((t) => t !== track);
  }
}
