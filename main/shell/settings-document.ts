/**
 * The settings file's document: its current shape, and the JSON schema electron-store checks on
 * every read and write. The schema guards the structure (and that no line ever carries a clear
 * `password`); each line's content is checked by the one line schema, `parseLineConfig`, when
 * the file is loaded, so a bad line is set aside on its own instead of condemning the file.
 */
import type { LineConfig } from '../../common/line-config';
import type { AppSettings } from '../../preload/contract';

/** Bumped whenever the stored shape changes; settings-migrations.ts brings old files forward. */
export const CURRENT_SCHEMA_VERSION = 3;

/** A line as stored: its configuration without the password, plus the password's ciphertext. */
export type StoredLine = Omit<LineConfig, 'password'> & {
  /** safeStorage ciphertext, base64. Absent: no password kept. */
  passwordCiphertext?: string;
};

/** A stored line that failed validation when loaded, kept verbatim so nothing is lost. */
export interface InvalidStoredLine {
  line: Record<string, unknown>;
  problems: string[];
  /** Epoch ms when it was set aside. */
  keptAt: number;
}

export interface StoredDocument {
  schemaVersion: number;
  settings: Partial<AppSettings>;
  lines: StoredLine[];
  invalidLines: InvalidStoredLine[];
}

/** An empty document of the current version. */
export function emptyDocument(): StoredDocument {
  return { schemaVersion: CURRENT_SCHEMA_VERSION, settings: {}, lines: [], invalidLines: [] };
}

const BASE64 = '^[A-Za-z0-9+/]+={0,2}$';
const noClearPassword = { password: false } as const;

/** electron-store `schema` (the root object's properties). Lenient on line fields: see above. */
export const DOCUMENT_SCHEMA = {
  schemaVersion: { type: 'integer', minimum: 1 },
  settings: {
    type: 'object',
    properties: {
      notifications: { type: 'boolean' },
      theme: { enum: ['system', 'light', 'dark'] },
      // Content is checked by diagnostics-settings.ts on load (a bad value falls back to off).
      metrics: { type: 'object' },
      hep: { type: 'object' },
    },
  },
  lines: {
    type: 'array',
    items: { type: 'object', properties: { ...noClearPassword, passwordCiphertext: { type: 'string', pattern: BASE64 } } },
  },
  invalidLines: {
    type: 'array',
    items: {
      type: 'object',
      required: ['line', 'problems', 'keptAt'],
      properties: {
        line: { type: 'object', properties: noClearPassword },
        problems: { type: 'array', items: { type: 'string' } },
        keptAt: { type: 'integer' },
      },
    },
  },
} as const;

/** electron-store `rootSchema`: no keys beyond the ones above. */
export const DOCUMENT_ROOT_SCHEMA = { additionalProperties: false } as const;
