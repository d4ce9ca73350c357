/**
 * Versioned migrations of the settings document, keyed by the document's own `schemaVersion`
 * rather than by app release (electron-store's `migrations` option): the file says what it is,
 * a downgrade is recognised, and each step is a pure function tested on plain objects.
 *
 * History:
 * - v1 → v2: a server's registration lifetime was stored as `ttl`; it is `expires`, the name the
 *   line schema and the monitor config use.
 * - v2 → v3: `inviteTimeoutMarksDown` is retired for `stopFailoverAfterInviteTimeout` (SPEC). No
 *   code ever read the old flag, so whatever was stored had no effect; the new flag takes its
 *   default (false: a silent server's INVITE fails over), which is what "marks down" promised.
 *   Mapping the old default false to "stop failover" would silently change every line.
 */
import { CURRENT_SCHEMA_VERSION } from './settings-document';

type Document = Record<string, unknown>;
type Migration = (document: Document) => Document;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function renameServerTtl(line: unknown): unknown {
  if (!isRecord(line) || !Array.isArray(line.servers)) return line;
  return {
    ...line,
    servers: line.servers.map((server: unknown) => {
      if (!isRecord(server) || !('ttl' in server)) return server;
      const { ttl, ...rest } = server;
      return 'expires' in rest ? rest : { ...rest, expires: ttl };
    }),
  };
}

function retireInviteTimeoutMarksDown(line: unknown): unknown {
  if (!isRecord(line) || !('inviteTimeoutMarksDown' in line)) return line;
  const { inviteTimeoutMarksDown: _retired, ...rest } = line;
  return 'stopFailoverAfterInviteTimeout' in rest ? rest : { ...rest, stopFailoverAfterInviteTimeout: false };
}

/** Migration from version N (the key) to N + 1. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  1: (document) => ({
    ...document,
    schemaVersion: 2,
    lines: Array.isArray(document.lines) ? document.lines.map(renameServerTtl) : document.lines,
  }),
  2: (document) => ({
    ...document,
    schemaVersion: 3,
    lines: Array.isArray(document.lines) ? document.lines.map(retireInviteTimeoutMarksDown) : document.lines,
  }),
};

/** The file was written by a newer Trunkline than this one. */
export class NewerDocumentError extends Error {
  constructor(readonly version: number) {
    super(`it was written by a newer Trunkline (settings version ${version}; this version reads up to ${CURRENT_SCHEMA_VERSION})`);
  }
}

export interface Migrated {
  document: Document;
  fromVersion: number;
}

/** Brings a document to CURRENT_SCHEMA_VERSION; never mutates its input. */
export function migrateDocument(input: Document): Migrated {
  const fromVersion = input.schemaVersion;
  if (typeof fromVersion !== 'number' || !Number.isInteger(fromVersion) || fromVersion < 1) {
    throw new Error('it has no valid schemaVersion');
  }
  if (fromVersion > CURRENT_SCHEMA_VERSION) throw new NewerDocumentError(fromVersion);
  let document = structuredClone(input);
  for (let version = fromVersion; version < CURRENT_SCHEMA_VERSION; version++) {
    const step = MIGRATIONS[version];
    if (!step) throw new Error(`no migration from settings version ${version}`);
    document = step(document);
  }
  return { document, fromVersion };
}
