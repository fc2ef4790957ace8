import {
  awsAuthorization,
  awsAuthorizationKey,
  awsClientConfig,
  awsCredentialProvider,
  awsEnvironmentEndpoint,
  awsPodIdentityProblems,
  isAwsAuthorizationProblem,
  type AwsAuthorization,
  type AwsClientOptions,
  type AwsCredentialProvider,
} from "../../auth/identity/aws.ts";
import { poolKey, type Lease } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerContext } from "../types.ts";

/**
 * What every AWS scaler reads besides its own parameters, with KEDA's keys and sources: the
 * region and endpoint, and the credentials of KEDA's GetAwsAuthorization.
 */
export const awsParams = {
  awsRegion: param.string({ sources: ["metadata", "auth"], description: "AWS region, e.g. eu-west-1" }),
  awsEndpoint: param.string({
    optional: true,
    description: "endpoint of the service instead of AWS's (e.g. http://localstack:4566)",
  }),
  identityOwner: param.string({
    optional: true,
    description:
      "deprecated: pod (default) uses the credentials below, operator Tidal's own; use podIdentity.provider aws instead",
  }),
  awsAccessKeyID: param.string({
    sources: ["auth", "metadata", "env"],
    aliases: ["awsAccessKeyId"],
    optional: true,
    secret: true,
    description: "access key id (from a TriggerAuthentication, or awsAccessKeyIDFromEnv)",
  }),
  awsSecretAccessKey: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description: "secret access key (from a TriggerAuthentication, or awsSecretAccessKeyFromEnv)",
  }),
  awsSessionToken: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "session token of temporary credentials",
  }),
  awsRoleArn: param.string({
    sources: ["auth"],
    optional: true,
    description: "role to assume (with podIdentity aws, when the identity names none)",
  }),
};

export interface AwsParamValues {
  awsRegion: string;
  awsEndpoint?: string | undefined;
  identityOwner?: string | undefined;
  awsAccessKeyID?: string | undefined;
  awsSecretAccessKey?: string | undefined;
  awsSessionToken?: string | undefined;
  awsRoleArn?: string | undefined;
}

function authorizationOf(values: AwsParamValues, context: Pick<ScalerContext, "podIdentity">) {
  return awsAuthorization({
    podIdentity: context.podIdentity,
    identityOwner: values.identityOwner,
    roleArn: values.awsRoleArn,
    accessKeyId: values.awsAccessKeyID,
    secretAccessKey: values.awsSecretAccessKey,
    sessionToken: values.awsSessionToken,
  });
}

/** KEDA's checks of an AWS trigger's identity, and a warning for the deprecated identityOwner. */
export function awsProblems(
  values: AwsParamValues,
  context: Pick<ScalerContext, "podIdentity">,
): ParamProblem[] {
  const problems: ParamProblem[] = awsPodIdentityProblems(context.podIdentity).map((problem) => ({
    ...problem,
    severity: "error",
  }));
  if (context.podIdentity?.provider === "aws-eks") {
    problems.push({
      key: "podIdentity.provider",
      message:
        'pod identity provider "aws-eks" is deprecated in KEDA and not supported by Tidal (it reads the role from the ' +
        "scale target's ServiceAccount): use provider aws with roleArn",
      severity: "error",
    });
    return problems;
  }
  const authorization = authorizationOf(values, context);
  if (isAwsAuthorizationProblem(authorization)) problems.push({ ...authorization, severity: "error" });
  if (values.identityOwner !== undefined) {
    problems.push({
      key: "identityOwner",
      message:
        "identityOwner is deprecated (KEDA removes it in v3): use a TriggerAuthentication with podIdentity.provider aws " +
        "for Tidal's own identity or a role",
      severity: "warning",
    });
  }
  return problems;
}

/** An AWS service client of the SDK, as Tidal uses them. */
interface AwsClient {
  destroy(): void;
}

export interface AwsService<C extends AwsClient> {
  /** The SDK's service id for AWS_ENDPOINT_URL_<ID>, e.g. SQS, DYNAMODB_STREAMS. */
  id: string;
  /** Loads the SDK module and makes a client (the module is imported only here). */
  create(config: ReturnType<typeof awsClientConfig>): Promise<C>;
}

/**
 * A client of `service` shared by every trigger with the same region, endpoint and identity; its
 * credentials are shared too, across services (one role assumed once).
 */
export function acquireAwsClient<C extends AwsClient>(
  service: AwsService<C>,
  values: AwsParamValues,
  context: ScalerContext,
): Lease<SharedAwsClient<C>> {
  const authorization = authorizationOf(values, context);
  if (isAwsAuthorizationProblem(authorization)) throw new Error(authorization.message);
  const environment = context.processEnvironment ?? {};
  const endpoint = values.awsEndpoint || awsEnvironmentEndpoint(environment, service.id);
  const credentialsKey = poolKey(
    "aws-credentials",
    values.awsRegion,
    awsEnvironmentEndpoint(environment, "STS"),
    awsAuthorizationKey(authorization),
    context.timeoutMs,
  );
  const key = poolKey(`aws-${service.id}`, values.awsRegion, endpoint, credentialsKey);
  return context.pool.acquire(
    key,
    async () => {
      const credentials = acquireCredentials(credentialsKey, authorization, values.awsRegion, context);
      try {
        const options: AwsClientOptions = {
          region: values.awsRegion,
          endpoint,
          credentials: await credentials.client,
          timeoutMs: context.timeoutMs,
        };
        return { client: await service.create(awsClientConfig(options)), credentials };
      } catch (error) {
        await credentials.release();
        throw error;
      }
    },
    async (shared) => {
      shared.client.destroy();
      await shared.credentials.release();
    },
  );
}

/** A pooled client and the lease of the credentials it signs with. */
export interface SharedAwsClient<C> {
  client: C;
  credentials: Lease<AwsCredentialProvider>;
}

function acquireCredentials(
  key: string,
  authorization: AwsAuthorization,
  region: string,
  context: ScalerContext,
) {
  return context.pool.acquire(
    key,
    async () =>
      awsCredentialProvider(authorization, {
        region,
        environment: context.processEnvironment ?? {},
        timeoutMs: context.timeoutMs,
      }),
    async () => undefined,
  );
}
