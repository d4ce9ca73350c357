/**
 * `npm run call -- --config lines.json --line carrier-a --to 1002 [--tone 1000 | --play in.wav]
 * [--record out.wav] [--dtmf 159#] [--duration 10] [--json]`, or `--answer` to take one call:
 * the headless test call (issue 7). Registers the one line as the monitor does, places (or
 * answers) one call with a tone or a WAV as its audio, records what comes back, sends DTMF once
 * connected, hangs up after --duration, unregisters and exits 0 (answered, ended normally),
 * 1 (failed: SIP code and reason on stderr) or 2 (bad arguments or config, naming the field).
 * SIGINT/SIGTERM hang up (bounded), unregister and exit.
 */
import type { CallEvent, CallSnapshot } from '../../common/call-status';
import { formatErrors } from '../../common/schema';
import { readWavFile } from '../media/wav-reader';
import { loadMonitorConfig } from '../monitoring/monitor-config';
import { CallManager } from '../sip/calls/call-manager';
import { DEFAULT_UNREGISTER_BOUND_MS, SipEngine } from '../sip/engine';
import type { CallArgs } from './call-cli-args';
import { CALL_USAGE, callEventJson, callSucceeded, callSummary, parseCallArgs } from './call-cli-args';
import { onQuitSignals } from './quit-signals';

/** How long hanging up may wait for the far end before we unregister and leave anyway. */
const HANGUP_BOUND_MS = 3_000;

function usageError(message: string): never {
  process.stderr.write(`${message}\n\n${CALL_USAGE}\n`);
  process.exit(2);
}

function configError(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function parse(): CallArgs {
  const parsed = parseCallArgs(process.argv.slice(2));
  if (!parsed.ok) usageError(parsed.error);
  if ('help' in parsed) {
    process.stdout.write(`${CALL_USAGE}\n`);
    process.exit(0);
  }
  const { args } = parsed;
  if (args.source?.kind === 'wav') {
    // Read it whole now, as the media host will: a file that is not a usable WAV is a bad
    // argument (exit 2), found before anything is registered — not a failed call later.
    try {
      readWavFile(args.source.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      usageError(`--play: ${code ? `cannot read ${args.source.path}: ${code}` : (error as Error).message}`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  const args = parse();
  const loaded = loadMonitorConfig(args.config);
  if (!loaded.ok) configError(`config file ${args.config} is invalid:\n${formatErrors(loaded.errors)}`);
  const line = loaded.value.lines.find((l) => l.id === args.line);
  if (!line) configError(`--line: no line "${args.line}" in ${args.config} (lines: ${loaded.value.lines.map((l) => l.id).join(', ') || 'none'})`);
  if (!line.calls.enabled) configError(`--line: line "${line.id}" has calls.enabled false (a registration-only line)`);

  const engine = new SipEngine({ userAgent: 'Trunkline-call' });
  const calls = new CallManager(engine);
  // The media host (a child process) starts while the line registers.
  calls.prepareMedia().catch((error: unknown) => void exit(1, `the media host did not start: ${(error as Error).message}`));
  const events: CallEvent[] = [];
  const print = (text: string): void => void process.stdout.write(`${text}\n`);
  calls.on('event', (e) => {
    events.push(e);
    const label = calls.call(e.call)?.serverLabel ?? null;
    if (args.json) print(callEventJson(e, label));
    else print(`${new Date(e.time).toISOString()} ${e.event}${e.code ? ` ${e.code}` : ''}${e.reason ? ` ${e.reason}` : ''}${e.digit ? ` digit ${e.digit}` : ''}${e.event === 'failover' ? ` server ${e.from} → ${e.to}` : ''}`);
    const snapshot = e.event === 'ended' ? calls.call(e.call) : null;
    if (snapshot) done(snapshot);
  });
  // The engine's timers never hold the process open; the test call runs until its call ended.
  const keepAlive = setInterval(() => undefined, 60_000);

  let finished: CallSnapshot | null = null;
  let exiting: Promise<never> | null = null;
  // One way out, taken once: a second reason to leave (the call ending while the media host fails)
  // must wait for the same hang-up and unregister, never exit before the Expires:0 is answered.
  const exit = (code: number, message?: string): Promise<never> => {
    if (message) process.stderr.write(`${message}\n`);
    exiting ??= (async () => {
      await calls.shutdown(HANGUP_BOUND_MS).catch(() => undefined);
      await engine.shutdown(DEFAULT_UNREGISTER_BOUND_MS).catch(() => undefined);
      clearInterval(keepAlive);
      process.exit(code);
    })();
    return exiting;
  };
  const done = (call: CallSnapshot): void => {
    if (exiting) return;
    finished = call;
    if (!args.json) print(callSummary(call, events));
    if (callSucceeded(call)) void exit(0);
    else void exit(1, `call failed: ${call.code ?? 0} ${call.reason ?? 'no response'}`);
  };
  const connectedOnce = new Set<string>();
  calls.on('call', (s) => {
    if (s.state === 'connected' && !connectedOnce.has(s.id)) {
      connectedOnce.add(s.id);
      if (args.dtmf) {
        try {
          calls.sendDtmf(s.id, args.dtmf);
        } catch (error) {
          process.stderr.write(`--dtmf: ${(error as Error).message}\n`);
        }
      }
      setTimeout(() => void calls.hangup(s.id).catch(() => undefined), args.durationS * 1000).unref();
    }
  });

  let current: string | null = null;
  onQuitSignals({
    stop: (signal) => {
      process.stderr.write(`${signal}: hanging up and unregistering\n`);
      const id = current;
      if (id && !finished) {
        const bound = setTimeout(() => void exit(1, `${signal}: the call did not end within ${HANGUP_BOUND_MS} ms`), HANGUP_BOUND_MS);
        void calls.hangup(id).then((s) => {
          clearTimeout(bound);
          done(s);
        }, () => void exit(1));
      } else void exit(1, `${signal}: no call was connected`);
    },
    again: () => process.exit(1),
  });

  const audio = { ...(args.source ? { source: args.source } : {}), ...(args.record ? { recordPath: args.record } : {}) };
  engine.addLine(line);
  if (args.to !== null) {
    try {
      current = (await calls.dial(line.id, args.to, audio)).id;
    } catch (error) {
      // The target's errors read "to: …" (common/dial-target.ts): name the option as typed. The
      // line is already registering: leave through `exit`, which unregisters it.
      const message = (error as Error).message;
      process.stderr.write(`${message.startsWith('to: ') ? `--${message}` : message}\n\n${CALL_USAGE}\n`);
      await exit(2);
    }
    return;
  }
  try {
    await engine.whenRegistered(line.id, 30_000);
  } catch (error) {
    await exit(1, `line ${line.id} did not register: ${(error as Error).message}`);
  }
  if (!args.json) print(`registered; waiting up to ${args.waitS} s for a call on line ${line.id}`);
  const waiting = setTimeout(() => void exit(1, `no incoming call within ${args.waitS} s`), args.waitS * 1000);
  calls.on('incoming', (s) => {
    if (current !== null) return; // one call: a second one keeps ringing until it gives up
    clearTimeout(waiting);
    current = s.id;
    calls.answer(s.id, audio).catch((error: unknown) => void exit(1, `cannot answer: ${(error as Error).message}`));
  });
}

void main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
