/**
 * Secret stores that need a cluster, on the real control plane: `tidal operator` requests bound
 * service account tokens with the TokenRequest API, for a metrics-api trigger's bearer token and
 * for Vault's Kubernetes login (credential.serviceAccountName, against fake-vault). Every token
 * that reaches a server is checked with a real TokenReview. No token, Vault token or secret value
 * may appear in the operator's logs, the objects' status or the namespace's events.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeVault } from "../support/fakes/fake-vault.ts";
import { useCleanup } from "../support/isolation.ts";
import { eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { startOperatorWithNamespace, type TidalOperator } from "../support/tidal-operator.ts";
import { startHttpServer } from "../integration/scalers/http-test-server.ts";

interface Reviewed {
  authenticated: boolean;
  username: string;
}

/** A real TokenReview by the API server (what Vault's Kubernetes auth and any receiver should do). */
const reviews = new Map<string, Promise<Reviewed>>();
function tokenReview(token: string): Promise<Reviewed> {
  let review = reviews.get(token);
  if (review === undefined) {
    review = kubectl(
      ["create", "-o", "json", "-f", "-"],
      JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } }),
    ).then((text) => {
      const status = (
        JSON.parse(text) as { status?: { authenticated?: boolean; user?: { username?: string } } }
      ).status;
      return { authenticated: status?.authenticated === true, username: status?.user?.username ?? "" };
    });
    reviews.set(token, review);
  }
  return review;
}

/** The claims of a JWT, unverified (the TokenReview verifies it). */
function claims(jwt: string): { iat: number; exp: number; aud: string[] } {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8"));
}

