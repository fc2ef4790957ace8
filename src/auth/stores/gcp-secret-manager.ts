import type { GcpSecretManager } from "../../api/schema/trigger-authentication.ts";
import { crc32c } from "../../util/crc32c.ts";
import { messageOf } from "../../util/errors.ts";
import {
  describeGcpError,
  gapicRestOptions,
  gcpEndpointLabel,
  loadGcpIdentity,
  untilAborted,
  workloadProjectId,
  type GcpCredentialSource,
  type GcpIdentity,
} from "../identity/gcp.ts";
import type { SecretStore, SecretStoreContext } from "./types.ts";

/**
 * KEDA's gcpSecretManager: each entry of `secrets` is the payload of secret `id` at `version`
 * (default latest) in the project of the credentials: a service-account key from a Secret
 * (`credentials.clientSecret`, whose project_id is the project) or, with `podIdentity.provider:
 * gcp`, the workload's identity (project from CLOUDSDK_CORE_PROJECT or the metadata server).
 */

/** Deadline of one read (the library retries a failed read twice within it). */
const CALL_TIMEOUT_MS = 10_000;

/** The credential source and the project, as KEDA's handler initializes them. */
async function credentialsOf(
  config: GcpSecretManager,
  context: SecretStoreContext,
): Promise<{ identity: GcpIdentity; projectId: string }> {
  const provider = config.podIdentity?.provider || "none";
  const where = `${context.label}: gcpSecretManager`;
  if (provider === "gcp") {
    const identity = await loadGcpIdentity({ kind: "workload" });
    return { identity, projectId: await workloadProjectId() };
  }
  if (provider !== "none") {
    throw new Error(`${where} does not support pod identity provider ${provider}; use gcp or a clientSecret`);
  }
  const reference = config.credentials?.clientSecret.valueFrom.secretKeyRef;
  if (reference === undefined) {
    throw new Error(
      `${where}: credentials.clientSecret is required when not using pod identity provider gcp`,
    );
  }
  const values = await context.sources.secret(context.namespace, reference.name);
  const json = values?.[reference.key];
  if (!json) {
    throw new Error(
      `${where}: the clientSecret Secret "${reference.name}" ${values === undefined ? `is not found in namespace "${context.namespace}"` : `has no key "${reference.key}"`}`,
    );
  }
  const source: GcpCredentialSource = {
    kind: "key",
    json,
    origin: `the clientSecret (Secret "${reference.name}", key "${reference.key}")`,
  };
  let identity: GcpIdentity;
  try {
    identity = await loadGcpIdentity(source);
  } catch (error) {
    throw new Error(`${where}: ${messageOf(error)}`, { cause: error });
  }
  const projectId = identity.key?.project_id;
  if (!projectId) throw new Error(`${where}: the clientSecret's service-account key has no project_id`);
  return { identity, projectId };
}

export const gcpSecretManagerStore: SecretStore<"gcpSecretManager"> = {
  field: "gcpSecretManager",
  check(config) {
    const provider = config.podIdentity?.provider;
    if (provider === undefined || provider === "none" || provider === "gcp") return [];
    return [
      {
        path: "podIdentity.provider",
        message: `gcpSecretManager takes pod identity provider gcp (or none with credentials), not "${provider}"`,
        severity: "error",
      },
    ];
  },
  async resolve(config, context) {
    const params: Record<string, string> = {};
    if (config.secrets.length === 0) return params;
    const { identity, projectId } = await credentialsOf(config, context);
    const { SecretManagerServiceClient } = await import("@google-cloud/secret-manager");
    const client = new SecretManagerServiceClient({
      ...(await identity.clientOptions()),
      ...gapicRestOptions("secretmanager"),
    });
    const signal = context.signal ?? new AbortController().signal;
    try {
      for (const secret of config.secrets) {
        const version = secret.version || "latest";
        const name = `projects/${projectId}/secrets/${secret.id}/versions/${version}`;
        const what = `${context.label}: gcpSecretManager cannot read secret ${secret.id} version ${version} (parameter ${secret.parameter})`;
        let response;
        try {
          [response] = await untilAborted(
            client.accessSecretVersion({ name }, { timeout: CALL_TIMEOUT_MS, maxRetries: 2 }),
            signal,
          );
        } catch (error) {
          if (signal.aborted) throw error;
          throw new Error(identity.redact(describeGcpError(error, what, gcpEndpointLabel("secretmanager"))), {
            cause: error,
          });
        }
        const data = response.payload?.data;
        if (data === undefined || data === null) throw new Error(`${what}: the answer has no payload`);
        const bytes = typeof data === "string" ? Buffer.from(data, "base64") : Buffer.from(data);
        const expected = response.payload?.dataCrc32c;
        if (expected !== undefined && expected !== null && Number(expected) !== crc32c(bytes)) {
          throw new Error(`${what}: the payload's checksum does not match (data corruption)`);
        }
        params[secret.parameter] = bytes.toString("utf8");
      }
    } finally {
      await client.close().catch(() => undefined);
    }
    return params;
  },
};
