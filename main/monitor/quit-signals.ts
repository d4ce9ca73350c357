/**
 * SIGINT/SIGTERM handling shared by the command-line tools: the first signal starts a graceful
 * stop, a second one quits at once.
 *
 * Under `npm run`, one Ctrl-C arrives twice: the terminal signals the whole foreground process
 * group, and npm forwards the same signal to its child. Copies within `DUPLICATE_WINDOW_MS` of
 * the first are that one keypress, not a person asking again.
 */
export const DUPLICATE_WINDOW_MS = 500;

export interface QuitSignalOptions {
  /** Starts the graceful stop (unregister, hang up); called once. */
  stop(signal: NodeJS.Signals): void;
  /** A second signal after the window: quit without waiting. */
  again(signal: NodeJS.Signals): void;
  now?: () => number;
}

/** Installs the handlers; returns a function that removes them. */
export function onQuitSignals(options: QuitSignalOptions, target: Pick<NodeJS.Process, 'on' | 'off'> = process): () => void {
  const now = options.now ?? Date.now;
  let first: number | null = null;
  const handle = (signal: NodeJS.Signals): void => {
    if (first === null) {
      first = now();
      options.stop(signal);
    } else if (now() - first >= DUPLICATE_WINDOW_MS) {
      options.again(signal);
    }
  };
  target.on('SIGINT', handle);
  target.on('SIGTERM', handle);
  return () => {
    target.off('SIGINT', handle);
    target.off('SIGTERM', handle);
  };
}
