/**
 * The settings file as the repository sees it: read the whole document, write it whole, and move
 * it aside when it cannot be read. electron-store implements it in the app
 * (electron-document-file.ts); tests use an in-memory fake.
 */
import type { StoredDocument } from './settings-document';

export interface DocumentFile {
  /** Where the file lives (named in notices). */
  readonly path: string;
  /**
   * The stored document, `{}` when there is no file yet. Throws when the file is not JSON or
   * breaks the document schema.
   */
  read(): Record<string, unknown>;
  /** Replaces the document (atomically in the real store). Throws when it cannot be written. */
  write(document: StoredDocument): void;
  /** Renames the file to a name carrying `tag`, leaving the way free for a new one; answers the new path. */
  moveAside(tag: string): string;
}
