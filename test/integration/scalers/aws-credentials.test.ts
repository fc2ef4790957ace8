/**
 * AWS identities against moto with IAM enforcement on (the moto-iam server, used by this file
 * only): static keys that are right, wrong or unknown; a user without permission; KEDA's pod
 * identity, which assumes a role through STS AssumeRoleWithWebIdentity with the web identity token
 * file of Tidal's environment (IRSA) or, failing that, AssumeRole with Tidal's own credentials;
 * Tidal's own credentials from its environment (keys, or the EKS Pod Identity agent's container
 * credentials). No secret appears in any message.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PodIdentity } from "../../../src/api/schema/trigger-authentication.ts";
import { motoClientConfig, REGION } from "../../support/aws.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("moto-iam"));

const ACCOUNT = "123456789012";

/** moto's switch: IAM is enforced after `count` more requests ("inf": never). */
async function resetAuth(count: string) {
  const response = await fetch(`${services.motoIamUrl}/moto-api/reset-auth`, { method: "POST", body: count });
  expect(response.status).toBe(200);
}

/**
 * AssumeRoleWithWebIdentity is an unsigned call, which AWS's STS accepts but moto with IAM
 * enforcement cannot handle (it fails on the missing Authorization header): the next request
 * (that call) passes unchecked, and every later one is checked again.
 */
const letUnsignedCallThrough = () => resetAuth("1");

interface Keys {
  accessKeyId: string;
  secretAccessKey: string;
}

