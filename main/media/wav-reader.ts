/**
 * Reads a RIFF/WAVE file into mono float samples: PCM 8 (unsigned), 16, 24 or 32-bit, IEEE float
 * 32/64-bit, WAVE_FORMAT_EXTENSIBLE with either; any channel count (averaged to mono) and any
 * sample rate (returned as is; resampling is the audio source's job).
 */
import { readFileSync } from 'node:fs';

export interface WavAudio {
  sampleRate: number;
  channels: number;
  /** Mono samples in [-1, 1]. */
  samples: Float32Array;
}

const FORMAT_PCM = 1;
const FORMAT_FLOAT = 3;
const FORMAT_EXTENSIBLE = 0xfffe;

/** @throws Error naming the file and what is wrong with it. */
export function readWavFile(path: string): WavAudio {
  return parseWav(readFileSync(path), path);
}

export function parseWav(buf: Buffer, name = 'WAV'): WavAudio {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${name}: not a RIFF/WAVE file`);
  }
  let format: { tag: number; channels: number; sampleRate: number; bits: number; blockAlign: number } | null = null;
  let data: Buffer | null = null;
  for (let pos = 12; pos + 8 <= buf.length; ) {
    const id = buf.toString('ascii', pos, pos + 4);
    const size = buf.readUInt32LE(pos + 4);
    const body = buf.subarray(pos + 8, Math.min(buf.length, pos + 8 + size));
    if (id === 'fmt ' && body.length >= 16) {
      let tag = body.readUInt16LE(0);
      if (tag === FORMAT_EXTENSIBLE && body.length >= 26) tag = body.readUInt16LE(24);
      format = { tag, channels: body.readUInt16LE(2), sampleRate: body.readUInt32LE(4), blockAlign: body.readUInt16LE(12), bits: body.readUInt16LE(14) };
    } else if (id === 'data') {
      data = body;
    }
    pos += 8 + size + (size & 1); // chunks are word aligned
  }
  if (!format) throw new Error(`${name}: no fmt chunk`);
  if (!data) throw new Error(`${name}: no data chunk`);
  const { tag, channels, sampleRate, bits, blockAlign } = format;
  if (channels < 1 || sampleRate < 1000 || blockAlign < 1) throw new Error(`${name}: implausible format (${channels} channels, ${sampleRate} Hz)`);
  const read = sampleReader(tag, bits);
  if (!read) throw new Error(`${name}: unsupported sample format (tag ${tag}, ${bits} bits); allowed: PCM 8/16/24/32-bit, float 32/64-bit`);
  const bytes = bits / 8;
  const frames = Math.floor(data.length / blockAlign);
  const samples = new Float32Array(frames);
  for (let f = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(data, f * blockAlign + c * bytes);
    samples[f] = sum / channels;
  }
  return { sampleRate, channels, samples };
}

function sampleReader(tag: number, bits: number): ((b: Buffer, at: number) => number) | null {
  if (tag === FORMAT_PCM) {
    if (bits === 8) return (b, at) => (b[at]! - 128) / 128;
    if (bits === 16) return (b, at) => b.readInt16LE(at) / 32768;
    if (bits === 24) return (b, at) => b.readIntLE(at, 3) / 8388608;
    if (bits === 32) return (b, at) => b.readInt32LE(at) / 2147483648;
  }
  if (tag === FORMAT_FLOAT) {
    if (bits === 32) return (b, at) => b.readFloatLE(at);
    if (bits === 64) return (b, at) => b.readDoubleLE(at);
  }
  return null;
}
