import { describe, expect, it } from 'vitest';
import type { LineConfig } from '../../../common/line-config';
import { parseLineConfig } from '../../../common/line-config';
import type { AppNotice, LineView } from '../../../preload/contract';
import { ElectronLineRepository } from '../../../main/shell/electron-line-repository';
import { DEFAULT_SETTINGS } from '../../../main/shell/line-repository';
import { LineService } from '../../../main/shell/line-service';
import { safeStorageCipher } from '../../../main/shell/secret-cipher';
import { SipEngine } from '../../../main/sip/engine';
import { FakeClock } from '../../fake-clock';
import { ScriptedChannel } from '../sip/scripted-channel';
import { fakeSafeStorage } from './fake-safe-storage';
import { MemoryDocumentFile } from './memory-document-file';

function line(fields: Record<string, unknown>): LineConfig {
  const parsed = parseLineConfig({ username: '1001', domain: 'example.org', servers: [{ host: 'sip.example.org' }], ...fields });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.value;
}

function open(file: MemoryDocumentFile, storage = fakeSafeStorage()) {
  const notices: AppNotice[] = [];
  const clock = new FakeClock(Date.UTC(2025, 10, 21, 13, 37, 0, 123));
  const repository = ElectronLineRepository.open({ file, cipher: safeStorageCipher(storage, 'linux'), clock, notify: (n) => notices.push(n) });
  return { repository, notices, storage };
}

