/**
 * What every spec needs around a page: open the app through the development host, fail on any
 * CSP violation or page error, and find things the way a person would (rows by line id, cells by
 * column, fields by their schema path).
 */
import type { Locator, Page } from '@playwright/test';
import { expect } from '@playwright/test';
import type { DevHost } from '../../main/devhost/dev-host';

export interface OpenedApp {
  page: Page;
  /** Console errors and page errors seen so far, CSP refusals included. */
  problems: string[];
}

export async function openApp(page: Page, host: DevHost): Promise<OpenedApp> {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content.Security.Policy/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const response = await page.goto(host.url);
  expect(response?.headers()['content-security-policy']).toBe(host.policy);
  await expect(page.locator('.app')).toBeVisible();
  return { page, problems };
}

/** The page must have run under the strict CSP without a single refusal or error. */
export function expectNoProblems(app: OpenedApp): void {
  expect(app.problems, 'console errors, CSP violations or page errors').toEqual([]);
}

export function panelRow(page: Page, id: string): Locator {
  return page.locator(`.row[data-line-id="${id}"]`);
}

export function cell(row: Locator, column: string): Locator {
  return row.locator(`[data-col="${column}"]`);
}

export function field(page: Page, path: string): Locator {
  return page.locator(`[data-field="${path}"]`);
}

export function input(page: Page, path: string): Locator {
  return field(page, path).locator('input, select, textarea').first();
}

export async function showView(page: Page, view: 'Trunks' | 'Lines'): Promise<void> {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name: view }).click();
}

/** "4m05s" → 245; "12s" → 12; "—" → null. */
export function countdownSeconds(text: string): number | null {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!m || text.trim() === '') return null;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}
