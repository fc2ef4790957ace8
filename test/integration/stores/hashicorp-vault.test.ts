/**
 * The hashiCorpVault secret store against fake-vault (a loopback fake of Vault's documented HTTP
 * API: OpenBao cannot be built from the Go module proxy here), through Tidal's own resolution
 * (resolveAuthentication with authentications read from documents) and through `tidal probe` and
 * `tidal validate` on files. Ports KEDA's handler rows that need a server (Initialize,
 * UsingRootToken, SameCertAndKey, tokenTestDataSet, DefaultKubernetesVaultRole). Canary values in
 * Vault tokens and secrets must appear in no message or output.
 */
import { randomBytes, X509Certificate } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { readResources } from "../../../src/api/resources.ts";
import { manifestAuthSources } from "../../../src/auth/manifest-sources.ts";
import { resolveAuthentication } from "../../../src/auth/resolve.ts";
import { legacyTriggerRules } from "../../../src/scalers/registry.ts";
import { messageOf } from "../../../src/util/errors.ts";
import { expectNoStackTrace, runTidal } from "../../cli/tidal-cli.ts";
import { closedPort } from "../../support/closed-port.ts";
import { FakeVault } from "../../support/fakes/fake-vault.ts";
import { useCleanup } from "../../support/isolation.ts";
import { startHttpServer } from "../scalers/http-test-server.ts";

const canary = (what: string) => `canary-${what}-${randomBytes(6).toString("hex")}`;
const PASSWORD = canary("password");
const API_KEY = canary("apikey");
const JWT = canary("jwt");

let vault: FakeVault;
let rootToken: string;
const work = mkdtempSync(join(tmpdir(), "tidal-vault-"));
const jwtFile = join(work, "token");

beforeAll(async () => {
  vault = await FakeVault.start();
  rootToken = vault.createToken();
  vault.enableKv("kv", 1);
  vault.putSecret("kv", "keda", { test: "keda", array: ["keda"], password: PASSWORD });
  vault.enableKv("secret", 2);
  vault.putSecret("secret", "app", { apiKey: API_KEY, port: 5672 });
  vault.enableKv("kv", 1, "team-a");
  vault.putSecret("kv", "keda", { test: "team-a's" }, "team-a");
  await vault.enablePki("pki", ["default"]);
  writeFileSync(jwtFile, `${JWT}\n`);
  vault.enableKubernetesAuth(
    "kubernetes",
    {
      reader: {
        boundServiceAccountNames: ["reader"],
        boundServiceAccountNamespaces: ["apps"],
        paths: ["kv"],
      },
      other: { boundServiceAccountNames: ["other"], boundServiceAccountNamespaces: ["apps"], paths: ["kv"] },
    },
    async (jwt) => (jwt === JWT ? { namespace: "apps", name: "reader" } : undefined),
  );
});
afterAll(() => vault.close());

/** Resolves a TriggerAuthentication `vault` with this spec the way `tidal run` and `probe` do. */
async function resolve(spec: Record<string, unknown>, processEnvironment: Record<string, string> = {}) {
  const { set, problems } = readResources(
    [
      {
        file: "m.yaml",
        doc: 1,
        value: {
          apiVersion: "keda.sh/v1alpha1",
          kind: "TriggerAuthentication",
          metadata: { name: "vault", namespace: "apps" },
          spec,
        },
      },
    ],
    legacyTriggerRules,
  );
  expect(problems).toEqual([]);
  return resolveAuthentication({ kind: "TriggerAuthentication", name: "vault" }, manifestAuthSources(set), {
    namespace: "apps",
    clusterObjectNamespace: "keda",
    containerEnv: {},
    processEnvironment,
  });
}

/** The error message of resolving the spec, checked free of every canary and token. */
async function failure(
  spec: Record<string, unknown>,
  processEnvironment: Record<string, string> = {},
): Promise<string> {
  const message = await resolve(spec, processEnvironment).then(
    () => "resolved",
    (error: unknown) => messageOf(error),
  );
  for (const secret of [PASSWORD, API_KEY, JWT, rootToken]) expect(message).not.toContain(secret);
  return message;
}

const tokenAuth = (secrets: unknown[], extra: Record<string, unknown> = {}) => ({
  hashiCorpVault: {
    address: vault.address,
    authentication: "token",
    credential: { token: rootToken },
    secrets,
    ...extra,
  },
});

