import type { AppNotice } from '../../../preload/contract';
import type { Schedule } from './scheduler';
import { windowSchedule } from './scheduler';

export interface ShownNotice extends AppNotice {
  key: number;
}

/** How long an `info` notice stays; warnings and errors stay until dismissed. */
const INFO_MS = 4000;

/** Things main (or the UI itself) wants a person to know. */
export class Notices {
  items = $state.raw<ShownNotice[]>([]);
  #next = 1;
  readonly #schedule: Schedule;

  constructor(schedule: Schedule = windowSchedule) {
    this.#schedule = schedule;
  }

  add(notice: AppNotice): void {
    // The same message twice in a row says nothing new.
    if (this.items.at(-1)?.message === notice.message) return;
    const key = this.#next++;
    this.items = [...this.items.slice(-4), { ...notice, key }];
    if (notice.level === 'info') this.#schedule(() => this.dismiss(key), INFO_MS);
  }

  dismiss(key: number): void {
    this.items = this.items.filter((n) => n.key !== key);
  }
}
