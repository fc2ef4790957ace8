// KEDA's vectors for its Vault handler (pkg/scaling/resolver/hashicorpvault_handler_test.go), ported
// as data: the answers of its mock Vault are facts about Vault's API, each row's expected value is
// KEDA's. Rows where Tidal deliberately differs are listed in docs/keda-differences.md and assert
// Tidal's verdict. The rows that need a server (login, lookup, grouping of calls) run against
// fake-vault in test/integration/stores/hashicorp-vault.test.ts.
import { describe, expect, it } from "vitest";
import { hashiCorpVault, type VaultSecretType } from "../../api/schema/hashicorp-vault.ts";
import { triggerAuthenticationSpec } from "../../api/schema/trigger-authentication.ts";
import { describeIssues } from "../../api/issues.ts";
import { boundServiceAccountTokenStore } from "./bound-service-account-token.ts";
import {
  effectiveType,
  groupSecrets,
  hashiCorpVaultStore,
  pkiRequest,
  secretValue,
} from "./hashicorp-vault.ts";

const kedaSecretValue = "keda";
const pkiCaChain =
  "-----BEGIN CERTIFICATE-----\nMIIA\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";

/** What KEDA's mock Vault answers (`data` of the Secret) per path; other paths are 404. */
const MOCK_ANSWERS: Record<string, Record<string, unknown>> = {
  "kv_v2/data/keda": {
    data: { test: kedaSecretValue, array: [kedaSecretValue] },
    metadata: { version: 1 },
  },
  "kv/keda": { test: kedaSecretValue, array: [kedaSecretValue] },
  "pki/issue/default": {
    ca_chain: [
      "-----BEGIN CERTIFICATE-----\nMIIA\n-----END CERTIFICATE-----",
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    ],
    certificate: "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----",
    expiration: 1697313631,
    issuing_ca: "-----BEGIN CERTIFICATE-----\nMIIDZ\n-----END CERTIFICATE-----",
    private_key: "-----BEGIN END RSA PRIVATE KEY-----\nX\n-----END END RSA PRIVATE KEY-----",
    private_key_type: "rsa",
    serial_number: "4c:79:c6:2c:23:65:77:73:c2:79:49:8c:c8:fe:ad:e3:78:68:0f:86",
  },
};

describe("KEDA TestGetPkiRequest", () => {
  const rows: { name: string; pkiData: Record<string, string>; expected: Record<string, string> }[] = [
    { name: "valid pki request", pkiData: { commonName: "test" }, expected: { common_name: "test" } },
    {
      name: "full pki request with all fields",
      pkiData: {
        commonName: "test",
        altNames: "test2",
        ipSans: "192.168.1.1",
        uriSans: "test.com",
        otherSans: "othersans.com",
        ttl: "24h",
        format: "pem",
      },
      expected: {
        common_name: "test",
        alt_names: "test2",
        ip_sans: "192.168.1.1",
        uri_sans: "test.com",
        other_sans: "othersans.com",
        ttl: "24h",
        format: "pem",
      },
    },
  ];
  it.each(rows)("$name", ({ pkiData, expected }) => {
    expect(pkiRequest(pkiData)).toEqual(expected);
  });
});

