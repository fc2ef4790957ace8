import {
  runParseVectors,
  stringMap,
  type KedaRow,
  type VectorInputs,
} from "../../../test/support/keda-vectors.ts";

const FILE = "predictkube_scaler_test.json";

/**
 * KEDA's rows point prometheusAddress at its test's stub server (`apiStub.URL`, unknown until the
 * test runs); any reachable-looking URL stands in for it, since parsing never contacts the server.
 */
const STUB_URL = "http://127.0.0.1:9090";

function inputs(row: KedaRow): VectorInputs {
  const metadata = row.metadata as Record<string, unknown>;
  const address = metadata.prometheusAddress;
  const withStub =
    typeof address === "object" && address !== null && "$unevaluated" in address
      ? { ...metadata, prometheusAddress: STUB_URL }
      : metadata;
  return { metadata: stringMap(withStub), authParams: stringMap(row.authParams) };
}

runParseVectors({ file: FILE, table: "testPredictKubeMetadata", type: "predictkube", inputs });

runParseVectors({
  file: FILE,
  table: "predictKubeMetricIdentifiers",
  type: "predictkube",
  inputs: (row) => ({ ...inputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name), target: 2000, activationTarget: 0 }),
});
