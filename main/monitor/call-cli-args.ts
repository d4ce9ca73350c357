/**
 * The test call's command line and output, as pure functions (main/monitor/call-cli.ts runs them):
 * argument parsing with errors that name the option, the `--json` line of a call event, and the
 * human summary of a finished call.
 */
import type { CallEvent, CallSnapshot } from '../../common/call-status';
import type { AudioSourceSpec } from '../media/media-protocol';

export const CALL_USAGE = `usage: npm run call -- --config <lines.json> --line <id> --to <number|uri> [options]
       npm run call -- --config <lines.json> --line <id> --answer [options]

  --config <file>     the monitor's config file ({ "lines": [ … ] }, README "Monitor config")
  --line <id>         the line to call through (registered first, as the monitor does)
  --to <target>       dial a number (becomes sip:number@domain) or a sip:, sips: or tel: URI
  --answer            wait for one incoming call on the line and answer it (see --wait)
  --tone <hz>         send a sine of this frequency (50–3900 Hz, −12 dBFS) as our audio
  --play <file.wav>   send a WAV file (any rate, mono or stereo; looped) as our audio
  --record <file.wav> record what we receive as 8 kHz mono 16-bit WAV
  --dtmf <digits>     send these DTMF digits (0-9 * # A-D) once connected
  --duration <s>      hang up this many seconds after the answer (default 10)
  --wait <s>          --answer: how long to wait for a call (default 120)
  --json              one JSON object per call event on stdout instead of the summary

exit: 0 answered and ended normally, 1 the call failed (SIP code and reason printed), 2 bad arguments or config`;

export interface CallArgs {
  config: string;
  line: string;
  /** Dial target, or null with `answer`. */
  to: string | null;
  answer: boolean;
  source: AudioSourceSpec | null;
  record: string | null;
  dtmf: string | null;
  durationS: number;
  waitS: number;
  json: boolean;
}

export type ParsedCallArgs = { ok: true; args: CallArgs } | { ok: false; error: string } | { ok: true; help: true };

const TONE_DBFS = -12;

/** Parses `argv` (after `--`). Errors name the option and what is allowed. */
export function parseCallArgs(argv: readonly string[]): ParsedCallArgs {
  const args: CallArgs = { config: '', line: '', to: null, answer: false, source: null, record: null, dtmf: null, durationS: 10, waitS: 120, json: false };
  const fail = (error: string): ParsedCallArgs => ({ ok: false, error });
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string | null => {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) return null;
      i++;
      return v;
    };
    if (seen.has(arg) && arg.startsWith('--')) return fail(`${arg}: given twice`);
    seen.add(arg);
    switch (arg) {
      case '--help':
      case '-h':
        return { ok: true, help: true };
      case '--json':
        args.json = true;
        break;
      case '--answer':
        args.answer = true;
        break;
      case '--config':
      case '--line':
      case '--to':
      case '--record':
      case '--play':
      case '--dtmf': {
        const v = value();
        if (v === null || v === '') return fail(`${arg}: needs a value`);
        if (arg === '--config') args.config = v;
        else if (arg === '--line') args.line = v;
        else if (arg === '--to') args.to = v;
        else if (arg === '--record') args.record = v;
        else if (arg === '--play') args.source = { kind: 'wav', path: v, loop: true };
        else {
          if (!/^[0-9A-Da-d*#]{1,64}$/.test(v)) return fail(`--dtmf: must be 1 to 64 of 0-9, *, #, A-D (got "${v}")`);
          args.dtmf = v.toUpperCase();
        }
        break;
      }
      case '--tone': {
        const v = value();
        const hz = Number(v);
        if (v === null || !Number.isFinite(hz) || hz < 50 || hz > 3900) return fail(`--tone: must be a frequency from 50 to 3900 Hz (got "${v ?? ''}")`);
        args.source = { kind: 'tone', frequencyHz: hz, dBFS: TONE_DBFS };
        break;
      }
      case '--duration':
      case '--wait': {
        const v = value();
        const s = Number(v);
        if (v === null || !Number.isFinite(s) || s < 0.5 || s > 86_400) return fail(`${arg}: must be a number of seconds from 0.5 to 86400 (got "${v ?? ''}")`);
        if (arg === '--duration') args.durationS = s;
        else args.waitS = s;
        break;
      }
      default:
        return fail(`unknown argument "${arg}"`);
    }
  }
  if (!args.config) return fail('--config: is required (the monitor\'s lines file)');
  if (!args.line) return fail('--line: is required (the id of a line in the config file)');
  if (args.to !== null && args.answer) return fail('--to and --answer: give one of them, not both');
  if (args.to === null && !args.answer) return fail('--to or --answer: one of them is required');
  if (seen.has('--tone') && seen.has('--play')) return fail('--tone and --play: give one of them, not both');
  if (seen.has('--wait') && !args.answer) return fail('--wait: only with --answer');
  return { ok: true, args };
}

