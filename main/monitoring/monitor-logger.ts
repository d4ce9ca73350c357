/**
 * The monitor's log: NDJSON on stderr through pino, with levels, so a service manager or a log
 * shipper reads it as it is. In `--json` mode stdout stays the line event stream. Passwords never
 * reach it: nothing logs a config line whole, and these field names are redacted anyway.
 */
import pino from 'pino';
import type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type MonitorLogger = Logger;

/** A field that could hold a secret, wherever it sits in a logged object. */
const REDACTED = ['password', '*.password', '*.*.password', 'authorization', '*.authorization', 'token', '*.token'];

/**
 * A logger writing synchronously to `fd` (stderr by default): synchronous so the last lines before
 * an exit are never lost, and cheap enough at the monitor's few lines a minute.
 */
export function createMonitorLogger(level: LogLevel = 'info', fd = 2): MonitorLogger {
  return pino(
    {
      level,
      base: { pid: process.pid, name: 'trunkline-monitor' },
      redact: { paths: REDACTED, censor: '<masked>' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ fd, sync: true }),
  );
}