describe("hashiCorpVault against fake-vault", () => {
  it("reads KV v1 and v2 (data.data of <mount>/data/<name>) with a token, typed or not", async () => {
    const resolved = await resolve(
      tokenAuth([
        { parameter: "password", path: "kv/keda", key: "password" },
        { parameter: "v1", path: "kv/keda", key: "test", type: "secret" },
        { parameter: "apiKey", path: "secret/data/app", key: "apiKey" },
        { parameter: "v2", path: "secret/data/app", key: "apiKey", type: "secretV2" },
      ]),
    );
    expect(resolved.params).toEqual({ password: PASSWORD, v1: "keda", apiKey: API_KEY, v2: API_KEY });
    expect(resolved.refreshAt).toBeUndefined();
  });

  it("KEDA Initialize and UsingRootToken: namespace header, lookup-self, one renew-self only for a renewable token", async () => {
    const before = vault.requests.length;
    const renewable = vault.createToken({ renewable: true, ttl: 60, namespace: "team-a" });
    const resolved = await resolve({
      hashiCorpVault: {
        address: `${vault.address}/`,
        namespace: "team-a",
        authentication: "token",
        credential: { token: renewable },
        secrets: [{ parameter: "test", path: "kv/keda", key: "test" }],
      },
    });
    expect(resolved.params).toEqual({ test: "team-a's" });
    expect(vault.renewals(renewable)).toBe(1);
    const calls = vault.requests.slice(before);
    expect(calls.map((call) => `${call.method} ${call.path} ${call.namespace}`)).toEqual([
      "GET auth/token/lookup-self team-a",
      "POST auth/token/renew-self team-a",
      "GET kv/keda team-a",
    ]);
    expect(calls.every((call) => call.token === renewable)).toBe(true);
    // The root token is not renewable: no renew-self (KEDA's "UsingRootToken").
    const rootStart = vault.requests.length;
    await resolve(tokenAuth([{ parameter: "test", path: "kv/keda", key: "test" }]));
    expect(vault.requests.slice(rootStart).map((call) => call.path)).toEqual([
      "auth/token/lookup-self",
      "kv/keda",
    ]);
    // VAULT_NAMESPACE applies when the spec names none, as in KEDA's Go client.
    const fromEnv = await resolve(
      tokenAuth([{ parameter: "test", path: "kv/keda", key: "test" }], { credential: { token: renewable } }),
      { VAULT_NAMESPACE: "team-a" },
    );
    expect(fromEnv.params).toEqual({ test: "team-a's" });
  });

  it("VAULT_TOKEN in Tidal's environment wins over credential.token, as KEDA's client reads it", async () => {
    const resolved = await resolve(
      tokenAuth([{ parameter: "test", path: "kv/keda", key: "test" }], {
        credential: { token: "not-a-token" },
      }),
      { VAULT_TOKEN: rootToken },
    );
    expect(resolved.params).toEqual({ test: "keda" });
    expect(vault.requests.at(-1)?.token).toBe(rootToken);
  });

  it("KEDA SameCertAndKey: issues one PKI certificate for its certificate, key and chain", async () => {
    const before = vault.requests.length;
    const pki = { path: "pki/issue/default", type: "pki", pkiData: { commonName: "worker.apps", ttl: "1h" } };
    const resolved = await resolve(
      tokenAuth([
        { parameter: "cert", key: "certificate", ...pki },
        { parameter: "key", key: "private_key", ...pki },
        { parameter: "ca", key: "ca_chain", ...pki },
        { parameter: "keyType", key: "private_key_type", ...pki },
      ]),
    );
    const issued = vault.requests.slice(before).filter((call) => call.path === "pki/issue/default");
    expect(issued).toHaveLength(1);
    expect(issued[0]?.method).toBe("POST");
    expect(issued[0]?.body).toEqual({ common_name: "worker.apps", ttl: "1h" });
    const { cert = "", key = "", ca = "", keyType } = resolved.params;
    const certificate = new X509Certificate(cert);
    expect(certificate.subject).toBe("CN=worker.apps");
    expect(certificate.verify(new X509Certificate(ca).publicKey)).toBe(true);
    expect(certificate.checkPrivateKey((await import("node:crypto")).createPrivateKey(key))).toBe(true);
    expect(keyType).toBe("ec");
  });

  it("KEDA Token_ServiceAccountAuth with a token file: logs in at auth/<mount>/login with the JWT and role", async () => {
    const before = vault.requests.length;
    const resolved = await resolve({
      hashiCorpVault: {
        address: vault.address,
        authentication: "kubernetes",
        mount: "kubernetes",
        role: "reader",
        credential: { serviceAccount: jwtFile },
        secrets: [{ parameter: "password", path: "kv/keda", key: "password" }],
      },
    });
    expect(resolved.params).toEqual({ password: PASSWORD });
    const [login, lookup] = vault.requests.slice(before);
    expect(login).toMatchObject({
      method: "POST",
      path: "auth/kubernetes/login",
      body: { jwt: JWT, role: "reader" },
    });
    expect(lookup?.path).toBe("auth/token/lookup-self");
    // The issued token is renewable, so it is renewed once.
    expect(vault.renewals(lookup?.token ?? "")).toBe(1);
  });

  it("KEDA tokenTestDataSet and DefaultKubernetesVaultRole: a token file that cannot be read is an error naming it", async () => {
    const kubernetes = (credential?: Record<string, string>) => ({
      hashiCorpVault: {
        address: vault.address,
        authentication: "kubernetes",
        mount: "my-mount",
        role: "my-role",
        ...(credential ? { credential } : {}),
        secrets: [{ parameter: "p", path: "kv/keda", key: "test" }],
      },
    });
    expect(await failure(kubernetes({ serviceAccount: "random/path" }))).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.credential.serviceAccount: cannot read the service account token file "random/path": ENOENT',
    );
    expect(await failure(kubernetes())).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.credential.serviceAccount: cannot read the service account token file "/var/run/secrets/kubernetes.io/serviceaccount/token": ENOENT',
    );
    // credential.serviceAccountName needs a cluster's TokenRequest API, which files do not have.
    expect(await failure(kubernetes({ serviceAccountName: "reader" }))).toMatch(
      /^TriggerAuthentication "vault": hashiCorpVault\.credential\.serviceAccountName: a token for service account "reader" \(namespace "apps"\) needs a Kubernetes cluster's TokenRequest API/,
    );
  });

  it("every failure names the authentication and the entry, never a token or a value", async () => {
    const secrets = (path: string, key: string) => [{ parameter: "password", path, key }];
    expect(
      await failure(tokenAuth(secrets("kv/keda", "test"), { credential: { token: `${API_KEY}` } })),
    ).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.credential.token: the token is not accepted by Vault: GET /v1/auth/token/lookup-self: HTTP 403: permission denied',
    );
    expect(await failure(tokenAuth(secrets("kv/missing", "test")))).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.secrets[0] (parameter password): path "kv/missing" has no secret in Vault',
    );
    expect(await failure(tokenAuth(secrets("kv/keda", "pasword")))).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.secrets[0] (parameter password): path "kv/keda" has no key "pasword"',
    );
    expect(await failure(tokenAuth(secrets("secret/data/app", "port")))).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.secrets[0] (parameter password): path "secret/data/app": key "port" is not a string',
    );
    // A KV v2 path without data/ answers 404 from Vault's router.
    expect(await failure(tokenAuth(secrets("nowhere/app", "apiKey")))).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.secrets[0] (parameter password): cannot read path "nowhere/app": GET /v1/nowhere/app: HTTP 404: no handler for route "nowhere/app". route entry not found.',
    );
    const limited = vault.createToken({ paths: ["secret"] });
    expect(await failure(tokenAuth(secrets("kv/keda", "password"), { credential: { token: limited } }))).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.secrets[0] (parameter password): cannot read path "kv/keda": GET /v1/kv/keda: HTTP 403: permission denied',
    );
    const port = await closedPort();
    expect(
      await failure(tokenAuth(secrets("kv/keda", "test"), { address: `http://127.0.0.1:${port}` })),
    ).toBe(
      `TriggerAuthentication "vault": hashiCorpVault.credential.token: the token is not accepted by Vault: cannot reach http://127.0.0.1:${port}: ECONNREFUSED`,
    );
    const login = (role: string) => ({
      hashiCorpVault: {
        address: vault.address,
        authentication: "kubernetes",
        mount: "kubernetes",
        role,
        credential: { serviceAccount: jwtFile },
        secrets: secrets("kv/keda", "password"),
      },
    });
    expect(await failure(login("other"))).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.authentication: Kubernetes login at auth/kubernetes/login as role "other" failed: POST /v1/auth/kubernetes/login: HTTP 403: service account name not authorized',
    );
    expect(await failure(login("nobody"))).toBe(
      'TriggerAuthentication "vault": hashiCorpVault.authentication: Kubernetes login at auth/kubernetes/login as role "nobody" failed: POST /v1/auth/kubernetes/login: HTTP 400: invalid role name "nobody"',
    );
    expect(await failure(tokenAuth(secrets("kv/keda", "test"), { credential: {} }))).toBe(
      `TriggerAuthentication "vault": hashiCorpVault.credential.token: empty; give the Vault token, or set VAULT_TOKEN in Tidal's environment`,
    );
  });
});

