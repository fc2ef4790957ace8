import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { startFakeOAuth } from "../../support/fakes/fake-oauth.ts";
import { mutualTls } from "../../support/fakes/tls.ts";
import { closedPort, startHttpServer, type RecordedRequest } from "./http-test-server.ts";

const API_KEY = "metrics-api-key-93b1c7";
const PASSWORD = "metrics-api-password-44d0";
const TOKEN = "metrics-api-token-7c2e";

/** What the test's API serves; the tests change it between measurements. */
interface ApiState {
  depth: number;
  memory: string;
}

function send(response: ServerResponse, status: number, contentType: string, body: string) {
  response.writeHead(status, { "content-type": contentType }).end(body);
}

/** A real HTTP API on 127.0.0.1 serving the state as JSON, YAML and Prometheus text, some paths behind auth. */
async function startApi(cleanup: Cleanup, state: ApiState) {
  return startHttpServer(cleanup, (request: RecordedRequest, response) => {
    const json = JSON.stringify({
      stats: { queue: { depth: state.depth }, memory: state.memory, name: "worker" },
      queues: [
        { name: "orders", depth: state.depth },
        { name: "mails", depth: 2 },
      ],
    });
    const basic = `Basic ${Buffer.from(`tidal:${PASSWORD}`).toString("base64")}`;
    switch (request.url.pathname) {
      case "/json":
        return send(response, 200, "application/json", json);
      case "/yaml":
        return send(
          response,
          200,
          "application/yaml",
          `stats:\n  queue:\n    depth: ${state.depth}\n  memory: ${state.memory}\n`,
        );
      case "/metrics":
        return send(
          response,
          200,
          "text/plain; version=0.0.4",
          `# TYPE jobs gauge\njobs{state="queued"} ${state.depth}\njobs{state="running"} 3\n`,
        );
      case "/header-key":
        return request.headers["x-api-key"] === API_KEY
          ? send(response, 200, "application/json", json)
          : send(response, 401, "text/plain", "no key");
      case "/query-key":
        return request.url.searchParams.get("key") === API_KEY
          ? send(response, 200, "application/json", json)
          : send(response, 403, "text/plain", "bad key");
      case "/basic":
        return request.headers.authorization === basic
          ? send(response, 200, "application/json", json)
          : send(response, 401, "text/plain", "who are you");
      case "/bearer":
        return request.headers.authorization === `Bearer ${TOKEN}`
          ? send(response, 200, "application/json", json)
          : send(response, 401, "text/plain", "bad token");
      case "/custom":
        return request.headers["x-tenant-token"] === TOKEN
          ? send(response, 200, "application/json", json)
          : send(response, 401, "text/plain", "bad tenant token");
      case "/broken":
        return send(response, 500, "text/plain", "database unavailable");
      default:
        return send(response, 404, "text/plain", "not found");
    }
  });
}

function measurer(cleanup: Cleanup, metadata: Record<string, string>, extra: Partial<TriggerUnderTest> = {}) {
  const trigger = connectTestTrigger({
    type: "metrics-api",
    metadata: { targetValue: "5", ...metadata },
    ...extra,
  });
  cleanup.add(() => trigger.close());
  return trigger;
}

