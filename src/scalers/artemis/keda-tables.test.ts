/**
 * KEDA's tests of its artemis-queue scaler (pkg/scalers/artemis_scaler_test.go) as data: the
 * metadata tables (credentials in metadata, empty and complete authentication parameters), the
 * metric names, the Origin header, unsafeSsl and the TLS material.
 */
import { describe, expect, it } from "vitest";
import { kedaParseTable, type KedaRow } from "../../../test/support/keda-rows.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { artemisTarget, artemisUrl, type ArtemisTarget } from "./artemis.ts";

const METADATA: KedaRow[] = [
  {
    line: 46,
    name: "nothing passed",
    metadata: {},
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 48,
    name: "Missing missing managementEndpoint should fail",
    metadata: {
      brokerAddress: "address1",
      brokerName: "broker-activemq",
      managementEndpoint: "",
      password: "myPassword",
      queueName: "queue1",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 50,
    name: "Missing queue name, should fail",
    metadata: {
      brokerAddress: "address1",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      password: "myPassword",
      queueName: "",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 52,
    name: "Missing broker name, should fail",
    metadata: {
      brokerAddress: "address1",
      brokerName: "",
      managementEndpoint: "localhost:8161",
      password: "myPassword",
      queueName: "queue1",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 54,
    name: "Missing broker address, should fail",
    metadata: {
      brokerAddress: "",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      password: "myPassword",
      queueName: "queue1",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 56,
    name: "Missing username, should fail",
    metadata: {
      brokerAddress: "test",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      password: "myPassword",
      queueName: "queue1",
      username: "",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 58,
    name: "Missing password, should fail",
    metadata: {
      brokerAddress: "test",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      password: "",
      queueName: "queue1",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 59,
    metadata: {
      brokerAddress: "test",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      password: "myPassword",
      queueName: "queue1",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: false,
  },
  {
    line: 60,
    metadata: {
      password: "myPassword",
      restApiTemplate:
        'http://localhost:8161/console/jolokia/read/org.apache.activemq.artemis:broker="broker-activemq",component=addresses,address="test",subcomponent=queues,routing-type="anycast",queue="queue1"/MessageCount',
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: false,
  },
  {
    line: 62,
    name: "Missing brokername , should fail",
    metadata: {
      password: "myPassword",
      restApiTemplate:
        'http://localhost:8161/console/jolokia/read/org.apache.activemq.artemis:broker="",component=addresses,address="test",subcomponent=queues,routing-type="anycast",queue="queue1"/MessageCount',
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 64,
    name: "HTTPS endpoint with unsafeSsl true",
    metadata: {
      brokerAddress: "test",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8443",
      password: "myPassword",
      queueName: "queue1",
      unsafeSsl: "true",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: false,
  },
  {
    line: 66,
    name: "HTTPS endpoint with unsafeSsl false",
    metadata: {
      brokerAddress: "test",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8443",
      password: "myPassword",
      queueName: "queue1",
      unsafeSsl: "false",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: false,
  },
  {
    line: 68,
    name: "HTTPS restApiTemplate with unsafeSsl true",
    metadata: {
      password: "myPassword",
      restApiTemplate:
        'https://localhost:8443/console/jolokia/read/org.apache.activemq.artemis:broker="broker-activemq",component=addresses,address="test",subcomponent=queues,routing-type="anycast",queue="queue1"/MessageCount',
      unsafeSsl: "true",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: false,
  },
  {
    line: 70,
    name: "HTTPS restApiTemplate with unsafeSsl false",
    metadata: {
      password: "myPassword",
      restApiTemplate:
        'https://localhost:8443/console/jolokia/read/org.apache.activemq.artemis:broker="broker-activemq",component=addresses,address="test",subcomponent=queues,routing-type="anycast",queue="queue1"/MessageCount',
      unsafeSsl: "false",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: false,
  },
];

const EMPTY_AUTH: KedaRow[] = [
  {
    line: 80,
    name: "nothing passed",
    metadata: {},
    authParams: {
      password: "",
      username: "",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 82,
    name: "Missing managementEndpoint should fail",
    metadata: {
      brokerAddress: "address1",
      brokerName: "broker-activemq",
      managementEndpoint: "",
      queueName: "queue1",
    },
    authParams: {
      password: "",
      username: "",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 84,
    name: "Missing queue name, should fail",
    metadata: {
      brokerAddress: "address1",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      queueName: "",
    },
    authParams: {
      password: "",
      username: "",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 86,
    name: "Missing broker name, should fail",
    metadata: {
      brokerAddress: "address1",
      brokerName: "",
      managementEndpoint: "localhost:8161",
      queueName: "queue1",
    },
    authParams: {
      password: "",
      username: "",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 88,
    name: "Missing broker address, should fail",
    metadata: {
      brokerAddress: "",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      queueName: "queue1",
    },
    authParams: {
      password: "",
      username: "",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
  {
    line: 90,
    name: "Missing username or password, should fail",
    metadata: {
      brokerAddress: "test",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      queueName: "queue1",
    },
    authParams: {
      password: "",
      username: "",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: true,
  },
];

const WITH_AUTH: KedaRow[] = [
  {
    line: 94,
    metadata: {
      brokerAddress: "test",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      queueName: "queue1",
    },
    authParams: {
      password: "admin",
      username: "admin",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: false,
  },
];

const METRIC_NAMES: KedaRow[] = [
  {
    line: 74,
    metadata: {
      brokerAddress: "test",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      password: "myPassword",
      queueName: "queue1",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: false,
    index: 0,
    metricName: "s0-artemis-queue1",
  },
  {
    line: 75,
    metadata: {
      brokerAddress: "test",
      brokerName: "broker-activemq",
      managementEndpoint: "localhost:8161",
      password: "myPassword",
      queueName: "queue1",
      username: "myUserName",
    },
    resolvedEnv: {
      myPassword: "artemis",
      myUserName: "artemis",
    },
    isError: false,
    index: 1,
    metricName: "s1-artemis-queue1",
  },
];

kedaParseTable("artemis-queue", "testArtemisMetadata", METADATA);
kedaParseTable("artemis-queue", "testArtemisMetadataWithEmptyAuthParams", EMPTY_AUTH);
kedaParseTable("artemis-queue", "testArtemisMetadataWithAuthParams", WITH_AUTH);
kedaParseTable("artemis-queue", "artemisMetricIdentifiers", METRIC_NAMES);

const METADATA_WITH_CREDENTIALS = {
  managementEndpoint: "localhost:8161",
  queueName: "queue1",
  brokerName: "broker-activemq",
  brokerAddress: "test",
  username: "myUserName",
  password: "myPassword",
};

function prepare(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  const prepared = prepareScalerTrigger("artemis-queue", metadata, { authParams });
  return { ...prepared, errors: prepared.problems.filter((problem) => problem.severity === "error") };
}

describe("KEDA's artemis tests beside the tables", () => {
  it("defaults the Origin to http://<managementEndpoint>, or sends corsHeader", () => {
    const plain = prepare(METADATA_WITH_CREDENTIALS);
    expect((artemisTarget(plain.params as never) as ArtemisTarget).corsHeader).toBe("http://localhost:8161");
    const explicit = prepare({ ...METADATA_WITH_CREDENTIALS, corsHeader: "test" });
    expect((artemisTarget(explicit.params as never) as ArtemisTarget).corsHeader).toBe("test");
  });

  it("reads unsafeSsl, false by default", () => {
    expect(prepare(METADATA_WITH_CREDENTIALS).params.unsafeSsl).toBe(false);
    expect(prepare({ ...METADATA_WITH_CREDENTIALS, unsafeSsl: "true" }).params.unsafeSsl).toBe(true);
    expect(prepare({ ...METADATA_WITH_CREDENTIALS, unsafeSsl: "false" }).params.unsafeSsl).toBe(false);
  });

  it("takes ca, cert, key and keyPassword from the authentication; cert and key come together", () => {
    const all = prepare(METADATA_WITH_CREDENTIALS, {
      ca: "caaa",
      cert: "ceert",
      key: "keey",
      keyPassword: "secret123",
    });
    expect(all.errors).toEqual([]);
    expect(all.params).toMatchObject({ ca: "caaa", cert: "ceert", key: "keey", keyPassword: "secret123" });
    expect(prepare(METADATA_WITH_CREDENTIALS, { ca: "caaa", key: "keey" }).errors).not.toEqual([]);
    expect(prepare(METADATA_WITH_CREDENTIALS, { ca: "caaa", cert: "ceert" }).errors).not.toEqual([]);
    const caOnly = prepare(METADATA_WITH_CREDENTIALS, { ca: "caaa" });
    expect(caOnly.errors).toEqual([]);
    expect(caOnly.params.ca).toBe("caaa");
    expect(caOnly.params.cert).toBeUndefined();
    expect(caOnly.params.key).toBeUndefined();
  });

  it("reads broker, address and queue from restApiTemplate as KEDA does, quotes included", () => {
    const template = String(METADATA.find((row) => row.line === 60)?.metadata.restApiTemplate);
    const target = artemisTarget(
      prepare({ restApiTemplate: template, username: "u", password: "p" }).params as never,
    );
    expect(target).toMatchObject({
      managementEndpoint: "localhost:8161",
      brokerName: '"broker-activemq"',
      brokerAddress: '"test"',
      queueName: '"queue1"',
    });
    expect(artemisUrl(target as ArtemisTarget)).toBe(template);
  });
});
