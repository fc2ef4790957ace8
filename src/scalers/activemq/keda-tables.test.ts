/**
 * KEDA's tests of its activemq scaler (pkg/scalers/activemq_scaler_test.go) as data: metadata,
 * default target and metric-name tables, the default and explicit Origin (corsHeader), and the
 * Jolokia URLs KEDA builds.
 */
import { describe, expect, it } from "vitest";
import { kedaParseTable, type KedaRow } from "../../../test/support/keda-rows.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { activeMqTarget, activeMqUrl, type ActiveMqTarget } from "./activemq.ts";

const METADATA: KedaRow[] = [
  {
    line: 37,
    name: "nothing passed",
    metadata: {},
    isError: true,
  },
  {
    line: 43,
    name: "properly formed metadata",
    metadata: {
      activationTargetQueueSize: "0",
      brokerName: "localhost",
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: false,
  },
  {
    line: 58,
    name: "no metricName passed, metricName is generated from destinationName",
    metadata: {
      brokerName: "localhost",
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: false,
  },
  {
    line: 72,
    name: "Invalid targetQueueSize using a string",
    metadata: {
      brokerName: "localhost",
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
      metricName: "testMetricName",
      targetQueueSize: "AA",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: true,
  },
  {
    line: 87,
    name: "Invalid activatingTargetQueueSize using a string",
    metadata: {
      activationTargetQueueSize: "AA",
      brokerName: "localhost",
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
      metricName: "testMetricName",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: true,
  },
  {
    line: 103,
    name: "missing management endpoint should fail",
    metadata: {
      brokerName: "localhost",
      destinationName: "testQueue",
      metricName: "testMetricName",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: true,
  },
  {
    line: 117,
    name: "missing destination name, should fail",
    metadata: {
      brokerName: "localhost",
      managementEndpoint: "localhost:8161",
      metricName: "testMetricName",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: true,
  },
  {
    line: 131,
    name: "missing broker name, should fail",
    metadata: {
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
      metricName: "testMetricName",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: true,
  },
  {
    line: 145,
    name: "missing username, should fail",
    metadata: {
      brokerName: "localhost",
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
      metricName: "testMetricName",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
    },
    isError: true,
  },
  {
    line: 159,
    name: "missing password, should fail",
    metadata: {
      brokerName: "localhost",
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
      metricName: "testMetricName",
      targetQueueSize: "10",
    },
    authParams: {
      username: "testUsername",
    },
    isError: true,
  },
  {
    line: 173,
    name: "properly formed metadata with restAPITemplate",
    metadata: {
      metricName: "testMetricName",
      restAPITemplate:
        "http://localhost:8161/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=localhost,destinationType=Queue,destinationName=testQueue/QueueSize",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: false,
  },
  {
    line: 186,
    name: "invalid restAPITemplate, should fail",
    metadata: {
      metricName: "testMetricName",
      restAPITemplate: "testInvalidRestAPITemplate",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: true,
  },
  {
    line: 199,
    name: "missing username, should fail",
    metadata: {
      metricName: "testMetricName",
      restAPITemplate:
        "http://localhost:8161/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=localhost,destinationType=Queue,destinationName=testQueue/QueueSize",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
    },
    isError: true,
  },
  {
    line: 211,
    name: "missing password, should fail",
    metadata: {
      metricName: "testMetricName",
      restAPITemplate:
        "http://localhost:8161/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=localhost,destinationType=Queue,destinationName=testQueue/QueueSize",
      targetQueueSize: "10",
    },
    authParams: {
      username: "testUsername",
    },
    isError: true,
  },
];

const DEFAULT_TARGET: KedaRow[] = [
  {
    line: 268,
    name: "properly formed metadata",
    metadata: {
      brokerName: "localhost",
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: false,
    params: {
      targetQueueSize: 10,
    },
  },
];

const METRIC_NAMES: KedaRow[] = [
  {
    line: 32,
    metadata: {
      activationTargetQueueSize: "0",
      brokerName: "localhost",
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: false,
    index: 0,
    metricName: "s0-activemq-testQueue",
  },
  {
    line: 33,
    metadata: {
      metricName: "testMetricName",
      restAPITemplate:
        "http://localhost:8161/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=localhost,destinationType=Queue,destinationName=testQueue/QueueSize",
      targetQueueSize: "10",
    },
    authParams: {
      password: "pass123",
      username: "testUsername",
    },
    isError: false,
    index: 1,
    metricName: "s1-activemq-testQueue",
  },
];

const ENDPOINTS: { line: number; metadata: Record<string, string>; expected: string }[] = [
  {
    line: 325,
    metadata: {
      brokerName: "localhost",
      destinationName: "testQueue",
      managementEndpoint: "localhost:8161",
      targetQueueSize: "10",
    },
    expected:
      "http://localhost:8161/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=localhost,destinationType=Queue,destinationName=testQueue/QueueSize",
  },
  {
    line: 334,
    metadata: {
      restAPITemplate:
        "https://myBrokerHost:8162/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=myBrokerName,destinationType=Queue,destinationName=keda-test/QueueSize",
      targetQueueSize: "10",
    },
    expected:
      "https://myBrokerHost:8162/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=myBrokerName,destinationType=Queue,destinationName=keda-test/QueueSize",
  },
];

kedaParseTable("activemq", "testActiveMQMetadata", METADATA);
kedaParseTable("activemq", "testDefaultTargetQueueSize", DEFAULT_TARGET);
kedaParseTable("activemq", "activeMQMetricIdentifiers", METRIC_NAMES);

const CREDENTIALS = { username: "testUsername", password: "pass123" };

function target(metadata: Record<string, string>, authParams: Record<string, string> = CREDENTIALS) {
  const prepared = prepareScalerTrigger("activemq", metadata, { authParams });
  expect(prepared.problems.filter((problem) => problem.severity === "error")).toEqual([]);
  return activeMqTarget(prepared.params as never) as ActiveMqTarget;
}

// KEDA's TestActiveMQGetMonitoringEndpoint.
describe("KEDA's getMonitoringEndpointData", () => {
  it.each(ENDPOINTS.map((row) => [row.line, row] as const))("line %s", (_line, row) => {
    expect(activeMqUrl(target(row.metadata))).toBe(row.expected);
  });
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
