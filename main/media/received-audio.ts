/**
 * What becomes of received audio: its level over the call (RMS, dBFS) and, while recording, a WAV
 * file kept on the sender's timeline: a lost packet becomes silence of its length (gaps up to one
 * second; longer ones are a pause, not loss), a late packet is dropped.
 */
import { SAMPLE_RATE } from './audio-source';
import { WavRecorder } from './wav-recorder';

export class ReceivedAudio {
  private sumSquares = 0;
  private samples = 0;
  private recorder: WavRecorder | null = null;
  private nextTimestamp: number | null = null;
  private closed = false;

  constructor(private readonly onError: (error: Error) => void) {}

  /** RMS of everything received, dBFS; digital silence reads −120 (finite, JSON-safe); null before audio. */
  get rmsDbfs(): number | null {
    if (this.samples === 0) return null;
    return Math.max(-120, 20 * Math.log10(Math.sqrt(this.sumSquares / this.samples) / 32768));
  }

  /** Decoded samples of the packet with RTP timestamp `timestamp`. */
  add(timestamp: number, samples: Int16Array): void {
    for (const s of samples) this.sumSquares += s * s;
    this.samples += samples.length;
    if (!this.recorder) return;
    if (this.nextTimestamp !== null) {
      const gap = (timestamp - this.nextTimestamp) | 0;
      if (gap < 0) return;
      if (gap > 0 && gap <= SAMPLE_RATE) this.recorder.write(new Int16Array(gap));
    }
    this.recorder.write(samples);
    this.nextTimestamp = (timestamp + samples.length) >>> 0;
  }

  /** A new source (SSRC): its timestamps have nothing to do with the previous one's. */
  sourceChanged(): void {
    this.nextTimestamp = null;
  }

  /** Starts (or replaces) the recording; null stops and finalises it. */
  async record(path: string | null): Promise<void> {
    const previous = this.recorder;
    this.recorder = null;
    this.nextTimestamp = null;
    if (previous) await previous.close();
    if (path === null) return;
    const recorder = await WavRecorder.create(path, this.onError);
    // Closed (or another record request won) while the file was being created.
    if (this.closed || this.recorder) await recorder.close();
    else this.recorder = recorder;
  }

  /** Finalises any recording; later `record` calls close their file at once. */
  async close(): Promise<void> {
    this.closed = true;
    await this.record(null);
  }
}
