/**
 * The main-process side of the phone: the `call:*` commands of the contract, validated at the
 * boundary like every command (answers `{ ok, value } | { ok: false, error }`, never throws), run
 * against the engine's CallManager; the history of finished calls, persisted and bounded; the
 * phone settings; and links that open the dialer. The Electron app and the development host both
 * use it, beside LineService.
 *
 * Call waiting lives here, above the engine (policy above mechanism): answering or resuming a call
 * first puts every other connected call on hold, so the person is never in two conversations.
 */
import type { CallEvent, CallSnapshot } from '../../common/call-status';
import type { FieldError } from '../../common/schema';
import type {
  BridgeError, CallHistoryView, CommandMap, CommandName, CommandResult, DeclineCode, DialLink, PhoneSettings,
} from '../../preload/contract';
import type { CallHistoryRepository } from './call-history';
import { recordOf } from './call-history';
import { dialTargetOfLink } from './dial-links';
import type { EventSink } from './line-service';

/** The part of the engine's CallManager (main/sip/calls/call-manager.ts) the phone uses. */
export interface CallControl {
  dial(lineId: string, target: string): Promise<CallSnapshot>;
  answer(callId: string): Promise<unknown>;
  decline(callId: string, code: DeclineCode): unknown;
  hangup(callId: string): unknown;
  hold(callId: string): Promise<unknown>;
  resume(callId: string): Promise<unknown>;
  setMuted(callId: string, muted: boolean): unknown;
  sendDtmf(callId: string, digits: string): unknown;
  transfer(callId: string, target: string): unknown;
  calls(): CallSnapshot[];
}

/** The events the phone listens to; each answers an unsubscribe function. */
export interface CallFeed {
  onCall(listener: (call: CallSnapshot) => void): () => void;
  onEvent(listener: (event: CallEvent) => void): () => void;
  onIncoming(listener: (call: CallSnapshot) => void): () => void;
}

/** The CallManager's `on(kind, listener) → unsubscribe`, as a {@link CallFeed}. */
export function callFeedOf(source: {
  on(kind: 'call', listener: (call: CallSnapshot) => void): () => void;
  on(kind: 'event', listener: (event: CallEvent) => void): () => void;
  on(kind: 'incoming', listener: (call: CallSnapshot) => void): () => void;
}): CallFeed {
  return {
    onCall: (listener) => source.on('call', listener),
    onEvent: (listener) => source.on('event', listener),
    onIncoming: (listener) => source.on('incoming', listener),
  };
}

export type CallCommandName = Extract<CommandName, `call:${string}`>;

type Handlers = { [N in CallCommandName]: (...args: unknown[]) => Promise<CommandMap[N]['value']> | CommandMap[N]['value'] };

class InputError extends Error {
  constructor(message: string, readonly fields?: FieldError[]) {
    super(message);
  }
}

