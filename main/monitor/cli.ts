/**
 * `npm run monitor -- --config lines.json [--json]`: registers every line of the file and shows
 * them live. SIGINT/SIGTERM unregister everything (bounded) and exit 0.
 */
import { readFileSync } from 'node:fs';
import { parseLinesFile } from '../../common/line-config';
import type { LineSnapshot } from '../../common/line-status';
import { formatErrors } from '../../common/schema';
import { DEFAULT_UNREGISTER_BOUND_MS, SipEngine } from '../sip/engine';
import { onQuitSignals } from './quit-signals';
import { renderStatusTable } from './status-table';

const USAGE = `usage: npm run monitor -- --config <file.json> [--json] [--unregister-timeout <ms>]

  --config <file>            lines to register, { "lines": [ … ] } (see README "Monitor config")
  --json                     one JSON object per line event on stdout instead of the table
  --unregister-timeout <ms>  how long quitting may wait for Expires:0 answers (default ${DEFAULT_UNREGISTER_BOUND_MS})`;

interface Args {
  config: string;
  json: boolean;
  unregisterTimeoutMs: number;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> = { json: false, unregisterTimeoutMs: DEFAULT_UNREGISTER_BOUND_MS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') args.json = true;
    else if (arg === '--config') args.config = argv[++i];
    else if (arg === '--unregister-timeout') {
      const ms = Number(argv[++i]);
      if (!Number.isInteger(ms) || ms < 100 || ms > 60_000) fail('--unregister-timeout: must be an integer from 100 to 60000 ms');
      args.unregisterTimeoutMs = ms;
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown argument "${arg}"\n\n${USAGE}`);
  }
  if (!args.config) fail(`--config is required\n\n${USAGE}`);
  return args as Args;
}

function readConfig(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    fail(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    fail(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = parseLinesFile(json);
  if (!parsed.ok) fail(`config file ${path} is invalid:\n${formatErrors(parsed.errors)}`);
  return parsed.value;
}

/** The monitor's JSON event: the snapshot, flattened, with `time` and `line`. */
export function jsonEvent(snapshot: LineSnapshot, time: number): string {
  const { id, ...rest } = snapshot;
  return JSON.stringify({ time, line: id, ...rest });
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const lines = readConfig(args.config);
  const engine = new SipEngine({ userAgent: 'Trunkline-monitor' });

  // The engine's timers never hold a process open on their own; the monitor is meant to run
  // until told to stop, so it holds one handle for as long as it runs.
  const keepAlive = setInterval(() => undefined, 60_000);
  let redraw: NodeJS.Timeout | null = null;
  if (args.json) {
    engine.onLine((snapshot) => process.stdout.write(`${jsonEvent(snapshot, Date.now())}\n`));
  } else {
    const draw = (): void => {
      const table = renderStatusTable(engine.snapshots(), Date.now());
      process.stdout.write(process.stdout.isTTY ? `\x1b[H\x1b[2J${table}\n` : `${table}\n\n`);
    };
    // A terminal gets a live table; a pipe gets a fresh table each second something changed.
    let changed = true;
    engine.onLine(() => (changed = true));
    redraw = setInterval(() => {
      if (process.stdout.isTTY || changed) draw();
      changed = false;
    }, 1000);
  }
  for (const line of lines) engine.addLine(line);

  onQuitSignals({
    stop: (signal) => {
      if (redraw) clearInterval(redraw);
      clearInterval(keepAlive);
      process.stderr.write(`${signal}: unregistering ${lines.length} line(s), at most ${args.unregisterTimeoutMs} ms…\n`);
      void engine.shutdown(args.unregisterTimeoutMs).then(() => {
        if (!args.json) process.stdout.write(`${renderStatusTable(engine.snapshots(), Date.now())}\n`);
        process.exit(0);
      });
    },
    again: (signal) => {
      process.stderr.write(`${signal} again: quitting without waiting\n`);
      process.exit(1);
    },
  });
}

if (require.main === module) main();
