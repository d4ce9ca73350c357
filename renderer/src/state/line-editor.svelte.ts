/**
 * The Lines view's workflow: open a new or existing line in a form, save it through the bridge,
 * remove it (after a confirmation), enable or disable lines. Leaving a form with unsaved edits
 * (another line, a new one, Close) asks first: the person discards them or keeps editing.
 */
import { SvelteSet } from 'svelte/reactivity';
import type { TrunklineApi } from '../../../preload/contract';
import type { LineStore } from './line-store.svelte';
import { LineForm } from './line-form.svelte';

/** Where the editor can be asked to go. */
export type EditorTarget = { kind: 'create' } | { kind: 'edit'; id: string } | { kind: 'close' };

export class LineEditor {
  form = $state<LineForm | null>(null);
  /** The line the form edits; null for a new line. */
  editingId = $state<string | null>(null);
  busy = $state(false);
  /** main's answer when it refused, as one sentence; field problems show at the fields. */
  message = $state<string | null>(null);
  savedAt = $state<number | null>(null);
  confirmingRemove = $state(false);
  /** Where the person asked to go while the form had unsaved edits; null when nothing waits. */
  pending = $state<EditorTarget | null>(null);
  /** Lines whose enable/disable is on its way (the engine unregisters first). */
  readonly toggling = new SvelteSet<string>();

  readonly #api: TrunklineApi;
  readonly #store: LineStore;
  readonly #report: (message: string) => void;

  constructor(api: TrunklineApi, store: LineStore, report: (message: string) => void) {
    this.#api = api;
    this.#store = store;
    this.#report = report;
  }

  create(): void {
    this.#leave({ kind: 'create' });
  }

  edit(id: string): void {
    if (this.form !== null && this.editingId === id) return;
    this.#leave({ kind: 'edit', id });
  }

  close(): void {
    this.#leave({ kind: 'close' });
  }

  /** Drops the unsaved edits and goes where the person asked. */
  discardAndContinue(): void {
    const target = this.pending;
    this.pending = null;
    if (target) this.#go(target);
  }

  keepEditing(): void {
    this.pending = null;
  }

  /** Whether the open form differs from what is saved (or, for a new line, from a blank form). */
  get dirty(): boolean {
    return this.form !== null && this.#dirty(this.form);
  }

  /** Saves the form; on success the form goes on editing the saved line. */
  async save(): Promise<boolean> {
    const form = this.form;
    if (!form || this.busy) return false;
    form.showAll = true;
    if (!form.valid) {
      this.message = `${form.schemaErrors.length} field${form.schemaErrors.length > 1 ? 's need' : ' needs'} attention`;
      return false;
    }
    this.busy = true;
    this.message = null;
    const id = this.editingId;
    const result = id === null ? await this.#api.addLine(form.input) : await this.#api.updateLine(id, form.input);
    this.busy = false;
    if (this.form !== form) return false;
    if (!result.ok) {
      this.message = result.error.message;
      if (result.error.fields) form.refusedByMain(result.error.fields);
      return false;
    }
    this.#store.upsert(result.value);
    this.#open(new LineForm(result.value.config), result.value.config.id);
    this.savedAt = Date.now();
    return true;
  }

  /** The first click on "Remove line…" asks; only the second removes. */
  confirmRemove(confirming: boolean): void {
    this.confirmingRemove = confirming;
  }

  async remove(): Promise<void> {
    const id = this.editingId;
    if (id === null || this.busy) return;
    this.busy = true;
    const result = await this.#api.removeLine(id);
    this.busy = false;
    if (result.ok) {
      this.#store.removed(id);
      this.#store.flush();
      if (this.editingId === id) this.#go({ kind: 'close' });
    } else {
      this.message = result.error.message;
      this.confirmingRemove = false;
    }
  }

  async setEnabled(id: string, enabled: boolean): Promise<void> {
    if (this.toggling.has(id)) return;
    this.toggling.add(id);
    const result = await this.#api.setLineEnabled(id, enabled);
    this.toggling.delete(id);
    if (!result.ok) {
      // The switch may be used with no form open: say it where it is always seen.
      this.#report(`${enabled ? 'Enabling' : 'Disabling'} ${id} failed: ${result.error.message}`);
      return;
    }
    // An open form for this line shows the new setting, unless the person has edits in it.
    const reopen = this.editingId === id && this.form !== null && !this.#dirty(this.form);
    this.#store.upsert(result.value);
    if (reopen) this.#open(new LineForm(result.value.config), id);
  }

  #dirty(form: LineForm): boolean {
    const saved = this.editingId === null ? undefined : this.#store.configs.get(this.editingId);
    const baseline = saved ? new LineForm(saved) : new LineForm();
    return JSON.stringify(baseline.input) !== JSON.stringify(form.input);
  }

  #leave(target: EditorTarget): void {
    if (this.form !== null && this.#dirty(this.form)) {
      this.pending = target;
      return;
    }
    this.#go(target);
  }

  #go(target: EditorTarget): void {
    this.pending = null;
    if (target.kind === 'create') return this.#open(new LineForm(), null);
    if (target.kind === 'edit') {
      const config = this.#store.configs.get(target.id);
      if (config) this.#open(new LineForm(config), target.id);
      return;
    }
    this.form = null;
    this.editingId = null;
    this.message = null;
    this.confirmingRemove = false;
  }

  #open(form: LineForm, id: string | null): void {
    this.form = form;
    this.editingId = id;
    this.message = null;
    this.savedAt = null;
    this.confirmingRemove = false;
  }
}
