/**
 * The renderer's root state: every store, wired to the bridge through one subscriber. Components
 * get what they show from here and call its methods; none of them talks to the bridge.
 */
import type { TrunklineApi } from '../../../preload/contract';
import type { Subscription } from '../bridge-subscriber';
import { subscribeBridge } from '../bridge-subscriber';
import { ConfigTransfer } from './config-transfer.svelte';
import { LineDetail } from './line-detail.svelte';
import { LineEditor } from './line-editor.svelte';
import { LineList } from './line-list.svelte';
import { LineStore } from './line-store.svelte';
import { Notices } from './notices.svelte';
import { PanelView } from './panel-view.svelte';
import { SettingsStore } from './settings.svelte';
import { Ticker } from './ticker.svelte';

export type ViewName = 'panel' | 'lines';

export interface Platform {
  saveFile(fileName: string, text: string): void;
  copyText(text: string): Promise<boolean>;
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
    });
  }

  /** Subscribed first (in the constructor), then listed: nothing pushed in between is lost. */
  async start(): Promise<void> {
    this.ticker.start();
    await Promise.all([this.lines.load(), this.settings.load()]);
    if (this.lines.loadError) this.notices.add({ level: 'error', message: `Could not list the lines: ${this.lines.loadError}` });
  }

  destroy(): void {
    this.#subscription?.destroy();
    this.#subscription = null;
    this.ticker.destroy();
    this.lines.destroy();
  }

  show(view: ViewName): void {
    this.view = view;
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
