import { describe, expect, it } from "vitest";
import { runKedaTable, type KedaRow } from "../../../test/support/keda-table.ts";
import { keyValue } from "./etcd.ts";

// KEDA's tables for etcd (pkg/scalers/etcd_scaler_test.go), row for row.

const endpoints3 = "172.0.0.1:2379,172.0.0.2:2379,172.0.0.3:2379";
const base = { watchKey: "length", value: "5", activationValue: "0", watchProgressNotifyInterval: "600" };

// parseEtcdMetadataTestDataset: KEDA checks the endpoints it parsed.
const metadataRows: KedaRow[] = [
  {
    name: "success, three endpoints",
    metadata: {
      endpoints: endpoints3,
      watchKey: "length",
      value: "5.5",
      activationValue: "0.5",
      watchProgressNotifyInterval: "600",
    },
    error: false,
    want: { endpoints: ["172.0.0.1:2379", "172.0.0.2:2379", "172.0.0.3:2379"] },
  },
  {
    name: "success, one endpoint",
    metadata: {
      endpoints: "172.0.0.1:2379",
      watchKey: "var",
      value: "5.5",
      activationValue: "0.5",
      watchProgressNotifyInterval: "600",
    },
    error: false,
    want: { endpoints: ["172.0.0.1:2379"] },
  },
  { name: "failure, endpoints missed", metadata: { ...base, endpoints: "" }, error: true },
  {
    name: "failure, watchKey missed",
    metadata: { ...base, endpoints: "172.0.0.1:2379", watchKey: "" },
    error: true,
  },
  {
    name: "failure, value invalid",
    metadata: { ...base, endpoints: "172.0.0.1:2379", value: "a" },
    error: true,
  },
  {
    name: "failure, activationValue invalid",
    metadata: { ...base, endpoints: "172.0.0.1:2379", activationValue: "b" },
    error: true,
  },
  {
    name: "failure, watchProgressNotifyInterval invalid",
    metadata: { ...base, endpoints: "172.0.0.1:2379", watchProgressNotifyInterval: "0" },
    error: true,
  },
];

const check = (prepared: { params: Record<string, unknown> }, row: KedaRow) =>
  expect(prepared.params).toMatchObject(row.want ?? {});

runKedaTable({ table: "parseEtcdMetadataTestDataset", type: "etcd", rows: metadataRows, check });

// parseEtcdAuthParamsTestDataset, with KEDA's validEtcdMetadata; KEDA checks tls and the material.
const validEtcdMetadata = {
  endpoints: endpoints3,
  watchKey: "length",
  value: "5.5",
  activationValue: "0.5",
  watchProgressNotifyInterval: "600",
};
const auth = (name: string, authParams: Record<string, string>, error: boolean, tls: string): KedaRow => ({
  name,
  metadata: validEtcdMetadata,
  authParams,
  error,
  want: error ? undefined : { tls, ...(tls === "enable" ? authParams : {}) },
});

runKedaTable({
  table: "parseEtcdAuthParamsTestDataset",
  type: "etcd",
  check,
  rows: [
    auth("success, TLS only", { tls: "enable", ca: "caaa", cert: "ceert", key: "keey" }, false, "enable"),
    auth(
      "success, TLS cert/key and assumed public CA",
      { tls: "enable", cert: "ceert", key: "keey" },
      false,
      "enable",
    ),
    auth(
      "success, TLS cert/key + key password and assumed public CA",
      { tls: "enable", cert: "ceert", key: "keey", keyPassword: "keeyPassword" },
      false,
      "enable",
    ),
    auth("success, TLS CA only", { tls: "enable", ca: "caaa" }, false, "enable"),
    auth("failure, TLS missing cert", { tls: "enable", ca: "caaa", key: "keey" }, true, "disable"),
    auth("failure, TLS missing key", { tls: "enable", ca: "caaa", cert: "ceert" }, true, "disable"),
    auth("failure, TLS invalid", { tls: "yes", ca: "caaa", cert: "ceert", key: "keey" }, true, "disable"),
    auth("success, username and password", { username: "root", password: "admin" }, false, "disable"),
    auth("failure, missing password", { username: "root" }, true, "disable"),
    auth("failure, missing username", { password: "admin" }, true, "disable"),
  ],
});

// etcdMetricIdentifiers
runKedaTable({
  table: "etcdMetricIdentifiers",
  type: "etcd",
  rows: [
    {
      name: "length at 0",
      metadata: metadataRows[0]?.metadata,
      index: 0,
      error: false,
      metricName: "s0-etcd-length",
      target: 5.5,
    },
    {
      name: "var at 1",
      metadata: metadataRows[1]?.metadata,
      index: 1,
      error: false,
      metricName: "s1-etcd-var",
    },
  ],
});

describe("etcd key values (KEDA's strconv.ParseFloat of the key's value)", () => {
  it("reads Go floats and refuses a missing key or other text", () => {
    expect(keyValue("k", "12.5")).toBe(12.5);
    expect(keyValue("k", "1e3")).toBe(1000);
    expect(() => keyValue("length", null)).toThrow("watchKey length doesn't exist");
    expect(() => keyValue("length", "many")).toThrow("the value of watchKey length is not a number");
    expect(() => keyValue("length", "")).toThrow("not a number");
  });
});
