/**
 * The main-process side of the bridge, independent of how messages travel: Electron IPC in the
 * app, a loopback WebSocket in the development/test host. Every command's payload is validated
 * here, at the boundary, and every answer is `{ ok, value } | { ok: false, error }`.
 */
import type { LineConfig } from '../../common/line-config';
import { parseLineConfig, parseLinesFile } from '../../common/line-config';
import type { FieldError } from '../../common/schema';
import type {
  AppSettings, BridgeError, CommandMap, CommandName, CommandResult, EventMap, EventName, LineInput, LineView, PublicLineConfig,
} from '../../preload/contract';
import type { SipEngine } from '../sip/engine';
import { parseHepSetting, parseMetricsSetting } from './diagnostics-settings';
import type { LineRepository } from './line-repository';
import { monitorFormat } from './monitor-format';

class InputError extends Error {
  constructor(message: string, readonly fields?: FieldError[]) {
    super(message);
  }
}

/** The commands LineService answers; `call:*` belong to CallService, `media:*` to MediaService. */
export type LineCommandName = Exclude<CommandName, `call:${string}` | `media:${string}`>;

type Handlers = { [N in LineCommandName]: (...args: unknown[]) => Promise<CommandMap[N]['value']> | CommandMap[N]['value'] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function lineId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw new InputError('id: must be a line id (text of 1 to 64 characters)');
  return value;
}

export function publicConfig(config: LineConfig): PublicLineConfig {
  const { password, ...rest } = config;
  return { ...rest, hasPassword: password.length > 0 };
}

/** A line in the monitor file format, secrets only when asked. */
function exportable(config: LineConfig, includeSecrets: boolean): Record<string, unknown> {
  const { password, ...rest } = config;
  const out = monitorFormat(rest);
  if (includeSecrets && password) out.password = password;
  return out;
}

export type EventSink = <E extends EventName>(event: E, payload: EventMap[E]) => void;

export class LineService {
  private readonly handlers: Handlers;
  private readonly unsubscribe: (() => void)[] = [];
  private settings: AppSettings;

