import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeSplunk } from "../../support/fakes/fake-splunk.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Splunk Enterprise does not run here: the scaler is driven against fake-splunk, a loopback fake of
// the search export endpoint of Splunk's REST API, over HTTPS.
const PASSWORD = `canary-${randomBytes(6).toString("hex")}`;
const TOKEN = `canary-token-${randomBytes(6).toString("hex")}`;
let splunk: FakeSplunk;

beforeAll(async () => {
  await trustFakeCertificate();
  splunk = await FakeSplunk.start({ tls: true });
  splunk.users.set("admin", PASSWORD);
  splunk.tokens.set(TOKEN, "admin");
});
afterAll(() => splunk.close());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "splunk", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

function savedSearch(rows: Record<string, string>[]): string {
  const name = uniqueName("queued");
  splunk.savedSearches.set(name, { owner: "admin", app: "search", rows });
  return name;
}

function expectNoCanary(output: unknown): void {
  expect(JSON.stringify(output)).not.toContain(PASSWORD);
  expect(JSON.stringify(output)).not.toContain(TOKEN);
}

describe("splunk scaler (fake-splunk)", () => {
  const cleanup = useCleanup();

  it("reads valueField of the first result row with a token, activation on the truncated value", async () => {
    const name = savedSearch([{ count: "5.7" }, { count: "100" }]);
    const trigger = measurer(cleanup, {
      metadata: {
        host: splunk.url,
        savedSearchName: name,
        valueField: "count",
        targetValue: "2",
        activationValue: "5",
      },
      authParams: { username: "admin", apiToken: TOKEN },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: `s0-splunk-${name}`, value: 5.7, active: false });
    expectNoCanary(sample);
    splunk.savedSearches.set(name, { owner: "admin", app: "search", rows: [{ count: "6" }] });
    expect(await trigger.measure()).toMatchObject({ value: 6, active: true });
    const request = splunk.requests.findLast((entry) => entry.body.includes(name));
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/servicesNS/admin/search/search/jobs/export");
    expect(request?.query.get("output_mode")).toBe("json");
    expect(request?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(request?.body).toBe(`search=savedsearch ${name}`);
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("authenticates with username and password", async () => {
    const name = savedSearch([{ backlog: "12" }]);
    const trigger = measurer(cleanup, {
      metadata: {
        host: splunk.url,
        savedSearchName: name,
        valueField: "backlog",
        targetValue: "5",
        activationValue: "0",
      },
      authParams: { username: "admin", password: PASSWORD },
    });
    expect(await trigger.measure()).toMatchObject({ value: 12, active: true });
  });

  it("reports a missing saved search and a missing field", async () => {
    const missing = uniqueName("absent");
    const search = measurer(cleanup, {
      metadata: {
        host: splunk.url,
        savedSearchName: missing,
        valueField: "count",
        targetValue: "1",
        activationValue: "0",
      },
      authParams: { username: "admin", apiToken: TOKEN },
    });
    expect((await search.measure()).error).toBe(
      `error fetching saved search data from splunk: HTTP 400: {"messages":[{"type":"FATAL","text":"Error in 'savedsearch' command: Unable to find saved search named '${missing}'."}]}`,
    );
    const field = measurer(cleanup, {
      metadata: {
        host: splunk.url,
        savedSearchName: savedSearch([{ count: "1" }]),
        valueField: "total",
        targetValue: "1",
        activationValue: "0",
      },
      authParams: { username: "admin", apiToken: TOKEN },
    });
    expect((await field.measure()).error).toBe(
      "error finding metric value field: field: total not found in search results",
    );
  });

  it("reports wrong credentials without them", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        host: splunk.url,
        savedSearchName: savedSearch([{ count: "1" }]),
        valueField: "count",
        targetValue: "1",
        activationValue: "0",
      },
      authParams: { username: "admin", password: wrong },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      'error fetching saved search data from splunk: HTTP 401 (check username, password or apiToken): {"messages":[{"type":"WARN","text":"call not properly authenticated"}]}',
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        host: `https://127.0.0.1:${port}`,
        savedSearchName: "queued",
        valueField: "count",
        targetValue: "5",
        activationValue: "0",
      },
      authParams: { username: "admin", apiToken: TOKEN },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expectNoCanary(sample);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
