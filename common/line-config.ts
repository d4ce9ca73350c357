/**
 * The one schema of a line's configuration (SPEC "Lines and servers"): used by the engine, the
 * headless monitor's config file, the desktop app's forms and its import/export.
 */
import type { FieldError, Infer, ParseResult } from './schema';
import { boolean, integer, list, object, oneOf, optional, parseWith, secret, text } from './schema';

export const TRANSPORTS = ['udp', 'tcp', 'tls', 'ws', 'wss'] as const;
export type TransportKind = (typeof TRANSPORTS)[number];

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?|\[[0-9A-Fa-f:.]+\])$/;
const hostField = text({ max: 253, pattern: HOST, patternHelp: 'a host name or IP address (IPv6 in brackets)' });

/** Standard ports when a server gives none: RFC 3261 §19.1.2 (5060/5061), RFC 7118 (80/443). */
export const DEFAULT_PORTS: Record<TransportKind, number> = { udp: 5060, tcp: 5060, tls: 5061, ws: 80, wss: 443 };

export const serverSchema = object({
  host: hostField,
  port: optional(integer(1, 65535)),
  transport: oneOf(TRANSPORTS, 'udp'),
  path: optional(text({ max: 256, pattern: /^\/[\x21-\x7e]*$/, patternHelp: 'a WebSocket path starting with "/"' })),
  expires: integer(20, 7200, { default: 3600, unit: 'seconds' }),
  tls: optional(object({
    ca: optional(text({ max: 65536, pattern: /-----BEGIN CERTIFICATE-----/, patternHelp: 'a PEM certificate' })),
    fingerprintSha256: optional(text({ max: 95, pattern: /^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/, patternHelp: 'a SHA-256 fingerprint like "AB:CD:…" (32 pairs)' })),
  })),
});

/** Audio codecs the media host speaks (G.711, RFC 3551 §4.5.14). */
export const CODECS = ['PCMU', 'PCMA'] as const;
export type CodecName = (typeof CODECS)[number];

/**
 * A line's call settings (SPEC "Calls"). `mediaMode: "webrtc"` (ICE + DTLS-SRTP toward a WebRTC far
 * end) is allowed only when every server is ws/wss; `srtp` is SDES-SRTP (RFC 4568) for `rtp` media.
 */
export const callSettingsSchema = object({
  /** false: a registration-only line; incoming INVITEs are answered 486 and nothing can be dialled. */
  enabled: boolean(true),
  dtmfMode: oneOf(['rfc4733', 'info'] as const, 'rfc4733'),
  codecs: list(oneOf(CODECS), { min: 1, max: CODECS.length, unique: true, default: [...CODECS] }),
  srtp: oneOf(['off', 'optional', 'mandatory'] as const, 'off'),
  mediaMode: oneOf(['rtp', 'webrtc'] as const, 'rtp'),
  rtpPortMin: integer(1024, 65534, { default: 10000 }),
  rtpPortMax: integer(1025, 65535, { default: 20000 }),
  rtpTimeout: integer(5, 3600, { default: 60, also: [0], unit: 'seconds (0 = off)' }),
  /** Absent: ring until answered. A number: answer by itself after that many ms. */
  autoAnswerMs: optional(integer(0, 60000, { unit: 'ms' })),
}, { defaultWhenMissing: true });

