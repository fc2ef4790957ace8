import { Agent, request } from "node:https";
import { connect } from "node:tls";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfSignedServingCert } from "./certs.ts";
import {
  createExternalMetricsServer,
  type AuthorizationRequest,
  type ExternalMetricsServer,
  type LookupResult,
  type MetricQuery,
  type TlsCredentials,
} from "./server.ts";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => Record<string, unknown>;
}

interface ClientCert {
  cert: string;
  key: string;
}

function get(
  port: number,
  path: string,
  options: { headers?: Record<string, string>; client?: ClientCert; method?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        headers: options.headers,
        rejectUnauthorized: false,
        agent: false,
        ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}),
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body,
            json: () => JSON.parse(body) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function makeCa(name: string): Promise<ClientCert> {
  const pems = await generate([{ name: "commonName", value: name }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

async function makeClient(
  ca: ClientCert,
  commonName: string,
  usage: "clientAuth" | "serverAuth" = "clientAuth",
): Promise<ClientCert> {
  const pems = await generate([{ name: "commonName", value: commonName }], {
    keyType: "ec",
    algorithm: "sha256",
    ca: { cert: ca.cert, key: ca.key },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, critical: true },
      { name: "extKeyUsage", [usage]: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

const METRICS = "/apis/external.metrics.k8s.io/v1beta1";
const SELECTOR = "labelSelector=scaledobject.keda.sh%2Fname%3Dfoo";
const TIME = new Date("2024-01-02T03:04:05.678Z");

let tls: TlsCredentials;
beforeAll(async () => {
  tls = await selfSignedServingCert(["localhost", "127.0.0.1"]);
});

describe("external metrics server without client authentication", () => {
  let server: ExternalMetricsServer;
  let port = 0;
  const queries: MetricQuery[] = [];
  let next: (query: MetricQuery) => LookupResult | Promise<LookupResult> = () => ({
    items: [{ value: 1.5, timestamp: TIME }],
  });

  beforeAll(async () => {
    server = createExternalMetricsServer({
      tls,
      clientAuth: "none",
      lookup: (query) => {
        queries.push(query);
        return next(query);
      },
    });
    ({ port } = await server.listen(0));
  });
  afterAll(async () => server.close());

  it("answers health checks with ok", async () => {
    for (const path of ["/healthz", "/readyz", "/livez", "/readyz/ping"]) {
      const reply = await get(port, path);
      expect(reply.status).toBe(200);
      expect(reply.body).toBe("ok");
    }
  });

  it("serves the APIResourceList KEDA's adapter serves, as JSON even when protobuf is asked for", async () => {
    const reply = await get(port, METRICS, {
      headers: { accept: "application/vnd.kubernetes.protobuf, */*" },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.json()).toEqual({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: "external.metrics.k8s.io/v1beta1",
      resources: [
        {
          name: "externalmetrics",
          singularName: "",
          namespaced: true,
          kind: "ExternalMetricValueList",
          verbs: ["get"],
        },
      ],
    });
    expect((await get(port, `${METRICS}/`)).status).toBe(200);
  });

  it("serves the group documents and declines aggregated discovery with 406", async () => {
    const group = await get(port, "/apis/external.metrics.k8s.io");
    expect(group.json()).toMatchObject({
      kind: "APIGroup",
      name: "external.metrics.k8s.io",
      preferredVersion: { version: "v1beta1" },
    });
    const list = await get(port, "/apis", { headers: { accept: "application/json" } });
    expect(list.json()).toMatchObject({
      kind: "APIGroupList",
      groups: [{ name: "external.metrics.k8s.io" }],
    });
    const aggregated = await get(port, "/apis", {
      headers: {
        accept:
          "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList",
      },
    });
    expect(aggregated.status).toBe(406);
    expect(aggregated.json()).toMatchObject({ kind: "Status", reason: "NotAcceptable", code: 406 });
  });

  it("answers a metric request with an ExternalMetricValueList from the lookup", async () => {
    queries.length = 0;
    next = () => ({
      items: [
        { value: 1.5, timestamp: TIME },
        { value: 45, timestamp: TIME, labels: { queue: "orders" }, windowSeconds: 30 },
      ],
    });
    const reply = await get(port, `${METRICS}/namespaces/team-a/s0-rabbitmq-orders?${SELECTOR}`, {
      headers: { accept: "application/vnd.kubernetes.protobuf,application/json" },
    });
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe("application/json");
    expect(reply.json()).toEqual({
      kind: "ExternalMetricValueList",
      apiVersion: "external.metrics.k8s.io/v1beta1",
      metadata: {},
      items: [
        {
          metricName: "s0-rabbitmq-orders",
          metricLabels: {},
          timestamp: "2024-01-02T03:04:05Z",
          value: "1500m",
        },
        {
          metricName: "s0-rabbitmq-orders",
          metricLabels: { queue: "orders" },
          timestamp: "2024-01-02T03:04:05Z",
          window: 30,
          value: "45",
        },
      ],
    });
    expect(queries).toEqual([
      {
        namespace: "team-a",
        metricName: "s0-rabbitmq-orders",
        labelSelector: { "scaledobject.keda.sh/name": "foo" },
        scaledObjectName: "foo",
      },
    ]);
  });

  it("passes every equality label of the selector and supports asynchronous lookups", async () => {
    queries.length = 0;
    next = async () => ({ items: [] });
    const selector = encodeURIComponent("scaledobject.keda.sh/name in (bar),extra==x");
    const reply = await get(port, `${METRICS}/namespaces/ns/s1-cron?labelSelector=${selector}`);
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ kind: "ExternalMetricValueList", items: [] });
    expect(queries[0]?.labelSelector).toEqual({ "scaledobject.keda.sh/name": "bar", extra: "x" });
  });

  it("turns lookup errors into Kubernetes Status objects", async () => {
    next = () => ({ error: { status: 404, message: 'ScaledObject "foo" not found in namespace "ns"' } });
    const notFound = await get(port, `${METRICS}/namespaces/ns/s0-x?${SELECTOR}`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers["content-type"]).toBe("application/json");
    expect(notFound.json()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'ScaledObject "foo" not found in namespace "ns"',
      reason: "NotFound",
      code: 404,
    });

    next = () => {
      throw new Error("boom");
    };
    const thrown = await get(port, `${METRICS}/namespaces/ns/s0-x?${SELECTOR}`);
    expect(thrown.status).toBe(500);
    expect(thrown.json()).toMatchObject({
      kind: "Status",
      reason: "InternalError",
      message: "Internal error occurred: boom",
    });

    next = () => Promise.reject(new Error("async boom"));
    const rejected = await get(port, `${METRICS}/namespaces/ns/s0-x?${SELECTOR}`);
    expect(rejected.json()).toMatchObject({ code: 500, message: "Internal error occurred: async boom" });

    next = () => ({ error: { status: 503, message: "metric:s0-x encountered error" } });
    const unavailable = await get(port, `${METRICS}/namespaces/ns/s0-x?${SELECTOR}`);
    expect(unavailable.json()).toMatchObject({ code: 503, reason: "ServiceUnavailable" });
  });

  it("rejects a selector without scaledobject.keda.sh/name with 400, without calling the lookup", async () => {
    queries.length = 0;
    for (const query of ["", "?labelSelector=app%3Dweb"]) {
      const reply = await get(port, `${METRICS}/namespaces/ns/s0-x${query}`);
      expect(reply.status).toBe(400);
      expect(reply.json()).toMatchObject({ kind: "Status", reason: "BadRequest", code: 400 });
      expect(reply.json().message).toMatch(/^scaledObject name is not specified/);
    }
    const unsupported = await get(
      port,
      `${METRICS}/namespaces/ns/s0-x?labelSelector=${encodeURIComponent("a!=b")}`,
    );
    expect(unsupported.status).toBe(400);
    expect(unsupported.json().message).toMatch(/unsupported requirement "a!=b"/);
    expect(queries).toEqual([]);
  });

  it("answers unknown paths with 404 and other methods with 405", async () => {
    for (const path of [
      "/",
      "/apis/other.group/v1",
      `${METRICS}/namespaces/ns`,
      `${METRICS}/namespaces/ns/m/extra`,
      `${METRICS}/s0-x`,
      "/openapi/v2",
    ]) {
      const reply = await get(port, path);
      expect(reply.status, path).toBe(404);
      expect(reply.json()).toMatchObject({ kind: "Status", reason: "NotFound" });
    }
    const post = await get(port, `${METRICS}/namespaces/ns/s0-x?${SELECTOR}`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.json()).toMatchObject({ reason: "MethodNotAllowed" });
  });

  it("keeps connections alive and sends replies with a length, not chunked", async () => {
    const reply = await get(port, METRICS, { headers: { connection: "keep-alive" } });
    expect(reply.headers.connection).toBe("keep-alive");
    expect(reply.headers["content-length"]).toBe(String(Buffer.byteLength(reply.body)));
    expect(reply.headers["transfer-encoding"]).toBeUndefined();
  });
});

describe("external metrics server with front-proxy client authentication", () => {
  let server: ExternalMetricsServer;
  let port = 0;
  let ca: ClientCert;
  let proxy: ClientCert;
  let otherName: ClientCert;
  let otherCa: ClientCert;
  let serverOnly: ClientCert;
  const queries: MetricQuery[] = [];
  const authorizations: AuthorizationRequest[] = [];
  let allow = true;
  const user = {
    "x-remote-user": "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
    "x-remote-group": "system:serviceaccounts",
  };

  beforeAll(async () => {
    ca = await makeCa("test-front-proxy-ca");
    const foreign = await makeCa("some-other-ca");
    [proxy, otherName, otherCa, serverOnly] = await Promise.all([
      makeClient(ca, "front-proxy-client"),
      makeClient(ca, "mallory"),
      makeClient(foreign, "front-proxy-client"),
      makeClient(ca, "front-proxy-client", "serverAuth"),
    ]);
    server = createExternalMetricsServer({
      tls,
      clientAuth: { ca: ca.cert, allowedNames: ["front-proxy-client"] },
      authorize: async (request) => {
        authorizations.push(request);
        return allow;
      },
      lookup: (query) => {
        queries.push(query);
        return { items: [{ value: 7, timestamp: TIME }] };
      },
    });
    ({ port } = await server.listen(0));
  });
  afterAll(async () => server.close());

  it("accepts the front proxy's certificate and reads the forwarded user", async () => {
    queries.length = 0;
    authorizations.length = 0;
    const reply = await get(port, `${METRICS}/namespaces/ns/s0-x?${SELECTOR}`, {
      client: proxy,
      headers: { ...user, "x-remote-extra-authentication.kubernetes.io%2fpod-name": "kcm-0" },
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({ items: [{ value: "7" }] });
    const expectedUser = {
      name: "system:serviceaccount:kube-system:horizontal-pod-autoscaler",
      groups: ["system:serviceaccounts"],
      extra: { "authentication.kubernetes.io/pod-name": ["kcm-0"] },
    };
    expect(queries[0]?.user).toEqual(expectedUser);
    expect(authorizations).toEqual([
      {
        user: expectedUser,
        verb: "list",
        resource: { group: "external.metrics.k8s.io", version: "v1beta1", namespace: "ns", resource: "s0-x" },
      },
    ]);
  });

  it("answers 403 when the authorizer says no", async () => {
    allow = false;
    try {
      const reply = await get(port, `${METRICS}/namespaces/ns/s0-x?${SELECTOR}`, {
        client: proxy,
        headers: user,
      });
      expect(reply.status).toBe(403);
      expect(reply.json()).toMatchObject({ kind: "Status", reason: "Forbidden", code: 403 });
      expect(reply.json().message).toContain('cannot list resource "s0-x"');
    } finally {
      allow = true;
    }
  });

  it("rejects requests without a user header", async () => {
    const reply = await get(port, METRICS, { client: proxy });
    expect(reply.status).toBe(401);
    expect(reply.json().message).toMatch(/no user in x-remote-user/);
  });

  it.each([
    ["no certificate", undefined, /no client certificate/],
    ["a CN that is not allowed", "otherName", /CN "mallory" is not an allowed front-proxy name/],
    [
      "a certificate from another CA",
      "otherCa",
      /not verified against the front-proxy CA: UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    ],
    ["a certificate not meant for client authentication", "serverOnly", /INVALID_PURPOSE/],
  ] as const)("rejects %s with 401", async (_, which, message) => {
    const client = which === undefined ? undefined : { otherName, otherCa, serverOnly }[which];
    const reply = await get(port, `${METRICS}/namespaces/ns/s0-x?${SELECTOR}`, {
      headers: user,
      ...(client ? { client } : {}),
    });
    expect(reply.status).toBe(401);
    expect(reply.json()).toMatchObject({ kind: "Status", reason: "Unauthorized", code: 401 });
    expect(reply.json().message).toMatch(message);
  });

  it("answers health checks without a certificate", async () => {
    expect((await get(port, "/readyz")).status).toBe(200);
  });

  it("applies a new trust to later requests", async () => {
    server.updateCredentials({ clientAuth: { ca: ca.cert, allowedNames: [] } });
    expect((await get(port, METRICS, { client: otherName, headers: user })).status).toBe(200);
    server.updateCredentials({ clientAuth: { ca: ca.cert, allowedNames: ["someone-else"] } });
    expect((await get(port, METRICS, { client: proxy, headers: user })).status).toBe(401);
    server.updateCredentials({ clientAuth: { ca: ca.cert, allowedNames: ["front-proxy-client"] } });
    expect((await get(port, METRICS, { client: proxy, headers: user })).status).toBe(200);
  });
});

describe("closing the external metrics server", () => {
  it("does not wait for connections that never sent a request", async () => {
    const server = createExternalMetricsServer({ tls, clientAuth: "none", lookup: () => ({ items: [] }) });
    const { port } = await server.listen(0);
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => socket.once("secureConnect", resolve).once("error", reject));
    const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    socket.resume();
    const started = Date.now();
    await server.close();
    await ended;
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("lets an idle keep-alive connection go at once", async () => {
    const server = createExternalMetricsServer({ tls, clientAuth: "none", lookup: () => ({ items: [] }) });
    const { port } = await server.listen(0);
    const agent = new Agent({ keepAlive: true, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) =>
      request({ host: "127.0.0.1", port, path: "/healthz", agent }, (response) => {
        response.resume();
        response.on("end", resolve);
      })
        .on("error", reject)
        .end(),
    );
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    agent.destroy();
  });

  it("cuts requests still in flight after the grace period", async () => {
    const server = createExternalMetricsServer({
      tls,
      clientAuth: "none",
      lookup: () => new Promise<LookupResult>(() => {}),
    });
    const { port } = await server.listen(0);
    const pending = get(port, `${METRICS}/namespaces/ns/s0-x?${SELECTOR}`).then(
      () => "answered",
      () => "cut",
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await server.close(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await pending).toBe("cut");
  });
});
