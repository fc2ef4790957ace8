/**
 * KEDA's tests of its activemq scaler (pkg/scalers/activemq_scaler_test.go) as data: metadata,
 * default target and metric-name tables, the default and explicit Origin (corsHeader), and the
 * Jolokia URLs KEDA builds.
 */
import { describe, expect, it } from "vitest";
import {
  kedaVar,
  rowInputs,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { activeMqTarget, activeMqUrl, type ActiveMqTarget } from "./activemq.ts";

const FILE = "activemq_scaler_test.json";

runParseVectors({ file: FILE, table: "testActiveMQMetadata", type: "activemq" });

runParseVectors({
  file: FILE,
  table: "testDefaultTargetQueueSize",
  type: "activemq",
  expect: () => ({ params: { targetQueueSize: kedaVar(FILE, "defaultTargetQueueSize") } }),
});

runParseVectors({
  file: FILE,
  table: "activeMQMetricIdentifiers",
  type: "activemq",
  inputs: (row) => ({ ...rowInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

const CREDENTIALS = { username: "testUsername", password: "pass123" };

function target(metadata: Record<string, string>, authParams: Record<string, string> = CREDENTIALS) {
  const prepared = prepareScalerTrigger("activemq", metadata, { authParams });
  expect(prepared.problems.filter((problem) => problem.severity === "error")).toEqual([]);
  return activeMqTarget(prepared.params as never) as ActiveMqTarget;
}

// KEDA's TestActiveMQGetMonitoringEndpoint.
runValueVectors(FILE, "getMonitoringEndpointData", {}, (row) => {
  expect(activeMqUrl(target(stringMap(row.metadata)))).toBe(row.expected);
});

// KEDA's TestActiveMQDefaultCorsHeader and TestActiveMQCorsHeader (credentials in metadata).
describe("KEDA's corsHeader tests", () => {
  const metadata = {
    managementEndpoint: "localhost:8161",
    destinationName: "queue1",
    brokerName: "broker-activemq",
    username: "myUserName",
    password: "myPassword",
  };
  it("defaults the Origin to http://<managementEndpoint>", () => {
    expect(target(metadata, {}).corsHeader).toBe("http://localhost:8161");
  });
  it("sends corsHeader when given", () => {
    expect(target({ ...metadata, corsHeader: "test" }, {}).corsHeader).toBe("test");
  });
});
