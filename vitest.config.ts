import { defineConfig } from "vitest/config";

// Three tiers in one runner. Unit tests sit beside the code; integration tests talk to the real
// servers of scripts/services.sh; e2e tests run against the real control plane of scripts/kube.sh.
// Each tier's global setup starts (or reuses) what it needs, so any file can be run on its own.
export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "scripts/**/*.test.ts", "bench/**/*.test.ts", "deploy/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "examples/**/*.test.ts"],
          globalSetup: ["./test/support/services-setup.ts"],
          testTimeout: 120_000,
          // A file's beforeAll starts the servers it uses; a cold RabbitMQ or Kafka takes minutes.
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["./test/support/services-setup.ts", "./test/support/kube-setup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
