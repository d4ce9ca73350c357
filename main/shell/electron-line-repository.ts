/**
 * LineRepository for the desktop app: one settings document (electron-store behind a JSON schema,
 * see settings-document.ts), migrated forward on open, with every password stored only as
 * safeStorage ciphertext. Nothing here imports Electron: the file and the cipher are ports, so the
 * rules below are unit-tested with fakes.
 *
 * - A file that cannot be read (not JSON, schema violation, newer version) is moved aside under a
 *   timestamped name and reported; the app starts empty. It is never overwritten.
 * - Each stored line is checked with `parseLineConfig`; an invalid one is not started, is reported,
 *   and is kept verbatim under `invalidLines`.
 * - A password is stored only when the cipher accepts (not `basic_text`); otherwise the line is
 *   saved without it and the person is told once. A ciphertext that cannot be decrypted this
 *   session (keyring locked or missing) is kept, not erased, until a new password replaces it.
 * - A failed write is reported, never thrown into the command that caused it.
 */
import type { LineConfig } from '../../common/line-config';
import { parseLineConfig } from '../../common/line-config';
import type { AppNotice, AppSettings } from '../../preload/contract';
import type { Clock } from '../sip/clock';
import type { DocumentFile } from './document-file';
import type { LineRepository } from './line-repository';
import { DEFAULT_SETTINGS } from './line-repository';
import { monitorFormat } from './monitor-format';
import type { SecretCipher } from './secret-cipher';
import type { InvalidStoredLine, StoredDocument, StoredLine } from './settings-document';
import { storedHepSetting, storedMetricsSetting } from './diagnostics-settings';
import { CURRENT_SCHEMA_VERSION, emptyDocument } from './settings-document';
import { migrateDocument } from './settings-migrations';

export interface ElectronLineRepositoryDeps {
  file: DocumentFile;
  cipher: SecretCipher;
  clock: Clock;
  notify(notice: AppNotice): void;
}

/** What a stored ciphertext stands for: the password, or null when it could not be decrypted. */
interface KnownSecret {
  ciphertext: string;
  password: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

function listNames(ids: string[]): string {
  return ids.length <= 5 ? ids.map((id) => `"${id}"`).join(', ') : `${ids.slice(0, 5).map((id) => `"${id}"`).join(', ')} and ${ids.length - 5} more`;
}

export class ElectronLineRepository implements LineRepository {
  private lines: LineConfig[] = [];
  private readonly secrets = new Map<string, KnownSecret>();
  private readonly warnedNoCipher = new Set<string>();
  private lastWriteError: string | null = null;

  private constructor(
    private readonly deps: ElectronLineRepositoryDeps,
    private document: StoredDocument,
  ) {}

  /** Reads (or creates) the settings file; reports everything it had to set aside. */
  static open(deps: ElectronLineRepositoryDeps): ElectronLineRepository {
    const { document, rewrite } = ElectronLineRepository.readDocument(deps);
    const repository = new ElectronLineRepository(deps, document);
    const setAside = repository.decodeLines();
    if (rewrite || setAside) repository.write();
    return repository;
  }

  private static readDocument(deps: ElectronLineRepositoryDeps): { document: StoredDocument; rewrite: boolean } {
    try {
      const raw = deps.file.read();
      if (Object.keys(raw).length === 0) return { document: emptyDocument(), rewrite: true };
      const { document, fromVersion } = migrateDocument(raw);
      return { document: { ...emptyDocument(), ...document } as StoredDocument, rewrite: fromVersion !== CURRENT_SCHEMA_VERSION };
    } catch (error) {
      const reason = (error as Error).message.replace(/\s+/g, ' ').slice(0, 300);
      let aside: string;
      try {
        aside = deps.file.moveAside(`corrupt-${stamp(deps.clock.now())}`);
      } catch (moveError) {
        throw new Error(`the settings file ${deps.file.path} cannot be read (${reason}) nor moved aside (${(moveError as Error).message})`);
      }
      deps.notify({
        level: 'error',
        message: `The settings file could not be read: ${reason}. It was kept unchanged as ${aside}, and Trunkline started without lines. Nothing in it was deleted.`,
      });
      return { document: emptyDocument(), rewrite: true };
    }
  }

