import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
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
