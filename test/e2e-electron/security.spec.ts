/**
 * The real app's window against the Electron security checklist: what the renderer really got
 * (web preferences, CSP, bridge), not what the code meant to give it. Page code is passed as
 * strings: this project's test types have no DOM.
 */
import type { WebPreferences } from 'electron';
import { expect, test } from '@playwright/test';
import { CONTENT_SECURITY_POLICY } from '../../main/shell/content-security-policy';
import { COMMAND_METHODS, EVENT_METHODS } from '../../preload/contract';
import type { LaunchedApp } from './electron-app';
import { electronBinary, ELECTRON_MISSING_MESSAGE, launchTrunkline } from './electron-app';

test.skip(electronBinary() === null, ELECTRON_MISSING_MESSAGE);

let launched: LaunchedApp;
test.beforeAll(async () => {
  launched = await launchTrunkline();
});
test.afterAll(async () => launched?.dispose());

const inPage = <T>(expression: string): Promise<T> => launched.page.evaluate(expression) as Promise<T>;

test('the window is isolated, sandboxed, without Node, with web security', async () => {
  // getLastWebPreferences is not in Electron's typings, but is what the renderer was created with.
  const prefs = await launched.app.evaluate(({ BrowserWindow }) =>
    (BrowserWindow.getAllWindows()[0]!.webContents as unknown as { getLastWebPreferences(): WebPreferences | null }).getLastWebPreferences());
  expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInSubFrames: false, webSecurity: true, webviewTag: false, allowRunningInsecureContent: false });
  expect(await launched.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  // And as the page sees it: no Node anywhere in the main world.
  expect(await inPage('[typeof require, typeof process, typeof Buffer, typeof module]')).toEqual(['undefined', 'undefined', 'undefined', 'undefined']);
});

test('the UI comes from app://trunkline/ with the strict CSP header, and the CSP is enforced', async () => {
  expect(launched.page.url()).toBe('app://trunkline/index.html');
  expect(await inPage("fetch('/index.html').then((r) => r.headers.get('content-security-policy'))")).toBe(CONTENT_SECURITY_POLICY);
  expect(await inPage(`(() => { try { return String((0, eval)('"eval ran"')); } catch { return 'blocked'; } })()`)).toBe('blocked');
  expect(await inPage(`(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true';
    document.head.append(script);
    return window.__inlineRan === true;
  })()`)).toBe(false);
  expect(await inPage("fetch('https://example.org/').then(() => 'loaded', () => 'refused')")).toBe('refused');
});

test('the page sees window.trunkline with exactly the contract (so the contract-only preload ran, isolated)', async () => {
  // contextBridge refuses to run without context isolation: the bridge being there proves it on.
  expect(await inPage<string[]>('Object.keys(window.trunkline).sort()')).toEqual([...Object.keys(COMMAND_METHODS), ...Object.keys(EVENT_METHODS)].sort());
  expect(await inPage('window.trunkline.getSettings()')).toEqual({ ok: true, value: { notifications: true, theme: 'system' } });
});

test('navigation away and new windows are refused', async () => {
  await inPage("(() => { location.href = 'https://example.org/'; })()");
  await launched.page.waitForTimeout(500);
  expect(launched.page.url()).toBe('app://trunkline/index.html');
  expect(await inPage("window.open('https://example.org/') === null")).toBe(true);
  expect(await inPage("window.open('app://trunkline/index.html') === null")).toBe(true);
  expect(await launched.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
});

test('nothing but the microphone can be granted', async () => {
  const states = await inPage<Record<string, string>>(`(async () => {
    const query = (name) => navigator.permissions.query({ name }).then((s) => s.state, () => 'unsupported');
    return { camera: await query('camera'), geolocation: await query('geolocation'), notifications: await query('notifications') };
  })()`);
  for (const [name, state] of Object.entries(states)) expect(state, name).not.toBe('granted');
});
