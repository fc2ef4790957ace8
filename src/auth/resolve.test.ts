import { describe, expect, it } from "vitest";
import { readResources } from "../api/resources.ts";
import { resolveContainerEnv } from "./container-env.ts";
import { manifestAuthSources } from "./manifest-sources.ts";
import { AuthResolutionError, resolveAuthentication, unsupportedAuthSources } from "./resolve.ts";

/** Authentication sources over documents, as `tidal run` reads them from files. */
function sources(...objects: Record<string, unknown>[]) {
  const { set, problems } = readResources(
    objects.map((value, doc) => ({ file: "test.yaml", doc, value })),
    () => undefined,
  );
  expect(problems).toEqual([]);
  return manifestAuthSources(set);
}

const secret = (name: string, namespace: string, stringData: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace },
  stringData,
});
const configMap = (name: string, namespace: string, data: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace },
  data,
});
const authentication = (kind: string, name: string, spec: Record<string, unknown>, namespace?: string) => ({
  apiVersion: "keda.sh/v1alpha1",
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}) },
  spec,
});

const context = { namespace: "shop", clusterObjectNamespace: "keda", containerEnv: { HOST: "db.local" } };

describe("resolveAuthentication", () => {
  it("reads env, then configMapTargetRef, then secretTargetRef, later ones winning, as KEDA does", async () => {
    const all = sources(
      secret("db", "shop", { password: "s3cret", host: "from-secret" }),
      configMap("db", "shop", { host: "from-config-map", port: "5432" }),
      authentication(
        "TriggerAuthentication",
        "db",
        {
          env: [{ parameter: "host", name: "HOST" }],
          configMapTargetRef: [
            { parameter: "host", name: "db", key: "host" },
            { parameter: "port", name: "db", key: "port" },
          ],
          secretTargetRef: [
            { parameter: "password", name: "db", key: "password" },
            { parameter: "host", name: "db", key: "host" },
          ],
        },
        "shop",
      ),
    );
    const resolved = await resolveAuthentication({ name: "db", kind: "TriggerAuthentication" }, all, context);
    expect(resolved).toEqual({ params: { host: "from-secret", port: "5432", password: "s3cret" } });
  });

  it("reads a ClusterTriggerAuthentication's Secrets in the cluster-object namespace", async () => {
    const all = sources(
      secret("db", "keda", { password: "cluster-pw" }),
      secret("db", "shop", { password: "namespace-pw" }),
      authentication("ClusterTriggerAuthentication", "db", {
        secretTargetRef: [{ parameter: "password", name: "db", key: "password" }],
      }),
    );
    const resolved = await resolveAuthentication(
      { name: "db", kind: "ClusterTriggerAuthentication" },
      all,
      context,
    );
    expect(resolved.params).toEqual({ password: "cluster-pw" });
  });

  it("hands on a pod identity, but not provider none", async () => {
    const all = sources(
      authentication(
        "TriggerAuthentication",
        "aws",
        { podIdentity: { provider: "aws", roleArn: "arn:r" } },
        "shop",
      ),
      authentication("TriggerAuthentication", "none", { podIdentity: { provider: "none" } }, "shop"),
    );
    expect(await resolveAuthentication({ name: "aws", kind: "TriggerAuthentication" }, all, context)).toEqual(
      {
        params: {},
        podIdentity: { provider: "aws", roleArn: "arn:r" },
      },
    );
    expect(
      await resolveAuthentication({ name: "none", kind: "TriggerAuthentication" }, all, context),
    ).toEqual({ params: {} });
    expect(await resolveAuthentication(undefined, all, context)).toEqual({ params: {} });
  });

  it("names the missing object or key and what to do, never a value", async () => {
    const all = sources(
      secret("db", "shop", { password: "s3cret" }),
      authentication(
        "TriggerAuthentication",
        "db",
        { secretTargetRef: [{ parameter: "user", name: "db", key: "username" }] },
        "shop",
      ),
      authentication(
        "TriggerAuthentication",
        "gone",
        { secretTargetRef: [{ parameter: "user", name: "nowhere", key: "username" }] },
        "shop",
      ),
      authentication(
        "TriggerAuthentication",
        "env",
        { env: [{ parameter: "token", name: "TOKEN" }] },
        "shop",
      ),
    );
    const failure = (name: string): Promise<Error> =>
      resolveAuthentication({ name, kind: "TriggerAuthentication" }, all, context).then(
        () => new Error("resolved"),
        (error: Error) => error,
      );
    const missingKey = await failure("db");
    expect(missingKey).toBeInstanceOf(AuthResolutionError);
    expect((missingKey as AuthResolutionError).missingKey).toBe(true);
    expect((missingKey as Error).message).toBe(
      'TriggerAuthentication "db": Secret "db" has no key "username" (parameter user)',
    );
    expect((await failure("gone")).message).toBe(
      'TriggerAuthentication "gone": Secret "nowhere" not found in namespace "shop"',
    );
    expect((await failure("env")).message).toBe(
      'TriggerAuthentication "env": env "TOKEN" (parameter token) is not set on the scale target',
    );
    expect((await failure("missing")).message).toBe(
      'TriggerAuthentication "missing" not found in namespace "shop"; create it or fix authenticationRef.name',
    );
    for (const error of [missingKey, await failure("gone")])
      expect((error as Error).message).not.toContain("s3cret");
  });

  it("refuses secret stores no module reads, naming them", async () => {
    const all = sources(
      authentication("TriggerAuthentication", "oauth", { oauth2: { type: "clientCredentials" } }, "shop"),
    );
    expect(unsupportedAuthSources({ oauth2: {} })).toEqual(["oauth2"]);
    await expect(
      resolveAuthentication({ name: "oauth", kind: "TriggerAuthentication" }, all, context),
    ).rejects.toThrow('TriggerAuthentication "oauth": oauth2 is not supported by Tidal');
  });
});

describe("resolveContainerEnv", () => {
  it("reads envFrom first, then env in order, expanding $(VAR) and keeping $$(VAR)", async () => {
    const all = sources(
      secret("app", "shop", { PASSWORD: "pw", USER: "u" }),
      configMap("app", "shop", { MODE: "fast" }),
    );
    const env = await resolveContainerEnv(
      {
        envFrom: [{ secretRef: { name: "app" } }, { prefix: "CFG_", configMapRef: { name: "app" } }],
        env: [
          { name: "URL", value: "db://$(USER):$(PASSWORD)@host" },
          { name: "LITERAL", value: "$$(USER)" },
          { name: "KEY", valueFrom: { secretKeyRef: { name: "app", key: "PASSWORD" } } },
          { name: "OPTIONAL", valueFrom: { configMapKeyRef: { name: "absent", key: "x", optional: true } } },
        ],
      },
      "shop",
      all,
    );
    expect(env).toEqual({
      PASSWORD: "pw",
      USER: "u",
      CFG_MODE: "fast",
      URL: "db://u:pw@host",
      LITERAL: "$(USER)",
      KEY: "pw",
    });
  });
});
