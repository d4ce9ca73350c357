/**
 * The one schema of a line's configuration (SPEC "Lines and servers"): used by the engine, the
 * headless monitor's config file, the desktop app's forms and its import/export.
 */
import type { FieldError, Infer, ParseResult } from './schema';
import { boolean, integer, list, object, oneOf, optional, parseWith, secret, text } from './schema';
import type { DnsConfig } from './dns-config';
import { DEFAULT_DNS_CONFIG, parseDnsConfig } from './dns-config';
import { normaliseDialTarget } from './dial-target';

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
  /**
   * RFC 3581 / RFC 5626 §4.4 behind NAT. `rewriteContact`: re-register with the address the
   * registrar saw (Via `received`/`rport`) and remove the private Contact; `auto` = on for udp.
   * `keepaliveInterval`: CRLF keepalives every so many seconds; absent = 30 s once NAT is
   * detected, 0 = never, a number = always at that interval.
   */
  nat: object({
    rewriteContact: oneOf(['auto', 'on', 'off'] as const, 'auto'),
    keepaliveInterval: optional(integer(5, 3600, { also: [0], unit: 'seconds (0 = off)' })),
  }, { defaultWhenMissing: true }),
  privacy: oneOf(['ignore', 'id', 'none'] as const, 'ignore'),
  sendUnregister: boolean(true),
  stopFailoverAfterInviteTimeout: boolean(false),
  calls: callSettingsSchema,
  /**
   * The headless monitor's scheduled test call (the desktop app ignores it): every `every` seconds
   * dial `to` with a `tone` Hz sine, hang up `duration` seconds after the answer, and export the
   * post-dial delay, answer, RTP loss/jitter and MOS. Absent: no test calls.
   */
  testCall: optional(object({
    to: text({ max: 256 }),
    every: integer(30, 86400, { unit: 'seconds' }),
    duration: integer(1, 300, { default: 10, unit: 'seconds' }),
    tone: integer(50, 3900, { default: 1000, unit: 'Hz' }),
  })),
  enabled: boolean(true),
}, {
  retired: {
    // Never read by any code, and its name said the opposite of SPEC's setting.
    inviteTimeoutMarksDown: 'is no longer supported: use "stopFailoverAfterInviteTimeout" (true or false, default false: an INVITE timeout fails over to the next server unless it is true)',
  },
});

type ParsedServer = Infer<typeof serverSchema.shape>;
type ParsedLine = Infer<typeof lineSchema.shape>;

/**
 * A server after defaults: the port is always known. `portGiven` is false when the port is the
 * transport's default (then a host name is located by NAPTR/SRV, RFC 3263 §4.2); absent = given.
 */
export type ServerConfig = Omit<ParsedServer, 'port'> & { port: number; portGiven?: boolean };
export type CallSettings = Infer<typeof callSettingsSchema.shape>;
/** A line after defaults. `password` is the clear secret: never log it, never send it to a UI. */
export type LineConfig = Omit<ParsedLine, 'servers' | 'name'> & { name: string; servers: ServerConfig[] };

