/**
 * The phone's state: the calls main reports, the dialer (line, number, last error), the call
 * history and the phone settings. Components read it and call its methods; it alone talks to the
 * bridge for calls. The ringer is told what to play whenever the set of ringing calls changes.
 *
 * ```
 * incoming call ──► ringer "loud" (or "soft" when another call is in conversation: call waiting)
 * answered / declined / gone ──► ringer stops
 * ringing ──► connected without our Answer (the line's auto-answer) ──► ringer "beep"
 * ```
 */
/* eslint-disable svelte/prefer-svelte-reactivity -- immutable maps replaced per change, like LineStore */
import type { CallEvent, CallSnapshot } from '../../../common/call-status';
import type { LineState } from '../../../common/line-status';
import type { CallHistoryChange, CallRecord, DeclineCode, DialLink, PhoneSettings, TrunklineApi } from '../../../preload/contract';
import { callBackTarget, filterHistory } from '../model/call-history-filter';
import type { HistoryFilter } from '../model/call-history-filter';
import { resultText } from '../model/call-text';
import { cleanDialInput } from '../model/dial-text';
import type { LineStore } from './line-store.svelte';

/** What the ringer plays: the ring cadence, a soft call-waiting tone, or one short auto-answer beep. */
export type RingKind = 'loud' | 'soft' | 'beep';

/** The ringer device (see renderer/src/ringer.ts); tests pass a recording fake. */
export interface Ringer {
  play(kind: RingKind, deviceId: string | null): void;
  stop(): void;
}

/** The devices of one page, as the phone settings name them (null = system default). */
export interface DeviceSet {
  input: string | null;
  output: string | null;
  ringer: string | null;
}

/** Microphone and speaker for calls (renderer/src/phone-audio.ts over P2's AudioBus); tests pass a fake. */
export interface PhoneAudio {
  /** Opens the audio once (the first call starts it); false = calls go on without it. */
  prepare(devices: DeviceSet): Promise<boolean>;
  /**
   * Puts call `callId` on the audio once `prepare` has opened it (a call placed while it was still
   * opening); nothing when it is already on it or the audio could not open. Rejects with the reason.
   */
  attachWhenOpen(callId: string): Promise<void>;
  /** Microphone level 0..1 while open, else null. */
  level(): number | null;
  useDevices(devices: DeviceSet): Promise<void>;
  close(): void;
}

/** A line in the chooser. */
export interface LineChoice {
  id: string;
  name: string;
  state: LineState;
  registered: boolean;
}

const DEFAULT_SETTINGS: PhoneSettings = { linksDialAtOnce: false, raiseOnIncoming: true, inputDevice: null, outputDevice: null, ringerDevice: null };

/** How long an ended call stays on screen with its reason before it is cleared away (ms). */
export const ENDED_VISIBLE_MS = 8000;

export class PhoneState {
  calls = $state.raw<ReadonlyMap<string, CallSnapshot>>(new Map());
  history = $state.raw<readonly CallRecord[]>([]);
  missedUnseen = $state(0);
  settings = $state<PhoneSettings>({ ...DEFAULT_SETTINGS });
  /** The number field, as cleaned. */
  number = $state('');
  /** The chosen line; null = the first choice. */
  chosenLine = $state<string | null>(null);
  /** Why the last dial or command failed, in words (with the code and reason when there is one). */
  error = $state<string | null>(null);
  dialing = $state(false);
  /** Transfers in progress by call id → progress words. */
  transfers = $state.raw<ReadonlyMap<string, string>>(new Map());
  historyFilter = $state<HistoryFilter>('all');
  historyQuery = $state('');
  /** Asks the view to focus the number field (bumped by links and the shortcut). */
  focusRequest = $state(0);
  /** Microphone level 0..1 while a call is in conversation and the audio is open, else null (10 reads a second). */
  level = $state<number | null>(null);
  /** The last target dialled here, for Redial. */
  lastDialed = $state<{ line: string; target: string } | null>(null);