describe('settings file (electron-store) with passwords encrypted by safeStorage', () => {
  it('a fresh install writes an empty current document and starts with no lines and default settings', () => {
    const file = new MemoryDocumentFile();
    const { repository, notices } = open(file);
    expect(repository.loadLines()).toEqual([]);
    expect(repository.loadSettings()).toEqual(DEFAULT_SETTINGS);
    expect(file.json()).toEqual({ schemaVersion: 3, settings: {}, lines: [], invalidLines: [] });
    expect(notices).toEqual([]);
  });

  it('a password is written only as base64 ciphertext, and comes back in clear for the engine after a restart', () => {
    const file = new MemoryDocumentFile();
    open(file).repository.saveLines([line({ id: 'a', password: 'hunter2-secret' })]);
    expect(file.text).not.toContain('hunter2-secret');
    const stored = file.json().lines[0]!;
    expect(stored).not.toHaveProperty('password');
    expect(stored.passwordCiphertext).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    const { repository, notices } = open(file);
    expect(repository.loadLines()).toEqual([line({ id: 'a', password: 'hunter2-secret' })]);
    expect(notices).toEqual([]);
  });

  it('an unchanged password is not re-encrypted on every save', () => {
    const file = new MemoryDocumentFile();
    const { repository, storage } = open(file);
    repository.saveLines([line({ id: 'a', password: 'pw' })]);
    repository.saveLines([line({ id: 'a', password: 'pw', retryDelay: 90 })]);
    repository.saveLines([line({ id: 'a', password: 'new' })]);
    expect(storage.encrypted).toEqual(['pw', 'new']);
  });

  it('Linux without a keyring (basic_text): the line is saved without its password, and the person is told once', () => {
    const file = new MemoryDocumentFile();
    const { repository, notices } = open(file, fakeSafeStorage({ backend: 'basic_text' }));
    repository.saveLines([line({ id: 'a', password: 'pw' }), line({ id: 'b' })]);
    repository.saveLines([line({ id: 'a', password: 'pw', retryDelay: 90 })]);
    expect(file.json().lines).toEqual([expect.objectContaining({ id: 'a', retryDelay: 90 })]);
    expect(file.json().lines[0]).not.toHaveProperty('passwordCiphertext');
    expect(file.text).not.toContain('"pw"');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ level: 'warning', message: expect.stringContaining('The password of "a" was not saved.') });
    expect(notices[0]!.message).toContain('basic_text');
    expect(notices[0]!.message).toContain('The line itself is saved.');
    // The engine keeps using it this session: the repository still hands it out.
    expect(repository.loadLines()[0]!.password).toBe('pw');
  });

  it('a corrupt file is moved aside under a timestamped name, reported, and never overwritten', () => {
    const corrupt = '{"schemaVersion": 2, "lines": [ {"id": "a"';
    const file = new MemoryDocumentFile(corrupt);
    const { repository, notices } = open(file);
    expect(file.moved).toEqual([{ path: '/home/agent/.config/Trunkline/trunkline-settings.corrupt-2025-11-21T13-37-00-123Z.json', text: corrupt }]);
    expect(notices).toEqual([{
      level: 'error',
      message: expect.stringMatching(/^The settings file could not be read: .*JSON.*\. It was kept unchanged as \/home\/agent\/\.config\/Trunkline\/trunkline-settings\.corrupt-2025-11-21T13-37-00-123Z\.json, and Trunkline started without lines\. Nothing in it was deleted\.$/),
    }]);
    expect(repository.loadLines()).toEqual([]);
    expect(file.json()).toEqual({ schemaVersion: 3, settings: {}, lines: [], invalidLines: [] });
  });

  it('a file written by a newer Trunkline is moved aside, not downgraded', () => {
    const newer = JSON.stringify({ schemaVersion: 4, settings: {}, lines: [] });
    const file = new MemoryDocumentFile(newer);
    const { notices } = open(file);
    expect(file.moved[0]!.text).toBe(newer);
    expect(notices[0]!.message).toContain('written by a newer Trunkline (settings version 4; this version reads up to 3)');
  });

  it('a file that cannot even be moved aside stops the repository (the app then runs from memory and says so)', () => {
    const file = new MemoryDocumentFile('not json');
    file.moveAside = () => {
      throw new Error('EACCES: permission denied');
    };
    expect(() => open(file)).toThrow(/cannot be read .* nor moved aside \(EACCES: permission denied\)/);
  });

  it('a v1 file (servers[].ttl) is migrated to the current version (expires), written back, and its lines start with their passwords', () => {
    const ciphertext = safeStorageCipher(fakeSafeStorage(), 'linux').encrypt('pw');
    const file = new MemoryDocumentFile(JSON.stringify({
      schemaVersion: 1,
      settings: { notifications: false, theme: 'dark' },
      lines: [{ id: 'a', username: '1001', domain: 'example.org', passwordCiphertext: ciphertext, servers: [{ host: 'sip.example.org', ttl: 600 }] }],
    }));
    const { repository, notices } = open(file);
    expect(repository.loadLines()).toEqual([line({ id: 'a', password: 'pw', servers: [{ host: 'sip.example.org', expires: 600 }] })]);
    expect(repository.loadSettings()).toEqual({ ...DEFAULT_SETTINGS, notifications: false, theme: 'dark' });
    expect(file.json()).toMatchObject({ schemaVersion: 3, lines: [{ id: 'a', servers: [{ host: 'sip.example.org', expires: 600 }], passwordCiphertext: ciphertext }] });
    expect(file.moved).toEqual([]);
    expect(notices).toEqual([]);
  });

  it('an invalid stored line is not started, is reported with its fields, and is kept under invalidLines', () => {
    const file = new MemoryDocumentFile(JSON.stringify({
      schemaVersion: 3,
      settings: {},
      lines: [
        { id: 'good', username: '1001', domain: 'example.org', servers: [{ host: 'sip.example.org' }] },
        { id: 'bad', username: '1002', domain: 'example.org', retryDelay: 5, servers: [{ host: 'sip.example.org', port: 70000 }] },
        { id: 'good', username: '1003', domain: 'example.org', servers: [{ host: 'sip.example.org' }] },
      ],
      invalidLines: [],
    }));
    const { repository, notices } = open(file);
    expect(repository.loadLines().map((l) => l.id)).toEqual(['good']);
    expect(notices.map((n) => n.message)).toEqual([
      'Stored line "bad" is invalid and was not started: servers[0].port: must be an integer from 1 to 65535 (got 70000); retryDelay: must be an integer from 30 to 600 seconds (got 5). ' +
        'It is kept in /home/agent/.config/Trunkline/trunkline-settings.json under "invalidLines".',
      'Stored line "good" is invalid and was not started: id: must be unique ("good" appears twice). It is kept in /home/agent/.config/Trunkline/trunkline-settings.json under "invalidLines".',
    ]);
    const kept = file.json().invalidLines;
    expect(kept.map((k) => k.line.id)).toEqual(['bad', 'good']);
    expect(kept[0]!.keptAt).toBe(Date.UTC(2025, 10, 21, 13, 37, 0, 123));
    // Saving the good lines keeps what was set aside.
    repository.saveLines(repository.loadLines());
    expect(file.json().invalidLines).toHaveLength(2);
  });

  it('a password that cannot be decrypted (keyring locked) is reported and its ciphertext kept until a new one replaces it', () => {
    const file = new MemoryDocumentFile(JSON.stringify({
      schemaVersion: 3, settings: {}, invalidLines: [],
      lines: [{ id: 'a', username: '1001', domain: 'example.org', passwordCiphertext: 'dGhpcyBpcyBub3QgdjEx', servers: [{ host: 'sip.example.org' }] }],
    }));
    const { repository, notices } = open(file);
    expect(repository.loadLines()[0]!.password).toBe('');
    expect(notices).toEqual([{ level: 'warning', message: expect.stringContaining('The stored password of line "a" could not be decrypted') }]);
    repository.saveLines(repository.loadLines());
    expect(file.json().lines[0]!.passwordCiphertext).toBe('dGhpcyBpcyBub3QgdjEx');
    repository.saveLines([{ ...repository.loadLines()[0]!, password: 'typed again' }]);
    expect(file.json().lines[0]!.passwordCiphertext).not.toBe('dGhpcyBpcyBub3QgdjEx');
  });

  it('a failed write is reported once and never thrown into the command that caused it', () => {
    const file = new MemoryDocumentFile();
    const { repository, notices } = open(file);
    file.failWrites = 'ENOSPC: no space left on device';
    expect(() => repository.saveLines([line({ id: 'a' })])).not.toThrow();
    repository.saveSettings({ ...DEFAULT_SETTINGS, notifications: false, theme: 'light' });
    expect(notices).toEqual([{ level: 'error', message: expect.stringContaining('Settings could not be saved to /home/agent/.config/Trunkline/trunkline-settings.json: ENOSPC') }]);
    expect(repository.loadLines().map((l) => l.id)).toEqual(['a']);
  });

  it('settings round-trip; a stored value of the wrong type falls back to its default', () => {
    const file = new MemoryDocumentFile();
    const chosen = { notifications: false, theme: 'dark' as const, metrics: { enabled: true, port: 9500 }, hep: { enabled: true, target: 'udp:[::1]:9061', captureId: 7 } };
    open(file).repository.saveSettings(chosen);
    expect(open(file).repository.loadSettings()).toEqual(chosen);
    file.text = JSON.stringify({ schemaVersion: 3, settings: { theme: 'neon', extra: 1, metrics: { enabled: true, port: 80 }, hep: { target: 'udp:homer:9060' } }, lines: [], invalidLines: [] });
    expect(open(file).repository.loadSettings()).toEqual(DEFAULT_SETTINGS);
  });

  it('through the bridge: a line added with a password is stored encrypted, and the renderer only learns "has password"', async () => {
    const clock = new FakeClock();
    const file = new MemoryDocumentFile();
    const { repository } = open(file);
    const engine = new SipEngine({ clock, createChannel: () => new ScriptedChannel(clock) });
    const service = new LineService(engine, repository, () => {});
    const added = await service.dispatch('lines:add', [{ id: 'a', username: '1001', password: 'bridge-secret', domain: 'example.org', servers: [{ host: '127.0.0.1' }] }]);
    expect(JSON.stringify(added)).not.toContain('bridge-secret');
    expect((added as { value: LineView }).value.config.hasPassword).toBe(true);
    expect(file.text).not.toContain('bridge-secret');
    expect(open(file).repository.loadLines()[0]!.password).toBe('bridge-secret');
    await Promise.all([engine.shutdown(100), clock.advanceAsync(200)]);
  });
});
