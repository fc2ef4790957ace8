import { describe, expect, it } from "vitest";
import { runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";
import { liiklusLag } from "./liiklus.ts";

const FILE = "liiklus_scaler_test.json";

runParseVectors({
  file: FILE,
  table: "parseLiiklusMetadataTestDataset",
  type: "liiklus",
  kedaError: (row) => row.ExpectedErr !== null,
  expect: (row) => {
    const expected = row.ExpectedMetadata as Record<string, unknown> | null;
    if (!expected) return undefined;
    return {
      params: {
        address: expected.Address,
        topic: expected.Topic,
        group: expected.Group,
        groupVersion: expected.GroupVersion,
        lagThreshold: expected.LagThreshold,
        activationLagThreshold: expected.ActivationLagThreshold,
      },
    };
  },
});

runParseVectors({
  file: FILE,
  table: "liiklusMetricIdentifiers",
  type: "liiklus",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestLiiklusScalerActiveBehavior and TestLiiklusScalerGetMetricsBehavior (gomock answers).
describe("KEDA's liiklus lag", () => {
  it("is the end offset minus the group's per partition, summed", () => {
    expect(liiklusLag({ 0: "2" }, { 0: "1" }, 10)).toBe(1);
    expect(liiklusLag({ 0: "20", 1: "30" }, { 0: "18", 1: "25" }, 10)).toBe(7);
  });
  it("is capped at lagThreshold per partition", () => {
    // 19 + 15 = 34 > 10 × 2 partitions.
    expect(liiklusLag({ 0: "20", 1: "30" }, { 0: "1", 1: "15" }, 10)).toBe(20);
  });
  it("counts a partition the group has not read from 0, and wraps as uint64", () => {
    expect(liiklusLag({ 0: "7" }, {}, 10)).toBe(7);
    expect(liiklusLag({ 0: "1" }, { 0: "2" }, 0)).toBe(2 ** 64 - 1);
  });
});
