/**
 * Import and export of line configuration in the monitor's file format. Passwords leave only when
 * the person ticks "include passwords"; an imported line without one keeps its stored password.
 */
import type { FieldError } from '../../../common/schema';
import type { TrunklineApi } from '../../../preload/contract';
import type { LineStore } from './line-store.svelte';

export class ConfigTransfer {
  includeSecrets = $state(false);
  busy = $state(false);
  /** What the last import or export did, for a person. */
  message = $state<string | null>(null);
  /** Why the last import was refused: one entry per field, like `lines[0].retryDelay`. */
  errors = $state.raw<FieldError[]>([]);

  readonly #api: TrunklineApi;
  readonly #store: LineStore;
  readonly #save: (fileName: string, text: string) => void;

  constructor(api: TrunklineApi, store: LineStore, save: (fileName: string, text: string) => void) {
    this.#api = api;
    this.#store = store;
    this.#save = save;
  }

  setIncludeSecrets(include: boolean): void {
    this.includeSecrets = include;
  }

  async exportLines(): Promise<void> {
    this.busy = true;
    const includeSecrets = this.includeSecrets;
    const result = await this.#api.exportLines({ includeSecrets });
    this.busy = false;
    this.errors = [];
    if (!result.ok) {
      this.message = result.error.message;
      return;
    }
    this.#save(includeSecrets ? 'trunkline-lines-with-passwords.json' : 'trunkline-lines.json', result.value);
    this.message = `Exported ${this.#store.configs.size} line${this.#store.configs.size === 1 ? '' : 's'}${includeSecrets ? ' with passwords' : ' without passwords'}.`;
  }

  async importText(text: string, fileName: string): Promise<void> {
    this.busy = true;
    const result = await this.#api.importLines(text);
    this.busy = false;
    if (!result.ok) {
      this.message = `${fileName}: ${result.error.message}`;
      this.errors = result.error.fields ?? [];
      return;
    }
    this.errors = [];
    this.message = `${fileName}: ${result.value.added} added, ${result.value.replaced} replaced.`;
    // Replaced lines change configuration without an event of their own: read everything again.
    await this.#store.load();
  }

  dismiss(): void {
    this.message = null;
    this.errors = [];
  }
}
