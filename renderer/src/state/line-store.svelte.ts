/**
 * Every line the engine runs: its configuration (without secrets) and its latest snapshot.
 * Snapshots pushed by main are coalesced and applied in one batch per `batchMs`, so a burst of
 * thousands of changes costs one re-sort of the panel, not thousands.
 *
 * The maps are immutable values in `$state.raw`: a batch builds a new map and assigns it once.
 * A SvelteMap would notify on every single `set`, which is exactly what batching avoids.
 */
/* eslint-disable svelte/prefer-svelte-reactivity -- immutable maps replaced per batch, see above */
import type { LineSnapshot } from '../../../common/line-status';
import type { LineView, PublicLineConfig, TrunklineApi } from '../../../preload/contract';
import { countStates } from '../model/line-counts';
import type { Schedule } from './scheduler';
import { windowSchedule } from './scheduler';

export class LineStore {
  snapshots = $state.raw<ReadonlyMap<string, LineSnapshot>>(new Map());
  configs = $state.raw<ReadonlyMap<string, PublicLineConfig>>(new Map());
  loaded = $state(false);
  loadError = $state<string | null>(null);
  readonly list = $derived([...this.snapshots.values()]);
  readonly counts = $derived(countStates(this.snapshots.values()));
  /** Told which lines changed after each batch (the detail pane refreshes its trace). */
  onBatch: ((changed: ReadonlySet<string>) => void) | null = null;

  /** Newest pushed change per line, not yet applied; null = removed. */
  readonly #pending = new Map<string, LineSnapshot | null>();
  #cancelFlush: (() => void) | null = null;
  readonly #api: TrunklineApi;
  readonly #schedule: Schedule;
  readonly #batchMs: number;

  constructor(api: TrunklineApi, options: { schedule?: Schedule; batchMs?: number } = {}) {
    this.#api = api;
    this.#schedule = options.schedule ?? windowSchedule;
    this.#batchMs = options.batchMs ?? 100;
  }

  async load(): Promise<void> {
    const result = await this.#api.listLines();
    if (!result.ok) {
      this.loadError = result.error.message;
      return;
    }
    // The list answers everything pushed before it: what is queued is older, drop it.
    this.#pending.clear();
    this.snapshots = new Map(result.value.map((v) => [v.config.id, v.snapshot]));
    this.configs = new Map(result.value.map((v) => [v.config.id, v.config]));
    this.loadError = null;
    this.loaded = true;
  }

  /** A line as a command answered it: newer than anything queued for it. */
  upsert(view: LineView): void {
    this.#pending.delete(view.config.id);
    this.configs = new Map(this.configs).set(view.config.id, view.config);
    this.snapshots = new Map(this.snapshots).set(view.config.id, view.snapshot);
  }

  changed(snapshot: LineSnapshot): void {
    this.#pending.set(snapshot.id, snapshot);
    this.#scheduleFlush();
  }

  added(view: LineView): void {
    this.#pending.delete(view.config.id);
    this.configs = new Map(this.configs).set(view.config.id, view.config);
    this.changed(view.snapshot);
  }

  removed(id: string): void {
    this.#pending.set(id, null);
    this.#scheduleFlush();
  }

  /** Applies every queued change at once. */
  flush(): void {
    this.#cancelFlush?.();
    this.#cancelFlush = null;
    if (this.#pending.size === 0) return;
    const snapshots = new Map(this.snapshots);
    let configs: Map<string, PublicLineConfig> | null = null;
    for (const [id, snapshot] of this.#pending) {
      if (snapshot) {
        snapshots.set(id, snapshot);
      } else {
        snapshots.delete(id);
        configs ??= new Map(this.configs);
        configs.delete(id);
      }
    }
    const changed = new Set(this.#pending.keys());
    this.#pending.clear();
    this.snapshots = snapshots;
    if (configs) this.configs = configs;
    this.onBatch?.(changed);
  }

  destroy(): void {
    this.#cancelFlush?.();
    this.#cancelFlush = null;
  }

  #scheduleFlush(): void {
    if (this.#cancelFlush) return;
    this.#cancelFlush = this.#schedule(() => this.flush(), this.#batchMs);
  }
}