const ID = /^[\w.@:+-]{1,128}$/;
/** RFC 4733 §3.2 events 0-15. */
const DTMF = /^[0-9*#A-Da-d]{1,32}$/;

function callId(value: unknown): string {
  if (typeof value !== 'string' || !ID.test(value)) throw new InputError('callId: must be a call id (1 to 128 letters, digits or ".@:+-_")');
  return value;
}

function target(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > 256) {
    throw new InputError(`${field}: must be a number or a sip:, sips: or tel: URI of 1 to 256 characters`, [{ path: field, message: 'must be a number or a sip:, sips: or tel: URI' }]);
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InputError(`${field}: must not hold control characters`, [{ path: field, message: 'must not hold control characters' }]);
  return value.trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deviceId(value: unknown, key: string): string | null {
  if (value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > 512) throw new InputError(`${key}: must be a device id (text of 1 to 512 characters) or null for the system default`);
  return value;
}

export interface CallServiceOptions {
  calls: CallControl;
  feed: CallFeed;
  history: CallHistoryRepository;
  emit: EventSink;
  /** Line ids the engine knows (a dial names one). */
  lineIds: () => readonly string[];
  /** The app's own reaction to an incoming call (notification, ringing the tray, raising the window). */
  onIncoming?: (call: CallSnapshot, settings: PhoneSettings) => void;
  /** The number of missed calls the person has not seen changed (tray badge). */
  onMissedChanged?: (missedUnseen: number) => void;
  /** Whether a page is listening for `app:dial-link` right now; if not the link waits for `call:take-link`. */
  pageReady?: () => boolean;
}

export class CallService {
  private readonly handlers: Handlers;
  private readonly unsubscribe: (() => void)[] = [];
  private pendingLink: DialLink | null = null;

  constructor(private readonly options: CallServiceOptions) {
    const { calls, feed, emit } = options;
    this.unsubscribe.push(
      feed.onCall((call) => {
        emit('call:changed', call);
        if (call.state === 'ended') this.remember(call);
      }),
      feed.onEvent((event) => emit('call:event', event)),
      feed.onIncoming((call) => {
        emit('call:incoming', call);
        options.onIncoming?.(call, options.history.settings());
      }),
    );
    this.handlers = {
      'call:dial': (line, to) => {
        const id = typeof line === 'string' ? line : '';
        if (!this.options.lineIds().includes(id)) throw new InputError(`line: no line "${String(line)}"`, [{ path: 'line', message: 'must be one of the lines' }]);
        return calls.dial(id, target(to, 'to'));
      },
      'call:answer': async (id) => {
        const call = this.live(callId(id));
        if (call.direction !== 'incoming' || call.state !== 'ringing') throw new InputError(`callId: call "${call.id}" is not ringing here`);
        await this.holdOthers(call.id);
        await calls.answer(call.id);
        return calls.calls().find((c) => c.id === call.id) ?? call;
      },
      'call:decline': async (id, code) => {
        const call = this.live(callId(id));
        if (code !== undefined && code !== 486 && code !== 603) throw new InputError('code: must be 486 (Busy Here) or 603 (Decline)');
        await calls.decline(call.id, code ?? 486);
        return null;
      },
      'call:hangup': async (id) => {
        await calls.hangup(this.live(callId(id)).id);
        return null;
      },
      'call:hold': async (id) => {
        await calls.hold(this.connected(callId(id)).id);
        return null;
      },
      'call:resume': async (id) => {
        const call = this.connected(callId(id));
        await this.holdOthers(call.id);
        await calls.resume(call.id);
        return null;
      },
      'call:mute': async (id, muted) => {
        if (typeof muted !== 'boolean') throw new InputError('muted: must be true or false');
        await calls.setMuted(this.live(callId(id)).id, muted);
        return null;
      },
      'call:dtmf': async (id, digits) => {
        if (typeof digits !== 'string' || !DTMF.test(digits)) throw new InputError('digits: must be 1 to 32 of 0-9, *, #, A-D (RFC 4733)');
        await calls.sendDtmf(this.connected(callId(id)).id, digits);
        return null;
      },
      'call:transfer': async (id, to) => {
        await calls.transfer(this.connected(callId(id)).id, target(to, 'transferTo'));
        return null;
      },
      'call:list': () => calls.calls(),
      'call:history': (): CallHistoryView => ({ entries: options.history.entries(), missedUnseen: options.history.missedUnseen }),
      'call:history-clear': () => {
        options.history.clear();
        this.historyChanged(null, true);
        return null;
      },
      'call:history-seen': () => {
        if (options.history.missedUnseen > 0) {
          options.history.markSeen();
          this.historyChanged(null, false);
        }
        return null;
      },
      'call:settings-get': () => options.history.settings(),
      'call:settings-update': (patch) => this.updateSettings(patch),
      'call:take-link': () => {
        const link = this.pendingLink;
        this.pendingLink = null;
        return link;
      },
    };
  }

  /** Whether this service answers `name`. */
  handles(name: string): boolean {
    return Object.hasOwn(this.handlers, name);
  }

  /** Runs one command from the bridge. Bad payloads answer an error naming the field, never throw. */
  async dispatch(name: string, args: unknown): Promise<CommandResult<unknown>> {
    if (!this.handles(name)) return { ok: false, error: { message: `unknown command "${name}"` } };
    if (!Array.isArray(args)) return { ok: false, error: { message: 'arguments must be a list' } };
    try {
      const value = await this.handlers[name as CallCommandName](...args);
      return { ok: true, value };
    } catch (error) {
      const bridgeError: BridgeError = error instanceof InputError
        ? { message: error.message, ...(error.fields ? { fields: error.fields } : {}) }
        : { message: (error as Error).message || 'internal error' };
      return { ok: false, error: bridgeError };
    }
  }

  /**
   * A sip:/tel:/callto: link opened the app (argv or open-url). The dialer gets the number; the
   * call is placed only when the person turned "links dial at once" on. Answers what was sent,
   * or null when the text is not a dial link.
   */
  openLink(link: string): DialLink | null {
    const to = dialTargetOfLink(link);
    if (to === null) return null;
    const message: DialLink = { target: to, dial: this.options.history.settings().linksDialAtOnce };
    if (this.options.pageReady?.() ?? true) {
      this.pendingLink = null;
      this.options.emit('app:dial-link', message);
    } else this.pendingLink = message;
    return message;
  }

  get missedUnseen(): number {
    return this.options.history.missedUnseen;
  }

  dispose(): void {
    this.unsubscribe.splice(0).forEach((off) => off());
  }

  private remember(call: CallSnapshot): void {
    const record = recordOf(call);
    if (!this.options.history.add(record)) return;
    this.historyChanged(record, false);
  }

  private historyChanged(added: ReturnType<typeof recordOf> | null, cleared: boolean): void {
    const missedUnseen = this.options.history.missedUnseen;
    this.options.emit('call:history-changed', { added, cleared, missedUnseen });
    this.options.onMissedChanged?.(missedUnseen);
  }

  private live(id: string): CallSnapshot {
    const call = this.options.calls.calls().find((c) => c.id === id);
    if (!call || call.state === 'ended') throw new InputError(`callId: no call "${id}" in progress`);
    return call;
  }

  private connected(id: string): CallSnapshot {
    const call = this.live(id);
    if (call.state !== 'connected' && call.state !== 'held') throw new InputError(`callId: call "${id}" is not connected (it is ${call.state})`);
    return call;
  }

  /** Call waiting: every other call in conversation goes on hold before this one is taken. */
  private async holdOthers(except: string): Promise<void> {
    for (const other of this.options.calls.calls()) {
      if (other.id !== except && other.state === 'connected' && !other.localHold) await this.options.calls.hold(other.id);
    }
  }

  private updateSettings(patch: unknown): PhoneSettings {
    if (!isRecord(patch)) throw new InputError('settings: must be an object');
    const next = this.options.history.settings();
    for (const [key, value] of Object.entries(patch)) {
      if (key === 'linksDialAtOnce' || key === 'raiseOnIncoming') {
        if (typeof value !== 'boolean') throw new InputError(`${key}: must be true or false`);
        next[key] = value;
      } else if (key === 'inputDevice' || key === 'outputDevice' || key === 'ringerDevice') {
        next[key] = deviceId(value, key);
      } else throw new InputError(`${key}: is not a known phone setting (known: linksDialAtOnce, raiseOnIncoming, inputDevice, outputDevice, ringerDevice)`);
    }
    this.options.history.saveSettings(next);
    this.options.emit('call:settings-changed', { ...next });
    return { ...next };
  }
}
