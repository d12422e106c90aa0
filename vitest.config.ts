import { defineConfig } from 'vitest/config';

// CI (CI=true) also writes vitest's JSON report, from which .ci/run prints its summary line.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'artifacts/vitest.json' },
  },
});
