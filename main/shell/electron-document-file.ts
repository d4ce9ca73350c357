/**
 * DocumentFile on electron-store: atomic writes, the JSON schema checked on every read and write
 * (`clearInvalidConfig: false`, so a bad file throws instead of being silently emptied), and a
 * rename to move a bad file aside. electron-store is ESM-only, hence the dynamic import.
 */
import { existsSync, renameSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { DocumentFile } from './document-file';
import type { StoredDocument } from './settings-document';
import { DOCUMENT_ROOT_SCHEMA, DOCUMENT_SCHEMA } from './settings-document';

/** The settings file's name, without extension, in the app's userData folder. */
export const SETTINGS_FILE_NAME = 'trunkline-settings';

interface Store {
  store: Record<string, unknown>;
}

/** Opens (lazily) `<directory>/<name>.json`. */
export async function openElectronDocumentFile(directory: string, name = SETTINGS_FILE_NAME): Promise<DocumentFile> {
  const { default: ElectronStore } = await import('electron-store');
  const path = join(directory, `${name}.json`);
  let store: Store | null = null;
  const open = (): Store => {
    store ??= new ElectronStore<Record<string, unknown>>({
      cwd: directory,
      name,
      // The schema types are looser than electron-store's generic Schema<T>; ajv checks them at runtime.
      schema: DOCUMENT_SCHEMA as never,
      rootSchema: DOCUMENT_ROOT_SCHEMA,
      clearInvalidConfig: false,
      accessPropertiesByDotNotation: false,
      watch: false,
    }) as unknown as Store;
    return store;
  };
  return {
    path,
    read() {
      return { ...open().store };
    },
    write(document: StoredDocument) {
      open().store = { ...document };
    },
    moveAside(tag: string) {
      store = null;
      const extension = extname(path);
      let target = join(dirname(path), `${basename(path, extension)}.${tag}${extension}`);
      for (let n = 2; existsSync(target); n++) target = join(dirname(path), `${basename(path, extension)}.${tag}-${n}${extension}`);
      renameSync(path, target);
      return target;
    },
  };
}
