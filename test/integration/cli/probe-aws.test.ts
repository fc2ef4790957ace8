/**
 * `tidal probe` with the AWS scalers against moto: credentials from a Secret, from AWS Secrets
 * Manager (awsSecretManager, itself authenticated by a Secret) and from a pod identity (a web
 * identity token file named by Tidal's environment, as on EKS with IRSA); failing triggers beside
 * working ones. The secrets are canaries that appear in no output of probe or validate, and
 * validate never contacts Secrets Manager.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { expectNoStackTrace, runTidal, type CliResult } from "../../cli/tidal-cli.ts";
import {
  dynamoTable,
  kinesisStream,
  motoClientConfig,
  putItems,
  REGION,
  sqsQueue,
  testCredentials,
} from "../../support/aws.ts";
import { closedPort } from "../../support/closed-port.ts";
import { uniqueName, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("moto"));

interface ProbeRow {
  trigger: string | number;
  type: string;
  metricName: string | null;
  value: number | null;
  target: number | null;
  active: boolean | null;
  error: string | null;
}

const staticKeys = testCredentials();
const storedKeys = testCredentials();
const storeKeys = testCredentials();
const TOKEN = `eyJhbGciOiJSUzI1NiJ9.canary-Xq7-token-${uniqueName("irsa")}.sig`;
const CANARIES = [
  staticKeys.awsSecretAccessKey,
  staticKeys.awsSessionToken,
  staticKeys.awsAccessKeyID,
  storedKeys.awsSecretAccessKey,
  storedKeys.awsAccessKeyID,
  storeKeys.awsSecretAccessKey,
  TOKEN,
];

const secretRef = (parameter: string, key: string) => ({ parameter, name: "aws-keys", key });

describe("tidal probe with AWS triggers against moto", () => {
  const cleanup = useCleanup();
  let queue: string;
  let table: string;
  let streamTable: string;
  let stream: string;
  let manifest: string;
  let environment: Record<string, string>;
  let results: CliResult[];
  let rows: ProbeRow[];

  beforeAll(async () => {
    queue = await sqsQueue(cleanup, "probe-sqs");
    const sqs = new SQSClient(motoClientConfig());
    for (const body of ["a", "b", "c"])
      await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: body }));
    sqs.destroy();
    table = await dynamoTable(cleanup, "probe-dynamo");
    await putItems(table, [
      { pk: "jobs", sk: 1, status: "new" },
      { pk: "jobs", sk: 2, status: "new" },
    ]);
    streamTable = await dynamoTable(cleanup, "probe-streams", true);
    stream = await kinesisStream(cleanup, "probe-kinesis", 4);
    const secretName = uniqueName("probe-store");
    const secretsManager = new SecretsManagerClient(motoClientConfig());
    await secretsManager.send(
      new CreateSecretCommand({
        Name: secretName,
        SecretString: JSON.stringify({ id: storedKeys.awsAccessKeyID, key: storedKeys.awsSecretAccessKey }),
      }),
    );
    secretsManager.destroy();

    const directory = mkdtempSync(join(tmpdir(), "tidal-probe-aws-"));
    const tokenFile = join(directory, "token");
    writeFileSync(tokenFile, TOKEN);
    // Tidal's own environment, as on EKS with IRSA: the token file and the endpoints (moto).
    environment = {
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ENDPOINT_URL: services.motoUrl,
      AWS_REGION: REGION,
    };
    const closed = await closedPort();
    const base = { awsRegion: REGION, awsEndpoint: services.motoUrl };
    const documents = [
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "aws-keys" },
        stringData: {
          id: staticKeys.awsAccessKeyID,
          secret: staticKeys.awsSecretAccessKey,
          token: staticKeys.awsSessionToken,
          storeId: storeKeys.awsAccessKeyID,
          storeSecret: storeKeys.awsSecretAccessKey,
        },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "aws-static" },
        spec: {
          secretTargetRef: [
            secretRef("awsAccessKeyID", "id"),
            secretRef("awsSecretAccessKey", "secret"),
            secretRef("awsSessionToken", "token"),
          ],
        },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "aws-store" },
        spec: {
          awsSecretManager: {
            region: REGION,
            credentials: {
              accessKey: { valueFrom: { secretKeyRef: { name: "aws-keys", key: "storeId" } } },
              accessSecretKey: { valueFrom: { secretKeyRef: { name: "aws-keys", key: "storeSecret" } } },
            },
            secrets: [
              { parameter: "awsAccessKeyID", name: secretName, secretKey: "id" },
              { parameter: "awsSecretAccessKey", name: secretName, secretKey: "key" },
            ],
          },
        },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "aws-pod" },
        spec: { podIdentity: { provider: "aws", roleArn: "arn:aws:iam::123456789012:role/tidal-probe" } },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "probe-aws" },
        spec: {
          scaleTargetRef: { name: "probe-aws" },
          triggers: [
            {
              type: "aws-sqs-queue",
              name: "sqs",
              metadata: { ...base, queueURL: queue, queueLength: "2" },
              authenticationRef: { name: "aws-static" },
            },
            {
              type: "aws-dynamodb",
              name: "dynamodb-from-secrets-manager",
              metadata: {
                ...base,
                tableName: table,
                keyConditionExpression: "#pk = :pk",
                expressionAttributeNames: '{"#pk": "pk"}',
                expressionAttributeValues: '{":pk": {"S": "jobs"}}',
                targetValue: "1",
              },
              authenticationRef: { name: "aws-store" },
            },
            {
              type: "aws-kinesis-stream",
              name: "kinesis-pod-identity",
              metadata: { ...base, streamName: stream, shardCount: "2" },
              authenticationRef: { name: "aws-pod" },
            },
            {
              type: "aws-dynamodb-streams",
              name: "dynamodb-streams",
              metadata: { ...base, tableName: streamTable, shardCount: "1" },
              authenticationRef: { name: "aws-static" },
            },
            {
              type: "aws-cloudwatch",
              name: "cloudwatch-no-data",
              metadata: {
                ...base,
                namespace: uniqueName("probe"),
                metricName: "Backlog",
                dimensionName: "Queue",
                dimensionValue: uniqueName("none"),
                targetMetricValue: "5",
                minMetricValue: "1",
              },
              authenticationRef: { name: "aws-static" },
            },
            {
              type: "aws-sqs-queue",
              name: "sqs-missing-queue",
              metadata: { ...base, queueURL: `${services.motoUrl}/123456789012/tidal-no-such-queue` },
              authenticationRef: { name: "aws-static" },
            },
            {
              type: "aws-sqs-queue",
              name: "sqs-unreachable",
              metadata: { ...base, queueURL: queue, awsEndpoint: `http://127.0.0.1:${closed}` },
              authenticationRef: { name: "aws-static" },
            },
          ],
        },
      },
    ];
    manifest = join(directory, "probe.yaml");
    writeFileSync(manifest, documents.map((document) => stringify(document)).join("---\n"));
    results = await Promise.all([
      runTidal(["probe", "-f", manifest], { env: environment }),
      runTidal(["probe", "-f", manifest, "--output", "json"], { env: environment }),
    ]);
    rows = JSON.parse(results[1]!.stdout) as ProbeRow[];
  });

  const row = (trigger: string) => {
    const found = rows.find((candidate) => candidate.trigger === trigger);
    expect(found, `a row for trigger ${trigger}`).toBeDefined();
    return found as ProbeRow;
  };

  it("measures every working AWS trigger, whichever way it authenticates", () => {
    const name = queue.slice(queue.lastIndexOf("/") + 1);
    expect(row("sqs")).toMatchObject({
      metricName: `s0-aws-sqs-${name}`,
      value: 3,
      target: 2,
      active: true,
      error: null,
    });
    expect(row("dynamodb-from-secrets-manager")).toMatchObject({
      metricName: `s1-aws-dynamodb-${table}`,
      value: 2,
      target: 1,
      active: true,
      error: null,
    });
    expect(row("kinesis-pod-identity")).toMatchObject({
      metricName: `s2-aws-kinesis-${stream}`,
      value: 4,
      target: 2,
      active: true,
      error: null,
    });
    expect(row("dynamodb-streams")).toMatchObject({
      metricName: `s3-aws-dynamodb-streams-${streamTable}`,
      error: null,
    });
    expect(row("cloudwatch-no-data")).toMatchObject({
      metricName: "s4-aws-cloudwatch",
      value: 1,
      active: true,
      error: null,
    });
  });

  it("reports the failing triggers with their cause, exits 1, and prints no secret and no stack trace", () => {
    expect(row("sqs-missing-queue").error).toMatch(/QueueDoesNotExist/);
    expect(row("sqs-unreachable").error).toContain("ECONNREFUSED");
    for (const result of results) {
      expect(result.code).toBe(1);
      expectNoStackTrace(result);
      for (const canary of CANARIES) {
        expect(result.stdout).not.toContain(canary);
        expect(result.stderr).not.toContain(canary);
      }
    }
  });

  it("validates the same file without contacting Secrets Manager or STS", async () => {
    // Unreachable endpoints: validate must not need them.
    const unreachable = `http://127.0.0.1:${await closedPort()}`;
    const result = await runTidal(["validate", "-f", manifest], {
      env: { ...environment, AWS_ENDPOINT_URL: unreachable },
    });
    expectNoStackTrace(result);
    expect(result.stdout + result.stderr).not.toContain("ECONNREFUSED");
    for (const canary of CANARIES) expect(result.stdout + result.stderr).not.toContain(canary);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });
});
