import { describe, expect, it } from "vitest";
import {
  awsAuthorization,
  awsAuthorizationKey,
  awsClientConfig,
  awsCredentialProvider,
  awsEnvironmentEndpoint,
  awsEnvironmentRegion,
  awsErrorMessage,
  awsPodIdentityAdmissionProblems,
  awsPodIdentityProblems,
  tidalCredentials,
} from "./aws.ts";

const ROLE = "arn:aws:iam::123456789012:role/reader";

describe("awsAuthorization: KEDA's choice of identity", () => {
  it("podIdentity aws: the identity's role (with its external id), else awsRoleArn, else Tidal's own", () => {
    expect(
      awsAuthorization({
        podIdentity: { provider: "aws", roleArn: ROLE, externalID: "x" },
        roleArn: "other",
      }),
    ).toEqual({ kind: "pod-identity", roleArn: ROLE, externalId: "x" });
    expect(awsAuthorization({ podIdentity: { provider: "aws" }, roleArn: ROLE })).toEqual({
      kind: "pod-identity",
      roleArn: ROLE,
    });
    // An external id without a role is dropped, as KEDA drops it.
    expect(awsAuthorization({ podIdentity: { provider: "aws", externalID: "x" } })).toEqual({
      kind: "pod-identity",
    });
    // Static keys do not matter with a pod identity.
    expect(
      awsAuthorization({ podIdentity: { provider: "aws" }, accessKeyId: "A", secretAccessKey: "S" }),
    ).toEqual({ kind: "pod-identity" });
  });

  it("identityOwner operator, or any value but pod, means Tidal's own credentials", () => {
    expect(awsAuthorization({ identityOwner: "operator", accessKeyId: "A" })).toEqual({ kind: "tidal" });
    expect(awsAuthorization({ identityOwner: "someone" })).toEqual({ kind: "tidal" });
  });

  it("otherwise awsRoleArn first, then the access key, which needs its secret", () => {
    expect(awsAuthorization({ roleArn: ROLE, accessKeyId: "A", secretAccessKey: "S" })).toEqual({
      kind: "tidal",
      assumeRoleArn: ROLE,
    });
    expect(
      awsAuthorization({ identityOwner: "pod", accessKeyId: "A", secretAccessKey: "S", sessionToken: "T" }),
    ).toEqual({
      kind: "keys",
      accessKeyId: "A",
      secretAccessKey: "S",
      sessionToken: "T",
    });
    expect(awsAuthorization({ accessKeyId: "A" })).toMatchObject({ key: "awsSecretAccessKey" });
    expect(awsAuthorization({ secretAccessKey: "S" })).toMatchObject({
      key: "awsAccessKeyID",
      message: expect.stringContaining("awsAccessKeyID not found"),
    });
    // A pod identity other than aws (the deprecated aws-eks) takes the same path as none.
    expect(awsAuthorization({ podIdentity: { provider: "aws-eks" } })).toMatchObject({
      key: "awsAccessKeyID",
    });
  });
});

describe("aws pod identity rules", () => {
  it("rejects roleArn with identityOwner workload, and workload alone (no ServiceAccount reading)", () => {
    expect(awsPodIdentityProblems({ provider: "aws", roleArn: ROLE, identityOwner: "workload" })).toEqual([
      expect.objectContaining({ key: "podIdentity.roleArn" }),
    ]);
    expect(awsPodIdentityProblems({ provider: "aws", identityOwner: "workload" })).toEqual([
      expect.objectContaining({ key: "podIdentity.identityOwner" }),
    ]);
    expect(awsPodIdentityProblems({ provider: "aws", roleArn: ROLE, identityOwner: "keda" })).toEqual([]);
    expect(awsPodIdentityProblems({ provider: "gcp", identityOwner: "workload" })).toEqual([]);
  });

  it("admission also needs roleArn beside externalID", () => {
    expect(awsPodIdentityProblems({ provider: "aws", externalID: "x" })).toEqual([]);
    expect(awsPodIdentityAdmissionProblems({ provider: "aws", externalID: "x" })).toEqual([
      { key: "podIdentity.externalID", message: "externalID of PodIdentity requires roleArn to be set" },
    ]);
    expect(awsPodIdentityAdmissionProblems({ provider: "aws", externalID: "x", roleArn: ROLE })).toEqual([]);
  });
});

