import { expect, test } from '@playwright/test';
import type { DevHost } from '../../main/devhost/dev-host';
import { startDevHost } from '../../main/devhost/dev-host';
import type { KamailioInstance } from '../harness/kamailio';
import { account, eventually, lineConfig, serverOf, startPair } from '../integration/engine-fixture';
import { cell, countdownSeconds, expectNoProblems, openApp, panelRow } from './app-page';

let primary: KamailioInstance;
let backup: KamailioInstance;
let host: DevHost;

test.beforeAll(async () => {
  ({ primary, backup } = await startPair('e2e-failback'));
  host = await startDevHost({
    lines: [
      lineConfig({
        id: 'carrier-a',
        name: 'Carrier A',
        ...account('1041'),
        // A 20 s lifetime refreshes after 10 s: the refresh is what meets the 503.
        servers: [serverOf(primary, 'udp', { expires: 20 }), serverOf(backup, 'udp', { expires: 600 })],
        failback: { enabled: true, interval: 30 },
        liveness: { interval: 0 },
      }),
    ],
  });
});

test.afterAll(async () => {
  await host?.stop();
  await Promise.all([primary?.stop(), backup?.stop()]);
});

test('primary answers 503 → the row moves to the backup; the failback countdown runs; the row returns to the primary', async ({ page }) => {
  const app = await openApp(page, host);
  const row = panelRow(page, 'carrier-a');
  const primaryLabel = `primary · ${primary.ip}:${primary.ports.udp}/udp`;
  const backupLabel = `backup 1 · ${backup.ip}:${backup.ports.udp}/udp`;

  await expect(cell(row, 'server')).toHaveText(primaryLabel);
  await expect(cell(row, 'state')).toHaveText('registered');
  await expect(cell(row, 'failback')).toHaveText('—');

  // The primary starts refusing; the next refresh (within 10 s) fails over at once.
  await primary.setRegisterReply(503, 'Service Unavailable');
  await expect(cell(row, 'server')).toHaveText(backupLabel, { timeout: 15_000 });
  await expect(cell(row, 'state')).toHaveText('registered');
  await expect(cell(row, 'response')).toHaveText('200 OK');
  await expect(cell(row, 'failures')).toHaveText('0');

  // The failback countdown is live: it starts near the 30 s interval and goes down, second by second.
  const first = countdownSeconds(await cell(row, 'failback').innerText());
  expect(first).not.toBeNull();
  expect(first!).toBeGreaterThan(20);
  expect(first!).toBeLessThanOrEqual(30);
  await expect.poll(async () => countdownSeconds(await cell(row, 'failback').innerText()), { timeout: 5_000 }).toBeLessThanOrEqual(first! - 2);

  // The primary recovers: the next probe (its own REGISTER dialog) takes the line back.
  await primary.setRegisterReply(null);
  await expect(cell(row, 'server')).toHaveText(primaryLabel, { timeout: 40_000 });
  await expect(cell(row, 'state')).toHaveText('registered');
  await expect(cell(row, 'failback')).toHaveText('—');

  // What the registrars hold: the primary has the line, the backup binding was removed.
  await eventually(async () => (await backup.bindings('1041')).length === 0, 5_000, 'backup binding removed');
  expect(await primary.bindings('1041')).toHaveLength(1);

  // The detail tells the story: failover, then failback, the line registered throughout.
  await row.click();
  const history = page.getByRole('region', { name: 'Event history, newest first' });
  await expect(history).toContainText('failover to backup 1');
  await expect(history).toContainText('failback to primary');
  await page.getByRole('tab', { name: /SIP trace/ }).click();
  await expect(page.getByRole('listbox', { name: 'SIP messages in order' })).toContainText('503 Service Unavailable (REGISTER)');
  expectNoProblems(app);
});
