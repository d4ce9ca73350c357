/**
 * One line being edited: the draft, and what is wrong with it. Problems come from two places and
 * show the same way, next to the field: the shared line schema (checked here as the person types)
 * and main's answer to a save (BridgeError.fields, which uses the same schema and paths).
 */
import { parseLineConfig } from '../../../common/line-config';
import type { FieldError } from '../../../common/schema';
import type { PublicLineConfig } from '../../../preload/contract';
import { valueAt } from '../model/field-path';
import type { LineDraft, PasswordMode } from '../model/line-draft';
import { draftFromConfig, draftToInput, emptyDraft, serverDraft } from '../model/line-draft';

const MAX_SERVERS = 8;

interface ServerError extends FieldError {
  /** The value the field had when main refused it: the message stays while the value does. */
  value: string;
}

export class LineForm {
  draft = $state<LineDraft>(emptyDraft());
  /** Paths the person has left (blur/change): their problems show from then on. */
  touched = $state<Record<string, true>>({});
  /** After a save attempt every problem shows. */
  showAll = $state(false);
  serverErrors = $state.raw<ServerError[]>([]);

  readonly isNew: boolean;
  readonly hasPassword: boolean;
  readonly input = $derived(draftToInput(this.draft));
  readonly schemaErrors = $derived.by((): FieldError[] => {
    const parsed = parseLineConfig(this.input);
    return parsed.ok ? [] : parsed.errors;
  });
  /** Every problem to show now, schema first, then main's answers that still apply. */
  readonly visibleErrors = $derived.by((): FieldError[] => {
    const fromSchema = this.schemaErrors.filter((e) => this.showAll || this.#isTouched(e.path));
    const fromMain = this.serverErrors.filter((e) => JSON.stringify(valueAt(this.input, e.path) ?? null) === e.value);
    return [...fromSchema, ...fromMain.filter((e) => !fromSchema.some((s) => s.path === e.path))];
  });

  constructor(config?: PublicLineConfig) {
    this.isNew = config === undefined;
    this.hasPassword = config?.hasPassword ?? false;
    if (config) this.draft = draftFromConfig(config);
  }

  get valid(): boolean {
    return this.schemaErrors.length === 0;
  }

  get canAddServer(): boolean {
    return this.draft.servers.length < MAX_SERVERS;
  }

  /** The message for exactly this field, or null. */
  errorFor(path: string): string | null {
    return this.visibleErrors.find((e) => e.path === path)?.message ?? null;
  }

  /** Problems no field on screen owns (e.g. a list-level error); shown above the buttons. */
  errorsOutside(shownPaths: (path: string) => boolean): FieldError[] {
    return this.visibleErrors.filter((e) => !shownPaths(e.path));
  }

  setPasswordMode(mode: PasswordMode): void {
    this.draft.passwordMode = mode;
    if (mode !== 'set') this.draft.password = '';
  }

  touch(path: string): void {
    if (!this.touched[path]) this.touched[path] = true;
  }

  refusedByMain(fields: FieldError[]): void {
    this.serverErrors = fields.map((e) => ({ ...e, value: JSON.stringify(valueAt(this.input, e.path) ?? null) }));
    this.showAll = true;
  }

  addServer(): void {
    if (!this.canAddServer) return;
    const last = this.draft.servers.at(-1);
    this.draft.servers.push(serverDraft({ transport: last?.transport, expires: last?.expires }));
  }

  removeServer(index: number): void {
    if (this.draft.servers.length <= 1) return;
    this.draft.servers.splice(index, 1);
    this.#serversMoved();
  }

  /** Moves a server up or down the list; index 0 is the primary. */
  moveServer(index: number, delta: -1 | 1): void {
    const to = index + delta;
    const servers = this.draft.servers;
    if (to < 0 || to >= servers.length) return;
    const [moved] = servers.splice(index, 1);
    servers.splice(to, 0, moved!);
    this.#serversMoved();
  }

  /** Server paths carry indexes: after a move, old answers and touches point at the wrong server. */
  #serversMoved(): void {
    this.serverErrors = this.serverErrors.filter((e) => !e.path.startsWith('servers'));
    this.touched = Object.fromEntries(Object.entries(this.touched).filter(([p]) => !p.startsWith('servers[')));
  }

  #isTouched(path: string): boolean {
    // A problem with a whole object (e.g. `servers[0].tls`) shows once any of its fields was touched.
    return Object.keys(this.touched).some((t) => t === path || t.startsWith(`${path}.`) || t.startsWith(`${path}[`));
  }
}
