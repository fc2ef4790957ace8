import { expect } from "vitest";
import {
  kedaVar,
  plain,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { pulsarAuthModes, pulsarStatsUrl, redirectKeepsCredentials } from "./pulsar.ts";
import { parseEndpointParams } from "./oauth.ts";

const FILE = "pulsar_scaler_test.json";
const WITH_AUTH = stringMap(kedaVar(FILE, "validPulsarWithAuthParams"));

// KEDA's TestParsePulsarMetadata parses each row twice: with a cert, key and CA in the
// authentication, then with them only when the row says tls: enable.
for (const variant of ["with cert, key and ca", "with them only for tls: enable"] as const) {
  runParseVectors({
    file: FILE,
    table: "parsePulsarMetadataTestDataset",
    variant,
    type: "pulsar",
    inputs: (row) => {
      const metadata = stringMap(row.metadata);
      const authParams = variant === "with cert, key and ca" || metadata.tls === "enable" ? WITH_AUTH : {};
      return { metadata, authParams };
    },
    expect: (row) => {
      const metadata = stringMap(row.metadata);
      return {
        target: Number(metadata.msgBacklogThreshold ?? 10),
        params: { adminURL: row.adminURL, topic: row.topic, subscription: row.subscription },
        check: (prepared) => {
          const url = pulsarStatsUrl(
            String(prepared.params.adminURL),
            String(prepared.params.topic),
            Boolean(prepared.params.isPartitionedTopic),
          );
          expect(url.endsWith(row.isPartitionedTopic ? "/partitioned-stats" : "/stats")).toBe(true);
        },
      };
    },
  });
}

// KEDA's TestPulsarAuthParams and TestPulsarOAuthParams over one table.
runParseVectors({
  file: FILE,
  table: "parsePulsarMetadataTestAuthTLSDataset",
  type: "pulsar",
  inputs: (row) => ({ metadata: stringMap(row.triggerMetadata), authParams: stringMap(row.authParams) }),
  expect: (row) => ({
    check: (prepared) => {
      // KEDA's expectations, "" meaning not set (clientSecret is only compared when it expects one).
      for (const key of [
        "ca",
        "bearerToken",
        "username",
        "password",
        "oauthTokenURI",
        "clientID",
        "clientSecret",
      ]) {
        if (key === "clientSecret" && !row[key]) continue;
        expect(prepared.params[key] ?? "", key).toBe(row[key]);
      }
      const values = prepared.params as Parameters<typeof pulsarAuthModes>[0] & {
        scopes?: string[];
        endpointParams?: string;
      };
      expect(pulsarAuthModes(values).has("tls")).toBe(row.enableTLS);
      if (row.enableTLS) expect([values.cert, values.key]).toEqual([row.cert, row.key]);
      expect([...(values.scopes ?? [])].sort()).toEqual(
        String(row.scope).split(/\s+/).filter(Boolean).sort(),
      );
      const expectedParams = plain(row.expectedEndpointParams) as Record<string, string[]> | null;
      expect(parseEndpointParams(values.endpointParams)).toEqual(expectedParams ?? {});
    },
  }),
});

runParseVectors({
  file: FILE,
  table: "pulsarMetricIdentifiers",
  type: "pulsar",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    authParams: WITH_AUTH,
  }),
  kedaError: (row) => Boolean((row.metadataTestData as KedaRow).isError),
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestPulsarRedirectAuthHostScopeGuard: which broker redirects keep the credentials.
runValueVectors(FILE, "TestPulsarRedirectAuthHostScopeGuard.cases", {}, (row) => {
  expect(redirectKeepsCredentials(new URL(String(row.origURL)), new URL(String(row.targetURL)))).toBe(
    row.wantAuth,
  );
});
