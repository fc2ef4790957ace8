import { createHmac, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { listen } from "../../../src/util/listen.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { eventually, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("pulsar"));

/** A topic name no other test uses (not uniqueName: its "tidal-" prefix is the test password, which messages redact). */
const topicName = (prefix: string) => `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`;

async function admin(path: string, init: RequestInit = {}): Promise<string> {
  const response = await fetch(new URL(path, services.pulsarAdminUrl), {
    ...init,
    headers: {
      ...init.headers,
      Authorization: `Bearer ${services.pulsarToken}`,
      "Content-Type": "application/json",
    },
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`Pulsar ${init.method ?? "GET"} ${path}: HTTP ${response.status}: ${text.slice(0, 200)}`);
  return text;
}

/** A topic (partitioned when `partitions` > 0) with subscription `workers`; deleted by the cleanup. */
async function topic(cleanup: Cleanup, partitions = 0): Promise<string> {
  const name = topicName("jobs");
  const path = `/admin/v2/persistent/public/default/${name}`;
  if (partitions > 0) await admin(`${path}/partitions`, { method: "PUT", body: String(partitions) });
  else await admin(path, { method: "PUT" });
  await admin(`${path}/subscription/workers`, { method: "PUT" });
  cleanup.add(() => admin(`${path}${partitions > 0 ? "/partitions" : ""}?force=true`, { method: "DELETE" }));
  return name;
}

/** Publishes `count` messages through Pulsar's REST producer. */
async function publish(name: string, count: number): Promise<void> {
  const messages = Array.from({ length: count }, (_, index) => ({
    payload: Buffer.from(`job ${index}`).toString("base64"),
  }));
  await admin(`/topics/persistent/public/default/${name}`, {
    method: "POST",
    body: JSON.stringify({ messages }),
  });
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "pulsar", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

const bearer = () => ({ authParams: { bearerToken: services.pulsarToken } });

/** An OAuth token endpoint (client credentials) that signs Pulsar tokens with the broker's key. */
async function tokenEndpoint(
  cleanup: Cleanup,
  clientSecret: string,
): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const key = readFileSync(services.pulsarTokenSecretFile);
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      requests.push(body);
      const form = new URLSearchParams(body);
      const basic = Buffer.from(
        (request.headers.authorization ?? "").replace(/^Basic /, ""),
        "base64",
      ).toString();
      const [id, secret] = basic
        ? basic.split(":").map(decodeURIComponent)
        : [form.get("client_id"), form.get("client_secret")];
      if (
        form.get("grant_type") !== "client_credentials" ||
        id !== "worker-client" ||
        secret !== clientSecret
      ) {
        response.writeHead(401, { "Content-Type": "application/json" }).end('{"error":"invalid_client"}');
        return;
      }
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const unsigned = `${part({ alg: "HS256", typ: "JWT" })}.${part({ sub: "worker-client" })}`;
      const token = `${unsigned}.${createHmac("sha256", key).update(unsigned).digest("base64url")}`;
      response
        .writeHead(200, { "Content-Type": "application/json" })
        .end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 }));
    });
  });
  const port = await listen(server, 0);
  cleanup.add(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${port}/oauth/token`, requests };
}

describe("pulsar scaler against Apache Pulsar standalone", () => {
  const cleanup = useCleanup();

  it("reads the subscription's backlog, inactive at the activation threshold and active above it", async () => {
    const name = await topic(cleanup);
    await publish(name, 3);
    const trigger = measurer(cleanup, {
      metadata: {
        adminURL: services.pulsarAdminUrl,
        topic: `persistent://public/default/${name}`,
        subscription: "workers",
        activationMsgBacklogThreshold: "3",
        authModes: "bearer",
      },
      ...bearer(),
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-pulsar-persistent---public-default-${name}-workers`,
      value: 3,
      active: false,
    });
    await publish(name, 2);
    await eventually("the new messages to be counted", async () => (await trigger.measure()).value === 5);
    expect(await trigger.measure()).toMatchObject({ active: true });
  });

  it("sums a partitioned topic's partitions (isPartitionedTopic), with basic authentication", async () => {
    const name = await topic(cleanup, 2);
    await publish(name, 4);
    const trigger = measurer(cleanup, {
      metadata: {
        adminURL: services.pulsarAdminUrl,
        topic: `persistent://public/default/${name}`,
        subscription: "workers",
        isPartitionedTopic: "true",
        authModes: "basic",
      },
      authParams: { username: services.pulsarUsername, password: services.pulsarPassword },
    });
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("gets a token with OAuth client credentials (scopes and endpointParams in the request)", async () => {
    const secret = randomBytes(8).toString("hex");
    const endpoint = await tokenEndpoint(cleanup, secret);
    const name = await topic(cleanup);
    await publish(name, 1);
    const trigger = measurer(cleanup, {
      metadata: {
        adminURL: services.pulsarAdminUrl,
        topic: `persistent://public/default/${name}`,
        subscription: "workers",
        authModes: "oauth",
        oauthTokenURI: endpoint.url,
        clientID: "worker-client",
        scope: "admin, stats",
      },
      authParams: { clientSecret: secret, endpointParams: "audience=pulsar" },
    });
    expect(await trigger.measure()).toMatchObject({ value: 1 });
    expect(await trigger.measure()).toMatchObject({ value: 1 });
    expect(endpoint.requests).toHaveLength(1);
    expect(new URLSearchParams(endpoint.requests[0])).toEqual(
      new URLSearchParams({ grant_type: "client_credentials", scope: "admin stats", audience: "pulsar" }),
    );
  });

  it("authenticates with a client certificate over TLS (authModes tls, and KEDA's older tls: enable)", async () => {
    const name = await topic(cleanup);
    await publish(name, 2);
    const files = {
      ca: readFileSync(services.pulsarCaFile, "utf8"),
      cert: readFileSync(services.pulsarClientCertFile, "utf8"),
      key: readFileSync(services.pulsarClientKeyFile, "utf8"),
    };
    const metadata = {
      adminURL: services.pulsarAdminTlsUrl,
      topic: `persistent://public/default/${name}`,
      subscription: "workers",
    };
    const modern = measurer(cleanup, { metadata: { ...metadata, authModes: "tls" }, authParams: files });
    expect(await modern.measure()).toMatchObject({ value: 2 });
    const legacy = measurer(cleanup, { metadata: { ...metadata, tls: "enable" }, authParams: files });
    expect(await legacy.measure()).toMatchObject({ value: 2 });
    const withoutCertificate = measurer(cleanup, { metadata, authParams: { ca: files.ca } });
    expect((await withoutCertificate.measure()).error).toBe(
      "error requesting stats from url: error requesting stats from admin url, response status is: 401 Unauthorized",
    );
    const untrusted = measurer(cleanup, {
      metadata: { ...metadata, authModes: "tls" },
      authParams: { cert: files.cert, key: files.key },
    });
    expect((await untrusted.measure()).error).toMatch(
      /^error requesting stats from url: cannot reach https:\/\/127\.0\.0\.1:\d+: .*certificate/,
    );
  });

  it("names a subscription the topic does not have, and a topic Pulsar does not have", async () => {
    const name = await topic(cleanup);
    const missingSubscription = measurer(cleanup, {
      metadata: {
        adminURL: services.pulsarAdminUrl,
        topic: `persistent://public/default/${name}`,
        subscription: "nobody",
        authModes: "bearer",
      },
      ...bearer(),
    });
    expect((await missingSubscription.measure()).error).toBe("have not subscription found! nobody");
    const missing = topicName("missing");
    const missingTopic = measurer(cleanup, {
      metadata: {
        adminURL: services.pulsarAdminUrl,
        topic: `persistent://public/default/${missing}`,
        subscription: "workers",
        authModes: "bearer",
      },
      ...bearer(),
    });
    expect((await missingTopic.measure()).error).toMatch(
      /^error requesting stats from url: error requesting stats from admin url, response status is \(404\): 404 Not Found \(Topic .*not found\)$/,
    );
  });

  it("reports wrong credentials without showing them", async () => {
    const name = await topic(cleanup);
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        adminURL: services.pulsarAdminUrl,
        topic: `persistent://public/default/${name}`,
        subscription: "workers",
        authModes: "basic",
      },
      authParams: { username: services.pulsarUsername, password },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      "error requesting stats from url: error requesting stats from admin url, response status is: 401 Unauthorized",
    );
    const secret = randomBytes(8).toString("hex");
    const endpoint = await tokenEndpoint(cleanup, `other-${secret}`);
    const oauth = measurer(cleanup, {
      metadata: {
        adminURL: services.pulsarAdminUrl,
        topic: `persistent://public/default/${name}`,
        subscription: "workers",
        authModes: "oauth",
        oauthTokenURI: endpoint.url,
        clientID: "worker-client",
      },
      authParams: { clientSecret: secret },
    });
    const refused = await oauth.measure();
    expect(refused.error).toMatch(
      /oauth2: cannot fetch token: 401 Unauthorized Response: \{"error":"invalid_client"\}/,
    );
    expect(refused.error).not.toContain(secret);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        adminURL: `http://127.0.0.1:${port}`,
        topic: "persistent://public/default/jobs",
        subscription: "workers",
        msgBacklogThreshold: "5",
      },
    });
    expect((await trigger.measure()).error).toBe(
      `error requesting stats from url: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