  constructor(
    private readonly engine: SipEngine,
    private readonly repository: LineRepository,
    private readonly emit: EventSink,
    /** Asks the person before a link leaves the app; answers whether it was opened. */
    private readonly openExternal: (url: string) => Promise<boolean> = async () => false,
  ) {
    this.settings = repository.loadSettings();
    this.unsubscribe.push(
      engine.onLine((snapshot) => emit('line:changed', snapshot)),
      engine.onHistory((entry) => emit('line:history', entry)),
      engine.onRemoved((id) => emit('line:removed', { id })),
    );
    this.handlers = {
      'lines:list': () => this.engine.lineIds().map((id) => this.view(id)),
      'lines:add': (input) => this.add(input),
      'lines:update': (id, input) => this.update(lineId(id), input),
      'lines:remove': async (id) => {
        await this.engine.removeLine(this.existing(lineId(id)));
        this.persist();
        return null;
      },
      'lines:set-enabled': async (id, enabled) => {
        if (typeof enabled !== 'boolean') throw new InputError('enabled: must be true or false');
        await this.engine.setLineEnabled(this.existing(lineId(id)), enabled);
        this.persist();
        return this.view(lineId(id));
      },
      'lines:history': (id) => this.engine.history(this.existing(lineId(id))),
      'lines:trace': (id) => this.engine.trace(this.existing(lineId(id))),
      'lines:export': (options) => {
        const includeSecrets = isRecord(options) && options.includeSecrets === true;
        const lines = this.engine.lineIds().map((id) => exportable(this.engine.config(id), includeSecrets));
        return `${JSON.stringify({ lines }, null, 2)}\n`;
      },
      'lines:import': (json) => this.import(json),
      'settings:get': () => structuredClone(this.settings),
      'settings:update': (patch) => this.updateSettings(patch),
      'app:open-external': (url) => {
        if (typeof url !== 'string') throw new InputError('url: must be text');
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          throw new InputError('url: must be an http or https address');
        }
        if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new InputError('url: must be an http or https address');
        return this.openExternal(parsed.toString()); /* eng-disable OPEN_EXTERNAL_JS_CHECK -- http(s) only, checked above; the callback confirms with the person */
      },
    };
  }

  /** Starts every stored line. */
  start(): void {
    for (const line of this.repository.loadLines()) this.engine.addLine(line);
  }

  /** Runs one command from the bridge. Unknown commands and bad payloads answer an error, never throw. */
  async dispatch(name: string, args: unknown): Promise<CommandResult<unknown>> {
    if (!Object.hasOwn(this.handlers, name)) return { ok: false, error: { message: `unknown command "${name}"` } };
    if (!Array.isArray(args)) return { ok: false, error: { message: 'arguments must be a list' } };
    try {
      const value = await this.handlers[name as LineCommandName](...args);
      return { ok: true, value };
    } catch (error) {
      const bridgeError: BridgeError = error instanceof InputError
        ? { message: error.message, ...(error.fields ? { fields: error.fields } : {}) }
        : { message: (error as Error).message || 'internal error' };
      return { ok: false, error: bridgeError };
    }
  }

  dispose(): void {
    this.unsubscribe.forEach((off) => off());
  }

  private view(id: string): LineView {
    return { config: publicConfig(this.engine.config(id)), snapshot: this.engine.snapshot(id) };
  }

  private existing(id: string): string {
    if (!this.engine.lineIds().includes(id)) throw new InputError(`no line "${id}"`);
    return id;
  }

  private parse(input: unknown, keepPasswordOf?: string): LineConfig {
    if (!isRecord(input)) throw new InputError('line: must be an object');
    const withPassword: LineInput = { ...input };
    if (withPassword.password === undefined && keepPasswordOf !== undefined) withPassword.password = this.engine.config(keepPasswordOf).password;
    const parsed = parseLineConfig(withPassword);
    if (!parsed.ok) throw new InputError(`the line has ${parsed.errors.length} invalid field${parsed.errors.length > 1 ? 's' : ''}`, parsed.errors);
    return parsed.value;
  }

  private add(input: unknown): LineView {
    const config = this.parse(input);
    if (this.engine.lineIds().includes(config.id)) throw new InputError(`id: a line "${config.id}" already exists`, [{ path: 'id', message: `must be unique ("${config.id}" exists)` }]);
    this.engine.addLine(config);
    this.persist();
    const view = this.view(config.id);
    this.emit('line:added', view);
    return view;
  }

  private async update(id: string, input: unknown): Promise<LineView> {
    this.existing(id);
    const config = this.parse(input, id);
    if (config.id !== id) throw new InputError('id: cannot be changed; add a new line instead', [{ path: 'id', message: 'cannot be changed' }]);
    await this.engine.updateLine(config);
    this.persist();
    return this.view(id);
  }

  private async import(json: unknown): Promise<{ added: number; replaced: number }> {
    if (typeof json !== 'string') throw new InputError('file: must be text');
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch (error) {
      throw new InputError(`file: not valid JSON (${(error as Error).message})`);
    }
    // A line exported without secrets keeps the password already stored for it.
    if (isRecord(data) && Array.isArray(data.lines)) {
      data = {
        ...data,
        lines: data.lines.map((l) => (isRecord(l) && l.password === undefined && typeof l.id === 'string' && this.engine.lineIds().includes(l.id) ? { ...l, password: this.engine.config(l.id).password } : l)),
      };
    }
    const parsed = parseLinesFile(data);
    if (!parsed.ok) throw new InputError(`the file has ${parsed.errors.length} invalid field${parsed.errors.length > 1 ? 's' : ''}; nothing was imported`, parsed.errors);
    let added = 0;
    let replaced = 0;
    for (const config of parsed.value) {
      if (this.engine.lineIds().includes(config.id)) {
        await this.engine.updateLine(config);
        replaced++;
      } else {
        this.engine.addLine(config);
        this.emit('line:added', this.view(config.id));
        added++;
      }
    }
    this.persist();
    return { added, replaced };
  }

  private updateSettings(patch: unknown): AppSettings {
    if (!isRecord(patch)) throw new InputError('settings: must be an object');
    const next = structuredClone(this.settings);
    for (const [key, value] of Object.entries(patch)) {
      if (key === 'notifications') {
        if (typeof value !== 'boolean') throw new InputError('notifications: must be true or false');
        next.notifications = value;
      } else if (key === 'theme') {
        if (value !== 'system' && value !== 'light' && value !== 'dark') throw new InputError('theme: must be one of "system", "light", "dark"');
        next.theme = value;
      } else if (key === 'metrics' || key === 'hep') {
        const parsed = key === 'metrics' ? parseMetricsSetting(value, next.metrics) : parseHepSetting(value, next.hep);
        if (!parsed.ok) throw new InputError(parsed.errors.map((e) => `${e.path}: ${e.message}`).join('; '), parsed.errors);
        if (key === 'metrics') next.metrics = parsed.value as AppSettings['metrics'];
        else next.hep = parsed.value as AppSettings['hep'];
      } else throw new InputError(`${key}: is not a known setting (known: notifications, theme, metrics, hep)`);
    }
    this.settings = next;
    this.repository.saveSettings(next);
    this.emit('settings:changed', structuredClone(next));
    return structuredClone(next);
  }

  private persist(): void {
    this.repository.saveLines(this.engine.lineIds().map((id) => this.engine.config(id)));
  }
}
