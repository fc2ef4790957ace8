import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { eventually, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("solr"));

const credentials = () => ({ username: services.solrUsername, password: services.solrPassword });

/**
 * A core name no other test uses. Not uniqueName: its "tidal-" prefix is the test password, which
 * error messages redact.
 */
const coreName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;

async function solr(path: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(new URL(path, services.solrUrl), {
    ...init,
    headers: {
      ...init.headers,
      Authorization: `Basic ${Buffer.from(`${services.solrUsername}:${services.solrPassword}`).toString("base64")}`,
    },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Solr ${path}: HTTP ${response.status}: ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/** A core from the configset `tidal` with `pending` pending and `done` done jobs; unloaded by the cleanup. */
async function core(cleanup: Cleanup, pending: number, done = 0): Promise<string> {
  const name = coreName("jobs");
  await solr(`/solr/admin/cores?action=CREATE&name=${name}&instanceDir=${name}&configSet=tidal`);
  cleanup.add(() => solr(`/solr/admin/cores?action=UNLOAD&core=${name}&deleteInstanceDir=true`));
  await add(name, pending, "pending", 0);
  await add(name, done, "done", 1000);
  return name;
}

async function add(name: string, count: number, status: string, firstId: number): Promise<void> {
  if (count === 0) return;
  const docs = Array.from({ length: count }, (_, index) => ({
    id: String(firstId + index),
    status_s: status,
  }));
  await solr(`/solr/${name}/update?commit=true`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(docs),
  });
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "solr", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("solr scaler against Apache Solr", () => {
  const cleanup = useCleanup();

  it("reads numFound of the query, inactive at activationTargetQueryValue and active above it", async () => {
    const name = await core(cleanup, 3, 2);
    const trigger = measurer(cleanup, {
      metadata: {
        host: services.solrUrl,
        collection: name,
        query: "status_s:pending",
        targetQueryValue: "2",
        activationTargetQueryValue: "3",
      },
      authParams: credentials(),
    });
    expect(await trigger.measure()).toMatchObject({ metricName: "s0-solr", value: 3, active: false });
    await add(name, 1, "pending", 500);
    await eventually("the new document to be found", async () => (await trigger.measure()).value === 4);
    expect(await trigger.measure()).toMatchObject({ active: true });
  });

  it("counts every document with KEDA's default query *:*, the credentials in metadata", async () => {
    const name = await core(cleanup, 2, 3);
    const trigger = measurer(cleanup, {
      metadata: { host: services.solrUrl, collection: name, targetQueryValue: "1", ...credentials() },
    });
    expect(await trigger.measure()).toMatchObject({ value: 5 });
  });

  it("names a collection Solr does not have", async () => {
    const name = coreName("missing");
    const trigger = measurer(cleanup, {
      metadata: { host: services.solrUrl, collection: name, targetQueryValue: "1" },
      authParams: credentials(),
    });
    expect((await trigger.measure()).error).toMatch(
      new RegExp(
        `^the solr API returned error\\. url: ${services.solrUrl}/solr/${name}/select\\?q=%2A%3A%2A&wt=json status: 404 response: Error 404 Can not find`,
      ),
    );
  });

  it("reports wrong credentials without showing the password", async () => {
    const name = await core(cleanup, 1);
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { host: services.solrUrl, collection: name, targetQueryValue: "1" },
      authParams: { username: services.solrUsername, password },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(/status: 401 \(check username and password\) response: .*Bad credentials/);
    expect(sample.error).not.toContain(password);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { host: `http://127.0.0.1:${port}`, collection: "jobs", targetQueryValue: "2.5" },
      authParams: credentials(),
    });
    expect((await trigger.measure()).error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 10]);
  });
});
