/** How a server's place in a line's list is named to a person (SPEC: index 0 is the primary). */
export function serverRole(index: number): string {
  return index === 0 ? 'primary' : `backup ${index}`;
}

/** "primary · 10.0.0.1:5060/udp", or "—" when no server holds the registration. */
export function activeServerText(server: number | null, label: string | null): string {
  if (server === null) return '—';
  return label ? `${serverRole(server)} · ${label}` : serverRole(server);
}

/**
 * "200 OK"; a code of 0 is local (timeout, refused, unreachable): the reason alone says which.
 * Some reasons already start with their code ("503 Service Unavailable"): not twice.
 */
export function responseText(code: number | null, reason: string | null): string {
  if (code === null) return '—';
  if (code === 0) return reason || 'no response';
  if (!reason) return String(code);
  return reason.startsWith(`${code} `) ? reason : `${code} ${reason}`;
}
