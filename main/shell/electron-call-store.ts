/**
 * The call history's document on electron-store (`trunkline-calls.json` beside the settings file):
 * atomic writes, its own file so a long history never slows down or endangers the settings. What
 * is read back is checked record by record (call-history.ts), so no schema here; an unreadable
 * file is moved aside and the history starts empty, and the person is told.
 * electron-store is ESM-only, hence the dynamic import.
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { CallDocument, CallDocumentStore } from './call-history';

export const CALLS_FILE_NAME = 'trunkline-calls';

interface Store {
  store: Record<string, unknown>;
}

export async function openElectronCallStore(directory: string, notify: (message: string) => void, now: () => number = Date.now): Promise<CallDocumentStore> {
  const { default: ElectronStore } = await import('electron-store');
  const path = join(directory, `${CALLS_FILE_NAME}.json`);
  const open = (): Store => new ElectronStore<Record<string, unknown>>({ cwd: directory, name: CALLS_FILE_NAME, clearInvalidConfig: false, accessPropertiesByDotNotation: false, watch: false }) as unknown as Store;
  let store: Store;
  try {
    store = open();
  } catch (error) {
    if (!existsSync(path)) throw error;
    const aside = join(directory, `${CALLS_FILE_NAME}.corrupt-${now()}.json`);
    renameSync(path, aside);
    notify(`The call history could not be read (${(error as Error).message}); it was kept as ${aside} and a new one started.`);
    store = open();
  }
  return {
    read: () => ({ ...store.store }),
    write: (document: CallDocument) => {
      store.store = { ...document };
    },
  };
}
