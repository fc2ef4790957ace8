import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { groupLag, redisMajorVersion, streamsMode } from "./streams.ts";

function prepare(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  return prepareScalerTrigger("redis-streams", metadata, { index: 1, authParams });
}

function errors(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  return prepare(metadata, authParams)
    .problems.filter((problem) => problem.severity === "error")
    .map((problem) => `${problem.key}: ${problem.message}`);
}

const base = { address: "redis:6379", stream: "orders" };

describe("redis-streams parameters", () => {
  it("needs stream and a server", () => {
    expect(errors({ address: "redis:6379" })).toEqual([
      expect.stringMatching(/^stream: missing required parameter "stream"/),
    ]);
    expect(errors({ stream: "orders" })).toEqual(["address: set address (host:port), or host and port"]);
  });

  it("measures the stream length against streamLength (default 5) without a consumer group", () => {
    expect(prepare(base).metricSpec).toMatchObject({ target: 5, activationTarget: 0 });
    expect(prepare({ ...base, streamLength: "50", activationLagCount: "2" }).metricSpec).toMatchObject({
      target: 50,
      activationTarget: 2,
    });
  });

  it("measures pending entries against pendingEntriesCount (default 5) with a consumer group", () => {
    expect(prepare({ ...base, consumerGroup: "workers" }).metricSpec).toMatchObject({ target: 5 });
    expect(
      prepare({ ...base, consumerGroup: "workers", pendingEntriesCount: "12", streamLength: "99" })
        .metricSpec,
    ).toMatchObject({
      target: 12,
    });
  });

  it("measures the group lag against lagCount when both are set", () => {
    expect(
      prepare({ ...base, consumerGroup: "workers", lagCount: "7", pendingEntriesCount: "12" }).metricSpec,
    ).toMatchObject({
      target: 7,
    });
  });

  it("names the metric redis-streams-<stream>", () => {
    expect(prepare({ ...base, stream: "orders.eu" }).metricSpec?.metricName).toBe(
      "s1-redis-streams-orders-eu",
    );
  });

  it("rejects a target of 0 for the selected mode only", () => {
    expect(errors({ ...base, streamLength: "0" })).toEqual([
      "streamLength: streamLength must be greater than 0",
    ]);
    expect(errors({ ...base, consumerGroup: "workers", streamLength: "0" })).toEqual([]);
    expect(errors({ ...base, consumerGroup: "workers", pendingEntriesCount: "-1" })).toEqual([
      "pendingEntriesCount: pendingEntriesCount must be greater than 0",
    ]);
  });

  it("shares redis's connection rules", () => {
    expect(errors({ ...base, enableTLS: "true" }, { tls: "enable" })).toEqual([
      "enableTLS: set either enableTLS in metadata or tls in authentication, not both",
    ]);
    expect(errors({ stream: "orders", host: "redis" })).toEqual(["port: port is required when host is set"]);
  });
});

describe("streamsMode", () => {
  const targets = { pendingEntriesCount: 5, streamLength: 6 };
  it("follows KEDA's table, where a lagCount of 0 means no lag mode", () => {
    expect(streamsMode({ ...targets, consumerGroup: undefined, lagCount: 3 })).toMatchObject({
      kind: "length",
      target: 6,
    });
    expect(streamsMode({ ...targets, consumerGroup: "g", lagCount: undefined })).toMatchObject({
      kind: "pending",
      target: 5,
    });
    expect(streamsMode({ ...targets, consumerGroup: "g", lagCount: 0 })).toMatchObject({ kind: "pending" });
    expect(streamsMode({ ...targets, consumerGroup: "g", lagCount: 3 })).toMatchObject({
      kind: "lag",
      target: 3,
    });
  });
});

describe("groupLag", () => {
  const reply = [
    [
      "name",
      "other",
      "consumers",
      0,
      "pending",
      0,
      "last-delivered-id",
      "0-0",
      "entries-read",
      null,
      "lag",
      9,
    ],
    [
      "name",
      "workers",
      "consumers",
      1,
      "pending",
      1,
      "last-delivered-id",
      "1-0",
      "entries-read",
      1,
      "lag",
      2,
    ],
    [
      "name",
      "stale",
      "consumers",
      1,
      "pending",
      1,
      "last-delivered-id",
      "1-0",
      "entries-read",
      1,
      "lag",
      null,
    ],
  ];
  it("finds the group's lag", () => {
    expect(groupLag(reply, "workers")).toBe(2);
  });
  it("returns null when Redis cannot determine the lag, undefined for an unknown group", () => {
    expect(groupLag(reply, "stale")).toBeNull();
    expect(groupLag(reply, "missing")).toBeUndefined();
    expect(groupLag("not a reply", "workers")).toBeUndefined();
  });
});

describe("redisMajorVersion", () => {
  it("reads redis_version from INFO", () => {
    expect(redisMajorVersion("# Server\r\nredis_version:7.0.15\r\nredis_git_sha1:0\r\n")).toBe(7);
    expect(redisMajorVersion("# Server\r\nredis_version:6.2.1\r\n")).toBe(6);
    expect(redisMajorVersion("# Server\r\n")).toBeUndefined();
  });
});
