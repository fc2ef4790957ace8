import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  describeGcpError,
  gapicRestOptions,
  gcpCredentialSource,
  gcpEndpointOverride,
  loadGcpIdentity,
  parseServiceAccountKey,
  sdkCallTimeout,
  untilAborted,
} from "./gcp.ts";

const privateKey = generateKeyPairSync("rsa", { modulusLength: 1024 })
  .privateKey.export({ type: "pkcs8", format: "pem" })
  .toString();
const keyLine = privateKey.split("\n")[1] as string;
const key = {
  type: "service_account",
  project_id: "p1",
  private_key_id: "0123456789abcdef0123456789abcdef",
  private_key: privateKey,
  client_email: "sa@p1.iam.gserviceaccount.com",
};
const json = JSON.stringify(key);

describe("gcpCredentialSource", () => {
  it("follows KEDA's order: pod identity gcp, the parameter, credentialsFromEnv, credentialsFromEnvFile", () => {
    const all = { applicationCredentials: "a", credentialsFromEnv: "e", credentialsFile: "/f" };
    expect(gcpCredentialSource({ podIdentity: { provider: "gcp" }, ...all })).toEqual({ kind: "workload" });
    expect(gcpCredentialSource({ podIdentity: { provider: "aws" }, ...all })).toMatchObject({
      kind: "key",
      json: "a",
    });
    expect(gcpCredentialSource({ credentialsFromEnv: "e", credentialsFile: "/f" })).toMatchObject({
      json: "e",
    });
    expect(gcpCredentialSource({ credentialsFile: "/f" })).toMatchObject({ kind: "keyFile", path: "/f" });
    expect(gcpCredentialSource({})).toBeUndefined();
  });
});

describe("parseServiceAccountKey", () => {
  it("takes a service-account key", () => {
    expect(parseServiceAccountKey(json, "K")).toMatchObject({
      client_email: key.client_email,
      project_id: "p1",
    });
  });

  it("says what is wrong without quoting any of it", () => {
    const cases: [string, string][] = [
      [`{"private_key": "${keyLine}`, "K is not JSON: give the contents of a service-account key file"],
      [
        `[${JSON.stringify(keyLine)}]`,
        "K is not a JSON object: give the contents of a service-account key file",
      ],
      [
        JSON.stringify({ ...key, type: "authorized_user" }),
        'K is not a service-account key (its type is "authorized_user"; it must be "service_account")',
      ],
      [
        JSON.stringify({ ...key, type: keyLine }),
        'K is not a service-account key (its type is missing; it must be "service_account")',
      ],
      [
        JSON.stringify({ ...key, client_email: undefined }),
        "K has no client_email: give the whole service-account key file",
      ],
      [
        JSON.stringify({ ...key, private_key: "" }),
        "K has no private_key: give the whole service-account key file",
      ],
      [
        JSON.stringify({
          ...key,
          private_key: `-----BEGIN PRIVATE KEY-----\n${keyLine}\n-----END PRIVATE KEY-----\n`,
        }),
        "the private_key in K is not a PEM private key",
      ],
    ];
    for (const [text, message] of cases) {
      expect(() => parseServiceAccountKey(text, "K"), message).toThrow(new Error(message));
    }
  });
});

describe("loadGcpIdentity", () => {
  const folder = mkdtempSync(join(tmpdir(), "tidal-gcp-identity-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("reads a key from a parameter or a file, with a digest for pools and a redactor for messages", async () => {
    const fromParameter = await loadGcpIdentity({ kind: "key", json, origin: "K" });
    writeFileSync(join(folder, "key.json"), json);
    const fromFile = await loadGcpIdentity({ kind: "keyFile", path: join(folder, "key.json"), origin: "F" });
    expect(fromFile.id).toBe(fromParameter.id);
    expect(fromParameter.id).not.toContain(keyLine.slice(0, 8));
    expect(fromParameter.key?.client_email).toBe(key.client_email);
    expect(fromParameter.redact(`x ${keyLine} y ${key.private_key_id} z ${json}`)).toBe("x *** y *** z ***");
    const options = await fromParameter.clientOptions();
    expect(options.projectId).toBe("p1");
    expect(options.authClient).toBeDefined();
  });

  it("names a key file it cannot read", async () => {
    await expect(
      loadGcpIdentity({ kind: "keyFile", path: join(folder, "absent.json"), origin: "the key file X" }),
    ).rejects.toThrow("cannot read the key file X: no such file");
  });

  it("gives no auth client for the workload's identity (Application Default Credentials), only its project", async () => {
    const saved = process.env.CLOUDSDK_CORE_PROJECT;
    process.env.CLOUDSDK_CORE_PROJECT = "hook-project";
    try {
      const workload = await loadGcpIdentity({ kind: "workload" });
      expect(await workload.clientOptions()).toEqual({ projectId: "hook-project" });
      expect(workload.key).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.CLOUDSDK_CORE_PROJECT;
      else process.env.CLOUDSDK_CORE_PROJECT = saved;
    }
  });
});

