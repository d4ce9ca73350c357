/**
 * Just enough SIP parsing for a transport: the start line and a few headers of a message held as
 * a string. JsSIP's own parser runs after us; this never validates a message, it only reads what
 * retransmission, duplicate detection and the Via rewrite need.
 */

/** RFC 3261 §7.2: a Status-Line starts with the SIP-Version. */
export function isResponse(message: string): boolean {
  return message.startsWith('SIP/2.0 ');
}

/** The Status-Code of a response, or null for anything else. */
export function responseStatus(message: string): number | null {
  const match = /^SIP\/2\.0 (\d{3})\b/.exec(message);
  return match ? Number(match[1]) : null;
}

/** The method of a request (RFC 3261 §7.1 `Method SP Request-URI SP SIP-Version`), or null. */
export function requestMethod(message: string): string | null {
  const match = /^([A-Za-z][A-Za-z0-9.!%*_+`'~-]*) \S+ SIP\/2\.0\r?\n/.exec(message);
  return match ? (match[1] as string).toUpperCase() : null;
}

/** Everything before the empty line that ends the headers (RFC 3261 §7). */
export function headerBlock(message: string): string {
  const end = message.indexOf('\r\n\r\n');
  return end === -1 ? message : message.slice(0, end);
}

/** A header's first value; `names` are matched case-insensitively, long and compact form alike. */
export function firstHeaderValue(message: string, names: readonly string[]): string | null {
  const wanted = new Set(names.map((name) => name.toLowerCase()));
  // Line 0 is the start line; header folding (obsolete, RFC 3261 §7.3.1) is not unfolded.
  for (const line of headerBlock(message).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (wanted.has(line.slice(0, colon).trim().toLowerCase())) return line.slice(colon + 1).trim();
  }
  return null;
}

/** Header names of Via: RFC 3261 §7.3.3 compact form `v`. */
export const VIA_NAMES = ['via', 'v'] as const;

/** The top Via value: the first header, and within it the first comma-separated entry. */
export function topVia(message: string): string | null {
  const value = firstHeaderValue(message, VIA_NAMES);
  if (value === null) return null;
  const comma = value.indexOf(',');
  return (comma === -1 ? value : value.slice(0, comma)).trim();
}

/** The `branch` parameter of the top Via (RFC 3261 §8.1.1.7), the transaction key of §17. */
export function topViaBranch(message: string): string | null {
  const via = topVia(message);
  if (via === null) return null;
  const match = /;\s*branch\s*=\s*([^;,\s]+)/i.exec(via);
  return match ? (match[1] as string) : null;
}

/** The method in CSeq: for a response, the method of the request it answers (RFC 3261 §17.1.3). */
export function cseqMethod(message: string): string | null {
  const value = firstHeaderValue(message, ['cseq']);
  const match = value === null ? null : /^\d+\s+(\S+)/.exec(value);
  return match ? (match[1] as string).toUpperCase() : null;
}

/** CRLF keepalives (RFC 5626 §3.5.1) and empty datagrams carry no SIP message. */
export function isKeepalive(message: string): boolean {
  return /^[\r\n]*$/.test(message);
}