describe("hashiCorpVault over TLS", () => {
  let tlsVault: FakeVault;
  let token: string;
  let caFile: string;
  beforeAll(async () => {
    tlsVault = await FakeVault.start({ tls: true });
    token = tlsVault.createToken();
    tlsVault.enableKv("kv", 1);
    tlsVault.putSecret("kv", "keda", { password: PASSWORD });
    caFile = join(work, "vault-ca.pem");
    writeFileSync(caFile, tlsVault.caPem ?? "");
  });
  afterAll(() => tlsVault.close());

  it("trusts VAULT_CACERT (or VAULT_SKIP_VERIFY) from Tidal's environment, as KEDA's client does", async () => {
    const spec = {
      hashiCorpVault: {
        address: tlsVault.address,
        authentication: "token",
        credential: { token },
        secrets: [{ parameter: "password", path: "kv/keda", key: "password" }],
      },
    };
    expect(await failure(spec)).toMatch(
      /^TriggerAuthentication "vault": hashiCorpVault\.credential\.token: the token is not accepted by Vault: cannot reach https:\/\/127\.0\.0\.1:\d+: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/,
    );
    expect((await resolve(spec, { VAULT_CACERT: caFile })).params).toEqual({ password: PASSWORD });
    expect((await resolve(spec, { VAULT_SKIP_VERIFY: "true" })).params).toEqual({ password: PASSWORD });
    expect(await failure(spec, { VAULT_CACERT: join(work, "nothing.pem") })).toBe(
      `TriggerAuthentication "vault": hashiCorpVault.address: TLS settings: VAULT_CACERT: cannot read "${join(work, "nothing.pem")}": ENOENT`,
    );
  });
});

