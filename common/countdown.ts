/** How deadlines and ages are shown to people (the monitor table, the trunk panel). */

/** "4s", "2m05s", "1h02m" until `deadline`; "—" when nothing is scheduled; "now" when due. */
export function formatCountdown(deadline: number | null, now: number): string {
  if (deadline === null) return '—';
  return formatDuration(deadline - now);
}

/** "12s", "3m04s", "2h05m", "3d04h"; "now" at or below zero. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return 'now';
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}
