import { awsErrorMessage } from "../../auth/identity/aws.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { acquireAwsClient, awsParams, awsProblems } from "./common.ts";

const params = {
  queueURL: param.string({
    sources: ["metadata", "env"],
    description: "URL of the queue (or its bare name when unambiguous)",
  }),
  queueLength: param.int({ default: 5, description: "target number of messages per replica" }),
  activationQueueLength: param.int({
    default: 0,
    description: "active when the number of messages is greater than this",
  }),
  scaleOnInFlight: param.bool({
    default: true,
    description: "count in-flight messages (ApproximateNumberOfMessagesNotVisible)",
  }),
  scaleOnDelayed: param.bool({
    default: false,
    description: "count delayed messages (ApproximateNumberOfMessagesDelayed)",
  }),
  ...awsParams,
};

/**
 * The queue's name as KEDA takes it for the metric: the last part of a URL's path
 * `/<account>/<name>`, or the whole value when it is not a URL (a bare queue name).
 */
export function sqsQueueName(queueURL: string): string | ParamProblem {
  // Go's url.ParseRequestURI accepts an absolute URL or an absolute path, and nothing else.
  const isUrl = /^[A-Za-z][A-Za-z0-9+.-]*:/.test(queueURL) || queueURL.startsWith("/");
  if (!isUrl) return queueURL;
  let path: string;
  try {
    path = queueURL.startsWith("/") ? queueURL.split(/[?#]/)[0]! : new URL(queueURL).pathname;
  } catch {
    return queueURL;
  }
  const parts = path.split("/");
  if (parts.length !== 3 || !parts[2]) {
    return {
      key: "queueURL",
      message: `cannot get the queue name from queueURL "${queueURL}": it must end in /<account>/<queue name>`,
      severity: "error",
    };
  }
  return decodeURIComponent(parts[2]);
}

/** The attributes KEDA reads: visible messages, plus in-flight and delayed ones when asked. */
export function sqsAttributeNames(values: { scaleOnInFlight: boolean; scaleOnDelayed: boolean }): string[] {
  return [
    "ApproximateNumberOfMessages",
    ...(values.scaleOnInFlight ? ["ApproximateNumberOfMessagesNotVisible"] : []),
    ...(values.scaleOnDelayed ? ["ApproximateNumberOfMessagesDelayed"] : []),
  ];
}

/** The sum of the attributes, each a base-10 integer; a missing or malformed one is an error. */
export function sqsQueueLength(
  attributes: Readonly<Record<string, string>>,
  names: readonly string[],
): number {
  let total = 0;
  for (const name of names) {
    const text = attributes[name];
    if (text === undefined) throw new Error(`metric ${name} not found in SQS queue attributes`);
    if (!/^[+-]?\d+$/.test(text)) throw new Error(`SQS queue attribute ${name} is "${text}", not an integer`);
    total += Number.parseInt(text, 10);
  }
  return total;
}

export const awsSqsQueueScaler: ScalerDefinition<typeof params> = {
  type: "aws-sqs-queue",
  testedAgainst: "moto (AWS SQS API)",
  example: {
    metadata: {
      queueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/orders",
      awsRegion: "eu-west-1",
    },
    authParams: { awsAccessKeyID: "AKIAEXAMPLE", awsSecretAccessKey: "example" },
    metricName: "s0-aws-sqs-orders",
  },
  kedaScalerName: "awsSqsQueueScaler",
  description: "Messages in an AWS SQS queue (visible, plus in flight and delayed when asked).",
  params,
  validate(values, context) {
    const problems = awsProblems(values, context);
    const name = sqsQueueName(values.queueURL);
    if (typeof name !== "string") problems.push(name);
    return problems;
  },
  metric: (values) => {
    const name = sqsQueueName(values.queueURL);
    return {
      name: `aws-sqs-${typeof name === "string" ? name : values.queueURL}`,
      target: values.queueLength,
      activationTarget: values.activationQueueLength,
    };
  },
  connect(values, context) {
    const lease = acquireAwsClient(
      {
        id: "SQS",
        create: async (config) => {
          const { SQSClient } = await import("@aws-sdk/client-sqs");
          // KEDA's Go client sends every call to the region's endpoint (or awsEndpoint).
          return new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
        },
      },
      values,
      context,
    );
    const names = sqsAttributeNames(values);
    return {
      async measure(signal) {
        const { client } = await lease.client;
        const { GetQueueAttributesCommand } = await import("@aws-sdk/client-sqs");
        let attributes: Record<string, string>;
        try {
          const answer = await client.send(
            new GetQueueAttributesCommand({
              QueueUrl: values.queueURL,
              AttributeNames: names as never,
            }),
            { abortSignal: signal },
          );
          attributes = answer.Attributes ?? {};
        } catch (error) {
          throw new Error(`SQS GetQueueAttributes of ${values.queueURL}: ${awsErrorMessage(error)}`, {
            cause: error,
          });
        }
        const length = sqsQueueLength(attributes, names);
        return { value: length, active: length > values.activationQueueLength };
      },
      close: () => lease.release(),
    };
  },
};
