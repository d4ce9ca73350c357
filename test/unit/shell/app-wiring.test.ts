/**
 * The composition root (main/shell/app.ts) started against a recording fake of `electron`: the
 * seams are unit-tested one by one elsewhere; this checks they are wired together — the secure
 * window, IPC per channel with the sender check, the encrypted settings file, the tray, hiding on
 * close, and quitting held until every line has unregistered.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { COMMAND_METHODS } from '../../../preload/contract';
import { APP_SCHEME_PRIVILEGES } from '../../../main/shell/app-origin';
import * as fake from './fake-electron';

vi.mock('electron', async () => {
  const electron = await import('./fake-electron.js');
  return { ...electron, default: electron };
});

const signals = ['SIGINT', 'SIGTERM'] as const;
const listenersBefore = new Map(signals.map((s) => [s, process.listeners(s)]));
let window: fake.BrowserWindow;
const fromWindow = () => ({ sender: { id: window.webContents.id }, senderFrame: { url: 'app://trunkline/index.html', parent: null } });
const invoke = (channel: string, event: unknown, ...args: unknown[]) => fake.ipcMain.handlers.get(channel)!(event, ...args);

beforeAll(async () => {
  await import('../../../main/shell/app.js');
  await vi.waitFor(() => expect(fake.BrowserWindow.all).toHaveLength(1));
  window = fake.BrowserWindow.all[0]!;
  await vi.waitFor(() => expect(window.visible).toBe(true));
});

afterAll(() => {
  // app.ts listens for SIGINT/SIGTERM; this worker must not keep those listeners.
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) if (!listenersBefore.get(signal)!.includes(listener)) process.removeListener(signal, listener);
  }
  rmSync(fake.userData, { recursive: true, force: true });
});

describe('the desktop app, wired together (fake electron)', () => {
  it('starts one secure window on the app origin, with the scheme, session policy, IPC, tray and menu in place', () => {
    expect(fake.protocol.privileged).toEqual([APP_SCHEME_PRIVILEGES]);
    expect([...fake.protocol.handlers.keys()]).toEqual(['app']);
    expect(window.loaded).toEqual(['app://trunkline/index.html']);
    expect(window.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(String((window.options.webPreferences as { preload: string }).preload)).toMatch(/preload[\\/]preload\.js$/);
    expect(fake.session.defaultSession.installed).toEqual(['permission-request', 'permission-check', 'device-permission']);
    expect(fake.session.defaultSession.webRequest.filters).toHaveLength(1);
    expect([...fake.ipcMain.handlers.keys()].sort()).toEqual(Object.values(COMMAND_METHODS).sort());
    expect(fake.Tray.all).toHaveLength(1);
    expect(String((fake.Tray.all[0]!.image as { path: string }).path)).toMatch(/assets[\\/]tray[\\/]tray\.png$/);
    expect(fake.Tray.all[0]!.tooltip).toBe('Trunkline — no lines enabled');
    const menu = JSON.stringify(fake.Menu.application);
    expect(menu).toContain('Quit Trunkline');
    expect(menu).toContain('Check for Updates');
    expect(existsSync(join(fake.userData, 'trunkline-settings.json'))).toBe(true);
  });

  it('a command from the window main frame reaches the engine; its password is stored only encrypted; events reach the window', async () => {
    const added = await invoke('lines:add', fromWindow(), { id: 'wired', username: '1001', password: 'wired-secret', domain: 'example.org', servers: [{ host: '127.0.0.1', port: 5999 }] });
    expect(added).toMatchObject({ ok: true, value: { config: { id: 'wired', hasPassword: true } } });
    const file = readFileSync(join(fake.userData, 'trunkline-settings.json'), 'utf8');
    expect(file).not.toContain('wired-secret');
    expect(JSON.parse(file).lines[0].passwordCiphertext).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(window.webContents.sent.map(([channel]) => channel)).toContain('line:added');
  });

  it('a command from anywhere else is refused before it reaches the engine', async () => {
    const foreign = { sender: { id: window.webContents.id }, senderFrame: { url: 'https://evil.example/', parent: null } };
    expect(await invoke('lines:remove', foreign, 'wired')).toEqual({ ok: false, error: { message: 'refused: not the app origin' } });
    expect(await invoke('lines:list', fromWindow())).toMatchObject({ ok: true, value: [{ config: { id: 'wired' } }] });
  });

  it('the renderer WebRTC may use loopback (the audio bus to the media host)', () => {
    expect(fake.app.commandLine.switches).toContain('allow-loopback-in-peer-connection');
  });

  it('a tel: link in a second instance\'s argv fills the dialer and does not dial (the setting is off)', async () => {
    window.webContents.sent.length = 0;
    fake.app.emit('second-instance', fake.preventable(), ['/opt/Trunkline/trunkline', '--flag', 'tel:+1-555-010-0199']);
    expect(window.webContents.sent).toContainEqual(['app:dial-link', { target: '+15550100199', dial: false }]);
    expect(await invoke('call:list', fromWindow())).toEqual({ ok: true, value: [] });
    expect(await invoke('call:history', fromWindow())).toEqual({ ok: true, value: { entries: [], missedUnseen: 0 } });
  });

  it('closing the window hides it to the tray; a second instance shows it again', () => {
    const close = fake.preventable();
    window.emit('close', close);
    expect(close.defaultPrevented).toBe(true);
    expect(window.visible).toBe(false);
    fake.app.emit('second-instance', fake.preventable(), []);
    expect(window.visible).toBe(true);
  });

  it('quitting holds before-quit while every line unregisters, then quits for real', async () => {
    fake.app.quit();
    expect(fake.app.quitsCompleted).toBe(0);
    expect(window.visible).toBe(false);
    expect(fake.Tray.all[0]!.destroyed).toBe(true);
    await vi.waitFor(() => expect(fake.app.quitsCompleted).toBe(1), { timeout: 4_000 });
    expect(fake.app.exits).toEqual([]);
    // Now the window really closes.
    const close = fake.preventable();
    window.emit('close', close);
    expect(close.defaultPrevented).toBe(false);
    expect(fake.ipcMain.handlers.size).toBe(0);
  });
});
