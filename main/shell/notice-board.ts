/**
 * AppNotices (a settings file moved aside, a password that could not be stored safely) usually
 * happen at start-up, before the UI has loaded. The board keeps the last few and replays them
 * every time the UI (re)loads, and forwards new ones while a UI is there.
 */
import type { AppNotice } from '../../preload/contract';

export class NoticeBoard {
  private readonly kept: AppNotice[] = [];
  private attached = false;

  constructor(
    private readonly send: (notice: AppNotice) => void,
    private readonly log: (notice: AppNotice) => void = () => {},
    private readonly capacity = 20,
  ) {}

  push(notice: AppNotice): void {
    this.log(notice);
    this.kept.push(notice);
    if (this.kept.length > this.capacity) this.kept.shift();
    if (this.attached) this.send(notice);
  }

  /** The UI finished loading: it gets every kept notice, then new ones as they come. */
  attach(): void {
    this.attached = true;
    this.kept.forEach((notice) => this.send(notice));
  }

  /** The UI is gone or reloading. */
  detach(): void {
    this.attached = false;
  }

  notices(): AppNotice[] {
    return [...this.kept];
  }
}
