import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// CI collects a JSON report beside the usual output (see .ci/run).
const reportDir = process.env.TRUNKLINE_REPORT_DIR;

export default defineConfig({
  test: {
    reporters: reportDir ? ['default', ['json', { outputFile: `${reportDir}/vitest.json` }]] : ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          exclude: ['test/unit/renderer/**'],
          // electron-store imports `electron`: inlined, so a test's vi.mock('electron') reaches it.
          server: { deps: { inline: ['electron-store'] } },
        },
      },
      {
        // The renderer's state classes use runes: compiled by Svelte for the browser, run in Node
        // (they touch no DOM; timers are injected).
        plugins: [svelte({ configFile: false })],
        resolve: { conditions: ['browser'] },
        test: {
          name: 'renderer',
          include: ['test/unit/renderer/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Real Kamailio, real sockets, real time: scenarios wait for real timers.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Each file starts its own Kamailio pair; two at a time fits two cores.
          maxWorkers: 2,
          // Unit tests first (fast feedback), then the integration scenarios.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
