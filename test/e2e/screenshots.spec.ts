import { expect, test } from '@playwright/test';
import type { DevHost } from '../../main/devhost/dev-host';
import { startDevHost } from '../../main/devhost/dev-host';
import type { KamailioInstance } from '../harness/kamailio';
import { account, eventually, lineConfig, serverOf, startPair } from '../integration/engine-fixture';
import { cell, expectNoProblems, openApp, panelRow, showView } from './app-page';

// The README's pictures, taken from a real scene: lines on real Kamailio, in each state a support
// desk sees. Saved to .tmp/screenshots/ on every run; `UPDATE_SCREENSHOTS=1 npm run test:e2e`
// refreshes the ones the README shows in docs/screenshots/.
const SHOTS = process.env.UPDATE_SCREENSHOTS ? 'docs/screenshots' : '.tmp/screenshots';
let primary: KamailioInstance;
let backup: KamailioInstance;
let host: DevHost;

test.beforeAll(async () => {
  ({ primary, backup } = await startPair('e2e-shots'));
  // Nothing listens on this port: the server answers with ICMP port unreachable.
  const dead = (k: KamailioInstance) => ({ host: k.ip, port: 5099, transport: 'udp' });
  host = await startDevHost({
    lines: [
      lineConfig({ id: 'carrier-a', name: 'Carrier A', ...account('1061'), servers: [serverOf(primary), serverOf(backup)], liveness: { interval: 5 } }),
      lineConfig({ id: 'carrier-b', name: 'Carrier B', ...account('1062'), servers: [dead(primary), serverOf(backup)], failback: { enabled: true, interval: 300 }, liveness: { interval: 5 } }),
      lineConfig({ id: 'sales-pbx', name: 'Sales PBX', ...account('1063'), servers: [serverOf(primary, 'tcp', { expires: 600 }), serverOf(backup, 'tcp')], liveness: { interval: 5 } }),
      lineConfig({ id: 'webrtc-edge', name: 'WebRTC edge', ...account('1064'), servers: [serverOf(backup, 'wss', { expires: 1800 })], liveness: { interval: 5 } }),
      lineConfig({ id: 'branch-office', name: 'Branch office', username: '1065', password: 'wrong-password', servers: [serverOf(primary)], retryDelay: 120 }),
      lineConfig({ id: 'lab-trunk', name: 'Lab trunk', ...account('1066'), servers: [dead(primary), dead(backup)], retryDelay: 90 }),
      lineConfig({ id: 'old-carrier', name: 'Old carrier', ...account('1067'), servers: [serverOf(primary)], enabled: false }),
    ],
  });
});

test.afterAll(async () => {
  await host?.stop();
  await Promise.all([primary?.stop(), backup?.stop()]);
});

test('screenshots of the trunk panel and the lines view, light and dark; "system" follows the OS', async ({ page }) => {
  const app = await openApp(page, host);
  await page.getByLabel('Theme').selectOption('light');
  await expect(cell(panelRow(page, 'carrier-b'), 'server')).toHaveText(/^backup 1/);
  await expect(cell(panelRow(page, 'branch-office'), 'state')).toHaveText('auth failed');
  await expect(cell(panelRow(page, 'lab-trunk'), 'state')).toHaveText('retry wait');
  // Liveness round trips measured on the registered lines.
  for (const id of ['carrier-a', 'carrier-b', 'sales-pbx', 'webrtc-edge']) {
    await expect(cell(panelRow(page, id), 'rtt')).toHaveText(/ms$/, { timeout: 15_000 });
  }
  await eventually(() => host.engine.snapshots().every((s) => s.state !== 'registering'), 5_000, 'settled');

  await panelRow(page, 'carrier-b').click();
  await expect(page.getByRole('region', { name: 'Event history, newest first' })).toContainText('failover to backup 1');
  await page.screenshot({ path: `${SHOTS}/trunk-panel.png` });

  await page.getByRole('tab', { name: /SIP trace/ }).click();
  await expect(page.getByRole('listbox', { name: 'SIP messages in order' })).toContainText('200 OK (REGISTER)');
  await page.getByLabel('Theme').selectOption('dark');
  await page.screenshot({ path: `${SHOTS}/trunk-panel-dark.png` });

  await page.getByLabel('Theme').selectOption('light');
  await showView(page, 'Lines');
  await page.locator('.item[data-line-id="carrier-b"]').click();
  await expect(page.getByRole('form', { name: 'Edit line carrier-b' })).toBeVisible();
  await page.screenshot({ path: `${SHOTS}/lines.png` });

  // "System" follows the OS: the same page turns dark and light with prefers-color-scheme.
  const background = () => page.evaluate<string>("getComputedStyle(document.querySelector('.app')).backgroundColor");
  await page.getByLabel('Theme').selectOption('system');
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await background()).toBe('rgb(17, 20, 25)');
  await page.emulateMedia({ colorScheme: 'light' });
  expect(await background()).toBe('rgb(238, 240, 243)');
  expect(host.repository.loadSettings().theme).toBe('system');
  expectNoProblems(app);
});
