/**
 * WAV in and out: files written by sox are read (formats, channels, rates), resampled to 8 kHz
 * without changing the tone, and our recorder's files are read back by sox with the right header.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BufferSource, ToneSource, createAudioSource, resampleTo8k } from '../../../main/media/audio-source';
import { parseWav, readWavFile } from '../../../main/media/wav-reader';
import { WavRecorder } from '../../../main/media/wav-recorder';
import { soxStat, tempDir } from './media-test-kit';

const dir = tempDir();
afterAll(() => dir.remove());

function sox(args: string[]): void {
  const run = spawnSync('sox', args, { timeout: 10_000, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
}

/** Goertzel power ratio of `freq` against the total energy. */
function toneShare(samples: Int16Array, freq: number): number {
  const k = 2 * Math.cos((2 * Math.PI * freq) / 8000);
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  for (const x of samples) {
    const s0 = x + k * s1 - s2;
    s2 = s1;
    s1 = s0;
    energy += x * x;
  }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2;
  return power / (energy * samples.length / 2);
}

describe('wav reader', () => {
  it.each([
    ['16-bit 48 kHz stereo', ['-r', '48000', '-c', '2', '-b', '16']],
    ['8-bit 11.025 kHz mono', ['-r', '11025', '-c', '1', '-b', '8']],
    ['24-bit 16 kHz mono', ['-r', '16000', '-c', '1', '-b', '24']],
    ['float 32-bit 44.1 kHz stereo', ['-r', '44100', '-c', '2', '-e', 'floating-point', '-b', '32']],
    ['16-bit 8 kHz mono', ['-r', '8000', '-c', '1', '-b', '16']],
  ])('%s: read, mixed to mono and resampled, the 600 Hz tone survives', (_name, format) => {
    const path = join(dir.path, `${format.join('')}.wav`);
    sox(['-n', ...format, path, 'synth', '1', 'sine', '600', 'vol', '0.5']);
    const source = createAudioSource({ kind: 'wav', path, loop: false });
    const frame = new Int16Array(8000);
    source.read(frame);
    const body = frame.subarray(400, 7600);
    expect(toneShare(body, 600)).toBeGreaterThan(0.9);
    const rms = Math.sqrt(body.reduce((a, x) => a + x * x, 0) / body.length) / 32768;
    expect(rms).toBeGreaterThan(0.3);
    expect(rms).toBeLessThan(0.4);
  });

  it('a 3.8 kHz tone at 48 kHz is filtered out rather than aliased', () => {
    const wav = readWavFile((() => {
      const p = join(dir.path, 'high.wav');
      sox(['-n', '-r', '48000', '-c', '1', '-b', '16', p, 'synth', '0.5', 'sine', '3800']);
      return p;
    })());
    const out = resampleTo8k(wav.samples, wav.sampleRate);
    const rms = Math.sqrt(out.subarray(200, 3800).reduce((a, x) => a + x * x, 0) / 3600) / 32768;
    expect(rms).toBeLessThan(0.25); // the full-scale input would read 0.707
  });

  it('refuses what it cannot read, naming why', () => {
    expect(() => parseWav(Buffer.from('not a wav at all'), 'x.wav')).toThrow(/x\.wav: not a RIFF\/WAVE file/);
  });

  it('played once then silence, or looped', () => {
    const once = new BufferSource(Int16Array.from([1, 2, 3]), false);
    const looped = new BufferSource(Int16Array.from([1, 2, 3]), true);
    const a = new Int16Array(5);
    const b = new Int16Array(5);
    once.read(a);
    looped.read(b);
    expect([...a]).toEqual([1, 2, 3, 0, 0]);
    expect([...b]).toEqual([1, 2, 3, 1, 2]);
  });
});

describe('WavRecorder', () => {
  it('writes 8 kHz mono 16-bit with a finalised header that sox reads', async () => {
    const path = join(dir.path, 'rec.wav');
    const errors: Error[] = [];
    const recorder = await WavRecorder.create(path, (e) => errors.push(e));
    const tone = new ToneSource(1000, -6);
    for (let i = 0; i < 100; i++) {
      const frame = new Int16Array(160);
      tone.read(frame);
      recorder.write(frame);
    }
    await recorder.close();
    await recorder.close();
    expect(errors).toEqual([]);
    const raw = readFileSync(path);
    expect(raw.readUInt32LE(40)).toBe(16000 * 2);
    expect(raw.readUInt32LE(4)).toBe(36 + 32000);
    const wav = parseWav(raw);
    expect(wav).toMatchObject({ sampleRate: 8000, channels: 1 });
    const stat = soxStat(path, 0);
    expect(stat.lengthSeconds).toBe(2);
    expect(Math.abs(stat.roughFrequency - 1000)).toBeLessThan(30);
  });
});
