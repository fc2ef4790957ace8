/**
 * fake-azure-monitor with fake-entra issuing its tokens, as the integration tests of the Azure
 * Monitor scalers (app insights, log analytics, monitor) use them: one app registration in
 * AZURE_TENANT whose client-secret token for the monitor's scope the monitor accepts. Started
 * before the test file's tests and closed after them.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import { startFakeAzureMonitor, type FakeAzureMonitor } from "./fake-azure-monitor.ts";
import { startFakeEntra, type FakeEntra } from "./fake-entra.ts";
import { trustFakeCertificate } from "./tls.ts";

export const AZURE_TENANT = "11111111-2222-3333-4444-555555555555";
export const AZURE_CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

export interface AzureMonitorWithEntra {
  monitor: FakeAzureMonitor;
  entra: FakeEntra;
  /** The app's client secret (random, so a test can look for it in output). */
  secret: string;
}

/** Registers the hooks that start and close the fakes; `prepare` fills the monitor with data. */
export function useFakeAzureMonitor(prepare: (monitor: FakeAzureMonitor) => void): AzureMonitorWithEntra {
  const fakes = { secret: `canary-${randomBytes(8).toString("hex")}` } as AzureMonitorWithEntra;
  beforeAll(async () => {
    await trustFakeCertificate();
    fakes.monitor = await startFakeAzureMonitor();
    fakes.entra = await startFakeEntra();
    fakes.entra.addApp({ tenantId: AZURE_TENANT, clientId: AZURE_CLIENT, clientSecret: fakes.secret });
    fakes.monitor.bearerTokens.add(fakes.entra.tokenFor(AZURE_CLIENT, `${fakes.monitor.origin}/.default`));
    prepare(fakes.monitor);
  });
  afterAll(async () => {
    await fakes.monitor?.close();
    await fakes.entra?.close();
  });
  return fakes;
}
