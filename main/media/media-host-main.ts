/**
 * Entry point of the media host process. Two carriers, one protocol (`media-protocol.ts`):
 * - Electron utilityProcess: `process.parentPort` (`on('message', e => e.data)`, `postMessage`);
 * - a Node child from `child_process.fork` (monitor, dev host, tests): `process.on('message')`,
 *   `process.send`.
 * Plain Node: never imports electron. It exits when its parent goes away.
 */
import { constants, setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Clock } from '../sip/clock';
import { systemClock, systemRandom } from '../sip/clock';
import { MediaHost } from './media-host';
import type { MediaHostMessage } from './media-protocol';

/** Electron's parentPort, as far as we use it (typed here so this file needs no electron types). */
interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

/** Epoch time with sub-millisecond resolution: packet pacing and RTCP NTP times read it. */
const mediaClock: Clock = { ...systemClock, now: () => performance.timeOrigin + performance.now() };

function start(): void {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  let post: (message: MediaHostMessage) => void;
  if (parentPort) {
    post = (message) => parentPort.postMessage(message);
  } else if (process.send) {
    post = (message) => {
      // A closed channel (parent gone) must not throw out of a socket callback.
      if (process.connected) process.send!(message, undefined, {}, () => undefined);
    };
  } else {
    process.stderr.write('media host: started without a parent channel (fork it or run it as a utilityProcess)\n');
    process.exit(2);
  }
  const host = new MediaHost({ clock: mediaClock, random: systemRandom, post });
  const onMessage = (message: unknown): void => void host.handle(message);
  if (parentPort) parentPort.on('message', (event) => onMessage(event.data));
  else process.on('message', onMessage);

  // A fault inside one session must not end every call: report it and keep serving.
  process.on('uncaughtException', (error) => post({ kind: 'event', event: 'error', payload: { session: null, message: `uncaught: ${error.message}` } }));
  process.on('unhandledRejection', (reason) => post({ kind: 'event', event: 'error', payload: { session: null, message: `unhandled rejection: ${String(reason)}` } }));
  // Parent gone (fork) or asked to stop: send RTCP BYEs, finalise recordings, leave.
  const leave = (): void => void host.closeAll().finally(() => process.exit(0));
  process.on('disconnect', leave);
  process.on('SIGTERM', leave);

  // Packet timing over throughput: ask the OS to run us ahead of ordinary work. Allowed for any user
  // on Windows; on Linux/macOS only with privileges (or RLIMIT_NICE), so a refusal is expected.
  try {
    setPriority(constants.priority.PRIORITY_ABOVE_NORMAL);
  } catch {
    // Stay at normal priority.
  }

  post({ kind: 'ready', pid: process.pid });
}

start();