/** The `--json` line of one event: the event's fields, and `rtp` on `ended` (issue 7's names). */
export function callEventJson(event: CallEvent, serverLabel: string | null): string {
  const { stats, ...rest } = event;
  const line: Record<string, unknown> = { ...rest, serverLabel };
  if (event.event === 'ended') {
    line.rtp = stats
      ? { sent: stats.packetsSent, received: stats.packetsReceived, lost: stats.packetsLost, jitterMs: round(stats.jitterMs, 2), rms: stats.rmsDbfs === null ? null : round(stats.rmsDbfs, 1), rttMs: stats.rttMs, mos: stats.mos === null ? null : round(stats.mos, 2) }
      : null;
  }
  return JSON.stringify(line);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** True when the test call counts as a success: answered (200) and ended without an error. */
export function callSucceeded(call: CallSnapshot): boolean {
  return call.answeredAt !== null && call.code === 200;
}

/**
 * The human summary of a finished call: result, post-dial delay (first INVITE → first 180/183),
 * answer time, server, failovers, RTP figures, MOS estimate, received level and DTMF.
 */
export function callSummary(call: CallSnapshot, events: readonly CallEvent[]): string {
  const mine = events.filter((e) => e.call === call.id);
  const at = (kind: CallEvent['event']) => mine.find((e) => e.event === kind)?.time ?? null;
  const trying = at('trying');
  const progress = [at('ringing'), at('early-media')].filter((t): t is number => t !== null).sort((a, b) => a - b)[0] ?? null;
  const ms = (v: number | null) => (v === null ? '—' : `${Math.round(v)} ms`);
  const s = call.stats;
  const digits = mine.filter((e) => e.event === 'dtmf').map((e) => e.digit).join('');
  const failovers = mine.filter((e) => e.event === 'failover').map((e) => `${e.from} → ${e.to} (${e.reason})`);
  const lines = [
    `${call.direction === 'outgoing' ? 'Call to' : 'Call from'} ${call.remote.uri} on line ${call.line}: ${callSucceeded(call) ? 'answered' : 'FAILED'}`,
    `  result:           ${call.code ?? '—'} ${call.reason ?? ''}${call.endedBy ? ` (ended by ${call.endedBy})` : ''}`,
    `  server:           ${call.serverLabel ?? '—'}${call.server !== null ? ` (server ${call.server})` : ''}`,
    `  failovers:        ${call.failovers}${failovers.length ? `: ${failovers.join('; ')}` : ''}`,
    `  post-dial delay:  ${trying !== null && progress !== null ? ms(progress - trying) : '—'} (INVITE → first 180/183)`,
    `  answer:           ${call.setupMs !== null ? `${ms(call.setupMs)} after the first INVITE` : call.answeredAt !== null ? `at ${new Date(call.answeredAt).toISOString()}` : 'not answered'}`,
    `  duration:         ${call.answeredAt !== null && call.endedAt !== null ? `${((call.endedAt - call.answeredAt) / 1000).toFixed(1)} s` : '—'}`,
    `  RTP:              ${s ? `sent ${s.packetsSent}, received ${s.packetsReceived}, lost ${s.packetsLost}, jitter ${s.jitterMs.toFixed(1)} ms, round trip ${s.rttMs === null ? '—' : `${Math.round(s.rttMs)} ms`}` : '—'}`,
    `  MOS (estimate):   ${s?.mos != null ? s.mos.toFixed(2) : '—'}`,
    `  received level:   ${s?.rmsDbfs != null ? `${s.rmsDbfs.toFixed(1)} dBFS` : '—'}`,
    `  DTMF received:    ${digits || '—'}`,
  ];
  return lines.join('\n');
}
