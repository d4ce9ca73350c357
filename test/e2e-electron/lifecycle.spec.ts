/**
 * The real app's lifecycle against a real registrar: closing hides to the tray (lines stay
 * registered), a second instance only shows the first, and quitting sends Expires:0 for every
 * binding before the process ends. Playwright starts Electron with --password-store=basic, so it
 * also shows the basic_text refusal: the line works but its password is not stored.
 */
import { spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import type { LineView } from '../../preload/contract';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import { electronBinary, ELECTRON_MISSING_MESSAGE, launchTrunkline, repoRoot } from './electron-app';
import type { LaunchedApp } from './electron-app';

test.skip(electronBinary() === null, ELECTRON_MISSING_MESSAGE);

const USER = '1201';
const PASSWORD = 'secret-1201';
let kamailio: KamailioInstance;
let launched: LaunchedApp;

test.beforeAll(async () => {
  kamailio = await startKamailio({ name: 'e2e-electron', users: { [USER]: PASSWORD } });
  launched = await launchTrunkline();
});
test.afterAll(async () => {
  await launched?.dispose();
  await kamailio?.stop();
});

const inPage = <T>(expression: string): Promise<T> => launched.page.evaluate(expression) as Promise<T>;

test('adding a line through the bridge registers it; its password is refused storage under basic_text and the person is told', async () => {
  await inPage('(() => { window.notices = []; window.trunkline.onNotice((n) => window.notices.push(n)); })()');
  const line = { id: 'e2e', username: USER, password: PASSWORD, domain: 'trunkline.test', servers: [{ host: kamailio.ip, port: kamailio.ports.udp, transport: 'udp', expires: 600 }] };
  const added = await inPage(`window.trunkline.addLine(${JSON.stringify(line)})`);
  expect(added).toMatchObject({ ok: true, value: { config: { id: 'e2e', hasPassword: true } } });
  expect(JSON.stringify(added)).not.toContain(PASSWORD);
  await expect.poll(async () => (await inPage<{ value: LineView[] }>('window.trunkline.listLines()')).value[0]?.snapshot.state).toBe('registered');
  expect(await kamailio.bindings(USER)).toHaveLength(1);
  expect(await inPage('window.notices')).toEqual([expect.objectContaining({ level: 'warning', message: expect.stringContaining('basic_text') })]);
});

test('closing the window hides it to the tray; the line stays registered', async () => {
  const { app } = launched;
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.close());
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().map((w) => w.isVisible()))).toEqual([false]);
  expect(await kamailio.bindings(USER)).toHaveLength(1);
});

test('a second instance does not start: it shows the first one and exits', async () => {
  const { app, userData } = launched;
  const second = spawn(electronBinary()!, [repoRoot, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])], { env: { ...process.env, TRUNKLINE_USER_DATA_DIR: userData }, stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => second.on('exit', resolve));
  expect(code).toBe(0);
  await expect.poll(() => app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.isVisible())).toBe(true);
});

test('quitting sends REGISTER Expires:0 and the binding is gone before the app has exited', async () => {
  const { app } = launched;
  const exited = new Promise<void>((resolve) => app.process().on('exit', () => resolve()));
  const started = Date.now();
  await app.close(); // app.quit(): before-quit → the quit sequence
  await exited;
  expect(Date.now() - started).toBeLessThan(6_000);
  await kamailio.waitForWire((r) => r.method === 'REGISTER' && r.fromUser === USER && r.expiresHeader === '0', 2_000);
  expect(await kamailio.bindings(USER)).toHaveLength(0);
  expect(launched.logs.join('\n')).toContain('unregister finished (clean)');
});
