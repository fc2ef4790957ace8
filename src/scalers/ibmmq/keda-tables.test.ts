import { expect } from "vitest";
import {
  kedaVar,
  plain,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { combineDepths, ibmMqQueueDepth } from "./ibmmq.ts";

const FILE = "ibmmq_scaler_test.json";
// KEDA's tests pass this environment with every row.
const resolvedEnv = stringMap(kedaVar(FILE, "sampleIBMMQResolvedEnv"));
const inputs = (row: KedaRow) => ({
  metadata: stringMap(row.metadata),
  authParams: stringMap(row.authParams),
  resolvedEnv,
});

runParseVectors({
  file: FILE,
  table: "testIBMMQMetadata",
  type: "ibmmq",
  inputs,
  // KEDA checks that a parsed password is the authentication's.
  expect: (row) => {
    const password = stringMap(row.authParams).password;
    return password ? { params: { password } } : undefined;
  },
});

runParseVectors({
  file: FILE,
  table: "testDefaultQueueDepth",
  type: "ibmmq",
  inputs,
  expect: () => ({ params: { queueDepth: Number(kedaVar(FILE, "defaultTargetQueueDepth")) }, target: 20 }),
});

runParseVectors({
  file: FILE,
  table: "IBMMQMetricIdentifiers",
  type: "ibmmq",
  inputs: (row) => ({ ...inputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestIBMMQScalerGetQueueDepthViaHTTP: the answer of the REST API for one queue.
runValueVectors(FILE, "testQueueDepthResults", {}, (row) => {
  const response = { status: Number(plain(row.responseStatus)), body: String(row.bodyStr) };
  const read = () => combineDepths([ibmMqQueueDepth(response, "TEST.QUEUE")], "max");
  if (row.isError) expect(read).toThrow();
  else expect(read()).toBe(Number(row.expectedValue));
});
