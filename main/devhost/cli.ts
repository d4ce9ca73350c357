/**
 * `npm run dev:host -- [--config lines.json] [--port N] [--synthetic N] [--data-dir DIR]`: the renderer in any
 * Chromium, against the real engine, without Electron. Prints the address to open (it carries the
 * access token). Ctrl-C unregisters every line (bounded) and exits.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { LineConfig } from '../../common/line-config';
import { readLinesFile } from './config-file';
import { startDevHost } from './dev-host';
import { syntheticEngine, syntheticLines } from './synthetic-lines';
import { onQuitSignals } from '../monitor/quit-signals';

const USAGE = `usage: npm run dev:host -- [--config <file.json>] [--port <n>] [--synthetic <n>] [--data-dir <dir>]

  --config <file>   lines to start with, in the monitor's format (README "Monitor config")
  --port <n>        port on 127.0.0.1 (default: any free port)
  --synthetic <n>   n generated lines on simulated servers (no network), for looking at scale
  --data-dir <dir>  where the call history and phone settings are kept
                    (default: $XDG_DATA_HOME/trunkline-devhost or ~/.local/share/trunkline-devhost)`;

const DEFAULT_DATA_DIR = join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'trunkline-devhost');

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

function integerArg(value: string | undefined, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`${name}: must be an integer from ${min} to ${max}`);
  return n;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let lines: LineConfig[] = [];
  let port = 0;
  let synthetic = 0;
  let dataDir = DEFAULT_DATA_DIR;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--config') {
      try {
        lines = readLinesFile(argv[++i] ?? fail('--config needs a file'));
      } catch (error) {
        fail((error as Error).message);
      }
    } else if (arg === '--port') port = integerArg(argv[++i], '--port', 0, 65535);
    else if (arg === '--data-dir') dataDir = argv[++i] || fail('--data-dir needs a folder');
    else if (arg === '--synthetic') synthetic = integerArg(argv[++i], '--synthetic', 1, 20000);
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else fail(`unknown argument "${arg}"\n\n${USAGE}`);
  }
  if (synthetic > 0 && lines.length > 0) fail('--synthetic and --config cannot be combined');

  const host = await startDevHost(synthetic > 0 ? { port, dataDir, lines: syntheticLines(synthetic), engine: syntheticEngine() } : { port, dataDir, lines }).catch((error: Error) =>
    fail(error.message),
  );
  const count = host.engine.lineIds().length;
  process.stdout.write(`Trunkline dev host: ${host.url}\n(${count} line${count === 1 ? '' : 's'}; Ctrl-C unregisters them and exits)\n`);

  onQuitSignals({
    stop: () => {
      process.stdout.write('unregistering…\n');
      void host.stop().then(() => process.exit(0));
    },
    again: (signal) => {
      process.stderr.write(`${signal} again: quitting without waiting\n`);
      process.exit(1);
    },
  });
}

void main();