describe("KEDA resolveRequestTestDataSet (TestHashicorpVaultHandler_ResolveSecret, _UsingRootToken)", () => {
  type Row = {
    name: string;
    path: string;
    key: string;
    secretType?: string;
    keda: string;
    /** Tidal's verdict where it differs from KEDA's empty value (docs/keda-differences.md). */
    tidal?: { error: string } | { schema: string };
  };
  const rows: Row[] = [
    { name: "existing_secret_v2", path: "kv_v2/data/keda", key: "test", keda: kedaSecretValue },
    {
      name: "non_existing_secret_v2",
      path: "kv_v2/data/kedaNotExist",
      key: "test",
      secretType: "secretV2",
      keda: "",
      tidal: { error: 'path "kv_v2/data/kedaNotExist" has no secret in Vault' },
    },
    {
      name: "non_existing_key_in_existing_secret_v2",
      path: "kv_v2/data/keda",
      key: "testNotExisting",
      secretType: "secretV2",
      keda: "",
      tidal: { error: 'path "kv_v2/data/keda" has no key "testNotExisting"' },
    },
    {
      name: "non_string_in_existing_secret_v2",
      path: "kv_v2/data/keda",
      key: "array",
      secretType: "secretV2",
      keda: "",
      tidal: { error: 'path "kv_v2/data/keda": key "array" is not a string' },
    },
    { name: "existing_secret_v1", path: "kv/keda", key: "test", keda: kedaSecretValue },
    {
      name: "non_existing_secret_v1",
      path: "kv/kedaNotExist",
      key: "test",
      secretType: "secretV2",
      keda: "",
      tidal: { error: 'path "kv/kedaNotExist" has no secret in Vault' },
    },
    {
      name: "non_existing_key_in_existing_secret_v1",
      path: "kv/keda",
      key: "testNotExisting",
      secretType: "secret",
      keda: "",
      tidal: { error: 'path "kv/keda" has no key "testNotExisting"' },
    },
    {
      name: "non_string_in_existing_secret_v1",
      path: "kv/keda",
      key: "array",
      secretType: "secret",
      keda: "",
      tidal: { error: 'path "kv/keda": key "array" is not a string' },
    },
    {
      name: "incorrect_type",
      path: "kv/keda",
      key: "array",
      secretType: "non_existing_type",
      keda: "",
      tidal: { schema: 'must be one of "", "secretV2", "secret", "pki", got "non_existing_type" (a string)' },
    },
    {
      name: "existing_pki",
      path: "pki/issue/default",
      key: "private_key_type",
      secretType: "pki",
      keda: "rsa",
    },
    {
      name: "existing_pki_ca_chain",
      path: "pki/issue/default",
      key: "ca_chain",
      secretType: "pki",
      keda: pkiCaChain,
    },
  ];

  it.each(rows)("$name", ({ path, key, secretType, keda, tidal }) => {
    const secret = {
      parameter: "test",
      path,
      key,
      ...(secretType === undefined ? {} : { type: secretType }),
    };
    const config = { address: "http://vault", authentication: "token", secrets: [secret] };
    const parsed = hashiCorpVault.safeParse(config);
    if (tidal && "schema" in tidal) {
      expect(parsed.success).toBe(false);
      const problems = describeIssues(hashiCorpVault, config, parsed.error?.issues ?? []);
      expect(problems).toEqual([{ path: "secrets[0].type", message: tidal.schema }]);
      return;
    }
    expect(parsed.success).toBe(true);
    const found = secretValue(
      { path, key, type: secretType as VaultSecretType | undefined },
      MOCK_ANSWERS[path],
    );
    expect(found).toEqual(tidal ?? { value: keda });
  });
});

describe("KEDA TestHashicorpVaultHandler_getSecretValue_specify_secret_type", () => {
  it("an untyped secret is read as KV v2 when the answer has data.data, else as KV v1", () => {
    expect(effectiveType(undefined, MOCK_ANSWERS["kv_v2/data/keda"] ?? {})).toBe("secretV2");
    expect(effectiveType("", MOCK_ANSWERS["kv/keda"] ?? {})).toBe("secret");
    expect(effectiveType("pki", MOCK_ANSWERS["kv_v2/data/keda"] ?? {})).toBe("pki");
  });
});

describe("KEDA TestHashicorpVaultHandler_ResolveSecrets_SameCertAndKey", () => {
  it("entries with one path, type and pkiData make one call", () => {
    const pki = { path: "pki/issue/default", type: "pki" as const, pkiData: { commonName: "test" } };
    const groups = groupSecrets([
      { parameter: "certificate", key: "certificate", ...pki },
      { parameter: "key", key: "private_key", ...pki },
      { parameter: "other", key: "certificate", ...pki, pkiData: { commonName: "other" } },
      { parameter: "v1", key: "test", path: "kv/keda" },
      { parameter: "v1b", key: "array", path: "kv/keda", type: "" },
    ]);
    expect(groups.map((group) => group.entries.map(([index]) => index))).toEqual([[0, 1], [2], [3, 4]]);
  });
});

describe("KEDA tokenTestDataSet: Wrong Authentication Method", () => {
  it("an authentication other than token or kubernetes is refused by the schema (KEDA: at resolution)", () => {
    const config = {
      address: "http://vault",
      authentication: "random",
      secrets: [{ parameter: "p", path: "p", key: "k" }],
    };
    const parsed = hashiCorpVault.safeParse(config);
    expect(describeIssues(hashiCorpVault, config, parsed.error?.issues ?? [])).toEqual([
      { path: "authentication", message: 'must be one of "token", "kubernetes", got "random" (a string)' },
    ]);
  });
});

