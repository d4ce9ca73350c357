import { expect, test } from '@playwright/test';
import type { DevHost } from '../../main/devhost/dev-host';
import { startDevHost } from '../../main/devhost/dev-host';
import { syntheticEngine, syntheticLines } from '../../main/devhost/synthetic-lines';
import { cell, countdownSeconds, expectNoProblems, openApp, panelRow } from './app-page';

// 5,000 lines on simulated servers (no network): the panel must render only what is on screen.
const LINES = 5_000;
let host: DevHost;

test.beforeAll(async () => {
  host = await startDevHost({ lines: syntheticLines(LINES), engine: syntheticEngine() });
});

test.afterAll(async () => {
  await host?.stop();
});

test('5,000 lines: only the visible rows are in the DOM; sort, filter and the keyboard work across all of them', async ({ page }) => {
  const app = await openApp(page, host);
  const grid = page.getByRole('grid', { name: 'Trunk registrations' });
  await expect(page.getByText(`${LINES} lines`, { exact: true })).toBeVisible();
  await expect(page.getByTestId('registered-count')).toHaveText(/\b4600 of 4850 registered/);
  expect(await grid.locator('.row').count()).toBeLessThan(60);

  // Sort by the refresh countdown: soonest first, the empty ones last.
  await page.getByRole('columnheader', { name: 'Refresh' }).click();
  await expect(page.getByRole('columnheader', { name: 'Refresh' })).toHaveAttribute('aria-sort', 'ascending');
  const soonest = await grid.locator('.row [data-col="refresh"]').evaluateAll((cells) => cells.slice(0, 10).map((c) => c.textContent ?? ''));
  const seconds = soonest.map((t) => countdownSeconds(t)!);
  expect(seconds).toEqual([...seconds].sort((a, b) => a - b));

  // Filter by state: only lines waiting to retry.
  await page.getByLabel('State').selectOption('retry-wait');
  await expect(page.getByText(`150 of ${LINES} lines`)).toBeVisible();
  await expect(grid.locator('.row [data-col="state"]').first()).toHaveText('retry wait');
  await page.getByLabel('State').selectOption('all');

  // Keyboard: into the grid, to the last row (virtualized far below), Enter opens it, Escape closes.
  await page.getByRole('columnheader', { name: 'Line' }).click();
  await grid.focus();
  await page.keyboard.press('End');
  // By name, the last of 5,000 is "Trunk 4997" (kinds cycle Carrier, Branch, PBX, Gateway, Trunk, Office).
  const last = panelRow(page, 'line-4997');
  await expect(last).toBeVisible();
  await expect(last).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('region', { name: 'Line detail' })).toContainText('Trunk 4997');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('region', { name: 'Line detail' })).toHaveCount(0);
  await expect(cell(last, 'state')).toHaveText(/registered|retry wait|auth failed|disabled/);
  expectNoProblems(app);
});
