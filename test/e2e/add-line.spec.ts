import { expect, test } from '@playwright/test';
import type { DevHost } from '../../main/devhost/dev-host';
import { startDevHost } from '../../main/devhost/dev-host';
import type { KamailioInstance } from '../harness/kamailio';
import { startKamailio } from '../harness/kamailio';
import { DOMAIN, USERS } from '../integration/engine-fixture';
import { cell, expectNoProblems, field, input, openApp, panelRow, showView } from './app-page';

let registrar: KamailioInstance;
let host: DevHost;

test.beforeAll(async () => {
  registrar = await startKamailio({ name: 'e2e-add', users: USERS, domain: DOMAIN });
  host = await startDevHost();
});

test.afterAll(async () => {
  await host?.stop();
  await registrar?.stop();
});

test('a new user starts from the empty state, adds a line through the form, and sees it registered', async ({ page }) => {
  const app = await openApp(page, host);
  await expect(page.getByRole('heading', { name: 'No lines yet' })).toBeVisible();
  await page.getByRole('button', { name: '+ Add a line' }).click();

  await input(page, 'id').fill('office-pbx');
  await input(page, 'name').fill('Office PBX');
  await input(page, 'domain').fill(DOMAIN);
  await input(page, 'username').fill('1031');
  await input(page, 'password').fill(USERS['1031']!);
  await input(page, 'servers[0].host').fill(registrar.ip);
  await input(page, 'servers[0].port').fill(String(registrar.ports.udp));
  // Enter in any field submits the form.
  await input(page, 'servers[0].port').press('Enter');

  // The form goes on editing the saved line: live state, and the secret only as "stored".
  const editor = page.getByRole('form', { name: 'Edit line office-pbx' });
  await expect(editor.locator('[data-state]')).toHaveText('registered');
  await expect(editor.getByTestId('password-state')).toHaveText('stored');
  await expect(field(page, 'password').locator('input')).toHaveCount(0);
  expect(await page.content()).not.toContain(USERS['1031']!);

  await showView(page, 'Trunks');
  const row = panelRow(page, 'office-pbx');
  await expect(cell(row, 'state')).toHaveText('registered');
  await expect(cell(row, 'server')).toHaveText(`primary · ${registrar.ip}:${registrar.ports.udp}/udp`);
  await expect(cell(row, 'response')).toHaveText('200 OK');
  await expect(cell(row, 'expires')).toHaveText('3600s');
  await expect(cell(row, 'refresh')).toHaveText(/^(29|30)m\d\ds$/);
  await expect(page.getByTestId('registered-count')).toHaveText('1 of 1 registered');

  // The registrar agrees: one binding for the account, from a REGISTER that carried credentials.
  const bindings = await registrar.bindings('1031');
  expect(bindings).toHaveLength(1);
  expect(registrar.wire({ method: 'REGISTER', fromUser: '1031' }).some((r) => r.authorization)).toBe(true);
  expectNoProblems(app);
});
