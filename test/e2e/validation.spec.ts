import type { Page } from '@playwright/test';
import { expect, test } from '@playwright/test';
import type { DevHost } from '../../main/devhost/dev-host';
import { startDevHost } from '../../main/devhost/dev-host';
import { monitorFormat } from '../../main/shell/monitor-format';
import { lineConfig } from '../integration/engine-fixture';
import { expectNoProblems, field, input, openApp, showView } from './app-page';

// Nothing here registers: the one stored line is disabled, so no SIP server is needed.
let host: DevHost;

test.beforeAll(async () => {
  host = await startDevHost({
    lines: [lineConfig({ id: 'existing', username: '1001', servers: [{ host: '127.0.0.1' }], enabled: false })],
  });
});

test.afterAll(async () => {
  await host?.stop();
});

async function newLineForm(page: Page): Promise<void> {
  await page.getByRole('button', { name: '+ Add line' }).click();
  await expect(page.getByRole('form', { name: 'New line' })).toBeVisible();
}

async function fillValidLine(page: Page, id: string): Promise<void> {
  await input(page, 'id').fill(id);
  await input(page, 'domain').fill('example.org');
  await input(page, 'username').fill('2001');
  await input(page, 'servers[0].host').fill('127.0.0.1');
  await input(page, 'enabled').uncheck();
}

test('an out-of-range value shows the allowed range next to the field, and nothing is saved', async ({ page }) => {
  const app = await openApp(page, host);
  await newLineForm(page);
  await fillValidLine(page, 'lab');

  // Before anything is wrong, each field shows what it allows, from the same schema the engine uses.
  await expect(field(page, 'retryDelay')).toContainText('an integer from 30 to 600 seconds');

  await input(page, 'retryDelay').fill('5');
  await input(page, 'retryDelay').press('Tab');
  await expect(field(page, 'retryDelay')).toContainText('must be an integer from 30 to 600 seconds (got 5)');
  await expect(input(page, 'retryDelay')).toHaveAttribute('aria-invalid', 'true');

  await input(page, 'failback.interval').fill('10');
  await input(page, 'servers[0].port').fill('70000');
  await input(page, 'servers[0].port').press('Tab');
  await expect(field(page, 'failback.interval')).toContainText('must be an integer from 30 to 86400 seconds (got 10)');
  await expect(field(page, 'servers[0].port')).toContainText('must be an integer from 1 to 65535 (got 70000)');

  await page.getByRole('button', { name: 'Add line', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('3 fields need attention');
  expect(host.engine.lineIds()).toEqual(['existing']);

  // Corrected values clear their messages, and the line is added.
  await input(page, 'retryDelay').fill('45');
  await expect(field(page, 'retryDelay')).not.toContainText('must be');
  await input(page, 'failback.interval').fill('300');
  await input(page, 'servers[0].port').fill('5070');
  await page.getByRole('button', { name: 'Add line', exact: true }).click();
  await expect(page.getByRole('form', { name: 'Edit line lab' })).toBeVisible();
  expect(host.engine.config('lab')).toMatchObject({ retryDelay: 45, failback: { interval: 300 }, servers: [{ port: 5070 }] });
  expectNoProblems(app);
});

test("main's refusal (a duplicate id) shows at the field the same way", async ({ page }) => {
  const app = await openApp(page, host);
  await newLineForm(page);
  await fillValidLine(page, 'existing');
  await page.getByRole('button', { name: 'Add line', exact: true }).click();
  await expect(field(page, 'id')).toContainText('must be unique ("existing" exists)');
  await expect(input(page, 'id')).toHaveAttribute('aria-invalid', 'true');
  // The message belongs to that value: a new id clears it.
  await input(page, 'id').fill('existing-2');
  await expect(field(page, 'id')).not.toContainText('must be unique');
  expectNoProblems(app);
});

test('servers are added, reordered and removed; the first one is the primary', async ({ page }) => {
  const app = await openApp(page, host);
  await newLineForm(page);
  await fillValidLine(page, 'ordered');
  await input(page, 'servers[0].host').fill('a.example.org');
  await page.getByRole('button', { name: '+ Add backup server' }).click();
  await input(page, 'servers[1].host').fill('b.example.org');
  await input(page, 'servers[1].transport').selectOption('tls');
  await page.getByRole('button', { name: '+ Add backup server' }).click();
  // A new backup starts with the transport of the one above it.
  await input(page, 'servers[2].host').fill('c.example.org');
  // b becomes the primary.
  await page.getByRole('button', { name: 'Move backup 1 up' }).click();
  // Now a, the old primary, is backup 1: remove it.
  await page.getByRole('button', { name: 'Remove backup 1 server' }).click();
  await page.getByRole('button', { name: 'Add line', exact: true }).click();
  await expect(page.getByRole('form', { name: 'Edit line ordered' })).toBeVisible();
  expect(host.engine.config('ordered').servers.map((s) => `${s.host}:${s.port}/${s.transport}`)).toEqual(['b.example.org:5061/tls', 'c.example.org:5061/tls']);
  // Escape closes the editor.
  await input(page, 'name').press('Escape');
  await expect(page.getByRole('form')).toHaveCount(0);
  await expect(page.getByText('Select a line to edit it, or add a new one.')).toBeVisible();
  expectNoProblems(app);
});

test('export leaves passwords out unless asked; an invalid import names the field and imports nothing', async ({ page }) => {
  const app = await openApp(page, host);
  await showView(page, 'Lines');
  const updated = await host.service.dispatch('lines:update', ['existing', { ...monitorFormat(host.engine.config('existing')), password: 'hunter2-secret' }]);
  expect(updated.ok).toBe(true);

  const withoutSecrets = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export…' }).click();
  const plain = await (await withoutSecrets).createReadStream().then((s) => new Response(s as unknown as ReadableStream).text());
  expect(JSON.parse(plain).lines.map((l: { id: string }) => l.id)).toContain('existing');
  expect(plain).not.toContain('hunter2-secret');
  expect(plain).not.toContain('"password"');

  await page.getByLabel('include passwords').check();
  const withSecrets = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export…' }).click();
  const secret = await (await withSecrets).createReadStream().then((s) => new Response(s as unknown as ReadableStream).text());
  expect(secret).toContain('hunter2-secret');

  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Import…' }).click();
  await (await chooser).setFiles({
    name: 'bad.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify({ lines: [{ id: 'imported', username: '3001', domain: 'example.org', servers: [{ host: 'h' }], retryDelay: 5 }] })),
  });
  await expect(page.getByText('lines[0].retryDelay: must be an integer from 30 to 600 seconds (got 5)')).toBeVisible();
  expect(host.engine.lineIds()).not.toContain('imported');
  expectNoProblems(app);
});
