/**
 * The phone in the real app (skips where the Electron binary is not installed): a call placed from
 * the Phone view through a real Kamailio to a real baresip, answered, hung up and kept in the
 * history file (electron-store) across a restart; a tel: link given to a second instance fills
 * the dialer without dialling. What only Electron can show: the loopback switch lets the audio bus
 * connect (no "could not be opened" notice), setSinkId is permitted for the app origin.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { BaresipInstance } from '../harness/baresip';
import { startBaresip } from '../harness/baresip';
import type { KamailioInstance } from '../harness/kamailio';
import { pickLoopbackIp, startKamailio } from '../harness/kamailio';
import { electronBinary, ELECTRON_MISSING_MESSAGE, launchTrunkline, repoRoot } from './electron-app';
import type { LaunchedApp } from './electron-app';

test.skip(electronBinary() === null, ELECTRON_MISSING_MESSAGE);

const DOMAIN = 'trunkline.test';
const USERS = { '1211': 'secret-1211', '1212': 'secret-1212' };
let kamailio: KamailioInstance;
let callee: BaresipInstance;
let launched: LaunchedApp;
let userData: string;

test.beforeAll(async () => {
  kamailio = await startKamailio({ name: 'e2e-electron-phone', users: USERS, domain: DOMAIN, ip: await pickLoopbackIp() });
  callee = await startBaresip({ name: 'el1212', user: '1212', password: USERS['1212'], registrar: { ip: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' }, domain: DOMAIN, answerMode: 'auto', record: false });
  await callee.registered();
  userData = mkdtempSync(join(tmpdir(), 'trunkline-e2e-phone-'));
  launched = await launchTrunkline({ userData });
});

test.afterAll(async () => {
  await launched?.dispose();
  await callee?.stop();
  await kamailio?.stop();
  rmSync(userData, { recursive: true, force: true });
});

test('dial from the Phone view → connected → hang up → the call is in the history file', async () => {
  const { page } = launched;
  const line = { id: 'desk', username: '1211', password: USERS['1211'], domain: DOMAIN, servers: [{ host: kamailio.ip, port: kamailio.ports.udp, transport: 'udp' }], calls: { rtpPortMin: 46000, rtpPortMax: 46999 } };
  expect(await page.evaluate(`window.trunkline.addLine(${JSON.stringify(line)})`)).toMatchObject({ ok: true });
  await page.keyboard.press('Control+d');
  await expect(page.getByRole('combobox', { name: 'Line to call from' })).toContainText('registered', { timeout: 15_000 });
  await page.getByRole('textbox', { name: 'Number or SIP address to call' }).fill('1212');
  await page.keyboard.press('Enter');
  const card = page.getByRole('article', { name: /^Call with/ });
  await expect(card.getByTestId('call-state')).toHaveText(/^Connected/, { timeout: 15_000 });
  await expect(page.getByRole('alert').filter({ hasText: 'could not be opened' })).toHaveCount(0);
  await card.getByRole('button', { name: 'Hang up' }).click();
  await callee.waitForEvent('CALL_CLOSED');
  await expect(page.getByRole('list', { name: 'Calls, newest first' }).getByRole('listitem').first()).toContainText('1212');
  const file = join(userData, 'trunkline-calls.json');
  await expect.poll(() => existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).history.length).toBe(1);
});

test('a tel: link given to a second instance opens the dialer with the number, and does not dial', async () => {
  const { page } = launched;
  const second = spawn(electronBinary()!, [repoRoot, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), 'tel:+1-555-010-0199'], { env: { ...process.env, TRUNKLINE_USER_DATA_DIR: userData }, stdio: 'ignore' });
  expect(await new Promise<number | null>((resolve) => second.on('exit', resolve))).toBe(0);
  await expect(page.getByRole('textbox', { name: 'Number or SIP address to call' })).toHaveValue('+15550100199');
  expect(await page.getByRole('article', { name: /^Call with/ }).count()).toBe(0);
});