describe("tidal probe and validate with a Vault-backed TriggerAuthentication", () => {
  const cleanup = useCleanup();

  it("probe measures with a bearer token read from Vault; validate never calls Vault; neither shows a secret", async () => {
    const api = await startHttpServer(cleanup, (request, response) => {
      if (request.headers.authorization !== `Bearer ${API_KEY}`) response.writeHead(401).end("who are you");
      else response.writeHead(200, { "content-type": "application/json" }).end('{"depth": 7}');
    });
    const documents = [
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "vault" },
        spec: {
          hashiCorpVault: {
            address: vault.address,
            authentication: "token",
            credential: { token: rootToken },
            secrets: [{ parameter: "bearerToken", path: "secret/data/app", key: "apiKey" }],
          },
        },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "sa-token" },
        spec: { boundServiceAccountToken: [{ parameter: "bearerToken", serviceAccountName: "reader" }] },
      },
      ...[
        ["from-vault", "vault"],
        ["from-cluster", "sa-token"],
      ].map(([name, auth]) => ({
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name },
        spec: {
          scaleTargetRef: { name },
          triggers: [
            {
              type: "metrics-api",
              metadata: {
                url: `${api.baseUrl}/depth`,
                valueLocation: "depth",
                targetValue: "5",
                authMode: "bearer",
              },
              authenticationRef: { name: auth },
            },
          ],
        },
      })),
    ];
    const file = join(work, "vault.yaml");
    writeFileSync(file, documents.map((document) => stringify(document)).join("---\n"));

    const before = vault.requests.length;
    const validated = await runTidal(["validate", "-f", file]);
    expectNoStackTrace(validated);
    expect(vault.requests.length).toBe(before);
    expect(validated.code).toBe(0);
    expect(validated.stdout + validated.stderr).toContain(
      "TriggerAuthentication/sa-token: spec.boundServiceAccountToken: warning: service account tokens come from the cluster's TokenRequest API",
    );

    const probed = await runTidal(["probe", "-f", file, "--output", "json"]);
    expectNoStackTrace(probed);
    const rows = JSON.parse(probed.stdout) as {
      scaledObject: string;
      value: number | null;
      error: string | null;
    }[];
    expect(rows.find((row) => row.scaledObject === "from-vault")).toMatchObject({ value: 7, error: null });
    expect(rows.find((row) => row.scaledObject === "from-cluster")?.error).toMatch(
      /TriggerAuthentication "sa-token": boundServiceAccountToken\[0\] \(parameter bearerToken\): a token for service account "reader" \(namespace "default"\) needs a Kubernetes cluster's TokenRequest API/,
    );
    expect(api.requests.some((request) => request.headers.authorization === `Bearer ${API_KEY}`)).toBe(true);
    for (const output of [validated.stdout, validated.stderr, probed.stdout, probed.stderr])
      for (const secret of [API_KEY, rootToken]) expect(output).not.toContain(secret);
  });
});
