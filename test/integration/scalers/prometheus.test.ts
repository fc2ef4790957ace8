import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { eventually, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";
import { startFakeEntra, type FakeEntra } from "../../support/fakes/fake-entra.ts";
import { startFakeOAuth } from "../../support/fakes/fake-oauth.ts";
import { mutualTls, trustFakeCertificate } from "../../support/fakes/tls.ts";
import { closedPort, startHttpServer, type RecordedRequest } from "./http-test-server.ts";

beforeAll(() => useServices("prometheus"));

const TOKEN = "prometheus-token-5f2a91";

function measurer(cleanup: Cleanup, metadata: Record<string, string>, extra: Partial<TriggerUnderTest> = {}) {
  const trigger = connectTestTrigger({
    type: "prometheus",
    metadata: { threshold: "10", ...metadata },
    ...extra,
  });
  cleanup.add(() => trigger.close());
  return trigger;
}

/** An authenticating proxy in front of the real Prometheus: it checks the bearer token, then forwards. */
async function bearerProxy(cleanup: Cleanup, delayMs = 0, token = TOKEN) {
  return startHttpServer(cleanup, async (request, response) => {
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401, { "content-type": "text/plain" }).end("unauthorized");
      return;
    }
    await sleep(delayMs);
    const upstream = await fetch(
      new URL(`${request.url.pathname}${request.url.search}`, services.prometheusUrl),
    );
    response.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
  });
}

