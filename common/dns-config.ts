/**
 * The resolver setting (SPEC "Server location"): which DNS servers locate a line's servers
 * (RFC 3263), for split-horizon networks and for tests. The monitor's config file carries it as a
 * top-level `"dns": { "servers": ["127.0.0.1:5353"] }`; the desktop app keeps it as a setting.
 * Pure TypeScript (no node:net): the renderer's forms use the same schema.
 *
 * Each server reads like Node's `Resolver#setServers` entries, so the parsed strings pass through
 * unchanged: `"10.0.0.1"`, `"127.0.0.1:5353"`, `"[::1]"`, `"[2001:db8::53]:53"`.
 */
import type { Field, FieldError, Infer, ParseResult } from './schema';
import { list, object, parseWith } from './schema';

/** At most this many resolvers: more only lengthens the worst case when all of them are silent. */
export const MAX_DNS_SERVERS = 4;

const SERVER_HELP = 'an IPv4 address or an IPv6 address in brackets, with an optional port, like "127.0.0.1:5353" or "[::1]:53"';

/** True for a dotted-quad IPv4 address (no leading zeros, which some parsers read as octal). */
function isIpv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^(?:0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** True for an RFC 4291 §2.2 textual IPv6 address (no zone id), including an embedded IPv4 tail. */
function isIpv6(text: string): boolean {
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (half: string): string[] | null => {
    if (half === '') return [];
    const parts = half.split(':');
    const last = parts[parts.length - 1] ?? '';
    // An embedded IPv4 address counts as two 16-bit groups and may only stand at the end.
    const tail = isIpv4(last) ? ['0', '0'] : null;
    const hex = tail ? parts.slice(0, -1) : parts;
    if (!hex.every((p) => /^[0-9A-Fa-f]{1,4}$/.test(p))) return null;
    return tail ? [...hex, ...tail] : hex;
  };
  const head = groups(halves[0] ?? '');
  if (head === null) return false;
  if (halves.length === 1) return head.length === 8;
  const rest = groups(halves[1] ?? '');
  if (rest === null) return false;
  // An IPv4 tail is only allowed in the last half.
  if (head.length > 0 && isIpv4((halves[0] ?? '').split(':').pop() ?? '')) return false;
  return head.length + rest.length <= 7;
}

function isPort(text: string): boolean {
  return /^[1-9][0-9]{0,4}$/.test(text) && Number(text) <= 65535;
}

/** One resolver address: `ipv4[:port]` or `[ipv6][:port]`. */
export function isDnsServerAddress(text: string): boolean {
  const v6 = /^\[([^\]]+)\](?::([^:]*))?$/.exec(text);
  if (v6) return isIpv6(v6[1] ?? '') && (v6[2] === undefined || isPort(v6[2]));
  const [address = '', port, ...extra] = text.split(':');
  return extra.length === 0 && isIpv4(address) && (port === undefined || isPort(port));
}

const serverField: Field<string> = {
  allowed: SERVER_HELP,
  parse(input, path, errors) {
    if (typeof input === 'string' && input.length <= 64 && isDnsServerAddress(input)) return input;
    const got = typeof input === 'string' ? JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input) : Array.isArray(input) ? 'a list' : input === null ? 'null' : typeof input === 'object' ? 'an object' : String(input);
    errors.push({ path, message: `must be ${SERVER_HELP} (got ${got})` });
    return undefined;
  },
};

export const dnsConfigSchema = object({
  servers: list(serverField, { min: 0, max: MAX_DNS_SERVERS }),
});

/**
 * The parsed setting. `servers` empty means the system's resolvers (/etc/resolv.conf); otherwise
 * exactly these, in this order, and nothing else.
 */
export type DnsConfig = Infer<typeof dnsConfigSchema.shape>;

/** The setting when none is given: the system's resolvers. */
export const DEFAULT_DNS_CONFIG: DnsConfig = { servers: [] };

/**
 * Validates the resolver setting. `path` prefixes every error (`"dns"` in the monitor file, so an
 * error reads `dns.servers[1]: must be …`). Refuses duplicates: a repeated server only doubles
 * the wait when it is down.
 */
export function parseDnsConfig(input: unknown, path = 'dns'): ParseResult<DnsConfig> {
  const parsed = parseWith(dnsConfigSchema, input, path);
  if (!parsed.ok) return parsed;
  const errors: FieldError[] = [];
  const seen = new Map<string, number>();
  parsed.value.servers.forEach((server, i) => {
    const key = server.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) errors.push({ path: `${path}.servers[${i}]`, message: `must not repeat "${server}" (also ${path}.servers[${first}])` });
    else seen.set(key, i);
  });
  return errors.length ? { ok: false, errors } : parsed;
}
