/**
 * The one contract between the main process and the renderer, declared once as types.
 * Commands go renderer → main as request/response and never throw across the bridge: they answer
 * `{ ok: true, value } | { ok: false, error }`. Events go main → renderer. Channel names read
 * `domain:verb`. Both sides import this file with `import type` only.
 */
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
}

/** Something main wants a person to know (a settings file moved aside, a refused secret store). */
export interface AppNotice {
  level: 'info' | 'warning' | 'error';
  message: string;
}

export interface BridgeError {
  message: string;
  /** Present when the input was refused: one entry per field, naming the field and what is allowed. */
  fields?: FieldError[];
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
}

/** Every event: its payload. */
export interface EventMap {
  'line:changed': LineSnapshot;
  'line:added': LineView;
  'line:removed': { id: string };
  'line:history': LineHistoryEntry;
  'settings:changed': AppSettings;
  'app:notice': AppNotice;
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
} as const satisfies Record<string, CommandName>;

/** The `onX` subscription the preload exposes for each event. */
export const EVENT_METHODS = {
  onLineChanged: 'line:changed',
  onLineAdded: 'line:added',
  onLineRemoved: 'line:removed',
  onLineHistory: 'line:history',
  onSettingsChanged: 'settings:changed',
  onNotice: 'app:notice',
} as const satisfies Record<string, EventName>;

type CommandMethods = {
  [M in keyof typeof COMMAND_METHODS]: (...args: CommandMap[(typeof COMMAND_METHODS)[M]]['args']) => Promise<CommandResult<CommandMap[(typeof COMMAND_METHODS)[M]]['value']>>;
};
type EventMethods = {
  [M in keyof typeof EVENT_METHODS]: (callback: (payload: EventMap[(typeof EVENT_METHODS)[M]]) => void) => () => void;
};

/** `window.trunkline`: everything the renderer can reach, and nothing else. */
export type TrunklineApi = CommandMethods & EventMethods;