describe("prometheus scaler against the real Prometheus", () => {
  const cleanup = useCleanup();

  it("reads the value of an instant query", async () => {
    const trigger = measurer(cleanup, { serverAddress: services.prometheusUrl, query: "vector(42)" });
    expect(await trigger.measure()).toMatchObject({ metricName: "s0-prometheus", value: 42, active: true });
  });

  it("reads data Prometheus scraped from itself", async () => {
    const trigger = measurer(cleanup, {
      serverAddress: services.prometheusUrl,
      query: 'count(up{job="prometheus"} == 1) * 3',
      ignoreNullValues: "false",
    });
    const sample = await eventually("the self-scrape to be queryable", async () => {
      const reading = await trigger.measure();
      return reading.value === undefined ? undefined : reading;
    });
    expect(sample).toMatchObject({ value: 3, active: true });
  });

  it("reads a scalar result", async () => {
    const trigger = measurer(cleanup, {
      serverAddress: services.prometheusUrl,
      query: "scalar(vector(7.5))",
    });
    expect(await trigger.measure()).toMatchObject({ value: 7.5 });
  });

  it("is inactive when the value equals activationThreshold and active above it", async () => {
    const at = measurer(cleanup, {
      serverAddress: services.prometheusUrl,
      query: "vector(5)",
      activationThreshold: "5",
    });
    const above = measurer(cleanup, {
      serverAddress: services.prometheusUrl,
      query: "vector(5.5)",
      activationThreshold: "5",
    });
    expect(await at.measure()).toMatchObject({ value: 5, active: false });
    expect(await above.measure()).toMatchObject({ value: 5.5, active: true });
  });

  it("reads an empty result as 0, or fails when ignoreNullValues is false", async () => {
    const query = "tidal_metric_that_does_not_exist";
    const lenient = measurer(cleanup, { serverAddress: services.prometheusUrl, query });
    expect(await lenient.measure()).toMatchObject({ value: 0, active: false });
    const strict = measurer(cleanup, {
      serverAddress: services.prometheusUrl,
      query,
      ignoreNullValues: "false",
    });
    expect((await strict.measure()).error).toBe(
      `prometheus query ${query} returned no value (set ignoreNullValues to read this as 0)`,
    );
  });

  it("reads NaN as 0, or fails when ignoreNullValues is false", async () => {
    const lenient = measurer(cleanup, { serverAddress: services.prometheusUrl, query: "vector(NaN)" });
    expect(await lenient.measure()).toMatchObject({ value: 0, active: false });
    const strict = measurer(cleanup, {
      serverAddress: services.prometheusUrl,
      query: "vector(NaN)",
      ignoreNullValues: "f",
    });
    expect((await strict.measure()).error).toMatch(/returned NaN/);
  });

  it("fails when the query returns more than one series", async () => {
    const query = 'vector(1) or label_replace(vector(2), "copy", "yes", "", "")';
    const trigger = measurer(cleanup, { serverAddress: services.prometheusUrl, query });
    expect((await trigger.measure()).error).toMatch(/returned 2 series; it must return one/);
  });

  it("reports Prometheus' own error for a bad query", async () => {
    const trigger = measurer(cleanup, { serverAddress: services.prometheusUrl, query: "sum(" });
    expect((await trigger.measure()).error).toMatch(
      /^prometheus query api returned HTTP 400: bad_data: invalid parameter "query"/,
    );
  });

  it("fails clearly for a wrong path, an unreachable server and a malformed address", async () => {
    const wrongPath = measurer(cleanup, {
      serverAddress: `${services.prometheusUrl}/not-prometheus`,
      query: "vector(1)",
    });
    expect((await wrongPath.measure()).error).toMatch(/^prometheus query api returned HTTP 404/);
    const port = await closedPort();
    const down = measurer(cleanup, { serverAddress: `http://127.0.0.1:${port}`, query: "vector(1)" });
    expect((await down.measure()).error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(() => measurer(cleanup, { serverAddress: "prometheus 9090", query: "vector(1)" })).toThrow(
      /serverAddress "prometheus 9090" is not a URL/,
    );
  });

  it("authenticates with a bearer token from authentication parameters", async () => {
    const proxy = await bearerProxy(cleanup);
    const trigger = measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: "vector(8)", authModes: "bearer" },
      { authParams: { bearerToken: TOKEN } },
    );
    expect(await trigger.measure()).toMatchObject({ value: 8, active: true });

    const wrong = measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: "vector(8)", authModes: "bearer" },
      { authParams: { bearerToken: `${TOKEN}-wrong` } },
    );
    const error = (await wrong.measure()).error ?? "";
    expect(error).toBe("prometheus query api returned HTTP 401: unauthorized");
    expect(error).not.toContain(TOKEN);
  });

  it("sends a custom authentication header (authModes custom) that the proxy accepts", async () => {
    const proxy = await bearerProxy(cleanup);
    const trigger = measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: "vector(6)", authModes: "custom" },
      { authParams: { customAuthHeader: "Authorization", customAuthValue: `Bearer ${TOKEN}` } },
    );
    expect(await trigger.measure()).toMatchObject({ value: 6, active: true });
    expect(proxy.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("sends namespace, query parameters, custom headers and basic credentials", async () => {
    const server = await startHttpServer(cleanup, (_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end(JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } }));
    });
    const trigger = measurer(
      cleanup,
      {
        serverAddress: server.baseUrl,
        query: "sum(rate(x[1m]))",
        namespace: "team-a",
        queryParameters: "dedup=true",
        customHeaders: "X-Scope-OrgID=tenant-1",
        authModes: "basic",
      },
      { authParams: { username: "tidal", password: "secret-pw" } },
    );
    expect(await trigger.measure()).toMatchObject({ value: 0 });
    const [request] = server.requests;
    expect(request?.url.pathname).toBe("/api/v1/query");
    expect(Object.fromEntries(request?.url.searchParams ?? [])).toMatchObject({
      query: "sum(rate(x[1m]))",
      namespace: "team-a",
      dedup: "true",
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(request?.headers["x-scope-orgid"]).toBe("tenant-1");
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from("tidal:secret-pw").toString("base64")}`);
  });

  it("reads over HTTPS with the CA, a client certificate or unsafeSsl", async () => {
    const tls = await mutualTls();
    const forward = async (request: RecordedRequest, response: ServerResponse) => {
      const upstream = await fetch(
        new URL(`${request.url.pathname}${request.url.search}`, services.prometheusUrl),
      );
      response.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    };
    const open = await startHttpServer(cleanup, forward, { cert: tls.serverCert, key: tls.serverKey });
    const mutual = await startHttpServer(cleanup, forward, {
      cert: tls.serverCert,
      key: tls.serverKey,
      ca: tls.ca,
      requireClientCertificate: true,
    });
    const query = { query: "vector(6)" };
    const caOnly = measurer(
      cleanup,
      { serverAddress: open.baseUrl, ...query },
      { authParams: { ca: tls.ca } },
    );
    expect(await caOnly.measure()).toMatchObject({ value: 6 });
    const unsafe = measurer(cleanup, { serverAddress: open.baseUrl, ...query, unsafeSsl: "true" });
    expect(await unsafe.measure()).toMatchObject({ value: 6 });
    const untrusted = measurer(cleanup, { serverAddress: open.baseUrl, ...query });
    expect((await untrusted.measure()).error).toMatch(/certificate/);

    const withCertificate = measurer(
      cleanup,
      { serverAddress: mutual.baseUrl, ...query, authModes: "tls" },
      { authParams: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey } },
    );
    expect(await withCertificate.measure()).toMatchObject({ value: 6 });
    expect(mutual.requests.at(-1)?.clientCertificate).toBe("tidal");
    const withoutCertificate = measurer(
      cleanup,
      { serverAddress: mutual.baseUrl, ...query },
      { authParams: { ca: tls.ca } },
    );
    expect((await withoutCertificate.measure()).error).toBeDefined();
  });

  it("authenticates with an OAuth 2.0 client credentials token (authModes oauth)", async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), "tidal-oauth-")), "signing.key");
    writeFileSync(
      keyFile,
      generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }),
    );
    const oauth = await startFakeOAuth({ keyFile, keyId: "k1" });
    cleanup.add(() => oauth.close());
    oauth.addClient({ id: "prom-reader", secret: "prom-secret-8c2", audience: "prometheus" });
    const proxy = await startHttpServer(cleanup, async (request, response) => {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (!token || oauth.claimsOf(token).aud !== "prometheus") {
        response.writeHead(401, { "content-type": "text/plain" }).end("unauthorized");
        return;
      }
      const upstream = await fetch(
        new URL(`${request.url.pathname}${request.url.search}`, services.prometheusUrl),
      );
      response.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    });
    const auth = { oauthTokenURI: oauth.tokenUrl, clientID: "prom-reader", clientSecret: "prom-secret-8c2" };
    const trigger = measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: "vector(4)", authModes: "oauth" },
      { authParams: { ...auth, scopes: "metrics.read, ,metrics.list", endpointParams: "resource=prom" } },
    );
    expect(await trigger.measure()).toMatchObject({ value: 4 });
    expect(await trigger.measure()).toMatchObject({ value: 4 });
    expect(oauth.requests).toEqual([
      {
        clientId: "prom-reader",
        via: "basic",
        status: 200,
        form: {
          grant_type: ["client_credentials"],
          resource: ["prom"],
          scope: ["metrics.read metrics.list"],
        },
      },
    ]);
    const refused = measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: "vector(4)", authModes: "oauth" },
      { authParams: { ...auth, clientSecret: "wrong-prom-secret" } },
    );
    const error = (await refused.measure()).error ?? "";
    expect(error).toContain("cannot get an OAuth2 token from oauthTokenURI");
    expect(error).not.toContain("wrong-prom-secret");
  });

  it("honours the timeout parameter, shorter or longer than the global one", async () => {
    const proxy = await bearerProxy(cleanup, 1_200);
    const metadata = { serverAddress: proxy.baseUrl, query: "vector(2)", authModes: "bearer" };
    const authParams = { bearerToken: TOKEN };
    const short = measurer(cleanup, { ...metadata, timeout: "300ms" }, { authParams });
    expect((await short.measure()).error).toBe("no answer within 300 ms");
    const long = measurer(cleanup, { ...metadata, timeout: "3000" }, { authParams, timeoutMs: 500 });
    expect(await long.measure()).toMatchObject({ value: 2 });
  });
});

describe("prometheus scaler with podIdentity azure-workload (Azure Managed Prometheus)", () => {
  const cleanup = useCleanup();
  const tenantId = "11111111-2222-3333-4444-555555555555";
  const clientId = "cccccccc-bbbb-cccc-dddd-eeeeeeeeeeee";
  const federatedToken = "eyJhbGciOiJSUzI1NiJ9.prometheus-service-account-token.signature";
  const scope = "https://prometheus.monitor.azure.com/.default";
  const saved = { ...process.env };
  const variables = [
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_AUTHORITY_HOST",
  ];
  let entra: FakeEntra;

  beforeAll(async () => {
    await trustFakeCertificate();
    entra = await startFakeEntra();
    entra.addApp({ tenantId, clientId, federatedToken });
    const file = join(mkdtempSync(join(tmpdir(), "tidal-prom-wi-")), "token");
    writeFileSync(file, federatedToken);
    // What the Azure Workload Identity webhook gives Tidal's own pod.
    process.env.AZURE_FEDERATED_TOKEN_FILE = file;
    process.env.AZURE_CLIENT_ID = clientId;
    process.env.AZURE_TENANT_ID = tenantId;
    process.env.AZURE_AUTHORITY_HOST = entra.authorityHost;
  });
  afterAll(async () => {
    await entra.close();
    for (const key of variables)
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
  });

  it("sends the identity's token for Managed Prometheus's scope to the real Prometheus behind a checking proxy", async () => {
    const proxy = await bearerProxy(cleanup, 0, entra.tokenFor(clientId, scope));
    // The first token takes MSAL's discovery requests too; a busy machine needs more than 3 s.
    const trigger = measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: "vector(9)" },
      { podIdentity: { provider: "azure-workload" }, timeoutMs: 10_000 },
    );
    expect(await trigger.measure()).toMatchObject({ value: 9, active: true });
    expect(entra.requests.at(-1)).toMatchObject({ clientId, scope, kind: "assertion", status: 200 });
  });

  it("uses the Private cloud's azureManagedPrometheusResourceURL as the scope", async () => {
    const privateScope = "https://prometheus.private.example/.default";
    const proxy = await bearerProxy(cleanup, 0, entra.tokenFor(clientId, privateScope));
    const trigger = measurer(
      cleanup,
      {
        serverAddress: proxy.baseUrl,
        query: "vector(2)",
        cloud: "Private",
        azureManagedPrometheusResourceURL: privateScope,
      },
      { podIdentity: { provider: "azure-workload" }, timeoutMs: 10_000 },
    );
    expect(await trigger.measure()).toMatchObject({ value: 2 });
  });

  it("names Entra ID's refusal without the federated token", async () => {
    const other = "dddddddd-bbbb-cccc-dddd-eeeeeeeeeeee";
    entra.addApp({ tenantId, clientId: other, federatedToken: "a different subject" });
    const proxy = await bearerProxy(cleanup);
    const sample = await measurer(
      cleanup,
      { serverAddress: proxy.baseUrl, query: "vector(1)" },
      {
        // The first token takes MSAL's discovery requests too; a busy machine needs more than 3 s.
        timeoutMs: 10_000,
        podIdentity: {
          provider: "azure-workload",
          identityId: other,
          identityTenantId: tenantId,
          identityAuthorityHost: entra.authorityHost,
        },
      },
    ).measure();
    expect(sample.error).toMatch(new RegExp(`^azure-workload identity \\(client ${other}\\)`));
    expect(sample.error).not.toContain(federatedToken);
    expect(proxy.requests).toEqual([]);
  });
});
