// End-to-end: the built renderer in real Chromium, against the real engine (through the
// development host) and real Kamailio. Each spec file starts what it needs and stops it.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './test/e2e/global-setup.ts',
  // One Chromium, one engine and a Kamailio pair at a time fit two cores; scenarios wait for real timers.
  workers: 1,
  fullyParallel: false,
  timeout: 120_000,
  expect: { timeout: 10_000 },
  // CI collects a JSON report beside the list (see .ci/run).
  reporter: process.env.TRUNKLINE_REPORT_DIR ? [['list'], ['json', { outputFile: `${process.env.TRUNKLINE_REPORT_DIR}/playwright.json` }]] : [['list']],
  outputDir: '.tmp/playwright',
  use: {
    browserName: 'chromium',
    viewport: { width: 1440, height: 860 },
    trace: 'retain-on-failure',
    launchOptions: {
      // Playwright's own browser download needs the network; Debian's Chromium works the same.
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        // The phone's audio bus: Chromium's fake microphones/speakers, no permission prompt, WebRTC on
        // 127.0.0.1 to the media host, and calls that play without a click (research/calls-design.md §3.3).
        // A spec that needs a known microphone signal adds --use-file-for-fake-audio-capture=<wav> (audio-bus.spec.ts).
        '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', '--allow-loopback-in-peer-connection',
        '--autoplay-policy=no-user-gesture-required',
      ],
    },
  },
});
