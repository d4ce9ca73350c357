/**
 * The one contract between the main process and the renderer, declared once as types.
 * Commands go renderer → main as request/response and never throw across the bridge: they answer
 * `{ ok: true, value } | { ok: false, error }`. Events go main → renderer. Channel names read
 * `domain:verb`. Both sides import this file with `import type` only.
 */
import type { CallEvent, CallSnapshot, CallDirection, RemoteParty } from '../common/call-status';
import type { FieldError } from '../common/schema';
import type { LineConfig } from '../common/line-config';
import type { LineHistoryEntry, LineSnapshot, TraceEntry } from '../common/line-status';

/** A line as the UI sees it: its configuration without the secret, and its live snapshot. */
export interface LineView {
  config: PublicLineConfig;
  snapshot: LineSnapshot;
}

/** The configuration minus the password: the renderer only learns whether one is set. */
export type PublicLineConfig = Omit<LineConfig, 'password'> & { hasPassword: boolean };

/**
 * What the UI sends to add or edit a line: the same object as a monitor config file line,
 * validated in main with the same schema. `password` absent = keep the stored one.
 */
export type LineInput = Record<string, unknown>;

export interface AppSettings {
  /** Desktop notifications when a line leaves `registered` and when it comes back. */
  notifications: boolean;
  /** UI theme; `system` follows the OS. */
  theme: 'system' | 'light' | 'dark';
  /** Prometheus `/metrics` on 127.0.0.1 (never another address); off by default (issue 10). */
  metrics: MetricsSetting;
  /** HEP export of every SIP message to a collector such as Homer; off by default (issue 10). */
  hep: HepSetting;
}

/** `AppSettings.metrics`: the endpoint listens on 127.0.0.1:`port` while `enabled`. */
export interface MetricsSetting {
  enabled: boolean;
  /** TCP port, an integer from 1024 to 65535; default 9464. */
  port: number;
}

/** `AppSettings.hep`: HEPv3 over UDP while `enabled`; passwords and Authorization values masked. */
export interface HepSetting {
  enabled: boolean;
  /** `udp:IP:PORT`, e.g. `udp:127.0.0.1:9060` (the default) or `udp:[::1]:9060`; no host names. */
  target: string;
  /** The capture agent id Homer shows, 1 to 4294967295; default 2001. */
  captureId: number;
}

/** Something main wants a person to know (a settings file moved aside, a refused secret store). */
export interface AppNotice {
  level: 'info' | 'warning' | 'error';
  message: string;
}

/** One finished call in the history (SPEC "Call history"). Times are epoch ms. */
export interface CallRecord {
  id: string;
  line: string;
  direction: CallDirection;
  remote: RemoteParty;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number;
  /** Answer → end, ms; 0 when never answered. */
  durationMs: number;
  /** Final SIP code (200 answered; 0 = no SIP response) and its reason. */
  code: number | null;
  reason: string | null;
  endedBy: 'local' | 'remote' | null;
  serverLabel: string | null;
  failovers: number;
  /** An incoming call nobody here answered or declined. */
  missed: boolean;
}

/** The history and how many missed calls the person has not looked at yet. */
export interface CallHistoryView {
  /** Newest first, at most 1,000. */
  entries: CallRecord[];
  missedUnseen: number;
}

/** One change to the history, pushed as `call:history-changed`. */
export interface CallHistoryChange {
  /** The call just finished, or null when the history was cleared or marked seen. */
  added: CallRecord | null;
  cleared: boolean;
  missedUnseen: number;
}

/** The phone's settings, kept beside the call history. Device ids are `MediaDeviceInfo.deviceId`; null = the system default. */
export interface PhoneSettings {
  /** A sip:/tel:/callto: link dials at once instead of only filling in the dialer. Off by default. */
  linksDialAtOnce: boolean;
  /** Bring the window to the front when a call comes in. */
  raiseOnIncoming: boolean;
  inputDevice: string | null;
  outputDevice: string | null;
  ringerDevice: string | null;
}

