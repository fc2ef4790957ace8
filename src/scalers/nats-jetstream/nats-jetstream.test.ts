import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";

function prepare(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  return prepareScalerTrigger("nats-jetstream", metadata, { authParams });
}

function errors(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  return prepare(metadata, authParams)
    .problems.filter((problem) => problem.severity === "error")
    .map((problem) => `${problem.key}: ${problem.message}`);
}

const base = {
  natsServerMonitoringEndpoint: "nats:8222",
  account: "$G",
  stream: "orders",
  consumer: "workers",
};

describe("nats-jetstream parameters", () => {
  it("defaults lagThreshold to 10, activationLagThreshold to 0 and useHttps to false", () => {
    const prepared = prepare(base);
    expect(prepared.problems).toEqual([]);
    expect(prepared.metricSpec).toMatchObject({ target: 10, activationTarget: 0 });
    expect(prepared.params).toMatchObject({ useHttps: false });
  });

  it("names the metric nats-jetstream-<stream>", () => {
    expect(
      prepare({ ...base, stream: "orders.eu", lagThreshold: "20", activationLagThreshold: "2" }).metricSpec,
    ).toMatchObject({
      metricName: "s0-nats-jetstream-orders-eu",
      target: 20,
      activationTarget: 2,
    });
  });

  it("needs endpoint, stream, consumer, and an account or account id", () => {
    expect(errors({})).toEqual([
      expect.stringMatching(/^natsServerMonitoringEndpoint: missing required/),
      expect.stringMatching(/^stream: missing required/),
      expect.stringMatching(/^consumer: missing required/),
    ]);
    const { account: _account, ...withoutAccount } = base;
    expect(errors(withoutAccount)).toEqual([
      "account: set account (or accountID); without accounts it is $G",
    ]);
    expect(errors({ ...withoutAccount, accountID: "ABC" })).toEqual([]);
  });

  it("reads endpoint and account from authentication before metadata", () => {
    const prepared = prepare(base, { natsServerMonitoringEndpoint: "secure-nats:8222", account: "billing" });
    expect(prepared.params).toMatchObject({
      natsServerMonitoringEndpoint: "secure-nats:8222",
      account: "billing",
    });
  });

  it("wants host:port, not a URL", () => {
    expect(errors({ ...base, natsServerMonitoringEndpoint: "http://nats:8222" })).toEqual([
      "natsServerMonitoringEndpoint: natsServerMonitoringEndpoint must be host:port, without a scheme or path (set useHttps for https)",
    ]);
  });

  it("rejects a lagThreshold of 0", () => {
    expect(errors({ ...base, lagThreshold: "0" })).toEqual([
      "lagThreshold: lagThreshold must be greater than 0",
    ]);
  });
});
