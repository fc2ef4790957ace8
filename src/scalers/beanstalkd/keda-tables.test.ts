import { describe, expect, it } from "vitest";
import {
  plain,
  rowInputs,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { parseYamlMap, takeReply } from "./client.ts";
import { tubeJobs } from "./beanstalkd.ts";

// KEDA's tables for beanstalkd (pkg/scalers/beanstalkd_scaler_test.go), from test/conformance/keda.

const FILE = "beanstalkd_scaler_test.json";

// TestBeanstalkdParseMetadata checks includeDelayed (false when not given); the timeout (KEDA's
// default 30 seconds) and activationValue are checked as the metadata gives them.
runParseVectors({
  file: FILE,
  table: "testBeanstalkdMetadata",
  type: "beanstalkd",
  expect: (row) => {
    const metadata = stringMap(row.metadata);
    return {
      params: {
        includeDelayed: metadata.includeDelayed === "true",
        timeout: metadata.timeout ? Number(metadata.timeout) : 30,
        ...(metadata.activationValue ? { activationValue: Number(metadata.activationValue) } : {}),
      },
    };
  },
});

runParseVectors({
  file: FILE,
  table: "beanstalkdMetricIdentifiers",
  type: "beanstalkd",
  inputs: (row) => ({ ...rowInputs(row.metadataTestData as KedaRow), index: Number(row.index) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

/** The bytes KEDA's test server sends: OK <length>, the statistics as YAML, CRLF. */
function statsReply(response: Record<string, string | number>): Buffer {
  const yaml = `---\n${Object.entries(response)
    .map(([key, value]) => `${key}: ${value}`)
    .join("\n")}\n`;
  return Buffer.from(`OK ${Buffer.byteLength(yaml)}\r\n${yaml}\r\n`);
}

// testTubeStatsTestData: the stats-tube answer of KEDA's test server and the activity KEDA reports.
runValueVectors(FILE, "testTubeStatsTestData", {}, (row) => {
  const prepared = prepareScalerTrigger("beanstalkd", stringMap(row.metadata));
  const params = prepared.params as { includeDelayed: boolean; activationValue: number };
  const taken = takeReply(statsReply(plain(row.response) as Record<string, string | number>));
  expect(taken?.reply.status).toBe("OK");
  const jobs = tubeJobs(parseYamlMap(taken?.reply.body ?? ""), params.includeDelayed);
  expect(jobs > params.activationValue).toBe(row.isActive);
});

describe("KEDA's TestGetTubeStatsNotFound (beanstalkd)", () => {
  it("TestGetTubeStatsNotFound: a tube beanstalkd does not know has no jobs, inactive", () => {
    expect(takeReply(Buffer.from("NOT_FOUND\r\n"))?.reply).toEqual({ status: "NOT_FOUND" });
    expect(tubeJobs(undefined, false)).toBe(0);
  });
});
