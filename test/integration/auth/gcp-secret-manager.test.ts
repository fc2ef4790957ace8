import { describe, expect, it } from "vitest";
import type { TriggerAuthenticationSpec } from "../../../src/api/schema/trigger-authentication.ts";
import { GCP_ENDPOINT_VARIABLES } from "../../../src/auth/identity/gcp.ts";
import { resolveAuthentication } from "../../../src/auth/resolve.ts";
import type { AuthSources } from "../../../src/auth/sources.ts";
import { closedPort } from "../../support/closed-port.ts";
import { KEY_PROJECT, useGcpFakes, WORKLOAD_PROJECT } from "../../support/fakes/gcp-environment.ts";
import { uniqueName, useCleanup } from "../../support/isolation.ts";

// Secret Manager has no local server: the real client library, through Tidal's gcpSecretManager
// store, against fake-gcp-secret-manager and fake-gcp-metadata (loopback fakes of the documented
// REST and metadata APIs).
const gcp = useGcpFakes();

/** Sources holding one TriggerAuthentication "ta" with `spec` and the given Secrets of "apps". */
function sources(
  spec: TriggerAuthenticationSpec,
  secrets: Record<string, Record<string, string>> = {},
): AuthSources {
  return {
    triggerAuthentication: async (namespace, name) =>
      namespace === "apps" && name === "ta"
        ? { apiVersion: "keda.sh/v1alpha1", kind: "TriggerAuthentication", metadata: { name }, spec }
        : undefined,
    clusterTriggerAuthentication: async () => undefined,
    secret: async (namespace, name) => (namespace === "apps" ? secrets[name] : undefined),
    serviceAccountToken: async () => {
      throw new Error("no cluster: service account tokens need the TokenRequest API");
    },
    configMap: async () => undefined,
  };
}

const context = { namespace: "apps", clusterObjectNamespace: "keda", containerEnv: {} };
const reference = { name: "ta", kind: "TriggerAuthentication" as const };
const keySecret = () => ({ "gcp-sa": { "key.json": gcp.account.keyJson } });
const clientSecret = { clientSecret: { valueFrom: { secretKeyRef: { name: "gcp-sa", key: "key.json" } } } };

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught as Error,
  );
  expect(error, "the resolution fails").toBeInstanceOf(Error);
  return (error as Error).message;
}

function expectNoKeyMaterial(text: string) {
  for (const account of [gcp.account, gcp.stranger]) {
    expect(text).not.toContain(account.privateKey.split("\n")[1]);
    expect(text).not.toContain(account.keyId);
  }
}