  /** Fills `lines` from the document; answers whether any stored line had to be set aside. */
  private decodeLines(): boolean {
    const valid: StoredLine[] = [];
    const undecryptable: string[] = [];
    let setAside = false;
    for (const stored of this.document.lines as unknown[]) {
      const { passwordCiphertext, ...fields } = isRecord(stored) ? stored : { line: stored };
      const parsed = parseLineConfig(fields);
      const problems = parsed.ok ? [] : parsed.errors.map((e) => `${e.path}: ${e.message}`);
      if (parsed.ok && this.lines.some((l) => l.id === parsed.value.id)) problems.push(`id: must be unique ("${parsed.value.id}" appears twice)`);
      if (!parsed.ok || problems.length > 0) {
        this.setAside(isRecord(stored) ? stored : { value: stored }, problems);
        setAside = true;
        continue;
      }
      let password = '';
      if (typeof passwordCiphertext === 'string') {
        try {
          password = this.deps.cipher.decrypt(passwordCiphertext);
          this.secrets.set(parsed.value.id, { ciphertext: passwordCiphertext, password });
        } catch {
          this.secrets.set(parsed.value.id, { ciphertext: passwordCiphertext, password: null });
          undecryptable.push(parsed.value.id);
        }
      }
      this.lines.push({ ...parsed.value, password });
      valid.push(stored as StoredLine);
    }
    this.document.lines = valid;
    if (undecryptable.length > 0) {
      this.deps.notify({
        level: 'warning',
        message: `The stored password of ${undecryptable.length === 1 ? 'line' : 'lines'} ${listNames(undecryptable)} could not be decrypted (the system password store is locked, missing or from another machine). ` +
          'They start without it; the stored copy is kept until you enter a new password.',
      });
    }
    return setAside;
  }

  private setAside(line: Record<string, unknown>, problems: string[]): void {
    const entry: InvalidStoredLine = { line, problems, keptAt: this.deps.clock.now() };
    this.document.invalidLines.push(entry);
    const id = typeof line.id === 'string' ? `"${line.id}"` : `#${this.document.lines.indexOf(line as StoredLine) + 1}`;
    this.deps.notify({
      level: 'warning',
      message: `Stored line ${id} is invalid and was not started: ${problems.join('; ')}. It is kept in ${this.deps.file.path} under "invalidLines".`,
    });
  }

  loadLines(): LineConfig[] {
    return structuredClone(this.lines);
  }

  saveLines(lines: readonly LineConfig[]): void {
    this.lines = structuredClone([...lines]);
    const refused: string[] = [];
    this.document.lines = this.lines.map((line) => {
      const { password, ...rest } = line;
      const stored = monitorFormat(rest) as StoredLine;
      const ciphertext = this.ciphertextFor(line.id, password, refused);
      if (ciphertext !== null) stored.passwordCiphertext = ciphertext;
      return stored;
    });
    for (const id of [...this.secrets.keys()]) if (!this.lines.some((l) => l.id === id)) this.secrets.delete(id);
    const newlyRefused = refused.filter((id) => !this.warnedNoCipher.has(id));
    if (newlyRefused.length > 0) {
      newlyRefused.forEach((id) => this.warnedNoCipher.add(id));
      const reason = this.deps.cipher.refusal() ?? 'the system password store failed';
      this.deps.notify({ level: 'warning', message: `The password of ${listNames(newlyRefused)} was not saved. ${reason} The line itself is saved.` });
    }
    this.write();
  }

  private ciphertextFor(id: string, password: string, refused: string[]): string | null {
    const known = this.secrets.get(id);
    if (password === '') {
      // An undecryptable ciphertext stays until a new password replaces it (see the file comment).
      if (known && known.password === null) return known.ciphertext;
      this.secrets.delete(id);
      return null;
    }
    if (known && known.password === password) return known.ciphertext;
    if (this.deps.cipher.refusal() === null) {
      try {
        const ciphertext = this.deps.cipher.encrypt(password);
        this.secrets.set(id, { ciphertext, password });
        return ciphertext;
      } catch {
        // Falls through: reported like a refusing cipher.
      }
    }
    this.secrets.delete(id);
    refused.push(id);
    return null;
  }

  loadSettings(): AppSettings {
    const stored = this.document.settings;
    return {
      notifications: typeof stored.notifications === 'boolean' ? stored.notifications : DEFAULT_SETTINGS.notifications,
      theme: stored.theme === 'light' || stored.theme === 'dark' || stored.theme === 'system' ? stored.theme : DEFAULT_SETTINGS.theme,
      metrics: storedMetricsSetting(stored.metrics),
      hep: storedHepSetting(stored.hep),
    };
  }

  saveSettings(settings: AppSettings): void {
    this.document.settings = structuredClone(settings);
    this.write();
  }

  private write(): void {
    try {
      this.deps.file.write(structuredClone(this.document));
      this.lastWriteError = null;
    } catch (error) {
      const message = (error as Error).message;
      if (message === this.lastWriteError) return;
      this.lastWriteError = message;
      this.deps.notify({ level: 'error', message: `Settings could not be saved to ${this.deps.file.path}: ${message}. Changes stay in effect until Trunkline quits.` });
    }
  }
}
