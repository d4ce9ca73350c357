/**
 * The trunk panel's view of the lines: filter, sort and the selected row. The rows are derived
 * from the store, so they follow every batch of changes; countdowns are not part of it (they come
 * from the shared ticker where each cell is drawn).
 */
import type { SortDirection, SortKey, StateFilter } from '../model/panel-rows';
import { filterRows, sortRows } from '../model/panel-rows';
import type { LineStore } from './line-store.svelte';

export class PanelView {
  readonly #store: LineStore;
  sortKey = $state<SortKey>('name');
  direction = $state<SortDirection>('asc');
  stateFilter = $state<StateFilter>('all');
  text = $state('');
  selectedId = $state<string | null>(null);
  /** Bumped when the selected row should be scrolled into view (keyboard moves only). */
  reveal = $state(0);

  readonly rows = $derived.by(() => sortRows(filterRows(this.#store.list, this.stateFilter, this.text), this.sortKey, this.direction));
  readonly selectedIndex = $derived(this.selectedId === null ? -1 : this.rows.findIndex((s) => s.id === this.selectedId));

  constructor(store: LineStore) {
    this.#store = store;
  }

  /** A second click on the same column reverses it. */
  sortBy(key: SortKey): void {
    if (this.sortKey === key) this.direction = this.direction === 'asc' ? 'desc' : 'asc';
    else {
      this.sortKey = key;
      this.direction = 'asc';
    }
  }

  setText(text: string): void {
    this.text = text;
  }

  setStateFilter(filter: StateFilter): void {
    this.stateFilter = filter;
  }

  select(id: string | null): void {
    this.selectedId = id;
  }

  /** Arrow keys, Page Up/Down, Home/End: moves the selection within the filtered rows. */
  move(delta: number): string | null {
    const count = this.rows.length;
    if (count === 0) return null;
    const from = this.selectedIndex < 0 ? (delta > 0 ? -1 : count) : this.selectedIndex;
    const to = Math.min(count - 1, Math.max(0, from + delta));
    this.selectedId = this.rows[to]!.id;
    this.reveal++;
    return this.selectedId;
  }
}
