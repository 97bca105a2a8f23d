import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Test files are looked for under test/ only, never from the repository root, so the scan
// never enters ./data: the embedded PostgreSQL's files, some unreadable to the user and some
// vanishing while a server stops. Include patterns are relative to this directory.
const dir = fileURLToPath(new URL('./test', import.meta.url));

export default defineConfig({
  test: {
    dir,
    projects: [
      {
        test: {
          name: 'unit',
          dir,
          include: ['unit/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          dir,
          include: ['integration/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 1 },
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Each file gets its own database; two at a time suits a 2-core machine.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'security',
          dir,
          include: ['security/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 2 },
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Fuzzing runs thousands of requests per file; two files at a time, like integration.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'e2e',
          dir,
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 3 },
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One browser at a time: chromium is heavy beside the service and PostgreSQL.
          maxWorkers: 1,
        },
      },
      {
        // `npm run test:faults`, not part of `npm test`: PostgreSQL restarts, SIGKILL, a
        // database outage, overload and SIGTERM under load, a few minutes in all.
        test: {
          name: 'faults',
          dir,
          include: ['faults/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 4 },
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          // One scenario at a time: each loads the whole machine on purpose.
          maxWorkers: 1,
        },
      },
    ],
  },
});
