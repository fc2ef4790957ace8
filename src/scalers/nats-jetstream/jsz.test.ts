import { describe, expect, it } from "vitest";
import {
  consumerBacklog,
  leaderProblem,
  monitoringUrls,
  needsLeaderCheck,
  type ConsumerLookup,
} from "./jsz.ts";

const report = {
  server_id: "SERVER1",
  account_details: [
    { name: "other", id: "OTHER", stream_detail: [] },
    {
      name: "$G",
      id: "$G",
      stream_detail: [
        {
          name: "orders",
          consumer_detail: [
            { name: "audit", num_pending: 100, num_ack_pending: 0 },
            { name: "workers", num_pending: 7, num_ack_pending: 3 },
          ],
        },
      ],
    },
  ],
};

const lookup: ConsumerLookup = { account: "$G", accountId: "$G", stream: "orders", consumer: "workers" };

describe("consumerBacklog", () => {
  it("adds pending and unacknowledged messages of the consumer", () => {
    expect(consumerBacklog(report, lookup)).toEqual({
      lag: 10,
      leader: undefined,
      clusterSize: 0,
      serverId: "SERVER1",
    });
  });

  it("finds the account by id or by name", () => {
    expect(consumerBacklog(report, { ...lookup, account: undefined, accountId: "$G" }).lag).toBe(10);
    expect(consumerBacklog(report, { ...lookup, account: "$G", accountId: "ID-NOT-IN-REPORT" }).lag).toBe(10);
  });

  it("names what is missing", () => {
    expect(() => consumerBacklog(report, { ...lookup, account: "billing", accountId: "billing" })).toThrow(
      'account "billing" has no JetStream data on this server (is JetStream enabled for it?)',
    );
    expect(() => consumerBacklog(report, { ...lookup, stream: "payments" })).toThrow(
      'stream "payments" not found in account "$G"',
    );
    expect(() => consumerBacklog(report, { ...lookup, consumer: "ghost" })).toThrow(
      'consumer "ghost" not found on stream "orders"',
    );
    expect(() => consumerBacklog("not json", lookup)).toThrow('account "$G" has no JetStream data');
  });
});

describe("leader check in a cluster", () => {
  const clustered = { lag: 5, leader: "nats-1", clusterSize: 3, serverId: "ID1" };
  it("is needed only in a cluster that names the consumer's leader", () => {
    expect(needsLeaderCheck(clustered)).toBe(true);
    expect(needsLeaderCheck({ ...clustered, clusterSize: 0 })).toBe(false);
    expect(needsLeaderCheck({ ...clustered, leader: undefined })).toBe(false);
  });

  it("accepts the leader's report and explains any other", () => {
    expect(leaderProblem(clustered, { server_id: "ID1", server_name: "nats-1" }, "workers")).toBeUndefined();
    expect(leaderProblem(clustered, { server_id: "ID1", server_name: "nats-0" }, "workers")).toBe(
      `server "nats-0" does not lead consumer "workers" (server "nats-1" does) and reports stale counts; point natsServerMonitoringEndpoint at the leader's monitoring port`,
    );
    expect(leaderProblem(clustered, { server_id: "ID2", server_name: "nats-1" }, "workers")).toMatch(
      /^the monitoring endpoint answered from different cluster servers/,
    );
  });
});

describe("monitoringUrls", () => {
  it("asks for the account's consumers, escaping the account", () => {
    const urls = monitoringUrls("nats:8222", false, "$G");
    expect(urls.jsz.href).toBe("http://nats:8222/jsz?acc=%24G&config=true&consumers=true");
    expect(urls.varz.href).toBe("http://nats:8222/varz");
    expect(monitoringUrls("nats:8222", true, "A").jsz.href).toBe(
      "https://nats:8222/jsz?acc=A&config=true&consumers=true",
    );
  });
});