describe("gcpSecretManager store (fake-gcp-secret-manager)", () => {
  const cleanup = useCleanup();

  it("reads each secret's latest or given version with the clientSecret's key, in its project", async () => {
    const password = uniqueName("sm-password");
    const host = uniqueName("sm-host");
    gcp.secretManager.addVersion(KEY_PROJECT, password, { data: "old-password" });
    gcp.secretManager.addVersion(KEY_PROJECT, password, { data: "s3cr3t-password" });
    gcp.secretManager.addVersion(KEY_PROJECT, host, { data: "db.example:5432" });
    gcp.secretManager.addVersion(KEY_PROJECT, host, { data: "disabled", enabled: false });
    const spec: TriggerAuthenticationSpec = {
      secretTargetRef: [{ parameter: "user", name: "plain", key: "user" }],
      gcpSecretManager: {
        secrets: [
          { parameter: "password", id: password },
          { parameter: "host", id: host, version: "latest" },
          { parameter: "oldPassword", id: password, version: "1" },
        ],
        credentials: clientSecret,
      },
    };
    const resolved = await resolveAuthentication(
      reference,
      sources(spec, { ...keySecret(), plain: { user: "tidal" } }),
      context,
    );
    expect(resolved.params).toEqual({
      user: "tidal",
      password: "s3cr3t-password",
      host: "db.example:5432",
      oldPassword: "old-password",
    });
    const paths = gcp.secretManager.requests.filter((request) => request.path.includes(password));
    expect(paths.map((request) => request.path)).toEqual([
      `/v1/projects/${KEY_PROJECT}/secrets/${password}/versions/latest:access`,
      `/v1/projects/${KEY_PROJECT}/secrets/${password}/versions/1:access`,
    ]);
    expect(paths[0]?.principal).toEqual({ kind: "serviceAccount", email: gcp.account.email });
  });

  it("with podIdentity gcp, reads as the workload in the metadata server's project", async () => {
    const id = uniqueName("sm-workload");
    gcp.secretManager.addVersion(WORKLOAD_PROJECT, id, { data: "from-workload" });
    const spec: TriggerAuthenticationSpec = {
      gcpSecretManager: { secrets: [{ parameter: "token", id }], podIdentity: { provider: "gcp" } },
    };
    const resolved = await resolveAuthentication(reference, sources(spec), context);
    expect(resolved.params).toEqual({ token: "from-workload" });
    const request = gcp.secretManager.requests.find((one) => one.path.includes(id));
    expect(request?.principal?.kind).toBe("workload");
  });

  it("names the store, the authentication and the secret when a secret or version is missing", async () => {
    const id = uniqueName("sm-missing");
    const spec: TriggerAuthenticationSpec = {
      gcpSecretManager: { secrets: [{ parameter: "password", id, version: "3" }], credentials: clientSecret },
    };
    const message = await failure(resolveAuthentication(reference, sources(spec, keySecret()), context));
    expect(message).toBe(
      `TriggerAuthentication "ta": gcpSecretManager cannot read secret ${id} version 3 (parameter password): ` +
        `not found (Secret [projects/${KEY_PROJECT}/secrets/${id}] not found or has no versions.)`,
    );
  });

  it("checks the payload's CRC32C, as KEDA does", async () => {
    const id = uniqueName("sm-corrupt");
    gcp.secretManager.addVersion(KEY_PROJECT, id, { data: "value", corruptChecksum: true });
    const spec: TriggerAuthenticationSpec = {
      gcpSecretManager: { secrets: [{ parameter: "password", id }], credentials: clientSecret },
    };
    expect(await failure(resolveAuthentication(reference, sources(spec, keySecret()), context))).toBe(
      `TriggerAuthentication "ta": gcpSecretManager cannot read secret ${id} version latest (parameter password): the payload's checksum does not match (data corruption)`,
    );
  });

  it("reports KEDA's credential problems: no clientSecret, a key without project_id, a key Google rejects", async () => {
    const secrets = [{ parameter: "password", id: "any" }];
    expect(
      await failure(resolveAuthentication(reference, sources({ gcpSecretManager: { secrets } }), context)),
    ).toBe(
      'TriggerAuthentication "ta": gcpSecretManager: credentials.clientSecret is required when not using pod identity provider gcp',
    );
    const noProject = JSON.stringify({ ...JSON.parse(gcp.account.keyJson), project_id: undefined });
    const withoutProject = await failure(
      resolveAuthentication(
        reference,
        sources(
          { gcpSecretManager: { secrets, credentials: clientSecret } },
          { "gcp-sa": { "key.json": noProject } },
        ),
        context,
      ),
    );
    expect(withoutProject).toBe(
      `TriggerAuthentication "ta": gcpSecretManager: the clientSecret's service-account key has no project_id`,
    );
    const rejected = await failure(
      resolveAuthentication(
        reference,
        sources(
          { gcpSecretManager: { secrets, credentials: clientSecret } },
          { "gcp-sa": { "key.json": gcp.stranger.keyJson } },
        ),
        context,
      ),
    );
    expect(rejected).toMatch(
      /^TriggerAuthentication "ta": gcpSecretManager cannot read secret any version latest \(parameter password\): Google rejected the credentials \(UNAUTHENTICATED/,
    );
    expectNoKeyMaterial(rejected);
    const notJson = await failure(
      resolveAuthentication(
        reference,
        sources(
          { gcpSecretManager: { secrets, credentials: clientSecret } },
          { "gcp-sa": { "key.json": `x${gcp.account.privateKey}` } },
        ),
        context,
      ),
    );
    expect(notJson).toBe(
      `TriggerAuthentication "ta": gcpSecretManager: the clientSecret (Secret "gcp-sa", key "key.json") is not JSON: give the contents of a service-account key file`,
    );
  });

  it("reports an unreachable endpoint", async () => {
    const saved = process.env[GCP_ENDPOINT_VARIABLES.secretmanager];
    const port = await closedPort();
    process.env[GCP_ENDPOINT_VARIABLES.secretmanager] = `http://127.0.0.1:${port}`;
    cleanup.add(() => {
      process.env[GCP_ENDPOINT_VARIABLES.secretmanager] = saved;
    });
    const spec: TriggerAuthenticationSpec = {
      gcpSecretManager: { secrets: [{ parameter: "password", id: "any" }], credentials: clientSecret },
    };
    const message = await failure(resolveAuthentication(reference, sources(spec, keySecret()), context));
    expect(message).toContain(`cannot reach http://127.0.0.1:${port}`);
  });

  it("is not contacted when reading files offline (tidal validate)", async () => {
    const before = gcp.secretManager.requests.length;
    const spec: TriggerAuthenticationSpec = {
      gcpSecretManager: { secrets: [{ parameter: "password", id: "any" }], credentials: clientSecret },
    };
    expect(
      await resolveAuthentication(reference, sources(spec, keySecret()), { ...context, offline: true }),
    ).toEqual({ params: {}, skippedStores: ["gcpSecretManager"] });
    expect(gcp.secretManager.requests.length).toBe(before);
  });
});
