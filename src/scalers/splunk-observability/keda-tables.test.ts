import { runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";

const FILE = "splunk_observability_scaler_test.json";

runParseVectors({ file: FILE, table: "testSplunkObservabilityMetadata", type: "splunk-observability" });

runParseVectors({
  file: FILE,
  table: "SplunkObservabilityMetricIdentifiers",
  type: "splunk-observability",
  inputs: (row) => {
    const data = row.metadataTestData as KedaRow;
    return {
      metadata: stringMap(data.metadata),
      authParams: stringMap(data.authParams),
      index: Number(row.triggerIndex),
    };
  },
  kedaError: () => false,
  // KEDA's target is a Value target whatever the trigger's metricType.
  expect: (row) => ({
    metricName: String(row.metricName),
    check: (prepared) => void expectValue(prepared.metricSpec?.targetType),
  }),
});

function expectValue(type: string | undefined): void {
  if (type !== "Value") throw new Error(`target type ${type}, not Value`);
}