describe("endpoints", () => {
  it("reads TIDAL_GCP_<API>_ENDPOINT as a URL, or host:port for HTTPS", () => {
    expect(gcpEndpointOverride("monitoring", {})).toBeUndefined();
    expect(
      gcpEndpointOverride("monitoring", { TIDAL_GCP_MONITORING_ENDPOINT: "http://127.0.0.1:8085" }),
    ).toEqual({
      protocol: "http",
      host: "127.0.0.1",
      port: 8085,
      origin: "http://127.0.0.1:8085",
    });
    expect(
      gcpEndpointOverride("secretmanager", { TIDAL_GCP_SECRET_MANAGER_ENDPOINT: "sm.example:8443" }),
    ).toMatchObject({
      protocol: "https",
      port: 8443,
    });
    expect(() => gcpEndpointOverride("storage", { TIDAL_GCP_STORAGE_ENDPOINT: "ftp://x" })).toThrow(
      'TIDAL_GCP_STORAGE_ENDPOINT "ftp://x" must be an http or https URL',
    );
    expect(gapicRestOptions("monitoring", {})).toEqual({ fallback: true });
    expect(gapicRestOptions("monitoring", { TIDAL_GCP_MONITORING_ENDPOINT: "http://127.0.0.1:1" })).toEqual({
      fallback: true,
      apiEndpoint: "127.0.0.1",
      port: 1,
      protocol: "http",
    });
  });
});

describe("describeGcpError", () => {
  it("names the canonical status and hints at the usual cause", () => {
    const error = (code: number | string, message: string) => Object.assign(new Error(message), { code });
    expect(describeGcpError(error(16, "16 UNAUTHENTICATED: bad token"), "Reading", "e")).toBe(
      "Reading: Google rejected the credentials (UNAUTHENTICATED: bad token); check the service-account key or the workload identity",
    );
    expect(describeGcpError(error(403, "no access"), "Reading", "e")).toBe(
      "Reading: permission denied (no access); grant the service account access",
    );
    expect(describeGcpError(error(5, "5 NOT_FOUND: gone"), "Reading", "e")).toBe("Reading: not found (gone)");
    expect(
      describeGcpError(
        error(
          4,
          "Total timeout exceeded retrying error Error: request to http://h/x failed, reason: connect ECONNREFUSED 127.0.0.1:1 before any response was received.",
        ),
        "Reading",
        "http://h",
      ),
    ).toBe("Reading: cannot reach http://h (connect ECONNREFUSED 127.0.0.1:1)");
    expect(describeGcpError(error(3, "3 INVALID_ARGUMENT: bad filter"), "Reading", "e")).toBe(
      "Reading: INVALID_ARGUMENT: bad filter",
    );
  });
});

describe("deadlines", () => {
  it("leaves the library a little less than the measurement", () => {
    expect(sdkCallTimeout(3000)).toBe(2500);
    expect(sdkCallTimeout(1000)).toBe(800);
    expect(sdkCallTimeout(50)).toBe(100);
  });

  it("stops waiting when the signal aborts", async () => {
    const controller = new AbortController();
    const waiting = untilAborted(new Promise(() => {}), controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow("the measurement was aborted");
    await expect(untilAborted(Promise.resolve(3), new AbortController().signal)).resolves.toBe(3);
  });
});