  readonly live = $derived([...this.calls.values()].filter((c) => c.state !== 'ended'));
  readonly ringing = $derived(this.live.filter((c) => c.direction === 'incoming' && c.state === 'ringing'));
  /** Calls on screen in the call area: everything not ringing in, plus ended calls still shown. */
  readonly active = $derived([...this.calls.values()].filter((c) => !(c.direction === 'incoming' && c.state === 'ringing')));
  /** The call the keyboard talks to: the one in conversation, else the newest live one. */
  readonly current = $derived(
    this.live.find((c) => c.state === 'connected' && !c.localHold)
      ?? this.live.filter((c) => !(c.direction === 'incoming' && c.state === 'ringing')).at(-1)
      ?? null,
  );
  readonly shownHistory = $derived(filterHistory(this.history, this.historyFilter, this.historyQuery));
  readonly recent = $derived(this.history.slice(0, 8));

  readonly #api: TrunklineApi;
  readonly #lines: LineStore;
  readonly #ringer: Ringer;
  readonly #audio: PhoneAudio | null;
  readonly #report: (message: string) => void;
  readonly #schedule: (callback: () => void, ms: number) => () => void;
  /** Calls answered from here (anything else that goes ringing → connected was auto-answered). */
  readonly #answering = new Set<string>();
  readonly #clearTimers = new Map<string, () => void>();
  #ringing: RingKind | null = null;
  #meter: (() => void) | null = null;

  constructor(api: TrunklineApi, lines: LineStore, options: { ringer: Ringer; audio?: PhoneAudio | null; report: (message: string) => void; schedule: (callback: () => void, ms: number) => () => void }) {
    this.#api = api;
    this.#lines = lines;
    this.#ringer = options.ringer;
    this.#audio = options.audio ?? null;
    this.#report = options.report;
    this.#schedule = options.schedule;
  }

  /** Lines that can place calls, registered ones first, then by name. */
  get lineChoices(): LineChoice[] {
    const choices: LineChoice[] = [];
    for (const [id, config] of this.#lines.configs) {
      if (!config.enabled || config.calls?.enabled === false) continue;
      const state = this.#lines.snapshots.get(id)?.state ?? 'disabled';
      choices.push({ id, name: config.name || id, state, registered: state === 'registered' });
    }
    return choices.sort((a, b) => Number(b.registered) - Number(a.registered) || a.name.localeCompare(b.name));
  }

  /** The line a dial goes out on. */
  get line(): string | null {
    const choices = this.lineChoices;
    if (this.chosenLine !== null && choices.some((c) => c.id === this.chosenLine)) return this.chosenLine;
    return choices[0]?.id ?? null;
  }

  async load(): Promise<void> {
    const [calls, history, settings, link] = await Promise.all([
      this.#api.listCalls(), this.#api.callHistory(), this.#api.getPhoneSettings(), this.#api.takeDialLink(),
    ]);
    if (calls.ok) for (const call of calls.value) this.changed(call);
    else this.#report(`Could not list the calls: ${calls.error.message}`);
    if (history.ok) {
      this.history = history.value.entries;
      this.missedUnseen = history.value.missedUnseen;
    } else this.#report(`Could not read the call history: ${history.error.message}`);
    if (settings.ok) this.settings = settings.value;
    if (link.ok && link.value) this.dialLink(link.value);
  }

  /** `call:changed` (and `call:incoming`). */
  changed(call: CallSnapshot): void {
    const previous = this.calls.get(call.id);
    if (previous?.state === 'ended' && call.state !== 'ended') return;
    const next = new Map(this.calls);
    next.set(call.id, call);
    this.calls = next;
    if (previous?.state === 'ringing' && previous.direction === 'incoming' && call.state === 'connected' && !this.#answering.has(call.id)) {
      this.#ringer.play('beep', this.settings.ringerDevice);
      this.#ringing = null;
    }
    if (call.state === 'ended') {
      this.#answering.delete(call.id);
      if (this.transfers.has(call.id)) this.#setTransfer(call.id, null);
      this.#clearTimers.get(call.id)?.();
      this.#clearTimers.set(call.id, this.#schedule(() => this.dismiss(call.id), ENDED_VISIBLE_MS));
    }
    this.#updateRinger();
    this.#updateMeter();
  }

  /** `call:event`: transfer progress and failover are the events the snapshot does not carry. */
  event(event: CallEvent): void {
    if (event.event === 'transfer') {
      const words = event.progress === 'failed'
        ? `Transfer failed${event.code ? `: ${resultText(event.code, event.reason)}` : ''}`
        : event.progress === 'accepted' ? 'Transfer accepted' : 'Transferring…';
      this.#setTransfer(event.call, words);
    }
  }