function withDefaults(line: ParsedLine): LineConfig {
  return {
    ...line,
    name: line.name ?? line.id,
    servers: line.servers.map((s) => ({ ...s, port: s.port ?? DEFAULT_PORTS[s.transport], portGiven: s.port !== undefined })),
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
  if (line.testCall) {
    const to = `${path ? `${path}.` : ''}testCall.to`;
    const dialled = normaliseDialTarget(line.testCall.to, line.domain, to);
    if (!dialled.ok) errors.push({ path: to, message: dialled.error.slice(to.length + 2) });
    if (!line.calls.enabled) errors.push({ path: `${path ? `${path}.` : ''}testCall`, message: 'needs calls.enabled true (a registration-only line cannot place a test call)' });
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

/**
 * Where the monitor takes a line's password from instead of `password` (so a config file can be
 * committed without secrets): a file (its content, trailing line break removed) or an environment
 * variable. Resolved by the monitor when it loads the file.
 */
export type PasswordSource = { kind: 'file'; path: string } | { kind: 'env'; name: string };

/** The headless monitor's file: its lines, the resolver setting and each line's password source. */
export interface MonitorFile {
  /** Lines with `password` as written ("" where a source gives it). */
  lines: LineConfig[];
  dns: DnsConfig;
  /** Line id → where its password comes from (absent: `password` itself). */
  passwordSources: Record<string, PasswordSource>;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Takes `passwordFile`/`passwordEnv` off a raw line; errors name the field. */
function passwordSourceOf(raw: unknown, path: string, errors: FieldError[]): { rest: unknown; source: PasswordSource | null } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { rest: raw, source: null };
  const { passwordFile, passwordEnv, ...rest } = raw as Record<string, unknown>;
  const given = ['password' in rest && 'password', passwordFile !== undefined && 'passwordFile', passwordEnv !== undefined && 'passwordEnv'].filter(Boolean);
  if (given.length > 1) {
    const [first, second] = given as string[];
    errors.push({ path: `${path}.${second}`, message: `must not be given together with "${first}": use one of "password", "passwordFile" or "passwordEnv"` });
    return { rest, source: null };
  }
  if (passwordFile !== undefined) {
    if (typeof passwordFile !== 'string' || passwordFile.length === 0 || passwordFile.length > 4096 || passwordFile.includes('\0')) {
      errors.push({ path: `${path}.passwordFile`, message: 'must be the path of a file holding the password (absolute, or relative to the config file)' });
      return { rest, source: null };
    }
    return { rest, source: { kind: 'file', path: passwordFile } };
  }
  if (passwordEnv !== undefined) {
    if (typeof passwordEnv !== 'string' || !ENV_NAME.test(passwordEnv) || passwordEnv.length > 128) {
      errors.push({ path: `${path}.passwordEnv`, message: 'must be an environment variable name of letters, digits and "_" (not starting with a digit)' });
      return { rest, source: null };
    }
    return { rest, source: { kind: 'env', name: passwordEnv } };
  }
  return { rest, source: null };
}

/**
 * The headless monitor's file: `{ "lines": [ … ], "dns": { "servers": [ … ] } }`. Lines may name
 * `passwordFile` or `passwordEnv` instead of `password` (exactly one of the three); `dns` is
 * optional (default: the system's resolvers). Nothing is read here: resolving the sources is the
 * monitor's job (see main/monitoring/monitor-config.ts).
 */
export function parseMonitorFile(input: unknown): ParseResult<MonitorFile> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [{ path: '(file)', message: 'must be a JSON object like { "lines": [ … ], "dns": { "servers": [ … ] } }' }] };
  }
  const record = input as Record<string, unknown>;
  const errors: FieldError[] = [];
  const passwordSources: Record<string, PasswordSource> = {};
  const sources: (PasswordSource | null)[] = [];
  const lines = Array.isArray(record.lines)
    ? record.lines.map((raw, i) => {
        const { rest, source } = passwordSourceOf(raw, `lines[${i}]`, errors);
        sources.push(source);
        return rest;
      })
    : record.lines;
  const { dns: rawDns, ...others } = record;
  const parsedLines = parseLinesFile({ ...others, lines });
  if (!parsedLines.ok) errors.push(...parsedLines.errors.map((e) => (e.message.startsWith('is not a known field') ? { ...e, message: 'is not a known field (known: lines, dns)' } : e)));
  const dns = rawDns === undefined ? { ok: true as const, value: DEFAULT_DNS_CONFIG } : parseDnsConfig(rawDns, 'dns');
  if (!dns.ok) errors.push(...dns.errors);
  if (errors.length || !parsedLines.ok || !dns.ok) return { ok: false, errors };
  parsedLines.value.forEach((line, i) => {
    const source = sources[i];
    if (source) passwordSources[line.id] = source;
  });
  return { ok: true, value: { lines: parsedLines.value, dns: dns.value, passwordSources } };
}

/** How a server is named to a person: "127.0.0.1:5060/udp". */
export function serverLabel(server: Pick<ServerConfig, 'host' | 'port' | 'transport'>): string {
  return `${server.host}:${server.port}/${server.transport}`;
}
