import { plain, runParseVectors, stringMap } from "../../../test/support/keda-vectors.ts";

const FILE = "cpu_memory_scaler_test.json";

for (const type of ["cpu", "memory"]) {
  runParseVectors({
    file: FILE,
    table: "testCPUMemoryMetadata",
    variant: type,
    type,
    inputs: (row) => ({
      metadata: stringMap(row.metadata),
      metricType: plain(row.metricType) as "Utilization" | "AverageValue",
    }),
  });
}