const allow = (actions: string[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: actions, Resource: "*" }] });
const trustEveryone = JSON.stringify({
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" },
    {
      Effect: "Allow",
      Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.eks.example` },
      Action: "sts:AssumeRoleWithWebIdentity",
    },
  ],
});

let reader: Keys;
let nobody: Keys;
let readerRole: string;
let deniedRole: string;
let queueUrl: string;
/** Every secret the test hands out: none may appear in a message. */
const secrets: string[] = [];

beforeAll(async () => {
  await resetAuth("inf");
  const config = motoClientConfig(services.motoIamUrl);
  const iam = new IAMClient(config);
  const user = async (name: string, actions: string[] | undefined): Promise<Keys> => {
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (actions) {
      await iam.send(
        new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: allow(actions) }),
      );
    }
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
    secrets.push(key.SecretAccessKey!);
    return { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  };
  const role = async (name: string, actions: string[] | undefined): Promise<string> => {
    const created = await iam.send(
      new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trustEveryone }),
    );
    if (actions) {
      await iam.send(
        new PutRolePolicyCommand({ RoleName: name, PolicyName: "p", PolicyDocument: allow(actions) }),
      );
    }
    return created.Role!.Arn!;
  };
  reader = await user(uniqueName("reader"), ["sqs:GetQueueAttributes", "sts:AssumeRole"]);
  nobody = await user(uniqueName("nobody"), undefined);
  readerRole = await role(uniqueName("queue-reader"), ["sqs:GetQueueAttributes"]);
  deniedRole = await role(uniqueName("no-access"), undefined);
  iam.destroy();
  const sqs = new SQSClient(config);
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("iam") }))).QueueUrl!;
  for (const body of ["a", "b"])
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
  sqs.destroy();
  // From here on moto checks every request's signature, access key and policies.
  await resetAuth("0");
});
afterAll(() => resetAuth("inf"));

interface Identity {
  authParams?: Record<string, string>;
  podIdentity?: PodIdentity;
  metadata?: Record<string, string>;
  processEnvironment?: Record<string, string>;
}

/** Measures the queue with an identity; the sample's error is checked for secrets. */
async function measure(cleanup: Cleanup, identity: Identity) {
  const trigger = connectTestTrigger({
    type: "aws-sqs-queue",
    metadata: {
      queueURL: queueUrl,
      awsRegion: REGION,
      awsEndpoint: services.motoIamUrl,
      ...identity.metadata,
    },
    authParams: identity.authParams ?? {},
    ...(identity.podIdentity ? { podIdentity: identity.podIdentity } : {}),
    processEnvironment: { AWS_ENDPOINT_URL_STS: services.motoIamUrl, ...identity.processEnvironment },
    timeoutMs: 10_000,
  });
  cleanup.add(() => trigger.close());
  const sample = await trigger.measure();
  for (const secret of secrets) expect(sample.error ?? "").not.toContain(secret);
  expect(sample.error ?? "").not.toMatch(/\n\s+at /);
  return sample;
}

const keysOf = (keys: Keys) => ({
  awsAccessKeyID: keys.accessKeyId,
  awsSecretAccessKey: keys.secretAccessKey,
});
const ownKeys = (keys: Keys) => ({
  AWS_ACCESS_KEY_ID: keys.accessKeyId,
  AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
});

/** A web identity token file, as the EKS webhook mounts it for IRSA. */
function tokenFile(cleanup: Cleanup): string {
  const directory = mkdtempSync(join(tmpdir(), "tidal-irsa-"));
  const path = join(directory, "token");
  const token = `eyJhbGciOiJSUzI1NiJ9.canary-Xq7-token-${uniqueName("jwt")}.sig`;
  secrets.push(token);
  writeFileSync(path, token);
  cleanup.add(() => rmSync(directory, { recursive: true, force: true }));
  return path;
}

describe("AWS credentials against moto with IAM enforcement", () => {
  const cleanup = useCleanup();

  it("measures with static keys that IAM allows", async () => {
    expect(await measure(cleanup, { authParams: keysOf(reader) })).toMatchObject({ value: 2, active: true });
  });

  it("reports a wrong secret key, an unknown access key and a user without permission as the trigger's error", async () => {
    const wrongSecret = `canary-Xq7-secret-${uniqueName("wrong")}`;
    secrets.push(wrongSecret);
    // moto writes its authentication errors in XML even for JSON services such as SQS: the client
    // sees an HTTP 403 it cannot read. STS speaks XML, so its errors show moto's error codes.
    const signature = await measure(cleanup, {
      authParams: { awsAccessKeyID: reader.accessKeyId, awsSecretAccessKey: wrongSecret },
    });
    expect(signature.error).toContain(`SQS GetQueueAttributes of ${queueUrl}: the service answered HTTP 403`);
    const viaSts = await measure(cleanup, {
      authParams: { awsRoleArn: readerRole },
      processEnvironment: { AWS_ACCESS_KEY_ID: reader.accessKeyId, AWS_SECRET_ACCESS_KEY: wrongSecret },
    });
    expect(viaSts.error).toMatch(/STS AssumeRole for \*\*\*: SignatureDoesNotMatch/);

    const unknown = await measure(cleanup, {
      authParams: { awsAccessKeyID: "AKIAUNKNOWNKEY000000", awsSecretAccessKey: wrongSecret },
    });
    expect(unknown.error).toContain("the service answered HTTP 403");
    const unknownViaSts = await measure(cleanup, {
      authParams: { awsRoleArn: readerRole },
      processEnvironment: { AWS_ACCESS_KEY_ID: "AKIAUNKNOWNKEY000000", AWS_SECRET_ACCESS_KEY: wrongSecret },
    });
    expect(unknownViaSts.error).toMatch(/InvalidClientTokenId/);

    const denied = await measure(cleanup, { authParams: keysOf(nobody) });
    expect(denied.error).toContain("the service answered HTTP 403");
    const deniedViaSts = await measure(cleanup, {
      authParams: { awsRoleArn: readerRole },
      processEnvironment: ownKeys(nobody),
    });
    expect(deniedViaSts.error).toMatch(/AccessDenied: User: .* is not authorized to perform: sts:AssumeRole/);
  });

  it("pod identity aws with roleArn: assumes the role with the web identity token of Tidal's environment", async () => {
    const podIdentity: PodIdentity = { provider: "aws", roleArn: readerRole };
    const env = { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile(cleanup) };
    await letUnsignedCallThrough();
    expect(await measure(cleanup, { podIdentity, processEnvironment: env })).toMatchObject({ value: 2 });
    // The role's own permissions decide: a role without them is denied, though the token is the same.
    await letUnsignedCallThrough();
    const denied = await measure(cleanup, {
      podIdentity: { provider: "aws", roleArn: deniedRole },
      processEnvironment: env,
    });
    expect(denied.error).toContain("the service answered HTTP 403");
  });

  it("pod identity aws with roleArn: without a usable token, assumes the role with Tidal's own credentials", async () => {
    const podIdentity: PodIdentity = { provider: "aws", roleArn: readerRole, externalID: "tidal-test" };
    expect(await measure(cleanup, { podIdentity, processEnvironment: ownKeys(reader) })).toMatchObject({
      value: 2,
    });
    const missingToken = await measure(cleanup, {
      podIdentity,
      processEnvironment: { ...ownKeys(reader), AWS_WEB_IDENTITY_TOKEN_FILE: "/nonexistent/tidal/token" },
    });
    expect(missingToken).toMatchObject({ value: 2 });
    // Tidal's own user may not assume roles: both ways fail, and the message says why.
    const failed = await measure(cleanup, {
      podIdentity,
      processEnvironment: { ...ownKeys(nobody), AWS_WEB_IDENTITY_TOKEN_FILE: "/nonexistent/tidal/token" },
    });
    expect(failed.error).toContain(`assuming role ${readerRole} failed`);
    expect(failed.error).toContain("/nonexistent/tidal/token: no such file");
    expect(failed.error).toMatch(/STS AssumeRole for .*AccessDenied/);
  });

  it("pod identity aws without a role, and identityOwner operator, use Tidal's own credentials", async () => {
    expect(
      await measure(cleanup, { podIdentity: { provider: "aws" }, processEnvironment: ownKeys(reader) }),
    ).toMatchObject({ value: 2 });
    expect(
      await measure(cleanup, {
        metadata: { identityOwner: "operator" },
        processEnvironment: ownKeys(reader),
      }),
    ).toMatchObject({ value: 2 });
    const none = await measure(cleanup, { podIdentity: { provider: "aws" } });
    expect(none.error).toContain("no AWS credentials: the trigger uses Tidal's own AWS identity");
  });

  it("awsRoleArn from the TriggerAuthentication: Tidal assumes it with its own credentials", async () => {
    const sample = await measure(cleanup, {
      authParams: { awsRoleArn: readerRole },
      processEnvironment: ownKeys(reader),
    });
    expect(sample).toMatchObject({ value: 2 });
  });

  it("Tidal's own credentials from the EKS Pod Identity agent (container credentials endpoint)", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tidal-pod-identity-"));
    cleanup.add(() => rmSync(directory, { recursive: true, force: true }));
    const authorizationFile = join(directory, "eks-pod-identity-token");
    const authorization = `canary-Xq7-token-${uniqueName("agent")}`;
    secrets.push(authorization);
    writeFileSync(authorizationFile, authorization);
    const seen: (string | undefined)[] = [];
    const agent: Server = createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.setHeader("content-type", "application/json");
      response.end(
        JSON.stringify({
          AccessKeyId: reader.accessKeyId,
          SecretAccessKey: reader.secretAccessKey,
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    });
    await new Promise<void>((resolve) => agent.listen(0, "127.0.0.1", resolve));
    cleanup.add(() => new Promise((resolve) => agent.close(resolve)));
    const port = (agent.address() as { port: number }).port;
    const sample = await measure(cleanup, {
      podIdentity: { provider: "aws" },
      processEnvironment: {
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${port}/v1/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: authorizationFile,
      },
    });
    expect(sample).toMatchObject({ value: 2 });
    expect(seen).toEqual([authorization]);
  });
});
