import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import {
  startFakeHuaweiCloudEye,
  type FakeHuaweiCloudEye,
} from "../../support/fakes/fake-huawei-cloudeye.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Huawei Cloud has no local server: the scaler is driven against fake-huawei-cloudeye, a loopback
// fake of IAM's catalog and Cloud Eye's batch query that checks every AK/SK signature.
const ACCESS_KEY = "HPUAFAKEACCESSKEY01";
const SECRET_KEY = `canary-${randomBytes(12).toString("hex")}`;
const INSTANCE = "5e052238-0346-47b0-86ea-92d9f33e29d2";
let huawei: FakeHuaweiCloudEye;

beforeAll(async () => {
  huawei = await startFakeHuaweiCloudEye();
  huawei.credentials.set(ACCESS_KEY, SECRET_KEY);
  huawei.series.push({
    project: "proj-1",
    namespace: "SYS.ELB",
    metricName: "mb_l7_qps",
    dimension: { name: "lbaas_instance_id", value: INSTANCE },
    datapoints: [
      { average: 40, max: 55, at: Date.now() - 3_600_000 },
      { average: 120, max: 180 },
    ],
  });
});
afterAll(() => huawei.close());

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "huawei-cloudeye",
    ...trigger,
    metadata: {
      namespace: "SYS.ELB",
      metricName: "mb_l7_qps",
      dimensionName: "lbaas_instance_id",
      dimensionValue: INSTANCE,
      targetMetricValue: "100",
      ...trigger.metadata,
    },
    authParams: {
      IdentityEndpoint: `${huawei.origin}/v3`,
      ProjectID: "proj-1",
      DomainID: "domain-1",
      Region: "cn-north-1",
      Domain: "my-account",
      AccessKey: ACCESS_KEY,
      SecretKey: SECRET_KEY,
      ...trigger.authParams,
    },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("huawei-cloudeye scaler against fake-huawei-cloudeye", () => {
  const cleanup = useCleanup();

  it("finds Cloud Eye in IAM's catalog and reads the window's first datapoint, with signed requests", async () => {
    const trigger = measurer(cleanup, { metadata: { activationTargetMetricValue: "120" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-huawei-cloudeye-mb_l7_qps",
      value: 120,
      active: false,
    });
    expect(huawei.requests.map((request) => `${request.method} ${request.path} ${request.status}`)).toEqual([
      "GET /v3/services 200",
      "GET /v3/endpoints 200",
      "POST /V1.0/proj-1/batch-query-metric-data 200",
    ]);
    const query = JSON.parse(huawei.requests.at(-1)?.body ?? "{}") as {
      from: number;
      to: number;
      filter: string;
    };
    expect(query.to - query.from).toBe(300_000);
    expect(query.filter).toBe("average");
    const max = measurer(cleanup, { metadata: { metricFilter: "max", metricCollectionTime: "600" } });
    expect(await max.measure()).toMatchObject({ value: 180, active: true });
  });

  it("fails as KEDA does when the resource has no datapoint", async () => {
    const sample = await measurer(cleanup, { metadata: { dimensionValue: "no-such-instance" } }).measure();
    expect(sample.error).toBe("metric Data not received");
  });

  it("says the signature was refused, without the secret key", async () => {
    const wrong = `canary-wrong-${randomBytes(8).toString("hex")}`;
    const sample = await measurer(cleanup, { authParams: { SecretKey: wrong } }).measure();
    expect(sample.error).toBe(
      "IAM answered HTTP 401 (check AccessKey, SecretKey and ProjectID): APIGW.0301: Incorrect IAM authentication information: verify aksk signature fail",
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
    expect(JSON.stringify(sample)).not.toContain(SECRET_KEY);
  });

  it("reports an unreachable IAM, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { authParams: { IdentityEndpoint: `http://127.0.0.1:${port}/v3` } });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(SECRET_KEY);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 400]);
  });
});
