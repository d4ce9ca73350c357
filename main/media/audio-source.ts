/**
 * What a session sends: 8 kHz 16-bit mono frames pulled once per packet time. A tone is a
 * phase-continuous sine; a WAV file is read whole, mixed to mono and resampled to 8 kHz at load;
 * silence is zeros.
 *
 * Resampling: a windowed-sinc (Hann) low-pass interpolator evaluated at each output instant,
 * cut-off 3.6 kHz (or 0.45 × the source rate when that is lower), ±8 zero crossings. Good enough
 * for a test tool; not a studio resampler.
 */
import type { AudioSourceSpec } from './media-protocol';
import { readWavFile } from './wav-reader';

export const SAMPLE_RATE = 8000;

export interface AudioSource {
  /** Fills `frame` with the next samples. */
  read(frame: Int16Array): void;
}

export class SilenceSource implements AudioSource {
  read(frame: Int16Array): void {
    frame.fill(0);
  }
}

export class ToneSource implements AudioSource {
  private phase = 0;
  private readonly step: number;
  private readonly amplitude: number;

  /** @param dBFS peak level of the sine relative to full scale (0 = ±32767). */
  constructor(frequencyHz: number, dBFS: number) {
    this.step = (2 * Math.PI * frequencyHz) / SAMPLE_RATE;
    this.amplitude = 32767 * 10 ** (dBFS / 20);
  }

  read(frame: Int16Array): void {
    for (let i = 0; i < frame.length; i++) {
      frame[i] = Math.round(this.amplitude * Math.sin(this.phase));
      this.phase += this.step;
    }
    this.phase %= 2 * Math.PI;
  }
}

/** Plays 8 kHz samples once then silence, or in a loop. */
export class BufferSource implements AudioSource {
  private position = 0;

  constructor(private readonly samples: Int16Array, private readonly loop: boolean) {}

  read(frame: Int16Array): void {
    for (let i = 0; i < frame.length; i++) {
      if (this.position >= this.samples.length) {
        if (!this.loop || this.samples.length === 0) {
          frame.fill(0, i);
          return;
        }
        this.position = 0;
      }
      frame[i] = this.samples[this.position++]!;
    }
  }
}

/** Resamples mono float samples in [-1, 1] to 8 kHz 16-bit. */
export function resampleTo8k(samples: Float32Array, sampleRate: number): Int16Array {
  const ratio = sampleRate / SAMPLE_RATE;
  const outLength = Math.floor(samples.length / ratio);
  const out = new Int16Array(outLength);
  const cutoff = Math.min(3600, 0.45 * sampleRate) / sampleRate; // cycles per source sample
  const halfWidth = Math.ceil(8 / (2 * cutoff)); // eight zero crossings each side
  for (let i = 0; i < outLength; i++) {
    const centre = i * ratio;
    const first = Math.max(0, Math.ceil(centre - halfWidth));
    const last = Math.min(samples.length - 1, Math.floor(centre + halfWidth));
    let acc = 0;
    for (let k = first; k <= last; k++) {
      const t = k - centre;
      const x = 2 * cutoff * t;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const window = 0.5 + 0.5 * Math.cos((Math.PI * t) / halfWidth);
      acc += samples[k]! * 2 * cutoff * sinc * window;
    }
    out[i] = Math.max(-32768, Math.min(32767, Math.round(acc * 32767)));
  }
  return out;
}

/** @throws Error when a WAV file cannot be read (naming the file). */
export function createAudioSource(spec: AudioSourceSpec): AudioSource {
  switch (spec.kind) {
    case 'silence':
      return new SilenceSource();
    case 'tone':
      return new ToneSource(spec.frequencyHz, spec.dBFS);
    case 'wav': {
      const wav = readWavFile(spec.path);
      const samples = wav.sampleRate === SAMPLE_RATE
        ? Int16Array.from(wav.samples, (s) => Math.max(-32768, Math.min(32767, Math.round(s * 32767))))
        : resampleTo8k(wav.samples, wav.sampleRate);
      // Looping by default: a test call lasts as long as its --duration, not as long as the file.
      return new BufferSource(samples, spec.loop ?? true);
    }
  }
}
