import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { jolokiaValue } from "../shared/jolokia.ts";
import { activeMqTarget, activeMqUrl, type ActiveMqTarget } from "./activemq.ts";

const CREDENTIALS = { username: "admin", password: "admin-password" };

function prepare(metadata: Record<string, string>) {
  return prepareScalerTrigger("activemq", metadata, { authParams: CREDENTIALS });
}

describe("activemq Jolokia URL", () => {
  it("prints the values as Go's html/template does", () => {
    const prepared = prepare({ managementEndpoint: "amq:8161", brokerName: "b", destinationName: "a&b+c" });
    expect(activeMqUrl(activeMqTarget(prepared.params as never) as ActiveMqTarget)).toBe(
      "http://amq:8161/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=b,destinationType=Queue,destinationName=a&amp;b&#43;c/QueueSize",
    );
  });

  it("refuses template actions other than the three fields", () => {
    const prepared = prepare({
      restAPITemplate:
        "http://amq:8161/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=b,destinationType=Queue,destinationName=q/{{.Password}}",
    });
    expect(prepared.problems.map((problem) => problem.message)).toEqual([
      "restAPITemplate action {{.Password}} is not supported; use {{.ManagementEndpoint}}, {{.BrokerName}} or {{.DestinationName}}",
    ]);
  });

  it("names a template without an MBean name", () => {
    const prepared = prepare({ restAPITemplate: "http://amq:8161/api/jolokia/read/QueueSize" });
    expect(prepared.problems.map((problem) => problem.message)).toEqual([
      'restAPITemplate "http://amq:8161/api/jolokia/read/QueueSize" cannot be read: its path has no MBean name (org.apache.activemq:type=Broker,…)',
    ]);
  });
});

describe("jolokiaValue", () => {
  const subject = { server: "ActiveMQ", queue: "jobs", broker: "localhost" };

  it("reads the value when both statuses are 200", () => {
    expect(jolokiaValue({ status: 200, body: '{"value":7,"status":200}' }, subject)).toBe(7);
  });

  it("names Jolokia's own error statuses", () => {
    expect(() =>
      jolokiaValue({ status: 200, body: '{"status":403,"error":"Origin http://x is not allowed"}' }, subject),
    ).toThrow("ActiveMQ management endpoint response error code: 200 403: Origin http://x is not allowed");
  });

  it("names an HTML error page by its status and title", () => {
    const body = "<html><head><title>Error 401 Unauthorized</title></head><body>…</body></html>";
    expect(() => jolokiaValue({ status: 401, body }, subject)).toThrow(
      "ActiveMQ management endpoint answered HTTP 401 (check the username and password): Error 401 Unauthorized",
    );
  });

  it("refuses a value that is not an integer", () => {
    expect(() => jolokiaValue({ status: 200, body: '{"value":"7","status":200}' }, subject)).toThrow(
      'returned "7" for the queue size, not an integer',
    );
  });
});