describe("bound service account tokens from the operator", () => {
  const cleanup = useCleanup();
  const API_KEY = `canary-apikey-${randomBytes(6).toString("hex")}`;
  let operator: TidalOperator;
  let namespace = "";
  let vault: FakeVault;
  let rootToken = "";
  /** Bearer tokens the metrics server was sent. */
  const bearers = new Set<string>();
  /** JWTs fake-vault was sent to log in with. */
  const jwts = new Set<string>();

  beforeAll(async () => {
    ({ operator, namespace } = await startOperatorWithNamespace(cleanup, "e2e-stores"));
    vault = await FakeVault.start();
    cleanup.add(() => vault.close());
    rootToken = vault.createToken();
    vault.enableKv("secret", 2);
    vault.putSecret("secret", "metrics", { apiKey: API_KEY });
    vault.enableKubernetesAuth(
      "kubernetes",
      {
        reader: {
          boundServiceAccountNames: ["vault-reader"],
          boundServiceAccountNamespaces: [namespace],
          paths: ["secret"],
        },
      },
      async (jwt) => {
        jwts.add(jwt);
        const reviewed = await tokenReview(jwt);
        const [, , account, name] = reviewed.username.split(":");
        return reviewed.authenticated && account && name ? { namespace: account, name } : undefined;
      },
    );
  });
  afterAll(async () => {
    await operator.stop();
  });

  it("feeds a metrics-api bearer token, and logs in to Vault, with tokens a TokenReview accepts", async () => {
    const metrics = await startHttpServer(cleanup, async (request, response) => {
      const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? "";
      if (request.url.pathname === "/vault") {
        if (bearer === API_KEY) response.writeHead(200).end('{"depth": 3}');
        else response.writeHead(401).end("who are you");
        return;
      }
      bearers.add(bearer);
      const reviewed = await tokenReview(bearer);
      if (reviewed.authenticated && reviewed.username === `system:serviceaccount:${namespace}:metrics-reader`)
        response.writeHead(200, { "content-type": "application/json" }).end('{"depth": 7}');
      else response.writeHead(401).end("not a token of metrics-reader");
    });
    const deployment = (name: string) => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: "main", image: "example.invalid/w" }] },
        },
      },
    });
    const scaledObject = (name: string, auth: string, path: string) => ({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name },
      spec: {
        scaleTargetRef: { name },
        pollingInterval: 1,
        minReplicaCount: 1,
        triggers: [
          {
            type: "metrics-api",
            metadata: {
              url: `${metrics.baseUrl}${path}`,
              valueLocation: "depth",
              targetValue: "5",
              authMode: "bearer",
            },
            authenticationRef: { name: auth },
          },
        ],
      },
    });
    const documents = [
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "metrics-reader" } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "vault-reader" } },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "sa-token" },
        spec: {
          boundServiceAccountToken: [{ parameter: "bearerToken", serviceAccountName: "metrics-reader" }],
        },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "vault" },
        spec: {
          hashiCorpVault: {
            address: vault.address,
            authentication: "kubernetes",
            mount: "kubernetes",
            role: "reader",
            credential: { serviceAccountName: "vault-reader" },
            secrets: [{ parameter: "bearerToken", path: "secret/data/metrics", key: "apiKey" }],
          },
        },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "vault-refused" },
        spec: {
          hashiCorpVault: {
            address: vault.address,
            authentication: "kubernetes",
            mount: "kubernetes",
            role: "reader",
            credential: { serviceAccountName: "metrics-reader" },
            secrets: [{ parameter: "bearerToken", path: "secret/data/metrics", key: "apiKey" }],
          },
        },
      },
      deployment("with-token"),
      deployment("with-vault"),
      deployment("refused"),
      scaledObject("with-token", "sa-token", "/token"),
      scaledObject("with-vault", "vault", "/vault"),
      scaledObject("refused", "vault-refused", "/vault"),
    ];
    await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      documents.map((document) => JSON.stringify(document)).join("\n"),
    );

    const metric = (name: string) =>
      kubectl([
        "get",
        "--raw",
        `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/s0-metric-api-depth?labelSelector=scaledobject.keda.sh%2Fname%3D${name}`,
      ]).then((text) => (JSON.parse(text) as { items: { value: string }[] }).items[0]?.value);
    expect(
      await eventually("the metric read with the service account's token", () => metric("with-token")),
    ).toBe("7");
    expect(await eventually("the metric read with the key from Vault", () => metric("with-vault"))).toBe("3");

    // Every bearer token the server got was the service account's, as KEDA asks for it: the API
    // server's audience and KEDA_BOUND_SERVICE_ACCOUNT_TOKEN_EXPIRY's default of one hour.
    expect(bearers.size).toBeGreaterThan(0);
    for (const bearer of bearers) {
      expect(await tokenReview(bearer)).toEqual({
        authenticated: true,
        username: `system:serviceaccount:${namespace}:metrics-reader`,
      });
      const { iat, exp } = claims(bearer);
      expect(exp - iat).toBe(3600);
    }
    // Vault's login got a real token of vault-reader (and refused metrics-reader's).
    const accounts = await Promise.all([...jwts].map(async (jwt) => (await tokenReview(jwt)).username));
    expect(accounts).toContain(`system:serviceaccount:${namespace}:vault-reader`);
    const refused = await eventually("the refused Vault login in status", async () => {
      const object = await kubectlJson<{
        status?: { conditions?: { type: string; status: string; message?: string }[] };
      }>(["-n", namespace, "get", "scaledobject", "refused"]);
      const ready = object.status?.conditions?.find((condition) => condition.type === "Ready");
      return ready?.status === "False" && ready.message;
    });
    expect(refused).toContain(
      'TriggerAuthentication "vault-refused": hashiCorpVault.authentication: Kubernetes login at auth/kubernetes/login as role "reader" failed: POST /v1/auth/kubernetes/login: HTTP 403: service account name not authorized',
    );

    // Nothing secret anywhere the operator writes.
    const statuses = await kubectl(["-n", namespace, "get", "scaledobjects", "-o", "json"]);
    const events = await kubectl(["-n", namespace, "get", "events", "-o", "json"]);
    const issued = vault.requests.flatMap((request) => (request.token ? [request.token] : []));
    const secrets = [API_KEY, rootToken, ...bearers, ...jwts, ...issued];
    for (const output of [statuses, events, operator.output])
      for (const secret of secrets)
        expect(output.includes(secret), "a secret in the operator's output").toBe(false);
  });
});
