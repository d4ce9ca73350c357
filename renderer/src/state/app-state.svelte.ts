/**
 * The renderer's root state: every store, wired to the bridge through one subscriber. Components
 * get what they show from here and call its methods; none of them talks to the bridge.
 */
import type { TrunklineApi } from '../../../preload/contract';
import type { Subscription } from '../bridge-subscriber';
import { subscribeBridge } from '../bridge-subscriber';
import type { DeviceSource } from './audio-devices.svelte';
import { AudioDevices } from './audio-devices.svelte';
import { ConfigTransfer } from './config-transfer.svelte';
import { LineDetail } from './line-detail.svelte';
import { LineEditor } from './line-editor.svelte';
import { LineList } from './line-list.svelte';
import { LineStore } from './line-store.svelte';
import { Notices } from './notices.svelte';
import { PanelView } from './panel-view.svelte';
import type { PhoneAudio, Ringer } from './phone.svelte';
import { PhoneState } from './phone.svelte';
import { windowSchedule } from './scheduler';
import { SettingsStore } from './settings.svelte';
import { Ticker } from './ticker.svelte';

export type ViewName = 'phone' | 'panel' | 'lines';

export interface Platform {
  saveFile(fileName: string, text: string): void;
  copyText(text: string): Promise<boolean>;
  /** The ringer device; a silent one where the page has no audio. */
  ringer: Ringer;
  /** `navigator.mediaDevices`, or null where there is none. */
  devices: DeviceSource | null;
  /** A short tone on an output device (null = default). */
  testSound(deviceId: string | null): Promise<void>;
  /** Watches a microphone's level 0..1; answers a stop function. */
  watchMic(deviceId: string | null, onLevel: (level: number) => void): Promise<() => void>;
  /** The calls' microphone and speaker, or null where the page has none. */
  audio(api: TrunklineApi, notice: (message: string) => void): PhoneAudio | null;
}

export class AppState {
  view = $state<ViewName>('panel');
  readonly ticker = new Ticker();
  readonly lines: LineStore;
  readonly panel: PanelView;
  readonly detail: LineDetail;
  readonly editor: LineEditor;
  readonly lineList: LineList;
  readonly transfer: ConfigTransfer;
  readonly settings: SettingsStore;
  readonly notices = new Notices();
  readonly phone: PhoneState;
  readonly devices: AudioDevices;
  /** The microphone check's level while it runs (settings), else null. */
  micLevel = $state<number | null>(null);
  #stopMic: (() => void) | null = null;
  readonly #platform: Platform;
  #subscription: Subscription | null = null;

  constructor(api: TrunklineApi, platform: Platform) {
    this.#platform = platform;
    const report = (message: string) => this.notices.add({ level: 'error', message });
    this.lines = new LineStore(api);
    this.panel = new PanelView(this.lines);
    this.detail = new LineDetail(api, report);
    this.editor = new LineEditor(api, this.lines, report);
    this.lineList = new LineList(this.lines);
    this.transfer = new ConfigTransfer(api, this.lines, platform.saveFile);
    this.settings = new SettingsStore(api, report);
    this.devices = new AudioDevices(platform.devices);
    const audio = platform.audio(api, (message) => this.notices.add({ level: 'warning', message }));
    this.phone = new PhoneState(api, this.lines, { ringer: platform.ringer, audio, report, schedule: windowSchedule });
    this.lines.onBatch = (ids) => {
      this.ticker.sync();
      this.detail.linesChanged(ids);
    };

    this.#subscription = subscribeBridge(api, {
      lineChanged: (s) => this.lines.changed(s),
      lineAdded: (v) => this.lines.added(v),
      lineRemoved: (id) => {
        this.lines.removed(id);
        if (this.detail.lineId === id) this.closeDetail();
      },
      lineHistory: (e) => this.detail.historyEntry(e),
      settingsChanged: (s) => this.settings.apply(s),
      notice: (n) => this.notices.add(n),
      callChanged: (c) => this.phone.changed(c),
      callEvent: (e) => this.phone.event(e),
      incomingCall: (c) => this.phone.changed(c),
      callHistoryChanged: (h) => {
        this.phone.historyChanged(h);
        // The history is on screen: a new missed call is seen at once.
        if (this.view === 'phone' && h.missedUnseen > 0) void this.phone.markSeen();
      },
      phoneSettingsChanged: (s) => this.phone.settingsApplied(s),
      dialLink: (l) => {
        this.view = 'phone';
        this.phone.dialLink(l);
      },
    });
  }

  /** Subscribed first (in the constructor), then listed: nothing pushed in between is lost. */
  async start(): Promise<void> {
    this.ticker.start();
    await Promise.all([this.lines.load(), this.settings.load(), this.phone.load()]);
    if (this.lines.loadError) this.notices.add({ level: 'error', message: `Could not list the lines: ${this.lines.loadError}` });
  }

  destroy(): void {
    this.#subscription?.destroy();
    this.#subscription = null;
    this.ticker.destroy();
    this.lines.destroy();
    this.phone.destroy();
    this.devices.destroy();
    this.#stopMic?.();
  }

  async testSound(deviceId: string | null): Promise<void> {
    try {
      await this.#platform.testSound(deviceId);
    } catch (error) {
      this.notices.add({ level: 'warning', message: `The test sound could not be played: ${(error as Error).message}` });
    }
  }

  /** Starts or stops the microphone check of the phone settings. */
  async toggleMicCheck(): Promise<void> {
    if (this.#stopMic) {
      this.#stopMic();
      this.#stopMic = null;
      this.micLevel = null;
      return;
    }
    try {
      this.micLevel = 0;
      this.#stopMic = await this.#platform.watchMic(this.phone.settings.inputDevice, (level) => (this.micLevel = level));
      // Labels appear once the page has had the microphone.
      void this.devices.refresh();
    } catch (error) {
      this.micLevel = null;
      this.notices.add({ level: 'warning', message: `The microphone could not be opened: ${(error as Error).message}` });
    }
  }

  show(view: ViewName): void {
    this.view = view;
    if (view === 'phone') void this.phone.markSeen();
  }

  /** Ctrl/Cmd+D from anywhere: the phone, with the number field focused. */
  openDialer(): void {
    this.show('phone');
    this.phone.focusRequest++;
  }

  /** Selects a row in the trunk panel and opens its detail. */
  openDetail(id: string): void {
    this.panel.select(id);
    void this.detail.open(id);
  }

  /** Keyboard in the panel: the selection moves, and an open detail follows it. */
  moveSelection(delta: number): void {
    const id = this.panel.move(delta);
    if (id !== null && this.detail.lineId !== null && this.detail.lineId !== id) void this.detail.open(id);
  }

  closeDetail(): void {
    this.detail.close();
  }

  addLine(): void {
    this.view = 'lines';
    this.editor.create();
  }

  editLine(id: string): void {
    this.view = 'lines';
    this.editor.edit(id);
  }

  async copyDetail(): Promise<void> {
    const ok = await this.#platform.copyText(this.detail.text());
    this.notices.add(ok ? { level: 'info', message: 'Copied to the clipboard.' } : { level: 'warning', message: 'The clipboard refused the text: use Export instead.' });
  }

  exportDetail(): void {
    this.#platform.saveFile(this.detail.fileName(), this.detail.text());
  }
}
