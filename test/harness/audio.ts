/**
 * Audio checks for call tests: level and rough frequency of a WAV with `sox` (optionally
 * band-limited with its `sinc` filter), a pure-TS Goertzel measurement as a second opinion, and
 * tone WAVs made with sox as test inputs.
 *
 * Levels are in dBFS of the RMS (a full-scale sine is −3 dBFS). A recording "holds" a tone when the
 * energy in a narrow band around it is close to the whole signal's energy and far above the energy
 * in a band where nothing was sent.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SOX_TIMEOUT_MS = 20_000;

/** What sox says about (a part of) a WAV, mixed down to one channel. */
export interface WavAnalysis {
  /** RMS level in dBFS (−Infinity for digital silence). */
  rmsDbfs: number;
  /** Largest absolute sample, 0…1. */
  peak: number;
  /** sox's zero-crossing based "Rough frequency" in Hz (only meaningful for one dominant tone). */
  roughFrequencyHz: number;
  /** Duration of the whole file in seconds. */
  durationS: number;
  sampleRate: number;
  channels: number;
}

export interface AnalyseOptions {
  /** Skip this many seconds at the start (ramp-up, jitter buffer fill); default 0. */
  from?: number;
  /** Analyse at most this many seconds after `from`; default: to the end. */
  seconds?: number;
  /** Band-limit to [lo, hi] Hz with sox `sinc` before measuring. */
  bandHz?: [number, number];
}

/**
 * Runs `sox <file> -n trim <from> [<seconds>] remix - [sinc lo-hi] stat` and parses its stderr.
 * Errors: the file is missing or not audio sox reads (sox's message is included); a band outside
 * 0 < lo < hi < sampleRate/2.
 */
export async function analyseWav(path: string, opts: AnalyseOptions = {}): Promise<WavAnalysis> {
  const info = await wavInfo(path);
  const from = opts.from ?? 0;
  if (!(from >= 0)) throw new Error(`analyseWav: from must be ≥ 0 seconds, got ${from}`);
  if (from >= info.durationS) throw new Error(`analyseWav: from ${from} s is at or beyond the end of ${path} (${info.durationS} s)`);
  const args = [path, '-n', 'trim', String(from)];
  if (opts.seconds !== undefined) args.push(String(opts.seconds));
  if (info.channels > 1) args.push('remix', '-');
  if (opts.bandHz) {
    const [lo, hi] = opts.bandHz;
    if (!(lo > 0 && hi > lo && hi < info.sampleRate / 2)) {
      throw new Error(`analyseWav: bandHz must be 0 < lo < hi < ${info.sampleRate / 2} (Nyquist of ${path}), got [${lo}, ${hi}]`);
    }
    // sox's default transition band is 5 % of Nyquist (1.2 kHz at 48 kHz), wider than a narrow
    // band itself: set it to half the band so the pass band really passes.
    args.push('sinc', '-t', String(Math.max(10, (hi - lo) / 2)), `${lo}-${hi}`);
  }
  args.push('stat');
  const { stderr } = await sox(args);
  const value = (label: string): number => {
    const match = new RegExp(`^${label}:\\s*(-?[0-9.]+)`, 'm').exec(stderr.replace(/ +/g, ' '));
    if (!match) throw new Error(`analyseWav: no "${label}" in sox output for ${path}:\n${stderr}`);
    return Number(match[1]);
  };
  const rms = value('RMS amplitude');
  return {
    rmsDbfs: rms > 0 ? 20 * Math.log10(rms) : -Infinity,
    peak: Math.max(value('Maximum amplitude'), -value('Minimum amplitude')),
    roughFrequencyHz: value('Rough frequency'),
    durationS: info.durationS,
    sampleRate: info.sampleRate,
    channels: info.channels,
  };
}

/** Sample rate, channels and duration from `sox --i`. */
export async function wavInfo(path: string): Promise<{ sampleRate: number; channels: number; durationS: number }> {
  const [rate, channels, duration] = await Promise.all(['-r', '-c', '-D'].map((flag) => sox(['--i', flag, path], 'sox').then((r) => Number(r.stdout.trim()))));
  if (!rate || !channels || duration === undefined || Number.isNaN(duration)) throw new Error(`wavInfo: sox cannot read ${path}`);
  return { sampleRate: rate, channels: channels, durationS: duration };
}

/**
 * How strongly `frequencyHz` is present, with a band around it and a band elsewhere: `marginDb` =
 * `inBandDb` − `outOfBandDb` is what a test asserts on for "the tone is there" (a real tone over
 * G.711 gives 50 dB or more; quantisation noise alone stays around −60 dBFS). For "this tone is
 * NOT there" use `belowTotalDb` = `totalDb` − `inBandDb` (≈ 0–2 when the tone dominates, 30+ when
 * it is absent): the filter's leakage from a strong tone elsewhere makes `marginDb` unreliable
 * there. `bandwidthHz` default 80 (±40 Hz). All levels in dBFS.
 */
