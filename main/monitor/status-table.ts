/**
 * The monitor's terminal table, one row per line, in the spirit of `sofia status gateway`.
 * A pure function of the snapshots and the time, so it is tested with plain values.
 */
import { formatCountdown, formatDuration } from '../../common/countdown';
import type { LineSnapshot } from '../../common/line-status';

const COLUMNS = ['LINE', 'STATE', 'SERVER', 'LAST RESPONSE', 'EXPIRES', 'REFRESH', 'RETRY', 'FAILBACK', 'LIVENESS', 'RTT', 'FAILS', 'SINCE'] as const;

function role(server: number | null): string {
  if (server === null) return '—';
  return server === 0 ? 'primary' : `backup ${server}`;
}

function row(s: LineSnapshot, now: number): string[] {
  return [
    s.name === s.id ? s.id : `${s.name} (${s.id})`,
    s.state,
    s.server === null ? '—' : `${role(s.server)} ${s.serverLabel ?? ''}`.trim(),
    s.code === null ? '—' : (s.code === 0 ? s.reason ?? '' : `${s.code} ${s.reason ?? ''}`.trim()).slice(0, 48),
    s.expires === null ? '—' : `${s.expires}s`,
    formatCountdown(s.nextRefreshAt, now),
    formatCountdown(s.nextRetryAt, now),
    formatCountdown(s.nextFailbackAt, now),
    formatCountdown(s.nextLivenessAt, now),
    s.livenessRttMs === null ? '—' : `${s.livenessRttMs}ms`,
    String(s.consecutiveFailures),
    formatDuration(now - s.since),
  ];
}

/** Renders the table with a summary line; columns are padded to their widest cell. */
export function renderStatusTable(snapshots: readonly LineSnapshot[], now: number): string {
  const rows = [COLUMNS as readonly string[], ...snapshots.map((s) => row(s, now))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const lines = rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  const registered = snapshots.filter((s) => s.state === 'registered').length;
  lines.push('', `${registered}/${snapshots.length} registered · ${new Date(now).toISOString()} · Ctrl-C unregisters and quits`);
  return lines.join('\n');
}