describe("metrics-api scaler against a real HTTP server", () => {
  const cleanup = useCleanup();

  it("reads a JSON value, following changes between polls", async () => {
    const state = { depth: 12, memory: "1" };
    const api = await startApi(cleanup, state);
    const trigger = measurer(cleanup, { url: `${api.baseUrl}/json`, valueLocation: "stats.queue.depth" });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-metric-api-stats-queue-depth",
      value: 12,
      active: true,
    });
    state.depth = 0;
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
  });

  it("reads quantities, array elements and queries", async () => {
    const api = await startApi(cleanup, { depth: 9, memory: "1500m" });
    const url = `${api.baseUrl}/json`;
    expect(await measurer(cleanup, { url, valueLocation: "stats.memory" }).measure()).toMatchObject({
      value: 1.5,
    });
    expect(await measurer(cleanup, { url, valueLocation: "queues.1.depth" }).measure()).toMatchObject({
      value: 2,
    });
    expect(await measurer(cleanup, { url, valueLocation: "queues.#" }).measure()).toMatchObject({ value: 2 });
    expect(
      await measurer(cleanup, { url, valueLocation: 'queues.#(name=="orders").depth' }).measure(),
    ).toMatchObject({
      value: 9,
    });
  });

  it("is inactive when the value equals activationTargetValue", async () => {
    const state = { depth: 4, memory: "1" };
    const api = await startApi(cleanup, state);
    const trigger = measurer(cleanup, {
      url: `${api.baseUrl}/json`,
      valueLocation: "stats.queue.depth",
      activationTargetValue: "4",
    });
    expect(await trigger.measure()).toMatchObject({ value: 4, active: false });
    state.depth = 5;
    expect(await trigger.measure()).toMatchObject({ value: 5, active: true });
  });

  it("reads YAML and Prometheus text", async () => {
    const api = await startApi(cleanup, { depth: 7, memory: "250m" });
    const yaml = measurer(cleanup, {
      url: `${api.baseUrl}/yaml`,
      valueLocation: "stats.memory",
      format: "yaml",
    });
    expect(await yaml.measure()).toMatchObject({ value: 0.25 });
    const text = measurer(cleanup, {
      url: `${api.baseUrl}/metrics`,
      valueLocation: 'jobs{state="queued"}',
      format: "prometheus",
    });
    expect(await text.measure()).toMatchObject({
      metricName: 's0-metric-api-jobs{state="queued"}',
      value: 7,
    });
  });

  it("sends the API key in a header or in the query, from authentication parameters", async () => {
    const api = await startApi(cleanup, { depth: 6, memory: "1" });
    const header = measurer(
      cleanup,
      { url: `${api.baseUrl}/header-key`, valueLocation: "stats.queue.depth", authMode: "apiKey" },
      { authParams: { apiKey: API_KEY } },
    );
    expect(await header.measure()).toMatchObject({ value: 6 });
    const query = measurer(
      cleanup,
      {
        url: `${api.baseUrl}/query-key`,
        valueLocation: "stats.queue.depth",
        authMode: "apiKey",
        method: "query",
        keyParamName: "key",
      },
      { authParams: { apiKey: API_KEY } },
    );
    expect(await query.measure()).toMatchObject({ value: 6 });
    expect(api.requests.at(-1)?.url.searchParams.get("key")).toBe(API_KEY);
  });

  it("authenticates with basic credentials and keeps a wrong password out of the error", async () => {
    const api = await startApi(cleanup, { depth: 3, memory: "1" });
    const metadata = { url: `${api.baseUrl}/basic`, valueLocation: "stats.queue.depth", authModes: "basic" };
    const good = measurer(cleanup, metadata, { authParams: { username: "tidal", password: PASSWORD } });
    expect(await good.measure()).toMatchObject({ value: 3 });
    const bad = measurer(cleanup, metadata, {
      authParams: { username: "tidal", password: `${PASSWORD}-wrong` },
    });
    const error = (await bad.measure()).error ?? "";
    expect(error).toBe(`${api.baseUrl}/basic: api returned 401: who are you`);
    expect(error).not.toContain(PASSWORD);
  });

  it("sends a bearer token (authModes bearer), and keeps a wrong one out of the error", async () => {
    const api = await startApi(cleanup, { depth: 4, memory: "1" });
    const metadata = {
      url: `${api.baseUrl}/bearer`,
      valueLocation: "stats.queue.depth",
      authModes: "bearer",
    };
    const good = measurer(cleanup, metadata, { authParams: { bearerToken: TOKEN } });
    expect(await good.measure()).toMatchObject({ value: 4 });
    const wrong = `${TOKEN}-wrong`;
    const error = (await measurer(cleanup, metadata, { authParams: { bearerToken: wrong } }).measure()).error;
    expect(error).toBe(`${api.baseUrl}/bearer: api returned 401: bad token`);
    expect(error).not.toContain(wrong);
  });

  it("sends a custom header (authModes custom), also together with basic credentials", async () => {
    const api = await startApi(cleanup, { depth: 5, memory: "1" });
    const authParams = { customAuthHeader: "X-Tenant-Token", customAuthValue: TOKEN };
    const custom = measurer(
      cleanup,
      { url: `${api.baseUrl}/custom`, valueLocation: "stats.queue.depth", authModes: "custom" },
      { authParams },
    );
    expect(await custom.measure()).toMatchObject({ value: 5 });
    const both = measurer(
      cleanup,
      { url: `${api.baseUrl}/custom`, valueLocation: "stats.queue.depth", authModes: "custom,basic" },
      { authParams: { ...authParams, username: "tidal", password: PASSWORD } },
    );
    expect(await both.measure()).toMatchObject({ value: 5 });
    const basic = `Basic ${Buffer.from(`tidal:${PASSWORD}`).toString("base64")}`;
    expect(api.requests.at(-1)?.headers).toMatchObject({ "x-tenant-token": TOKEN, authorization: basic });
  });

  it("reports non-200 answers, missing values and unreachable servers", async () => {
    const api = await startApi(cleanup, { depth: 1, memory: "lots" });
    const broken = measurer(cleanup, { url: `${api.baseUrl}/broken`, valueLocation: "a" });
    expect((await broken.measure()).error).toBe(
      `${api.baseUrl}/broken: api returned 500: database unavailable`,
    );
    const missing = measurer(cleanup, { url: `${api.baseUrl}/json`, valueLocation: "stats.nothing" });
    expect((await missing.measure()).error).toBe(
      "valueLocation must point to value of type number or a string representing a Quantity got: 'Null'",
    );
    const notQuantity = measurer(cleanup, { url: `${api.baseUrl}/json`, valueLocation: "stats.memory" });
    expect((await notQuantity.measure()).error).toMatch(/got: 'lots'/);
    const notYaml = measurer(cleanup, {
      url: `${api.baseUrl}/metrics`,
      valueLocation: "jobs",
      format: "yaml",
    });
    expect((await notYaml.measure()).error).toBe("key 'jobs' not found in path 'jobs'");
    const port = await closedPort();
    const down = measurer(cleanup, { url: `http://127.0.0.1:${port}/json`, valueLocation: "a" });
    expect((await down.measure()).error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it("reads over HTTPS with a client certificate (authModes tls), the CA or unsafeSsl", async () => {
    const tls = await mutualTls();
    const serve = (_request: RecordedRequest, response: ServerResponse) =>
      send(response, 200, "application/json", JSON.stringify({ stats: { depth: 9 } }));
    const mutual = await startHttpServer(cleanup, serve, {
      cert: tls.serverCert,
      key: tls.serverKey,
      ca: tls.ca,
      requireClientCertificate: true,
    });
    const open = await startHttpServer(cleanup, serve, { cert: tls.serverCert, key: tls.serverKey });
    const metadata = (url: string) => ({ url: `${url}/json`, valueLocation: "stats.depth" });
    const withCertificate = measurer(
      cleanup,
      { ...metadata(mutual.baseUrl), authMode: "tls" },
      { authParams: { ca: tls.ca, cert: tls.clientCert, key: tls.clientKey } },
    );
    expect(await withCertificate.measure()).toMatchObject({ value: 9, active: true });
    expect(mutual.requests.at(-1)?.clientCertificate).toBe("tidal");
    const withoutCertificate = measurer(cleanup, metadata(mutual.baseUrl), { authParams: { ca: tls.ca } });
    expect((await withoutCertificate.measure()).error).toBeDefined();
    const unsafe = measurer(cleanup, { ...metadata(open.baseUrl), unsafeSsl: "true" });
    expect(await unsafe.measure()).toMatchObject({ value: 9 });
    const untrusted = measurer(cleanup, metadata(open.baseUrl));
    expect((await untrusted.measure()).error).toMatch(/certificate/);
  });

  it("authenticates with an OAuth 2.0 client credentials token (authModes oauth), with basic or API key auth besides", async () => {
    const keyFile = join(mkdtempSync(join(tmpdir(), "tidal-oauth-")), "signing.key");
    writeFileSync(
      keyFile,
      generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }),
    );
    const oauth = await startFakeOAuth({ keyFile, keyId: "k1" });
    cleanup.add(() => oauth.close());
    oauth.addClient({ id: "api-reader", secret: "api-secret-51", audience: "metrics", only: "form" });
    const api = await startHttpServer(cleanup, (request, response) => {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (!token || oauth.claimsOf(token).aud !== "metrics" || request.headers["x-api-key"] !== API_KEY) {
        return send(response, 401, "text/plain", "unauthorized");
      }
      return send(response, 200, "application/json", JSON.stringify({ depth: 3 }));
    });
    const trigger = measurer(
      cleanup,
      { url: `${api.baseUrl}/q`, valueLocation: "depth", authModes: "oauth,apiKey" },
      {
        authParams: {
          oauthTokenURI: oauth.tokenUrl,
          clientID: "api-reader",
          clientSecret: "api-secret-51",
          apiKey: API_KEY,
        },
      },
    );
    expect(await trigger.measure()).toMatchObject({ value: 3 });
    // The endpoint takes the credentials in the form only: the client fell back to that.
    expect(oauth.requests.map((request) => [request.via, request.status])).toEqual([
      ["basic", 401],
      ["form", 200],
    ]);
  });

  it("refuses a malformed URL before connecting", () => {
    expect(() => measurer(cleanup, { url: "127.0.0.1/json", valueLocation: "a" })).toThrow(
      /url "127.0.0.1\/json" is not an http or https URL/,
    );
  });

  it("stops at the timeout parameter", async () => {
    const api = await startHttpServer(cleanup, () => undefined); // never answers
    const trigger = measurer(cleanup, { url: `${api.baseUrl}/json`, valueLocation: "a", timeout: "250ms" });
    expect((await trigger.measure()).error).toBe("no answer within 250 ms");
  });
});
