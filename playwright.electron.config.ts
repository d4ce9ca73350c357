// End-to-end of the real desktop app: Playwright's `_electron` launches the built app (out/) with
// the Electron binary. Where that binary could not be downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD)
// every spec skips and says so. Run: npx playwright test -c playwright.electron.config.ts
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/e2e-electron',
  testMatch: '**/*.spec.ts',
  globalSetup: './test/e2e-electron/global-setup.ts',
  // One app instance (and its Kamailio) at a time; quitting waits for real unregister answers.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  // CI collects a JSON report beside the list (see .ci/run).
  reporter: process.env.TRUNKLINE_REPORT_DIR ? [['list'], ['json', { outputFile: `${process.env.TRUNKLINE_REPORT_DIR}/playwright-electron.json` }]] : [['list']],
  outputDir: '.tmp/playwright-electron',
});
