/**
 * What a person types to place a call, made into the Request-URI of the INVITE (SPEC "Calls",
 * "Dial"): a `sip:`/`sips:` URI as given, a `tel:` URI (RFC 3966) whose visual separators are
 * dropped, or a bare number that becomes `sip:number@domain`. Shared by the engine, the test call
 * and the dial pad, so every place dials the same way.
 */

/** The result: a URI to put in the Request-URI, or an error naming the field. */
export type DialTargetResult = { ok: true; uri: string; user: string } | { ok: false; error: string };

/** Visual separators a person types in a number (RFC 3966 §5.1.1 "visual-separator", plus space). */
const SEPARATORS = /[\s\-.()]/g;
/** A dialable number after separators are dropped: digits, `*`, `#`, with one leading `+`. */
const NUMBER = /^\+?[0-9*#]+$/;
/** A SIP user part without the characters that would break the URI (RFC 3261 §25.1, simplified). */
const USER = /^[^\s@:;<>"/?]+$/;
const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$/;

/**
 * Normalises `input` for a line whose domain is `domain`.
 *
 * - `sip:1002@example.com`, `sips:…` → as given (scheme lower-cased), host part checked;
 * - `tel:+1-555-0100` → `tel:+15550100`;
 * - `+1 (555) 010-0100` → `sip:+15550100100@domain`;
 * - `alice` (a user name, no separators dropped) → `sip:alice@domain`.
 *
 * `field` names the input in errors (default "to"): `to: must be a number or a sip:, sips: or tel: URI (got "")`.
 */
export function normaliseDialTarget(input: string, domain: string, field = 'to'): DialTargetResult {
  const raw = typeof input === 'string' ? input.trim() : '';
  const fail = (why: string): DialTargetResult => ({ ok: false, error: `${field}: ${why} (got "${String(input)}")` });
  if (raw.length === 0) return fail('must be a number or a sip:, sips: or tel: URI');
  if (raw.length > 256) return fail('must be at most 256 characters');
  const scheme = /^(sips?|tel):/i.exec(raw)?.[1]?.toLowerCase();
  if (scheme === 'tel') {
    const number = raw.slice(4).replace(SEPARATORS, '');
    const [digits] = number.split(';');
    if (!digits || !NUMBER.test(digits)) return fail('a tel: URI must hold a number of digits, "*" or "#", with an optional leading "+"');
    return { ok: true, uri: `tel:${number}`, user: digits };
  }
  if (scheme === 'sip' || scheme === 'sips') {
    const rest = raw.slice(scheme.length + 1);
    const at = rest.lastIndexOf('@');
    const user = at >= 0 ? rest.slice(0, at) : '';
    const hostAndParams = at >= 0 ? rest.slice(at + 1) : rest;
    const host = hostAndParams.split(/[;?]/)[0] ?? '';
    if (at >= 0 && !USER.test(user)) return fail('the user part of the URI must not be empty or hold spaces, "@", ":", ";", "<", ">" or quotes');
    if (!HOST.test(host)) return fail('the URI must name a host, like sip:1002@example.com');
    return { ok: true, uri: `${scheme}:${rest}`, user };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw) && !/^[^:]+:\d+$/.test(raw)) return fail('only sip:, sips: and tel: URIs can be dialled');
  const number = raw.replace(SEPARATORS, '');
  if (NUMBER.test(number)) return withDomain(number, domain, fail);
  if (raw.includes('@')) return fail('add "sip:" in front of an address with "@"');
  // A user name ("alice") starts with a letter; anything else must be a number.
  if (/^[A-Za-z]/.test(raw) && USER.test(raw)) return withDomain(raw, domain, fail);
  return fail('must be a number (digits, "*", "#", an optional leading "+"; spaces, dashes, dots and parentheses are ignored) or a sip:, sips: or tel: URI');
}

function withDomain(user: string, domain: string, fail: (why: string) => DialTargetResult): DialTargetResult {
  if (!domain || !HOST.test(domain)) return fail(`the line has no usable domain to dial "${user}" at`);
  return { ok: true, uri: `sip:${user}@${domain}`, user };
}
