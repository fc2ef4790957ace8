/**
 * The Google Cloud stand-ins of one integration test file: the API fakes it asks for, a service
 * account they trust, a fake metadata server for the workload's identity, and the environment that
 * points Tidal (and the Google client libraries) at them, restored afterwards.
 */
import { afterAll, beforeAll } from "vitest";
import { GCP_ENDPOINT_VARIABLES } from "../../../src/auth/identity/gcp.ts";
import { FakeGoogleTokens, fakeServiceAccount, type FakeServiceAccount } from "./google-auth.ts";
import { startFakeGcpMetadata, type FakeGcpMetadata } from "./fake-gcp-metadata.ts";
import { startFakeGcpMonitoring, type FakeGcpMonitoring } from "./fake-gcp-monitoring.ts";
import { startFakeGcpSecretManager, type FakeGcpSecretManager } from "./fake-gcp-secret-manager.ts";

export const WORKLOAD_PROJECT = "tidal-workload-project";
export const KEY_PROJECT = "tidal-key-project";

export interface GcpFakes {
  tokens: FakeGoogleTokens;
  /** Trusted by the fakes; its key's project is KEY_PROJECT. */
  account: FakeServiceAccount;
  /** A well-formed key the fakes do not trust. */
  stranger: FakeServiceAccount;
  metadata: FakeGcpMetadata;
  monitoring: FakeGcpMonitoring;
  secretManager: FakeGcpSecretManager;
}

/** Variables the Google libraries read that would send them elsewhere. */
const CLEARED = [
  "GOOGLE_APPLICATION_CREDENTIALS",
  "CLOUDSDK_CORE_PROJECT",
  "GOOGLE_CLOUD_PROJECT",
  "GCLOUD_PROJECT",
  "METADATA_SERVER_DETECTION",
  "GCE_METADATA_IP",
  "STORAGE_EMULATOR_HOST",
  "GOOGLE_CLOUD_UNIVERSE_DOMAIN",
];

/**
 * Starts the fakes before the file's tests and stops them after; the returned object is filled
 * in by then. Sets GCE_METADATA_HOST and Tidal's TIDAL_GCP_*_ENDPOINT variables for the file.
 */
export function useGcpFakes(extraEnv: () => Record<string, string> = () => ({})): GcpFakes {
  const fakes = {} as GcpFakes;
  const saved = new Map<string, string | undefined>();
  const setEnv = (name: string, value: string | undefined) => {
    if (!saved.has(name)) saved.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  beforeAll(async () => {
    fakes.tokens = new FakeGoogleTokens();
    fakes.account = fakeServiceAccount(KEY_PROJECT);
    fakes.stranger = fakeServiceAccount(KEY_PROJECT, "stranger");
    fakes.tokens.trust(fakes.account);
    fakes.metadata = await startFakeGcpMetadata(fakes.tokens, {
      projectId: WORKLOAD_PROJECT,
      email: `workload@${WORKLOAD_PROJECT}.iam.gserviceaccount.com`,
    });
    fakes.monitoring = await startFakeGcpMonitoring(fakes.tokens);
    fakes.secretManager = await startFakeGcpSecretManager(fakes.tokens);
    for (const name of CLEARED) setEnv(name, undefined);
    setEnv("GCE_METADATA_HOST", fakes.metadata.host);
    setEnv(GCP_ENDPOINT_VARIABLES.monitoring, fakes.monitoring.origin);
    setEnv(GCP_ENDPOINT_VARIABLES.secretmanager, fakes.secretManager.origin);
    for (const [name, value] of Object.entries(extraEnv())) setEnv(name, value);
  });
  afterAll(async () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await Promise.all([fakes.metadata?.close(), fakes.monitoring?.close(), fakes.secretManager?.close()]);
  });
  return fakes;
}
