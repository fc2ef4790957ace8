import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
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

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "opensearch", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("opensearch scaler against OpenSearch", () => {
  const cleanup = useCleanup();

  it("reads a search template's hit count, inactive at activationTargetValue and active above it", async () => {
    const index = await jobsIndex(cleanup, 3, 2);
    const template = await statusTemplate(cleanup);
    const trigger = measurer(cleanup, {
      metadata: {
        addresses: services.opensearchUrl,
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
      metricName: `s0-opensearch-${template}`,
      value: 3,
      active: false,
    });
    await addJobs(index, 1, "pending");
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("reads an aggregation of a query over several indexes", async () => {
    const first = await jobsIndex(cleanup, 2);
    const second = await jobsIndex(cleanup, 1, 4);
    const trigger = measurer(cleanup, {
      metadata: {
        addresses: services.opensearchUrl,
        index: `${first};${second}`,
        query: JSON.stringify({ size: 0, aggs: { done: { filter: { term: { status: "done" } } } } }),
        valueLocation: "aggregations.done.doc_count",
        targetValue: "1",
      },
      authParams: opensearchCredentials(),
    });
    expect(await trigger.measure()).toMatchObject({ metricName: "s0-opensearch-query", value: 4 });
  });

  it("names an index OpenSearch does not have, and a value that is not there", async () => {
    const missing = `missing-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: matchAll(services.opensearchUrl, { index: missing }),
      authParams: opensearchCredentials(),
    });
    expect((await trigger.measure()).error).toBe(
      `status: 404, type: index_not_found_exception, reason: no such index [${missing}]`,
    );
    const index = await jobsIndex(cleanup, 1);
    const noValue = measurer(cleanup, {
      metadata: {
        addresses: services.opensearchUrl,
        index,
        query: '{"query":{"match_all":{}}}',
        valueLocation: "aggregations.none.value",
        targetValue: "1",
      },
      authParams: opensearchCredentials(),
    });
    expect((await noValue.measure()).error).toBe(
      "valueLocation must point to value of type number but got: 'Null'",
    );
  });

  it("reports wrong credentials without showing them", async () => {
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: matchAll(services.opensearchUrl),
      authParams: { username: services.opensearchUsername, password },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe("opensearch authentication failed (HTTP 401): check username and password");
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
