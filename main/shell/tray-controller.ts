/**
 * Keeps the tray icon, tooltip and menu in step with the registration count. Updates are
 * throttled (thousands of lines change state together after a network drop) and only touch the
 * tray when what it shows actually changed. The tray itself is a port: electron-tray.ts in the app.
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { Clock, TimerHandle } from '../sip/clock';
import type { AppMenuActions } from './app-menu';
import { trayMenuTemplate } from './app-menu';
import { trayIconFile } from './tray-icon';
import type { TrayStatus } from './tray-status';

/** What the controller needs from a tray. */
export interface TrayPort {
  /** `file` names an image in assets/tray (see tray-icon.ts). */
  setImage(file: string): void;
  setToolTip(text: string): void;
  setMenu(template: MenuItemConstructorOptions[]): void;
  destroy(): void;
}

export interface TrayControllerOptions {
  clock: Clock;
  status: TrayStatus;
  actions: Pick<AppMenuActions, 'quit' | 'showWindow'>;
  platform: NodeJS.Platform;
  /** Creates the tray with its first image (a file name in assets/tray). */
  createTray(file: string): TrayPort;
  throttleMs?: number;
}

export class TrayController {
  private tray: TrayPort | null;
  private timer: TimerHandle | null = null;
  private shownFile: string;
  private shownTooltip: string | null = null;

  constructor(private readonly options: TrayControllerOptions) {
    this.shownFile = trayIconFile(options.status.summary().level, options.platform);
    this.tray = options.createTray(this.shownFile);
    this.show();
  }

  /** The status changed; the tray follows within the throttle period. */
  changed(): void {
    if (this.tray === null || this.timer !== null) return;
    this.timer = this.options.clock.setTimer(() => {
      this.timer = null;
      this.show();
    }, this.options.throttleMs ?? 500);
  }

  destroy(): void {
    this.options.clock.clearTimer(this.timer);
    this.timer = null;
    this.tray?.destroy();
    this.tray = null;
  }

  private show(): void {
    if (this.tray === null) return;
    const summary = this.options.status.summary();
    const file = trayIconFile(summary.level, this.options.platform);
    if (file !== this.shownFile) {
      this.tray.setImage(file);
      this.shownFile = file;
    }
    if (summary.tooltip !== this.shownTooltip) {
      this.tray.setToolTip(summary.tooltip);
      this.tray.setMenu(trayMenuTemplate(this.options.actions, summary.tooltip.replace(/^Trunkline — /, '')));
      this.shownTooltip = summary.tooltip;
    }
  }
}
