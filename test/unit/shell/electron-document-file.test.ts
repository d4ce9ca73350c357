/**
 * The real electron-store (and its JSON-schema validation) on a temporary folder. electron-store
 * imports `electron`, which cannot load outside Electron: it is mocked with the empty module
 * electron-store tolerates when given an absolute `cwd` (vitest inlines electron-store so the
 * mock reaches it: `server.deps.inline` in vitest.config.mts).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppNotice } from '../../../preload/contract';
import { openElectronDocumentFile } from '../../../main/shell/electron-document-file';
import { ElectronLineRepository } from '../../../main/shell/electron-line-repository';
import { safeStorageCipher } from '../../../main/shell/secret-cipher';
import type { StoredDocument } from '../../../main/shell/settings-document';
import { emptyDocument } from '../../../main/shell/settings-document';
import { FakeClock } from '../../fake-clock';
import { fakeSafeStorage } from './fake-safe-storage';

vi.mock('electron', () => ({ default: {} }));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'trunkline-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const settingsPath = () => join(dir, 'trunkline-settings.json');

describe('settings file on electron-store', () => {
  it('no file yet reads as empty; a write creates it atomically as JSON', async () => {
    const file = await openElectronDocumentFile(dir);
    expect(file.path).toBe(settingsPath());
    expect(file.read()).toEqual({});
    file.write(emptyDocument());
    expect(JSON.parse(readFileSync(settingsPath(), 'utf8'))).toEqual(emptyDocument());
  });

  it('the schema refuses to write a clear password, and the file keeps its last good content', async () => {
    const file = await openElectronDocumentFile(dir);
    file.write(emptyDocument());
    const leaky = { ...emptyDocument(), lines: [{ id: 'a', password: 'clear' }] } as unknown as StoredDocument;
    expect(() => file.write(leaky)).toThrow(/schema violation.*password/i);
    expect(readFileSync(settingsPath(), 'utf8')).not.toContain('clear');
  });

  it('not JSON, or JSON breaking the schema, throws on read instead of being emptied', async () => {
    writeFileSync(settingsPath(), '{"schemaVersion": 2, "lines": [');
    await expect(openElectronDocumentFile(dir).then((f) => f.read())).rejects.toThrow(SyntaxError);
    writeFileSync(settingsPath(), JSON.stringify({ schemaVersion: 3, lines: 'nope' }));
    await expect(openElectronDocumentFile(dir).then((f) => f.read())).rejects.toThrow(/Config schema violation/);
    writeFileSync(settingsPath(), JSON.stringify({ schemaVersion: 3, lines: [{ id: 'a', passwordCiphertext: 'not base64!' }] }));
    await expect(openElectronDocumentFile(dir).then((f) => f.read())).rejects.toThrow(/Config schema violation/);
    expect(readFileSync(settingsPath(), 'utf8')).toContain('not base64!');
  });

  it('a corrupt file is renamed aside byte for byte, and a fresh one takes its place', async () => {
    const corrupt = '\u0000\u0000garbage after a crash';
    writeFileSync(settingsPath(), corrupt);
    const notices: AppNotice[] = [];
    const clock = new FakeClock(Date.UTC(2025, 10, 21, 13, 37, 0, 123));
    const file = await openElectronDocumentFile(dir);
    const repository = ElectronLineRepository.open({ file, cipher: safeStorageCipher(fakeSafeStorage(), 'linux'), clock, notify: (n) => notices.push(n) });
    const aside = join(dir, 'trunkline-settings.corrupt-2025-11-21T13-37-00-123Z.json');
    expect(readFileSync(aside, 'utf8')).toBe(corrupt);
    expect(notices[0]!.message).toContain(aside);
    expect(repository.loadLines()).toEqual([]);
    expect(JSON.parse(readFileSync(settingsPath(), 'utf8'))).toEqual(emptyDocument());
    // The same second twice does not overwrite the first copy.
    writeFileSync(settingsPath(), 'again');
    ElectronLineRepository.open({ file: await openElectronDocumentFile(dir), cipher: safeStorageCipher(fakeSafeStorage(), 'linux'), clock, notify: () => {} });
    expect(readdirSync(dir).filter((n) => n.includes('corrupt')).sort()).toEqual([
      'trunkline-settings.corrupt-2025-11-21T13-37-00-123Z-2.json',
      'trunkline-settings.corrupt-2025-11-21T13-37-00-123Z.json',
    ]);
    expect(existsSync(settingsPath())).toBe(true);
  });
});