  historyChanged(change: CallHistoryChange): void {
    if (change.cleared) this.history = [];
    if (change.added && !this.history.some((r) => r.id === change.added!.id)) this.history = [change.added, ...this.history].slice(0, 1000);
    this.missedUnseen = change.missedUnseen;
  }

  settingsApplied(settings: PhoneSettings): void {
    const changed = settings.inputDevice !== this.settings.inputDevice || settings.outputDevice !== this.settings.outputDevice || settings.ringerDevice !== this.settings.ringerDevice;
    this.settings = settings;
    if (changed) void this.#audio?.useDevices(this.devices).catch((error: Error) => this.#report(`The audio device could not be switched: ${error.message}`));
  }

  /** A sip:/tel:/callto: link opened the app: fill in the number, dial only when main says so. */
  dialLink(link: DialLink): void {
    this.number = cleanDialInput(link.target);
    this.error = null;
    this.focusRequest++;
    if (link.dial) void this.dial();
  }

  setNumber(text: string): void {
    this.number = cleanDialInput(text);
    this.error = null;
  }

  /** A dial pad key: appended to the number. */
  press(key: string): void {
    this.number += key;
    this.error = null;
  }

  backspace(): void {
    this.number = this.number.slice(0, -1);
  }

  chooseLine(id: string): void {
    this.chosenLine = id;
  }

