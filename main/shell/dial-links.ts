/**
 * `sip:`, `sips:`, `tel:` and `callto:` links that open Trunkline (SPEC "Distribution"): on Windows
 * and Linux the OS starts a second instance with the link in its argv (Electron passes it to the
 * first instance's `second-instance` event), on macOS the running app gets `open-url`. Either way
 * the dialer opens with the number filled in; the call is placed only when the person turned on
 * "links dial at once" (PhoneSettings.linksDialAtOnce). Nothing here dials: it only decides what
 * the dialer shows.
 */

const LINK = /^(sips?|tel|callto):/i;

/** The first argument that is a dial link, or null (flags, paths and the app itself are skipped). */
export function linkFromArgv(argv: readonly string[]): string | null {
  for (const arg of argv) if (typeof arg === 'string' && LINK.test(arg.trim())) return arg.trim();
  return null;
}

/** At most this many characters of a link are looked at (a URI longer than that is not a phone number). */
const MAX_LINK = 512;

/**
 * What the dialer shows for a link, or null when it is not one:
 * - `tel:+1-555-010-0199;phone-context=…` → `+15550100199` (RFC 3966 visual separators dropped, parameters ignored),
 * - `callto:+15550100199`, `callto://alice` → `+15550100199`, `alice`,
 * - `sip:alice@example.org;transport=tcp` → `sip:alice@example.org` (URI parameters and headers are
 *   not ours to follow from a link: a link must not pick the transport or add headers).
 */
export function dialTargetOfLink(link: string): string | null {
  const text = link.trim();
  if (text.length === 0 || text.length > MAX_LINK) return null;
  const match = LINK.exec(text);
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  let rest = text.slice(match[0].length);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    return null;
  }
  if (/[\u0000-\u001f\u007f<>"]/.test(rest)) return null;
  if (scheme === 'tel' || scheme === 'callto') {
    rest = rest.replace(/^\/\//, '').split(/[;?]/)[0]!.replace(/\/$/, '');
    const cleaned = /^[+\d\s().\-*#]+$/.test(rest) ? rest.replace(/[\s().-]/g, '') : rest;
    return /^\+?[\w.*#-]{1,64}$/.test(cleaned) ? cleaned : null;
  }
  const uri = rest.split(/[;?]/)[0]!;
  if (!/^[^@\s]+@[A-Za-z0-9.[\]:-]+$/.test(uri) && !/^[^@\s]+$/.test(uri)) return null;
  return `${scheme}:${uri}`;
}
