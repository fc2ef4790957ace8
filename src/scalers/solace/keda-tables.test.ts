import { expect } from "vitest";
import {
  kedaVar,
  runParseVectors,
  stringMap,
  type KedaRow,
  type VerdictDifference,
} from "../../../test/support/keda-vectors.ts";

const FILE = "solace_scaler_test.json";
const DM_FILE = "solace_dm_scaler_test.json";
const ONE_METRIC: VerdictDifference = {
  tidalError: true,
  reason:
    "several targets make several metrics in KEDA; Tidal reads one metric per trigger and asks for a trigger per target",
  doc: "docs/keda-differences.md#solace-event-queue-solace-direct-messaging",
};

const NO_METRIC = { ...ONE_METRIC, tidal: {} };

// KEDA's TestSolaceParseSolaceMetadata: each table with its own authentication and environment.
const withInputs =
  (authParams: Record<string, string>, resolvedEnv: Record<string, string>) => (row: KedaRow) => ({
    metadata: stringMap(row.metadata),
    authParams,
    resolvedEnv,
    index: Number(row.triggerIndex),
  });
const validAuth = stringMap(kedaVar(FILE, "testDataSolaceAuthParamsVALID"));
const validEnv = stringMap(kedaVar(FILE, "testDataSolaceResolvedEnvVALID"));

runParseVectors({
  file: FILE,
  table: "testParseSolaceMetadata",
  type: "solace-event-queue",
  inputs: withInputs({}, {}),
});
runParseVectors({
  file: FILE,
  table: "testSolaceEnvCreds",
  type: "solace-event-queue",
  inputs: withInputs({}, validEnv),
});
runParseVectors({
  file: FILE,
  table: "testSolaceK8sSecretCreds",
  type: "solace-event-queue",
  inputs: withInputs(validAuth, {}),
});

// KEDA's TestSolaceGetMetricSpec: the first metric's name is one of the expected names.
const expectedNames = Object.keys(stringMap(kedaVar(FILE, "testSolaceExpectedMetricNames")));
runParseVectors({
  file: FILE,
  table: "testSolaceGetMetricSpecData",
  type: "solace-event-queue",
  inputs: withInputs(validAuth, validEnv),
  expect: () => ({ check: (prepared) => expect(expectedNames).toContain(prepared.metricSpec?.metricName) }),
  differences: { 2: ONE_METRIC, 6: ONE_METRIC, 7: ONE_METRIC },
  // No metric to compare where Tidal reports the error.
  factDifferences: { 2: NO_METRIC, 6: NO_METRIC, 7: NO_METRIC },
});

// KEDA's TestParseSolaceDMConfiguration runs the table twice: credentials from the authentication,
// then from the environment through usernameFromEnv and passwordFromEnv.
const dmAuth = stringMap(kedaVar(DM_FILE, "testSolaceDMAuthParams"));
const dmEnv = stringMap(kedaVar(DM_FILE, "testSolaceDMNonEmptyEnv"));
const dmFromEnvKeys = stringMap(kedaVar(DM_FILE, "testSolaceAdditionalFromEnvKeys"));
const dmExpect = (row: KedaRow) => {
  const urls = (row.expectedUrls as string[] | null) ?? [];
  const names = Object.keys(stringMap(row.expectedMetrics));
  return {
    check: (prepared: {
      params: Record<string, unknown>;
      metricSpec?: { metricName: string } | undefined;
    }) => {
      if (urls.length > 0) {
        expect(
          String(prepared.params.solaceSempBaseURL)
            .split(",")
            .map((url) => `${url.trim()}/SEMP`),
        ).toEqual(urls);
      }
      expect(names).toContain(prepared.metricSpec?.metricName);
    },
  };
};
for (const [variant, inputs] of [
  [
    "credentials from the authentication",
    (row: KedaRow) => ({ metadata: stringMap(row.configuration), authParams: dmAuth, index: 1 }),
  ],
  [
    "credentials from the environment",
    (row: KedaRow) => ({
      metadata: { ...stringMap(row.configuration), ...dmFromEnvKeys },
      resolvedEnv: dmEnv,
      index: 1,
    }),
  ],
] as const) {
  runParseVectors({
    file: DM_FILE,
    table: "solaceDMParseConfigurationTestCases",
    variant,
    type: "solace-direct-messaging",
    inputs,
    kedaError: (row) => Boolean(row.parseErrorExpected),
    expect: dmExpect,
    differences: { 15: ONE_METRIC },
    factDifferences: { 15: NO_METRIC },
  });
}