export const lineSchema = object({
  id: text({ max: 64, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/, patternHelp: 'an id of letters, digits, ".", "_" or "-" (at most 64)' }),
  name: optional(text({ max: 128 })),
  username: text({ max: 128, pattern: /^[^\s@:;<>"]+$/, patternHelp: 'a SIP user name without spaces, "@", ":", ";", "<", ">" or quotes' }),
  authUsername: optional(text({ max: 128, pattern: /^[^\s"]+$/, patternHelp: 'an authentication user name without spaces or quotes' })),
  password: secret({ max: 256, default: '' }),
  domain: hostField,
  displayName: optional(text({ max: 128, pattern: /^[^"\r\n]*$/, patternHelp: 'a display name without quotes or line breaks' })),
  servers: list(serverSchema, { min: 1, max: 8 }),
  expiryMode: oneOf(['auto', 'fixed'] as const, 'auto'),
  retryDelay: integer(30, 600, { default: 60, unit: 'seconds' }),
  signalRetryCount: integer(0, 10, { default: 3 }),
  failback: object({
    enabled: boolean(true),
    interval: integer(30, 86400, { default: 1800, unit: 'seconds' }),
  }, { defaultWhenMissing: true }),
  liveness: object({
    interval: integer(5, 3600, { default: 60, also: [0], unit: 'seconds (0 = off)' }),
  }, { defaultWhenMissing: true }),
  privacy: oneOf(['ignore', 'id', 'none'] as const, 'ignore'),
  sendUnregister: boolean(true),
  stopFailoverAfterInviteTimeout: boolean(false),
  calls: callSettingsSchema,
  enabled: boolean(true),
}, {
  retired: {
    // Never read by any code, and its name said the opposite of SPEC's setting.
    inviteTimeoutMarksDown: 'is no longer supported: use "stopFailoverAfterInviteTimeout" (true or false, default false: an INVITE timeout fails over to the next server unless it is true)',
  },
});

type ParsedServer = Infer<typeof serverSchema.shape>;
type ParsedLine = Infer<typeof lineSchema.shape>;

/** A server after defaults: the port is always known. */
export type ServerConfig = Omit<ParsedServer, 'port'> & { port: number };
export type CallSettings = Infer<typeof callSettingsSchema.shape>;
/** A line after defaults. `password` is the clear secret: never log it, never send it to a UI. */
export type LineConfig = Omit<ParsedLine, 'servers' | 'name'> & { name: string; servers: ServerConfig[] };

function withDefaults(line: ParsedLine): LineConfig {
  return {
    ...line,
    name: line.name ?? line.id,
    servers: line.servers.map((s) => ({ ...s, port: s.port ?? DEFAULT_PORTS[s.transport] })),
  };
}

function crossFieldErrors(line: ParsedLine, path: string): FieldError[] {
  const errors: FieldError[] = [];
  line.servers.forEach((s, i) => {
    const at = `${path ? `${path}.` : ''}servers[${i}]`;
    if (s.path !== undefined && s.transport !== 'ws' && s.transport !== 'wss') {
      errors.push({ path: `${at}.path`, message: `is only allowed with transport "ws" or "wss" (transport is "${s.transport}")` });
    }
    if (s.tls !== undefined && s.transport !== 'tls' && s.transport !== 'wss') {
      errors.push({ path: `${at}.tls`, message: `is only allowed with transport "tls" or "wss" (transport is "${s.transport}")` });
    }
  });
  const calls = `${path ? `${path}.` : ''}calls`;
  if (line.calls.rtpPortMax <= line.calls.rtpPortMin) {
    errors.push({ path: `${calls}.rtpPortMax`, message: `must be greater than rtpPortMin (${line.calls.rtpPortMin}): RTP takes an even port and RTCP the next one (got ${line.calls.rtpPortMax})` });
  }
  if (line.calls.mediaMode === 'webrtc') {
    const plain = line.servers.findIndex((s) => s.transport !== 'ws' && s.transport !== 'wss');
    if (plain >= 0) errors.push({ path: `${calls}.mediaMode`, message: `"webrtc" needs every server on transport "ws" or "wss" (servers[${plain}] is "${line.servers[plain]!.transport}")` });
    if (line.calls.srtp !== 'off') errors.push({ path: `${calls}.srtp`, message: `must be "off" with mediaMode "webrtc", which always encrypts with DTLS-SRTP (got "${line.calls.srtp}")` });
  }
  return errors;
}

/** Validates one line and fills in every SPEC default. */
export function parseLineConfig(input: unknown, path = ''): ParseResult<LineConfig> {
  const parsed = parseWith(lineSchema, input, path);
  if (!parsed.ok) return parsed;
  const errors = crossFieldErrors(parsed.value, path);
  return errors.length ? { ok: false, errors } : { ok: true, value: withDefaults(parsed.value) };
}

/** The headless monitor's (and import/export's) file: `{ "lines": [ … ] }` with unique ids. */
export function parseLinesFile(input: unknown): ParseResult<LineConfig[]> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ path: '(file)', message: 'must be a JSON object like { "lines": [ … ] }' }] };
  }
  const record = input as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(record)
    .filter((k) => k !== 'lines')
    .map((k) => ({ path: k, message: 'is not a known field (known: lines)' }));
  if (!Array.isArray(record.lines)) {
    errors.push({ path: 'lines', message: 'is required: a list of line objects' });
    return { ok: false, errors };
  }
  const lines: LineConfig[] = [];
  const seen = new Map<string, number>();
  record.lines.forEach((raw, i) => {
    const result = parseLineConfig(raw, `lines[${i}]`);
    if (!result.ok) {
      errors.push(...result.errors);
      return;
    }
    const first = seen.get(result.value.id);
    if (first !== undefined) errors.push({ path: `lines[${i}].id`, message: `must be unique ("${result.value.id}" is also lines[${first}].id)` });
    seen.set(result.value.id, i);
    lines.push(result.value);
  });
  return errors.length ? { ok: false, errors } : { ok: true, value: lines };
}

/** How a server is named to a person: "127.0.0.1:5060/udp". */
export function serverLabel(server: Pick<ServerConfig, 'host' | 'port' | 'transport'>): string {
  return `${server.host}:${server.port}/${server.transport}`;
}
