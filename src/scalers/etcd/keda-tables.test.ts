import { describe, expect, it } from "vitest";
import {
  kedaVar,
  plain,
  rowInputs,
  runParseVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { keyValue } from "./etcd.ts";

// KEDA's tables for etcd (pkg/scalers/etcd_scaler_test.go), from test/conformance/keda.

const FILE = "etcd_scaler_test.json";

// parseEtcdMetadataTestDataset: KEDA checks the endpoints it parsed.
runParseVectors({
  file: FILE,
  table: "parseEtcdMetadataTestDataset",
  type: "etcd",
  expect: (row) => ({ params: { endpoints: plain(row.endpoints) } }),
});

// parseEtcdAuthParamsTestDataset, with KEDA's validEtcdMetadata; KEDA checks tls and the material.
runParseVectors({
  file: FILE,
  table: "parseEtcdAuthParamsTestDataset",
  type: "etcd",
  inputs: (row) => ({
    metadata: stringMap(kedaVar(FILE, "validEtcdMetadata")),
    authParams: stringMap(row.authParams),
  }),
  expect: (row) => {
    const authParams = stringMap(row.authParams);
    const tls = String(row.enableTLS);
    return { params: { tls, ...(tls === "enable" ? authParams : {}) } };
  },
});

runParseVectors({
  file: FILE,
  table: "etcdMetricIdentifiers",
  type: "etcd",
  inputs: (row) => ({ ...rowInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({
    metricName: String(row.name),
    target: Number(stringMap((row.metadataTestData as KedaRow).metadata).value),
  }),
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
