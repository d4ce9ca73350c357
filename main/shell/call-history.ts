/**
 * The call history and the phone settings, kept in one small JSON document beside the settings
 * file: electron-store in the app (`trunkline-calls.json`), a plain file in the development host's
 * data folder, memory in tests. At most {@link HISTORY_LIMIT} calls, newest first; the oldest fall
 * off. A document that cannot be read is moved aside by the store and the history starts empty —
 * losing call history is never worth refusing to start.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CallSnapshot } from '../../common/call-status';
import type { CallRecord, PhoneSettings } from '../../preload/contract';

/** How many calls the history keeps. */
export const HISTORY_LIMIT = 1000;

export const DEFAULT_PHONE_SETTINGS: PhoneSettings = {
  linksDialAtOnce: false,
  raiseOnIncoming: true,
  inputDevice: null,
  outputDevice: null,
  ringerDevice: null,
};

/** The stored document. */
export interface CallDocument {
  history: CallRecord[];
  missedUnseen: number;
  settings: PhoneSettings;
}

/** Where the document lives: read it whole (null = nothing stored yet), write it whole. */
export interface CallDocumentStore {
  read(): unknown;
  write(document: CallDocument): void;
}

export class MemoryCallDocumentStore implements CallDocumentStore {
  constructor(private document: CallDocument | null = null) {}

  read(): unknown {
    return this.document === null ? null : structuredClone(this.document);
  }

  write(document: CallDocument): void {
    this.document = structuredClone(document);
  }
}

/**
 * A JSON file written atomically (temp file + rename), for the development host. An unreadable
 * file is renamed `<name>.corrupt-<ms>.json` and reported through `notify`.
 */
export class JsonFileCallDocumentStore implements CallDocumentStore {
  constructor(readonly path: string, private readonly notify: (message: string) => void = () => {}) {}

  read(): unknown {
    if (!existsSync(this.path)) return null;
    try {
      return JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (error) {
      const aside = this.path.replace(/\.json$/, '') + `.corrupt-${Date.now()}.json`;
      renameSync(this.path, aside);
      this.notify(`The call history ${this.path} could not be read (${(error as Error).message}); it was kept as ${aside}.`);
      return null;
    }
  }

  write(document: CallDocument): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const temp = `${this.path}.tmp`;
    writeFileSync(temp, `${JSON.stringify(document)}\n`, { mode: 0o600 });
    renameSync(temp, this.path);
  }
}

/** Whether a finished call was missed: it came in, was never answered, and nobody here declined it. */
export function isMissed(call: Pick<CallSnapshot, 'direction' | 'answeredAt' | 'endedBy'>): boolean {
  return call.direction === 'incoming' && call.answeredAt === null && call.endedBy !== 'local';
}

/** The history record of a call that has ended. */
export function recordOf(call: CallSnapshot): CallRecord {
  const endedAt = call.endedAt ?? call.startedAt;
  return {
    id: call.id,
    line: call.line,
    direction: call.direction,
    remote: { ...call.remote },
    startedAt: call.startedAt,
    answeredAt: call.answeredAt,
    endedAt,
    durationMs: call.answeredAt === null ? 0 : Math.max(0, endedAt - call.answeredAt),
    code: call.code,
    reason: call.reason,
    endedBy: call.endedBy,
    serverLabel: call.serverLabel,
    failovers: call.failovers,
    missed: isMissed(call),
  };
}

function isRecordLike(value: unknown): value is CallRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  const remote = r.remote as Record<string, unknown> | null;
  return typeof r.id === 'string' && typeof r.line === 'string' && (r.direction === 'incoming' || r.direction === 'outgoing')
    && typeof r.startedAt === 'number' && typeof r.endedAt === 'number' && typeof r.durationMs === 'number'
    && typeof remote === 'object' && remote !== null && typeof remote.uri === 'string' && typeof remote.user === 'string'
    && typeof r.missed === 'boolean';
}

const nullableText = (value: unknown): string | null => (typeof value === 'string' && value.length <= 512 ? value : null);

/** Reads whatever was stored, keeping every well-formed call and the settings it understands. */
function documentFrom(raw: unknown): CallDocument {
  const data = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const history = Array.isArray(data.history) ? data.history.filter(isRecordLike).slice(0, HISTORY_LIMIT) : [];
  const stored = (typeof data.settings === 'object' && data.settings !== null ? data.settings : {}) as Record<string, unknown>;
  const settings: PhoneSettings = {
    linksDialAtOnce: stored.linksDialAtOnce === true,
    raiseOnIncoming: stored.raiseOnIncoming !== false,
    inputDevice: nullableText(stored.inputDevice),
    outputDevice: nullableText(stored.outputDevice),
    ringerDevice: nullableText(stored.ringerDevice),
  };
  const missedUnseen = Number.isInteger(data.missedUnseen) && (data.missedUnseen as number) >= 0 ? Math.min(data.missedUnseen as number, history.length) : 0;
  return { history, missedUnseen, settings };
}

/** The history and phone settings over a {@link CallDocumentStore}. */
export class CallHistoryRepository {
  private document: CallDocument;

  constructor(private readonly store: CallDocumentStore, private readonly onSaveError: (message: string) => void = () => {}) {
    this.document = documentFrom(store.read());
  }

  /** Newest first. */
  entries(): CallRecord[] {
    return this.document.history.map((r) => ({ ...r, remote: { ...r.remote } }));
  }

  get missedUnseen(): number {
    return this.document.missedUnseen;
  }

  settings(): PhoneSettings {
    return { ...this.document.settings };
  }

  /** Adds a finished call (once per id); the oldest call falls off past {@link HISTORY_LIMIT}. */
  add(record: CallRecord): boolean {
    if (this.document.history.some((r) => r.id === record.id)) return false;
    this.document.history.unshift(record);
    if (this.document.history.length > HISTORY_LIMIT) this.document.history.length = HISTORY_LIMIT;
    if (record.missed) this.document.missedUnseen = Math.min(this.document.missedUnseen + 1, HISTORY_LIMIT);
    this.save();
    return true;
  }

  clear(): void {
    this.document.history = [];
    this.document.missedUnseen = 0;
    this.save();
  }

  markSeen(): void {
    if (this.document.missedUnseen === 0) return;
    this.document.missedUnseen = 0;
    this.save();
  }

  saveSettings(settings: PhoneSettings): void {
    this.document.settings = { ...settings };
    this.save();
  }

  private save(): void {
    try {
      this.store.write(this.document);
    } catch (error) {
      this.onSaveError(`The call history could not be saved: ${(error as Error).message}. It stays until Trunkline quits.`);
    }
  }
}
