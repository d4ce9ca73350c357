/**
 * A line as the form edits it: every input as the person typed it (numbers stay text until
 * checked), and the conversion to the monitor-format object the bridge and the schema take.
 * Optional fields left empty are omitted, so the schema's defaults apply exactly as they would
 * to a config file.
 */
import type { CodecName, LineConfig, TransportKind } from '../../../common/line-config';
import { callSettingsSchema, lineSchema, serverSchema } from '../../../common/line-config';
import type { LineInput, PublicLineConfig } from '../../../preload/contract';

export interface ServerDraft {
  /** Stable identity for keyed lists while servers are reordered; never sent. */
  key: number;
  host: string;
  /** Empty = the transport's default port. */
  port: string;
  transport: TransportKind;
  /** ws/wss only; empty = "/". */
  path: string;
  expires: string;
  /** tls/wss only. */
  tlsCa: string;
  tlsFingerprint: string;
}

/** A line's call settings as the form edits them (numbers stay text until checked). */
export interface CallsDraft {
  enabled: boolean;
  dtmfMode: 'rfc4733' | 'info';
  /** Offered in this order (RFC 3264 §5: the answerer prefers the order given). */
  codecs: CodecName[];
  srtp: 'off' | 'optional' | 'mandatory';
  mediaMode: 'rtp' | 'webrtc';
  rtpPortMin: string;
  rtpPortMax: string;
  rtpTimeout: string;
  autoAnswer: boolean;
  /** Delay before auto-answer, ms; used only when `autoAnswer`. */
  autoAnswerMs: string;
}

/** keep: an edit leaves the stored password alone; set: replace it with `password`; clear: remove it. */
export type PasswordMode = 'keep' | 'set' | 'clear';

export interface LineDraft {
  id: string;
  name: string;
  username: string;
  authUsername: string;
  password: string;
  passwordMode: PasswordMode;
  domain: string;
  displayName: string;
  servers: ServerDraft[];
  expiryMode: 'auto' | 'fixed';
  retryDelay: string;
  signalRetryCount: string;
  failbackEnabled: boolean;
  failbackInterval: string;
  livenessInterval: string;
  privacy: 'ignore' | 'id' | 'none';
  sendUnregister: boolean;
  stopFailoverAfterInviteTimeout: boolean;
  calls: CallsDraft;
  enabled: boolean;
  /** Fields the form does not edit (NAT, the monitor's test call), carried through an edit as stored. */
  carried: Partial<Pick<LineConfig, 'nat' | 'testCall'>>;
}

const shape = lineSchema.shape;
const defaultOf = <T>(field: { fallback?: () => T }): T => field.fallback!();

let nextKey = 1;

export function serverDraft(from: Partial<Omit<ServerDraft, 'key'>> = {}): ServerDraft {
  return {
    key: nextKey++,
    host: '',
    port: '',
    transport: defaultOf(serverSchema.shape.transport) as TransportKind,
    path: '',
    expires: String(defaultOf(serverSchema.shape.expires)),
    tlsCa: '',
    tlsFingerprint: '',
    ...from,
  };
}

type CallSettingsValue = LineConfig['calls'];

function callsDraft(calls: CallSettingsValue): CallsDraft {
  return {
    enabled: calls.enabled,
    dtmfMode: calls.dtmfMode,
    codecs: [...calls.codecs],
    srtp: calls.srtp,
    mediaMode: calls.mediaMode,
    rtpPortMin: String(calls.rtpPortMin),
    rtpPortMax: String(calls.rtpPortMax),
    rtpTimeout: String(calls.rtpTimeout),
    autoAnswer: calls.autoAnswerMs !== undefined,
    autoAnswerMs: String(calls.autoAnswerMs ?? 0),
  };
}

/** A new line: every SPEC default filled in, one empty primary server. */
export function emptyDraft(): LineDraft {
  const failback = defaultOf(shape.failback);
  const liveness = defaultOf(shape.liveness);
  return {
    id: '', name: '', username: '', authUsername: '', password: '', passwordMode: 'set', domain: '', displayName: '',
    servers: [serverDraft()],
    expiryMode: defaultOf(shape.expiryMode),
    retryDelay: String(defaultOf(shape.retryDelay)),
    signalRetryCount: String(defaultOf(shape.signalRetryCount)),
    failbackEnabled: failback.enabled,
    failbackInterval: String(failback.interval),
    livenessInterval: String(liveness.interval),
    privacy: defaultOf(shape.privacy),
    sendUnregister: defaultOf(shape.sendUnregister),
    stopFailoverAfterInviteTimeout: defaultOf(shape.stopFailoverAfterInviteTimeout),
    calls: callsDraft(defaultOf(callSettingsSchema) as CallSettingsValue),
    enabled: defaultOf(shape.enabled),
    carried: {},
  };
}

