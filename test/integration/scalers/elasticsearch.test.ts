/**
 * The elasticsearch scaler against OpenSearch behind fake-elasticsearch
 * (test/support/fakes/fake-elasticsearch.ts): OpenSearch runs the searches and search templates
 * and checks the credentials; the fake answers as Elasticsearch where KEDA's client checks.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeElasticsearch } from "../../support/fakes/fake-elasticsearch.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import {
  addJobs,
  jobsIndex,
  matchAll,
  opensearchCredentials,
  statusTemplate,
} from "../../support/opensearch.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("opensearch"));

async function elasticsearch(cleanup: Cleanup): Promise<FakeElasticsearch> {
  const fake = await FakeElasticsearch.start(services.opensearchUrl);
  cleanup.add(() => fake.close());
  return fake;
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "elasticsearch", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("elasticsearch scaler against OpenSearch behind fake-elasticsearch", () => {
  const cleanup = useCleanup();

  it("reads a search template's hit count, inactive at activationTargetValue and active above it", async () => {
    const fake = await elasticsearch(cleanup);
    const index = await jobsIndex(cleanup, 3, 2);
    const template = await statusTemplate(cleanup);
    const trigger = measurer(cleanup, {
      metadata: {
        addresses: fake.url,
        index,
        searchTemplateName: template,
        parameters: "status:pending",
        valueLocation: "hits.total.value",
        targetValue: "2",
        activationTargetValue: "3",
      },
      authParams: opensearchCredentials(),
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-elasticsearch-${template}`,
      value: 3,
      active: false,
    });
    await addJobs(index, 1, "pending");
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("reads a query's value; a missing index is 0 with ignoreNullValues and an error without", async () => {
    const fake = await elasticsearch(cleanup);
    const index = await jobsIndex(cleanup, 1, 2);
    const query = JSON.stringify({ query: { term: { status: "done" } } });
    const trigger = measurer(cleanup, {
      metadata: { addresses: fake.url, index, query, valueLocation: "hits.total.value", targetValue: "1" },
      authParams: opensearchCredentials(),
    });
    expect(await trigger.measure()).toMatchObject({ metricName: "s0-elasticsearch-query", value: 2 });
    const missing = `missing-${randomBytes(4).toString("hex")}`;
    const strict = measurer(cleanup, {
      metadata: {
        addresses: fake.url,
        index: missing,
        query,
        valueLocation: "hits.total.value",
        targetValue: "1",
      },
      authParams: opensearchCredentials(),
    });
    expect((await strict.measure()).error).toBe(
      `valueLocation must point to value of type number but got: 'Null' (elasticsearch answered HTTP 404: index_not_found_exception: no such index [${missing}])`,
    );
    const lenient = measurer(cleanup, {
      metadata: {
        addresses: fake.url,
        index: missing,
        query,
        valueLocation: "hits.total.value",
        targetValue: "1",
        ignoreNullValues: "true",
      },
      authParams: opensearchCredentials(),
    });
    expect(await lenient.measure()).toMatchObject({ value: 0, active: false });
  });

  it("refuses a server that is not Elasticsearch, as KEDA's client does", async () => {
    const trigger = measurer(cleanup, {
      metadata: matchAll(services.opensearchUrl),
      authParams: opensearchCredentials(),
    });
    expect((await trigger.measure()).error).toBe(
      "the client noticed that the server is not Elasticsearch and we do not support this unknown product",
    );
  });

  it("reports wrong credentials without showing them", async () => {
    const fake = await elasticsearch(cleanup);
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: matchAll(fake.url),
      authParams: { username: services.opensearchUsername, password },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe("elasticsearch authentication failed (HTTP 401): check username and password");
    expect(sample.error).not.toContain(password);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: matchAll(`http://127.0.0.1:${port}`, { targetValue: "2.5" }),
      authParams: opensearchCredentials(),
    });
    expect((await trigger.measure()).error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 10]);
  });
});