/** A sip:/tel:/callto: link opened the app: the dialer shows `target`; `dial` only when the person allowed links to dial at once. */
export interface DialLink {
  target: string;
  dial: boolean;
}

/** Which call to decline with what: 486 Busy Here (default) or 603 Decline. */
export type DeclineCode = 486 | 603;

export interface BridgeError {
  message: string;
  /** Present when the input was refused: one entry per field, naming the field and what is allowed. */
  fields?: FieldError[];
}

/**
 * The audio bus (research/calls-design.md §3.3): the renderer's one RTCPeerConnection to the media
 * host, over UDP loopback. Its audio transceivers are named by their `mid` (a "bus track id").
 */
export interface BusOpenAnswer {
  /** The media host's answer (127.0.0.1 candidates only, complete: the bus does not trickle). */
  sdpAnswer: string;
  /** The audio transceivers' mids, in SDP order: how many calls the bus carries at once. */
  busTrackIds: string[];
}

/** W3C RTCPeerConnectionState of the media host's end of the bus. */
export type BusState = 'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';

/** Which bus transceiver carries call `callId` now (null: none any more; the call ended or the bus closed). */
export interface BusTrackChange {
  callId: string;
  busTrackId: string | null;
}

export type CommandResult<T> = { ok: true; value: T } | { ok: false; error: BridgeError };

/** Every command: its arguments and the value it answers with. */
export interface CommandMap {
  'lines:list': { args: []; value: LineView[] };
  'lines:add': { args: [input: LineInput]; value: LineView };
  'lines:update': { args: [id: string, input: LineInput]; value: LineView };
  'lines:remove': { args: [id: string]; value: null };
  'lines:set-enabled': { args: [id: string, enabled: boolean]; value: LineView };
  'lines:history': { args: [id: string]; value: LineHistoryEntry[] };
  'lines:trace': { args: [id: string]; value: TraceEntry[] };
  /** The monitor config format; secrets only when asked. */
  'lines:export': { args: [options: { includeSecrets: boolean }]; value: string };
  /** Adds or replaces lines from a monitor config file's text; a line without password keeps its stored one. */
  'lines:import': { args: [json: string]; value: { added: number; replaced: number } };
  'settings:get': { args: []; value: AppSettings };
  'settings:update': { args: [patch: Partial<AppSettings>]; value: AppSettings };
  /** Opens an http(s) link in the browser after the user confirms. */
  'app:open-external': { args: [url: string]; value: boolean };
  /** Places a call; a line that is not registered registers first (SPEC "Calls"). */
  'call:dial': { args: [lineId: string, target: string]; value: CallSnapshot };
  /** Answers a ringing call; any other connected call is put on hold first (call waiting). */
  'call:answer': { args: [callId: string]; value: CallSnapshot };
  'call:decline': { args: [callId: string, code?: DeclineCode]; value: null };
  'call:hangup': { args: [callId: string]; value: null };
  'call:hold': { args: [callId: string]; value: null };
  /** Resumes a held call; any other connected call is put on hold first (swap). */
  'call:resume': { args: [callId: string]; value: null };
  'call:mute': { args: [callId: string, muted: boolean]; value: null };
  /** Digits 0-9, *, #, A-D (RFC 4733 §3.2), at most 32 at once. */
  'call:dtmf': { args: [callId: string, digits: string]; value: null };
  /** Blind transfer (REFER); progress arrives as `call:event` `transfer`. */
  'call:transfer': { args: [callId: string, target: string]; value: null };
  'call:list': { args: []; value: CallSnapshot[] };
  'call:history': { args: []; value: CallHistoryView };
  'call:history-clear': { args: []; value: null };
  /** The person looked at the history: the missed-call count goes back to 0. */
  'call:history-seen': { args: []; value: null };
  'call:settings-get': { args: []; value: PhoneSettings };
  'call:settings-update': { args: [patch: Partial<PhoneSettings>]; value: PhoneSettings };
  /** A link that opened the app before the page was listening (taken once), or null. */
  'call:take-link': { args: []; value: DialLink | null };
  /** Opens the audio bus with a page's complete offer (a new page's offer replaces the bus; its calls move over); calls dialled or answered afterwards use it. */
  'media:bus-open': { args: [sdpOffer: string]; value: BusOpenAnswer };
  /** Moves call `callId`'s audio onto bus transceiver `busTrackId` (a call already up without the bus). */
  'media:bus-attach': { args: [callId: string, busTrackId: string]; value: null };
  /** Closes the bus; calls on it go silent. */
  'media:bus-close': { args: []; value: null };
}