export async function toneMargin(
  path: string,
  frequencyHz: number,
  opts: { from?: number; seconds?: number; bandwidthHz?: number; otherHz?: number } = {},
): Promise<{ inBandDb: number; outOfBandDb: number; totalDb: number; marginDb: number; belowTotalDb: number }> {
  const half = (opts.bandwidthHz ?? 80) / 2;
  const info = await wavInfo(path);
  // The comparison band: the caller's, else an octave and a half away from the tone, inside Nyquist.
  const other = opts.otherHz ?? (frequencyHz * 2.8 + half < info.sampleRate / 2 ? frequencyHz * 2.8 : frequencyHz / 2.8);
  const base = { ...(opts.from !== undefined ? { from: opts.from } : {}), ...(opts.seconds !== undefined ? { seconds: opts.seconds } : {}) };
  const [inBand, outOfBand, total] = await Promise.all([
    analyseWav(path, { ...base, bandHz: [frequencyHz - half, frequencyHz + half] }),
    analyseWav(path, { ...base, bandHz: [other - half, other + half] }),
    analyseWav(path, base),
  ]);
  return {
    inBandDb: inBand.rmsDbfs,
    outOfBandDb: outOfBand.rmsDbfs,
    totalDb: total.rmsDbfs,
    marginDb: inBand.rmsDbfs - outOfBand.rmsDbfs,
    belowTotalDb: total.rmsDbfs - inBand.rmsDbfs,
  };
}

/** Writes a sine WAV (16-bit PCM) with sox: `sox -n -r <rate> -c <ch> -b 16 <path> synth <s> sine <f> vol <amplitude>`. */
export async function makeToneWav(
  path: string,
  opts: { frequencyHz: number; seconds: number; sampleRate?: number; channels?: number; amplitude?: number },
): Promise<void> {
  const { frequencyHz, seconds } = opts;
  const sampleRate = opts.sampleRate ?? 8000;
  const channels = opts.channels ?? 1;
  const amplitude = opts.amplitude ?? 0.5;
  if (!(frequencyHz > 0 && frequencyHz < sampleRate / 2)) throw new Error(`makeToneWav: frequencyHz must be in (0, ${sampleRate / 2}), got ${frequencyHz}`);
  if (!(seconds > 0)) throw new Error(`makeToneWav: seconds must be > 0, got ${seconds}`);
  if (!(amplitude > 0 && amplitude <= 1)) throw new Error(`makeToneWav: amplitude must be in (0, 1], got ${amplitude}`);
  await sox(['-n', '-r', String(sampleRate), '-c', String(channels), '-b', '16', path, 'synth', String(seconds), 'sine', String(frequencyHz), 'vol', String(amplitude)]);
}

/** A 16-bit PCM WAV read into floats (−1…1), channels mixed down to one. */
export interface PcmMono {
  sampleRate: number;
  samples: Float32Array;
}

/** Parses a RIFF/WAVE file with 16-bit PCM (format 1 or WAVE_FORMAT_EXTENSIBLE) and mixes it to mono. */
export async function readWavMono(path: string): Promise<PcmMono> {
  const data = await readFile(path);
  if (data.toString('latin1', 0, 4) !== 'RIFF' || data.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`readWavMono: ${path} is not a RIFF/WAVE file`);
  let offset = 12;
  let channels = 0;
  let sampleRate = 0;
  let bits = 0;
  while (offset + 8 <= data.length) {
    const id = data.toString('latin1', offset, offset + 4);
    const size = data.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      const format = data.readUInt16LE(body);
      channels = data.readUInt16LE(body + 2);
      sampleRate = data.readUInt32LE(body + 4);
      bits = data.readUInt16LE(body + 14);
      if ((format !== 1 && format !== 0xfffe) || bits !== 16) throw new Error(`readWavMono: ${path} is not 16-bit PCM (format ${format}, ${bits} bits)`);
    } else if (id === 'data') {
      if (!channels) throw new Error(`readWavMono: ${path} has data before fmt`);
      // A WAV whose writer never closed it has size 0 (or 0xffffffff): take what is there.
      const end = size === 0 || size === 0xffffffff ? data.length : Math.min(data.length, body + size);
      const frames = Math.floor((end - body) / (2 * channels));
      const samples = new Float32Array(frames);
      for (let i = 0; i < frames; i++) {
        let sum = 0;
        for (let c = 0; c < channels; c++) sum += data.readInt16LE(body + (i * channels + c) * 2);
        samples[i] = sum / channels / 32768;
      }
      return { sampleRate, samples };
    }
    offset = body + size + (size & 1);
  }
  throw new Error(`readWavMono: ${path} has no data chunk`);
}

/**
 * Goertzel: the share of the signal's power at `frequencyHz` (0…1) over `samples[from…]`, the
 * second opinion beside sox. A clean tone gives ≈ 1 (≥ 0.5 after G.711 and jitter), another tone
 * or noise ≈ 0. Blocks of 20 ms, averaged, so small frequency offsets do not matter.
 */
export function toneShare(pcm: PcmMono, frequencyHz: number, fromSeconds = 0): number {
  const block = Math.round(pcm.sampleRate * 0.02);
  const start = Math.round(fromSeconds * pcm.sampleRate);
  const coeff = 2 * Math.cos((2 * Math.PI * frequencyHz) / pcm.sampleRate);
  let tonePower = 0;
  let totalPower = 0;
  for (let offset = start; offset + block <= pcm.samples.length; offset += block) {
    let s1 = 0;
    let s2 = 0;
    let energy = 0;
    for (let i = 0; i < block; i++) {
      const x = pcm.samples[offset + i] as number;
      energy += x * x;
      const s0 = x + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    // |X(f)|² ; a sine of amplitude A over N samples gives (A·N/2)², its energy is A²·N/2.
    const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    tonePower += (2 * power) / block;
    totalPower += energy;
  }
  return totalPower > 0 ? Math.min(1, tonePower / totalPower) : 0;
}

async function sox(args: string[], bin = 'sox'): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(bin, args, { timeout: SOX_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 });
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: string | number };
    if (code === 'ENOENT') throw new Error('sox is not installed (apt-get install sox)');
    throw new Error(`${bin} ${args.join(' ')} failed: ${(stderr ?? String(error)).trim()}`);
  }
}
