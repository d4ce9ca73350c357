/** The Lines view's list: every configured line with its live state, filtered by text. */
import type { LineSnapshot } from '../../../common/line-status';
import type { PublicLineConfig } from '../../../preload/contract';
import type { LineStore } from './line-store.svelte';

export interface LineListItem {
  config: PublicLineConfig;
  snapshot: LineSnapshot | undefined;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export class LineList {
  readonly #store: LineStore;
  text = $state('');
  readonly items = $derived.by((): LineListItem[] => {
    const needle = this.text.trim().toLowerCase();
    const items: LineListItem[] = [];
    for (const config of this.#store.configs.values()) {
      if (needle && !`${config.name}\n${config.id}\n${config.username}@${config.domain}`.toLowerCase().includes(needle)) continue;
      items.push({ config, snapshot: this.#store.snapshots.get(config.id) });
    }
    return items.sort((a, b) => collator.compare(a.config.name, b.config.name) || (a.config.id < b.config.id ? -1 : 1));
  });

  constructor(store: LineStore) {
    this.#store = store;
  }

  setText(text: string): void {
    this.text = text;
  }

  /** The id `delta` rows away from `fromId` (arrow keys), or null when the list is empty. */
  step(fromId: string | null, delta: number): string | null {
    const count = this.items.length;
    if (count === 0) return null;
    const at = fromId === null ? -1 : this.items.findIndex((i) => i.config.id === fromId);
    const from = at < 0 ? (delta > 0 ? -1 : count) : at;
    return this.items[Math.min(count - 1, Math.max(0, from + delta))]!.config.id;
  }
}