/** Every event: its payload. */
export interface EventMap {
  'line:changed': LineSnapshot;
  'line:added': LineView;
  'line:removed': { id: string };
  'line:history': LineHistoryEntry;
  'settings:changed': AppSettings;
  'app:notice': AppNotice;
  'call:changed': CallSnapshot;
  'call:event': CallEvent;
  /** A call started ringing here (also sent as `call:changed`). */
  'call:incoming': CallSnapshot;
  'call:history-changed': CallHistoryChange;
  'call:settings-changed': PhoneSettings;
  'app:dial-link': DialLink;
  'media:bus-state': { state: BusState };
  'media:bus-track': BusTrackChange;
}

export type CommandName = keyof CommandMap;
export type EventName = keyof EventMap;

/** The named function the preload exposes for each command. */
export const COMMAND_METHODS = {
  listLines: 'lines:list',
  addLine: 'lines:add',
  updateLine: 'lines:update',
  removeLine: 'lines:remove',
  setLineEnabled: 'lines:set-enabled',
  lineHistory: 'lines:history',
  lineTrace: 'lines:trace',
  exportLines: 'lines:export',
  importLines: 'lines:import',
  getSettings: 'settings:get',
  updateSettings: 'settings:update',
  openExternal: 'app:open-external',
  dial: 'call:dial',
  answerCall: 'call:answer',
  declineCall: 'call:decline',
  hangUp: 'call:hangup',
  holdCall: 'call:hold',
  resumeCall: 'call:resume',
  muteCall: 'call:mute',
  sendDtmf: 'call:dtmf',
  transferCall: 'call:transfer',
  listCalls: 'call:list',
  callHistory: 'call:history',
  clearCallHistory: 'call:history-clear',
  markCallHistorySeen: 'call:history-seen',
  getPhoneSettings: 'call:settings-get',
  updatePhoneSettings: 'call:settings-update',
  takeDialLink: 'call:take-link',
  openAudioBus: 'media:bus-open',
  attachAudioBus: 'media:bus-attach',
  closeAudioBus: 'media:bus-close',
} as const satisfies Record<string, CommandName>;

/** The `onX` subscription the preload exposes for each event. */
export const EVENT_METHODS = {
  onLineChanged: 'line:changed',
  onLineAdded: 'line:added',
  onLineRemoved: 'line:removed',
  onLineHistory: 'line:history',
  onSettingsChanged: 'settings:changed',
  onNotice: 'app:notice',
  onCallChanged: 'call:changed',
  onCallEvent: 'call:event',
  onIncomingCall: 'call:incoming',
  onCallHistoryChanged: 'call:history-changed',
  onPhoneSettingsChanged: 'call:settings-changed',
  onDialLink: 'app:dial-link',
  onAudioBusState: 'media:bus-state',
  onAudioBusTrack: 'media:bus-track',
} as const satisfies Record<string, EventName>;

type CommandMethods = {
  [M in keyof typeof COMMAND_METHODS]: (...args: CommandMap[(typeof COMMAND_METHODS)[M]]['args']) => Promise<CommandResult<CommandMap[(typeof COMMAND_METHODS)[M]]['value']>>;
};
type EventMethods = {
  [M in keyof typeof EVENT_METHODS]: (callback: (payload: EventMap[(typeof EVENT_METHODS)[M]]) => void) => () => void;
};

/** `window.trunkline`: everything the renderer can reach, and nothing else. */
export type TrunklineApi = CommandMethods & EventMethods;