  async dial(target = this.number, line = this.line): Promise<boolean> {
    const to = target.trim();
    if (line === null) {
      this.error = 'No line can place calls: add a line (or turn on calls in its settings).';
      return false;
    }
    if (to === '') {
      this.error = 'Type a number or a sip: address first.';
      return false;
    }
    this.dialing = true;
    this.error = null;
    // The INVITE does not wait for the audio (issue 8: click → INVITE ≤ 50 ms; opening the bus the
    // first time takes ~0.7 s): both start now, and the call joins the audio when it is open.
    // The dial request leaves first, so nothing the audio does on its way out can delay it.
    const dialed = this.#api.dial(line, to);
    void this.#audio?.prepare(this.devices);
    const result = await dialed;
    this.dialing = false;
    if (!result.ok) {
      this.error = `The call could not be placed: ${result.error.fields?.[0]?.message ? `${result.error.message}` : result.error.message}`;
      return false;
    }
    this.lastDialed = { line, target: to };
    this.number = '';
    this.changed(result.value);
    const id = result.value.id;
    void this.#audio?.attachWhenOpen(id).catch((error: Error) => {
      const call = this.calls.get(id);
      if (call && call.state !== 'ended') this.#report(`The call's microphone and speaker could not be connected: ${error.message}`);
    });
    return true;
  }

  /** Dials the last number again: this session's, else the newest outgoing call in the history. */
  async redial(): Promise<boolean> {
    const last = this.lastDialed ?? (() => {
      const record = this.history.find((r) => r.direction === 'outgoing');
      return record ? { line: record.line, target: callBackTarget(record) } : null;
    })();
    if (!last) {
      this.error = 'Nothing to redial yet.';
      return false;
    }
    const line = this.lineChoices.some((c) => c.id === last.line) ? last.line : this.line;
    return this.dial(last.target, line);
  }

  async callBack(record: CallRecord): Promise<boolean> {
    const line = this.lineChoices.some((c) => c.id === record.line) ? record.line : this.line;
    return this.dial(callBackTarget(record), line);
  }

  async answer(id: string): Promise<void> {
    this.#answering.add(id);
    this.#ringer.stop();
    this.#ringing = null;
    await this.#audio?.prepare(this.devices);
    await this.#run('answer the call', this.#api.answerCall(id));
    this.#updateRinger();
  }

  async decline(id: string, code: DeclineCode = 486): Promise<void> {
    await this.#run('decline the call', this.#api.declineCall(id, code));
  }

  async hangUp(id: string): Promise<void> {
    await this.#run('hang up', this.#api.hangUp(id));
  }

  async toggleHold(call: CallSnapshot): Promise<void> {
    await this.#run(call.localHold ? 'resume the call' : 'hold the call', call.localHold ? this.#api.resumeCall(call.id) : this.#api.holdCall(call.id));
  }

  async toggleMute(call: CallSnapshot): Promise<void> {
    await this.#run(call.muted ? 'unmute' : 'mute', this.#api.muteCall(call.id, !call.muted));
  }

  async sendDtmf(id: string, digits: string): Promise<void> {
    await this.#run('send the tones', this.#api.sendDtmf(id, digits));
  }

  async transfer(id: string, target: string): Promise<boolean> {
    const to = cleanDialInput(target);
    if (to === '') {
      this.error = 'Type where to transfer the call.';
      return false;
    }
    this.#setTransfer(id, 'Transferring…');
    const ok = await this.#run('transfer the call', this.#api.transferCall(id, to));
    if (!ok) this.#setTransfer(id, null);
    return ok;
  }

  /** Esc: decline what rings, else hang up the call in conversation (or being placed). */
  async escape(): Promise<boolean> {
    const ringing = this.ringing[0];
    if (ringing) {
      await this.decline(ringing.id);
      return true;
    }
    const current = this.current;
    if (current) {
      await this.hangUp(current.id);
      return true;
    }
    return false;
  }

  /** Removes an ended call from the screen. */
  dismiss(id: string): void {
    if (this.calls.get(id)?.state !== 'ended') return;
    this.#clearTimers.get(id)?.();
    this.#clearTimers.delete(id);
    const next = new Map(this.calls);
    next.delete(id);
    this.calls = next;
  }

  async clearHistory(): Promise<void> {
    await this.#run('clear the history', this.#api.clearCallHistory());
  }

  /** The history is on screen: the missed count goes back to 0 (main keeps it for the tray too). */
  async markSeen(): Promise<void> {
    if (this.missedUnseen === 0) return;
    this.missedUnseen = 0;
    await this.#run('mark the missed calls seen', this.#api.markCallHistorySeen());
  }

  async updateSettings(patch: Partial<PhoneSettings>): Promise<void> {
    const result = await this.#api.updatePhoneSettings(patch);
    if (result.ok) this.settingsApplied(result.value);
    else this.#report(`The phone setting was not changed: ${result.error.message}`);
  }

  /** The remembered devices, as the audio takes them. */
  get devices(): DeviceSet {
    return { input: this.settings.inputDevice, output: this.settings.outputDevice, ringer: this.settings.ringerDevice };
  }

  /** The microphone level of the call in conversation (0..1), or null without audio. */
  inputLevel(): number | null {
    return this.#audio?.level() ?? null;
  }

  destroy(): void {
    this.#meter?.();
    this.#meter = null;
    this.#ringer.stop();
    this.#audio?.close();
    for (const cancel of this.#clearTimers.values()) cancel();
    this.#clearTimers.clear();
  }

  async #run(what: string, pending: Promise<{ ok: boolean; error?: { message: string } }>): Promise<boolean> {
    const result = await pending;
    if (result.ok) return true;
    this.error = `Could not ${what}: ${result.error?.message ?? 'unknown error'}`;
    return false;
  }

  #setTransfer(id: string, words: string | null): void {
    const next = new Map(this.transfers);
    if (words === null) next.delete(id);
    else next.set(id, words);
    this.transfers = next;
  }

  /** Reads the microphone level ten times a second, only while some call is in conversation. */
  #updateMeter(): void {
    const talking = this.live.some((c) => c.state === 'connected' && !c.localHold && !c.muted);
    if (talking && this.#audio && this.#meter === null) {
      const read = (): void => {
        this.level = this.#audio!.level();
        this.#meter = this.#schedule(read, 100);
      };
      read();
    } else if (!talking && this.#meter !== null) {
      this.#meter();
      this.#meter = null;
      this.level = null;
    }
  }

  /** Rings loud for a call when nothing else is in conversation, softly when one is (call waiting). */
  #updateRinger(): void {
    const ringing = this.ringing.filter((c) => !this.#answering.has(c.id));
    const busy = this.live.some((c) => c.state === 'connected' || c.state === 'held');
    const want: RingKind | null = ringing.length === 0 ? null : busy ? 'soft' : 'loud';
    if (want === this.#ringing) return;
    this.#ringing = want;
    if (want === null) this.#ringer.stop();
    else this.#ringer.play(want, this.settings.ringerDevice);
  }
}