describe("Tidal's environment", () => {
  it("gives a service's endpoint as the AWS SDKs read it", () => {
    expect(
      awsEnvironmentEndpoint({ AWS_ENDPOINT_URL_SQS: "http://sqs", AWS_ENDPOINT_URL: "http://all" }, "SQS"),
    ).toBe("http://sqs");
    expect(awsEnvironmentEndpoint({ AWS_ENDPOINT_URL: "http://all" }, "STS")).toBe("http://all");
    expect(
      awsEnvironmentEndpoint(
        { AWS_ENDPOINT_URL: "http://all", AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "true" },
        "STS",
      ),
    ).toBeUndefined();
    expect(awsEnvironmentEndpoint({}, "STS")).toBeUndefined();
  });

  it("gives the region from AWS_REGION, then AWS_DEFAULT_REGION", () => {
    expect(awsEnvironmentRegion({ AWS_REGION: "a", AWS_DEFAULT_REGION: "b" })).toBe("a");
    expect(awsEnvironmentRegion({ AWS_DEFAULT_REGION: "b" })).toBe("b");
    expect(awsEnvironmentRegion({})).toBeUndefined();
  });

  it("gives Tidal's own static credentials, or says there are none", async () => {
    const options = { region: "eu-west-1", timeoutMs: 1000 };
    await expect(
      tidalCredentials({
        ...options,
        environment: { AWS_ACCESS_KEY_ID: "A", AWS_SECRET_ACCESS_KEY: "S", AWS_SESSION_TOKEN: "T" },
      })(),
    ).resolves.toEqual({ accessKeyId: "A", secretAccessKey: "S", sessionToken: "T" });
    await expect(tidalCredentials({ ...options, environment: {} })()).rejects.toThrow(/no AWS credentials/);
    // An access key without its secret is not a credential.
    await expect(tidalCredentials({ ...options, environment: { AWS_ACCESS_KEY_ID: "A" } })()).rejects.toThrow(
      /no AWS credentials/,
    );
  });

  it("reports an unreadable web identity token file without calling STS", async () => {
    const provider = tidalCredentials({
      region: "eu-west-1",
      timeoutMs: 1000,
      environment: { AWS_WEB_IDENTITY_TOKEN_FILE: "/nonexistent/tidal/token", AWS_ROLE_ARN: ROLE },
    });
    await expect(provider()).rejects.toThrow(
      "cannot read the web identity token file /nonexistent/tidal/token: no such file",
    );
  });
});

describe("credential providers and clients", () => {
  it("static keys are returned as the SDK takes them", async () => {
    const provider = awsCredentialProvider(
      { kind: "keys", accessKeyId: "A", secretAccessKey: "S" },
      { region: "r", environment: {}, timeoutMs: 1000 },
    );
    await expect(provider()).resolves.toEqual({ accessKeyId: "A", secretAccessKey: "S" });
  });

  it("keys identities without holding secrets", () => {
    const key = awsAuthorizationKey({ kind: "keys", accessKeyId: "AKIA1", secretAccessKey: "very-secret" });
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(key).not.toBe(
      awsAuthorizationKey({ kind: "keys", accessKeyId: "AKIA1", secretAccessKey: "other" }),
    );
    expect(awsAuthorizationKey({ kind: "tidal" })).toBe(awsAuthorizationKey({ kind: "tidal" }));
  });

  it("configures clients with everything given, not read from the process", () => {
    const credentials = async () => ({ accessKeyId: "A", secretAccessKey: "S" });
    expect(awsClientConfig({ region: "r", endpoint: "http://e", credentials, timeoutMs: 3000 })).toEqual({
      region: "r",
      endpoint: "http://e",
      credentials,
      ignoreConfiguredEndpointUrls: true,
      useFipsEndpoint: false,
      useDualstackEndpoint: false,
      maxAttempts: 3,
      retryMode: "standard",
      requestHandler: { connectionTimeout: 3000, requestTimeout: 3000 },
    });
    expect(awsClientConfig({ region: "r", credentials, timeoutMs: 1 })).not.toHaveProperty("endpoint");
  });

  it("describes SDK errors in one line", () => {
    const service = Object.assign(new Error("The specified queue does not exist."), {
      name: "QueueDoesNotExist",
    });
    expect(awsErrorMessage(service)).toBe("QueueDoesNotExist: The specified queue does not exist.");
    expect(awsErrorMessage(new Error("connect ECONNREFUSED 127.0.0.1:1"))).toBe(
      "connect ECONNREFUSED 127.0.0.1:1",
    );
    const unreadable = Object.assign(
      new SyntaxError(
        `Unexpected token '<'\n  Deserialization error: to see the raw response, inspect $response`,
      ),
      { $metadata: { httpStatusCode: 403 } },
    );
    expect(awsErrorMessage(unreadable)).toBe(
      "the service answered HTTP 403 in a form the AWS client cannot read (Unexpected token '<')",
    );
  });
});
