import { expect, test } from '@playwright/test';
import type { DevHost } from '../../main/devhost/dev-host';
import { startDevHost } from '../../main/devhost/dev-host';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import { DOMAIN, USERS, account, eventually, lineConfig, serverOf } from '../integration/engine-fixture';
import { cell, expectNoProblems, openApp, panelRow, showView } from './app-page';

let registrar: KamailioInstance;
let host: DevHost;

test.beforeAll(async () => {
  registrar = await startKamailio({ name: 'e2e-remove', users: USERS, domain: DOMAIN });
  host = await startDevHost({
    lines: [
      lineConfig({ id: 'to-remove', name: 'To remove', ...account('1051'), servers: [serverOf(registrar)] }),
      lineConfig({ id: 'to-toggle', name: 'To toggle', ...account('1052'), servers: [serverOf(registrar, 'tcp')] }),
    ],
  });
});

test.afterAll(async () => {
  await host?.stop();
  await registrar?.stop();
});

test('removing a line sends REGISTER Expires:0 on its dialog and the registrar forgets the binding', async ({ page }) => {
  const app = await openApp(page, host);
  await expect(cell(panelRow(page, 'to-remove'), 'state')).toHaveText('registered');
  await eventually(async () => (await registrar.bindings('1051')).length === 1, 5_000, 'binding');
  const dialog = registrar.wire({ method: 'REGISTER', fromUser: '1051' })[0]!.callId;

  await showView(page, 'Lines');
  await page.locator('.item[data-line-id="to-remove"]').click();
  await page.getByRole('button', { name: 'Remove line…' }).click();
  await expect(page.getByText('Unregister and remove this line?')).toBeVisible();
  await page.getByRole('button', { name: 'Remove', exact: true }).click();

  const unregister = await registrar.waitForWire((r) => r.method === 'REGISTER' && r.fromUser === '1051' && r.expiresHeader === '0', 5_000);
  expect(unregister.callId).toBe(dialog);
  await eventually(async () => (await registrar.bindings('1051')).length === 0, 5_000, 'binding removed');
  await expect(page.locator('.item[data-line-id="to-remove"]')).toHaveCount(0);
  await expect(page.getByRole('form')).toHaveCount(0);

  await showView(page, 'Trunks');
  await expect(panelRow(page, 'to-remove')).toHaveCount(0);
  await expect(page.getByTestId('registered-count')).toHaveText('1 of 1 registered');
  expect(host.engine.lineIds()).toEqual(['to-toggle']);
  expectNoProblems(app);
});

test('disabling a line unregisters it (Expires:0); enabling registers it again', async ({ page }) => {
  const app = await openApp(page, host);
  await expect(cell(panelRow(page, 'to-toggle'), 'state')).toHaveText('registered');
  await showView(page, 'Lines');
  const toggle = page.getByRole('switch', { name: 'Disable To toggle' });
  await toggle.click();
  await registrar.waitForWire((r) => r.method === 'REGISTER' && r.fromUser === '1052' && r.expiresHeader === '0', 5_000);
  await eventually(async () => (await registrar.bindings('1052')).length === 0, 5_000, 'binding removed');
  await expect(page.locator('.item[data-line-id="to-toggle"] [data-state]')).toHaveText('disabled');

  await page.getByRole('switch', { name: 'Enable To toggle' }).click();
  await expect(page.locator('.item[data-line-id="to-toggle"] [data-state]')).toHaveText('registered');
  await eventually(async () => (await registrar.bindings('1052')).length === 1, 5_000, 'binding back');
  expectNoProblems(app);
});
