/**
 * Launching the real app for the `_electron` specs: a fresh settings folder per launch
 * (TRUNKLINE_USER_DATA_DIR), and a clear skip where the Electron binary is not installed.
 */
import type { ElectronApplication, Page } from '@playwright/test';
import { _electron, expect } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');

export const ELECTRON_MISSING_MESSAGE = 'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD); skipping';

/** The Electron executable, or null when `npm install` could not download it. */
export function electronBinary(): string | null {
  try {
    // The electron package exports the executable's path, and throws when it was never downloaded.
    const path = createRequire(__filename)('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

export interface LaunchedApp {
  app: ElectronApplication;
  page: Page;
  userData: string;
  /** Log lines the main process printed (`[trunkline] …`). */
  logs: string[];
  /** Closes the app if still running and deletes the settings folder. */
  dispose(): Promise<void>;
}

export async function launchTrunkline(options: { userData?: string } = {}): Promise<LaunchedApp> {
  if (!existsSync(join(repoRoot, 'out', 'main', 'shell', 'app.js')) || !existsSync(join(repoRoot, 'out', 'renderer', 'index.html'))) {
    throw new Error('the app is not built: run `npx tsc -b && npx vite build` (global-setup does) before these specs');
  }
  const userData = options.userData ?? mkdtempSync(join(tmpdir(), 'trunkline-e2e-'));
  const app = await _electron.launch({
    // Chromium refuses to start as root without --no-sandbox (CI containers); the renderer's
    // `sandbox: true` web preference is still what the specs check.
    args: [repoRoot, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
    env: { ...process.env, TRUNKLINE_USER_DATA_DIR: userData },
    timeout: 60_000,
  });
  const logs: string[] = [];
  app.process().stdout?.on('data', (chunk: Buffer) => logs.push(...chunk.toString().split('\n').filter(Boolean)));
  const page = await app.firstWindow();
  await expect(page.locator('.app')).toBeVisible();
  return {
    app,
    page,
    userData,
    logs,
    async dispose() {
      await app.close().catch(() => {});
      if (!options.userData) rmSync(userData, { recursive: true, force: true });
    },
  };
}
