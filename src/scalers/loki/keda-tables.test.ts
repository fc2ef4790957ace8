import { expect } from "vitest";
import { plain, runParseVectors, runValueVectors } from "../../../test/support/keda-vectors.ts";
import { lokiQueryValue, lokiServerUrl } from "./loki.ts";

const FILE = "loki_scaler_test.json";

runParseVectors({ file: FILE, table: "testLokiMetadata", type: "loki" });
runParseVectors({ file: FILE, table: "testLokiAuthMetadata", type: "loki" });

// KEDA's TestGetServerAddress: the query endpoint's path for a serverAddress, or an error.
runValueVectors(FILE, "testGetServerAddressData", {}, (row) => {
  const read = () => lokiServerUrl(String(row.serverAddress)).pathname;
  if (row.isError) expect(read).toThrow();
  else expect(read()).toBe(String(row.expectedPath));
});

// KEDA's TestLokiScalerExecuteLogQLQuery: the value read from an answer, or an error.
runValueVectors(FILE, "testLokiQueryResult", {}, (row) => {
  const response = { status: Number(plain(row.responseStatus)), body: String(row.bodyStr) };
  const read = () =>
    lokiQueryValue(response, {
      query: "sum(rate({x}[1m]))",
      ignoreNullValues: Boolean(row.ignoreNullValues),
    });
  if (row.isError) expect(read).toThrow();
  else expect(read()).toBe(Number(row.expectedValue));
});