/** An existing line, ready to edit. The password is never known here: it is kept unless replaced. */
export function draftFromConfig(config: PublicLineConfig): LineDraft {
  return {
    id: config.id,
    name: config.name === config.id ? '' : config.name,
    username: config.username,
    authUsername: config.authUsername ?? '',
    password: '',
    passwordMode: 'keep',
    domain: config.domain,
    displayName: config.displayName ?? '',
    servers: config.servers.map((s) => serverDraft({
      host: s.host,
      // A port the config did not give stays empty, so the line keeps locating the server by SRV.
      port: s.portGiven === false ? '' : String(s.port),
      transport: s.transport,
      path: s.path ?? '',
      expires: String(s.expires),
      tlsCa: s.tls?.ca ?? '',
      tlsFingerprint: s.tls?.fingerprintSha256 ?? '',
    })),
    expiryMode: config.expiryMode,
    retryDelay: String(config.retryDelay),
    signalRetryCount: String(config.signalRetryCount),
    failbackEnabled: config.failback.enabled,
    failbackInterval: String(config.failback.interval),
    livenessInterval: String(config.liveness.interval),
    privacy: config.privacy,
    sendUnregister: config.sendUnregister,
    stopFailoverAfterInviteTimeout: config.stopFailoverAfterInviteTimeout,
    calls: callsDraft(config.calls),
    enabled: config.enabled,
    carried: JSON.parse(JSON.stringify({ nat: config.nat, testCall: config.testCall })) as LineDraft['carried'],
  };
}

/** "42" → 42; anything else goes to the schema as typed, so its message can quote it. */
function integerInput(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

function optionalText(text: string): string | undefined {
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}

const usesPath = (t: TransportKind) => t === 'ws' || t === 'wss';
const usesTls = (t: TransportKind) => t === 'tls' || t === 'wss';

function serverInput(s: ServerDraft): Record<string, unknown> {
  const tls = usesTls(s.transport) ? { ca: optionalText(s.tlsCa), fingerprintSha256: optionalText(s.tlsFingerprint) } : undefined;
  return withoutUndefined({
    host: s.host.trim(),
    port: integerInput(s.port),
    transport: s.transport,
    path: usesPath(s.transport) ? optionalText(s.path) : undefined,
    expires: integerInput(s.expires),
    tls: tls && (tls.ca !== undefined || tls.fingerprintSha256 !== undefined) ? withoutUndefined(tls) : undefined,
  });
}

/**
 * The monitor-format line for the bridge. `password` is present only when it is being set or
 * cleared: absent means "keep the stored one" (see LineInput).
 */
export function draftToInput(d: LineDraft): LineInput {
  return withoutUndefined({
    id: d.id.trim(),
    name: optionalText(d.name),
    username: d.username.trim(),
    authUsername: optionalText(d.authUsername),
    password: d.passwordMode === 'set' ? d.password : d.passwordMode === 'clear' ? '' : undefined,
    domain: d.domain.trim(),
    displayName: optionalText(d.displayName),
    servers: d.servers.map(serverInput),
    expiryMode: d.expiryMode,
    retryDelay: integerInput(d.retryDelay),
    signalRetryCount: integerInput(d.signalRetryCount),
    failback: withoutUndefined({ enabled: d.failbackEnabled, interval: integerInput(d.failbackInterval) }),
    liveness: withoutUndefined({ interval: integerInput(d.livenessInterval) }),
    privacy: d.privacy,
    sendUnregister: d.sendUnregister,
    stopFailoverAfterInviteTimeout: d.stopFailoverAfterInviteTimeout,
    calls: withoutUndefined({
      enabled: d.calls.enabled,
      dtmfMode: d.calls.dtmfMode,
      codecs: [...d.calls.codecs],
      srtp: d.calls.srtp,
      mediaMode: d.calls.mediaMode,
      rtpPortMin: integerInput(d.calls.rtpPortMin),
      rtpPortMax: integerInput(d.calls.rtpPortMax),
      rtpTimeout: integerInput(d.calls.rtpTimeout),
      autoAnswerMs: d.calls.autoAnswer ? integerInput(d.calls.autoAnswerMs) ?? 0 : undefined,
    }),
    enabled: d.enabled,
    // A JSON copy: the draft is a Svelte state proxy, which structuredClone refuses.
    ...(JSON.parse(JSON.stringify(d.carried)) as LineDraft['carried']),
  });
}

function withoutUndefined<T extends Record<string, unknown>>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}
