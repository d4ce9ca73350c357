/**
 * How the parent reaches a media host process, whatever started it. `forkMediaHost` is the Node
 * carrier (`child_process.fork`: monitor, dev host, tests). The Electron shell wraps
 * `utilityProcess.fork(entry)` the same way (`postMessage`, `on('message')`, `on('exit', code)`,
 * `kill()`) and hands it to `MediaHostClient.attach`; this file never imports electron.
 */
import { fork } from 'node:child_process';
import { extname, join } from 'node:path';
import type { MediaRequest } from './media-protocol';

export interface MediaHostCarrier {
  readonly pid: number | undefined;
  /** @throws Error when the channel is closed (the client turns it into a rejected request). */
  send(message: MediaRequest): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Fires once when the process is gone (code, or the signal that ended it). */
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  /** A carrier-level failure (spawn or channel error) that does not by itself mean exit. */
  onError(listener: (error: Error) => void): void;
  /** `graceful`: SIGTERM (the host closes its sessions first); otherwise SIGKILL. */
  kill(graceful: boolean): void;
}

/** The media host entry beside this file: `.ts` under tsx/vitest, `.js` when compiled to out/. */
export function defaultMediaHostEntry(): string {
  return join(__dirname, `media-host-main${extname(__filename) === '.ts' ? '.ts' : '.js'}`);
}

/** Forks `entry` (a `.ts` entry runs with tsx's loader) with an IPC channel and no stdin/stdout. */
export function forkMediaHost(entry = defaultMediaHostEntry()): MediaHostCarrier {
  const child = fork(entry, [], {
    execArgv: extname(entry) === '.ts' ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'json',
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => {
      child.send(message, (error) => {
        // Asynchronous channel failures surface as the exit that follows.
        if (error) child.emit('error', error);
      });
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', listener),
    onError: (listener) => child.on('error', listener),
    kill: (graceful) => {
      child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    },
  };
}