describe("hashiCorpVault schema and checks", () => {
  const base = {
    address: "https://vault:8200",
    secrets: [{ parameter: "password", path: "kv/app", key: "pw" }],
  };

  it("has KEDA's fields and refuses unknown ones, naming them, never quoting a credential", () => {
    const spec = {
      hashiCorpVault: {
        ...base,
        authentication: "token",
        credential: { token: 12345, tokne: "x" },
        secrets: [{ parameter: "p", path: "kv/a", key: "k", pkiData: { commonNme: "x" } }],
      },
    };
    const parsed = triggerAuthenticationSpec.safeParse(spec);
    const problems = describeIssues(triggerAuthenticationSpec, spec, parsed.error?.issues ?? []);
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          path: "hashiCorpVault.credential.token",
          message: "expected a string, got a number; put it in quotes",
        },
        { path: "hashiCorpVault.credential.tokne", message: 'unknown field "tokne"; did you mean "token"?' },
        {
          path: "hashiCorpVault.secrets[0].pkiData.commonNme",
          message: 'unknown field "commonNme"; did you mean "commonName"?',
        },
      ]),
    );
    expect(JSON.stringify(problems)).not.toContain("12345");
    const empty = { hashiCorpVault: { ...base, authentication: "token", secrets: [] } };
    expect(
      describeIssues(
        triggerAuthenticationSpec,
        empty,
        triggerAuthenticationSpec.safeParse(empty).error?.issues ?? [],
      ),
    ).toEqual([{ path: "hashiCorpVault.secrets", message: "must have at least 1 item" }]);
  });

  it("check(): what KEDA would refuse at resolution, named by field", () => {
    const check = (config: Record<string, unknown>) =>
      (hashiCorpVaultStore.check?.(hashiCorpVault.parse(config)) ?? []).map(
        (problem) => `${problem.severity} ${problem.path}: ${problem.message}`,
      );
    expect(check({ ...base, authentication: "token", credential: { token: "t" } })).toEqual([]);
    expect(check({ ...base, authentication: "kubernetes", role: "r", mount: "kubernetes" })).toEqual([]);
    expect(check({ ...base, authentication: "kubernetes" })).toEqual([
      "error mount: is required with authentication kubernetes: the auth mount, e.g. kubernetes",
      "error role: is required with authentication kubernetes: the Vault role to log in as",
    ]);
    expect(
      check({ ...base, authentication: "kubernetes", role: "r", mount: "m", credential: { token: "t" } }),
    ).toEqual([
      "error credential: needs serviceAccount (a token file) or serviceAccountName with authentication kubernetes; leave credential out to use the operator's own token",
      "warning credential.token: is not used with authentication kubernetes",
    ]);
    expect(
      check({
        ...base,
        authentication: "kubernetes",
        role: "r",
        mount: "m",
        credential: { serviceAccountName: "sa" },
      }),
    ).toEqual([
      "warning credential.serviceAccountName: is a service account whose token comes from the cluster's TokenRequest API: `tidal operator` requests it; `tidal run` and `tidal probe` cannot",
    ]);
    expect(check({ ...base, address: "vault:8200", authentication: "token" })).toEqual([
      'error address: must be an http:// or https:// URL, got "vault:8200"',
      "warning credential.token: is empty: give the Vault token, or set VAULT_TOKEN in the environment of the operator",
    ]);
    expect(
      check({
        address: "http://v",
        authentication: "token",
        credential: { token: "t" },
        secrets: [{ parameter: "", path: "kv/a", key: "k", pkiData: { commonName: "x" } }],
      }),
    ).toEqual([
      "error secrets[0].parameter: must not be empty",
      "warning secrets[0].pkiData: is only sent with type: pki; add type: pki to issue a certificate",
    ]);
  });
});

describe("boundServiceAccountToken checks", () => {
  it("names empty fields and says the tokens need a cluster", () => {
    expect(
      boundServiceAccountTokenStore.check?.([
        { parameter: "bearerToken", serviceAccountName: "reader" },
        { parameter: "", serviceAccountName: "" },
      ]),
    ).toEqual([
      { path: "[1].parameter", message: "must not be empty", severity: "error" },
      { path: "[1].serviceAccountName", message: "must not be empty", severity: "error" },
      {
        path: "",
        message:
          "service account tokens come from the cluster's TokenRequest API: `tidal operator` requests them; `tidal run` and `tidal probe` cannot",
        severity: "warning",
      },
    ]);
  });
});
