import type { AwsSecretManager } from "../../api/schema/trigger-authentication.ts";
import {
  awsClientConfig,
  awsCredentialProvider,
  awsEnvironmentEndpoint,
  awsEnvironmentRegion,
  awsErrorMessage,
  awsPodIdentityProblems,
  type AwsAuthorization,
} from "../identity/aws.ts";
import type { SecretStore, SecretStoreContext } from "./types.ts";

/** Deadline of each call to AWS (STS and Secrets Manager). */
const TIMEOUT_MS = 10_000;

type SecretRef = NonNullable<AwsSecretManager["credentials"]>["accessKey"];

/**
 * KEDA's awsSecretManager: each entry of `secrets` reads a secret's SecretString (a version by
 * versionId or versionStage when given) into a parameter, or, with secretKey, that key of the
 * secret read as a JSON object. The identity is an access key from the authentication's Secrets
 * (credentials), or podIdentity `aws` (Tidal's own identity, or a role it assumes). The region is
 * `region`, else Tidal's AWS_REGION. Errors name the entry, never a value.
 */
export const awsSecretManagerStore: SecretStore<"awsSecretManager"> = {
  field: "awsSecretManager",
  async resolve(config, context) {
    const where = `${context.label}: awsSecretManager`;
    const authorization = await storeAuthorization(config, context, where);
    const region = config.region || awsEnvironmentRegion(context.processEnvironment);
    if (!region) {
      throw new Error(
        `${where}: no region: set awsSecretManager.region (or AWS_REGION in Tidal's environment)`,
      );
    }
    const credentials = awsCredentialProvider(authorization, {
      region,
      environment: context.processEnvironment,
      timeoutMs: TIMEOUT_MS,
    });
    const { SecretsManagerClient, GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
    const client = new SecretsManagerClient(
      awsClientConfig({
        region,
        endpoint: awsEnvironmentEndpoint(context.processEnvironment, "SECRETS_MANAGER"),
        credentials,
        timeoutMs: TIMEOUT_MS,
      }),
    );
    try {
      const params: Record<string, string> = {};
      for (const secret of config.secrets) {
        const entry = `${where} secret "${secret.name}" (parameter ${secret.parameter})`;
        let text: string | undefined;
        try {
          const answer = await client.send(
            new GetSecretValueCommand({
              SecretId: secret.name,
              ...(secret.versionId ? { VersionId: secret.versionId } : {}),
              ...(secret.versionStage ? { VersionStage: secret.versionStage } : {}),
            }),
            context.signal ? { abortSignal: context.signal } : {},
          );
          text = answer.SecretString;
        } catch (error) {
          throw new Error(`${entry}: ${awsErrorMessage(error)}`, { cause: error });
        }
        if (text === undefined) throw new Error(`${entry}: the secret has no string value (SecretString)`);
        params[secret.parameter] = secret.secretKey ? secretKeyOf(text, secret.secretKey, entry) : text;
      }
      return params;
    } finally {
      client.destroy();
    }
  },
};

/** The value of `key` in a secret read as a JSON object, as KEDA takes it: it must be a string. */
export function secretKeyOf(text: string, key: string, entry: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the text, which is the secret: say only what is wrong.
    throw new Error(`${entry}: secretKey "${key}" is set but the secret is not a JSON object`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${entry}: secretKey "${key}" is set but the secret is not a JSON object`);
  }
  if (!Object.hasOwn(parsed, key)) {
    throw new Error(`${entry}: SecretKey Not Found: the secret has no key "${key}"`);
  }
  const value = (parsed as Record<string, unknown>)[key];
  if (typeof value !== "string") {
    throw new Error(`${entry}: SecretKey value is not a string: the value of "${key}" must be a JSON string`);
  }
  return value;
}

async function storeAuthorization(
  config: AwsSecretManager,
  context: SecretStoreContext,
  where: string,
): Promise<AwsAuthorization> {
  const identity = config.podIdentity;
  const provider = identity?.provider ?? "none";
  if (provider === "aws") {
    const [problem] = awsPodIdentityProblems(identity);
    if (problem) throw new Error(`${where}: ${problem.key}: ${problem.message}`);
    return identity?.roleArn
      ? {
          kind: "pod-identity",
          roleArn: identity.roleArn,
          ...(identity.externalID ? { externalId: identity.externalID } : {}),
        }
      : { kind: "pod-identity" };
  }
  if (provider !== "none") {
    throw new Error(`${where}: pod identity provider ${provider} not supported: use aws, or credentials`);
  }
  const expected = `${where}: AccessKeyID and AccessSecretKey are expected when not using a pod identity provider: set credentials.accessKey and credentials.accessSecretKey`;
  const credentials = config.credentials;
  if (!credentials) throw new Error(expected);
  const accessKeyId = await secretValue(credentials.accessKey, context, "credentials.accessKey", where);
  const secretAccessKey = await secretValue(
    credentials.accessSecretKey,
    context,
    "credentials.accessSecretKey",
    where,
  );
  const sessionToken = credentials.accessToken
    ? await secretValue(credentials.accessToken, context, "credentials.accessToken", where)
    : undefined;
  if (!accessKeyId || !secretAccessKey) throw new Error(expected);
  return { kind: "keys", accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

async function secretValue(
  reference: SecretRef,
  context: SecretStoreContext,
  field: string,
  where: string,
): Promise<string> {
  const { name, key } = reference.valueFrom.secretKeyRef;
  const values = await context.sources.secret(context.namespace, name);
  if (values === undefined) {
    throw new Error(`${where}: ${field}: Secret "${name}" not found in namespace "${context.namespace}"`);
  }
  const value = values[key];
  if (value === undefined) throw new Error(`${where}: ${field}: Secret "${name}" has no key "${key}"`);
  return value;
}
