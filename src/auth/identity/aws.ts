import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import { messageOf } from "../../util/errors.ts";

/**
 * AWS credentials as KEDA builds them for its AWS scalers and its AWS Secrets Manager store
 * (KEDA's pkg/scalers/aws): which identity a trigger uses, decided from its pod identity, its
 * authentication parameters and its metadata, and an SDK credential provider for it. Tidal's own
 * AWS identity (what KEDA's operator pod has) comes from the environment the command was started
 * with, handed in as a record: this module never reads process.env. The SDK is loaded only when a
 * credential is first needed.
 */

/** Credentials in the shape the AWS SDK takes (`credentials` of any client). */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export type AwsCredentialProvider = () => Promise<AwsCredentials>;

/** The environment of the Tidal process (KEDA's operator pod), as the command captured it. */
export type ProcessEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * Which identity a trigger uses, as KEDA's GetAwsAuthorization decides:
 * - `keys`: an access key (and session token) from the authentication parameters or the metadata;
 * - `pod-identity`: podIdentity provider `aws`; with a role, Tidal assumes it through its web
 *   identity token (IRSA), falling back to AssumeRole with its own credentials; without a role,
 *   Tidal's own credentials;
 * - `tidal`: Tidal's own credentials (metadata identityOwner, KEDA's older way); with
 *   `assumeRoleArn` (the awsRoleArn parameter) it assumes that role with them.
 */
export type AwsAuthorization =
  | { kind: "keys"; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { kind: "pod-identity"; roleArn?: string; externalId?: string }
  | { kind: "tidal"; assumeRoleArn?: string };

/** What a trigger gives for its AWS identity. */
export interface AwsAuthorizationInput {
  podIdentity?: PodIdentity | undefined;
  /** The trigger's metadata identityOwner (KEDA's deprecated switch: pod or operator). */
  identityOwner?: string | undefined;
  /** The awsRoleArn authentication parameter. */
  roleArn?: string | undefined;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
}

export interface AwsAuthorizationProblem {
  /** The parameter the problem is about. */
  key: string;
  message: string;
}

/**
 * The identity KEDA would use for these inputs, or the problem that stops it. With podIdentity
 * `aws` the role comes from the identity's roleArn (with its externalID), else from awsRoleArn.
 * Otherwise identityOwner `operator` means Tidal's own credentials; unset or `pod` means the
 * awsRoleArn parameter, else an access key, which then needs its secret; any other value means
 * Tidal's own credentials, as in KEDA.
 */
export function awsAuthorization(input: AwsAuthorizationInput): AwsAuthorization | AwsAuthorizationProblem {
  const identity = input.podIdentity;
  if (identity?.provider === "aws") {
    if (identity.roleArn) {
      return {
        kind: "pod-identity",
        roleArn: identity.roleArn,
        ...(identity.externalID ? { externalId: identity.externalID } : {}),
      };
    }
    return input.roleArn ? { kind: "pod-identity", roleArn: input.roleArn } : { kind: "pod-identity" };
  }
  const owner = input.identityOwner ?? "";
  if (owner === "operator") return { kind: "tidal" };
  if (owner !== "" && owner !== "pod") return { kind: "tidal" };
  if (input.roleArn) return { kind: "tidal", assumeRoleArn: input.roleArn };
  if (!input.accessKeyId) {
    return {
      key: "awsAccessKeyID",
      message:
        "awsAccessKeyID not found: give awsAccessKeyID and awsSecretAccessKey (or awsRoleArn) in a TriggerAuthentication, " +
        "or use a TriggerAuthentication with podIdentity.provider aws",
    };
  }
  if (!input.secretAccessKey) {
    return {
      key: "awsSecretAccessKey",
      message: "awsSecretAccessKey not found: give it beside awsAccessKeyID in the TriggerAuthentication",
    };
  }
  return {
    kind: "keys",
    accessKeyId: input.accessKeyId,
    secretAccessKey: input.secretAccessKey,
    ...(input.sessionToken ? { sessionToken: input.sessionToken } : {}),
  };
}

export function isAwsAuthorizationProblem(
  value: AwsAuthorization | AwsAuthorizationProblem,
): value is AwsAuthorizationProblem {
  return "message" in value;
}

/**
 * What stops an `aws` pod identity when a trigger is built (KEDA's resolver): roleArn and
 * identityOwner workload exclude each other. identityOwner workload takes the role from the
 * scale target's ServiceAccount annotation eks.amazonaws.com/role-arn, which Tidal does not read.
 */
export function awsPodIdentityProblems(identity: PodIdentity | undefined): AwsAuthorizationProblem[] {
  if (identity?.provider !== "aws" || identity.identityOwner !== "workload") return [];
  if (identity.roleArn) {
    return [
      {
        key: "podIdentity.roleArn",
        message:
          "roleArn of PodIdentity can't be set if KEDA isn't identityOwner: remove roleArn or identityOwner",
      },
    ];
  }
  return [
    {
      key: "podIdentity.identityOwner",
      message:
        "identityOwner workload takes the role from the scale target's ServiceAccount annotation " +
        "eks.amazonaws.com/role-arn, which Tidal does not read: set podIdentity.roleArn to that role instead",
    },
  ];
}

/**
 * KEDA's admission rules for an `aws` pod identity in a (Cluster)TriggerAuthentication: those
 * above, and externalID needs roleArn. (A trigger whose identity breaks only the latter still runs
 * in KEDA, without the external id.)
 */
export function awsPodIdentityAdmissionProblems(
  identity: PodIdentity | undefined,
): AwsAuthorizationProblem[] {
  const problems = awsPodIdentityProblems(identity);
  if (identity?.provider === "aws" && identity.externalID && !identity.roleArn) {
    problems.push({
      key: "podIdentity.externalID",
      message: "externalID of PodIdentity requires roleArn to be set",
    });
  }
  return problems;
}

/** A key for sharing credentials and clients: equal for equal identities, never containing a secret. */
export function awsAuthorizationKey(authorization: AwsAuthorization): string {
  return createHash("sha256").update(JSON.stringify(authorization)).digest("hex").slice(0, 32);
}

/** KEDA's session name when it assumes a role. */
const SESSION_NAME = "KEDA";
/** Credentials are renewed this long before they expire. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * The endpoint the operator's environment gives for a service (AWS_ENDPOINT_URL_<SERVICE>, then
 * AWS_ENDPOINT_URL, as the AWS SDKs read them), unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is set.
 * `serviceId` is the SDK's service id in upper case with underscores, e.g. SQS, SECRETS_MANAGER.
 */
export function awsEnvironmentEndpoint(
  environment: ProcessEnvironment,
  serviceId: string,
): string | undefined {
  if (environment.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === "true") return undefined;
  return environment[`AWS_ENDPOINT_URL_${serviceId}`] || environment.AWS_ENDPOINT_URL || undefined;
}

/** The region of the operator's environment (AWS_REGION, then AWS_DEFAULT_REGION). */
export function awsEnvironmentRegion(environment: ProcessEnvironment): string | undefined {
  return environment.AWS_REGION || environment.AWS_DEFAULT_REGION || undefined;
}

export interface AwsClientOptions {
  region: string;
  /** The service's endpoint; default AWS's for the region. */
  endpoint?: string | undefined;
  credentials: AwsCredentialProvider;
  /** Connection and request timeout of each attempt. */
  timeoutMs: number;
}

/**
 * Configuration for any AWS SDK v3 client: everything that would otherwise come from the process
 * environment is given (region, credentials, endpoint, retries), so the client behaves the same
 * whatever environment the library runs in.
 */
export function awsClientConfig(options: AwsClientOptions) {
  return {
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    credentials: options.credentials,
    ignoreConfiguredEndpointUrls: true,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    maxAttempts: 3,
    retryMode: "standard",
    requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs },
  };
}

export interface AwsCredentialOptions {
  /** Region of the STS calls (the trigger's region). */
  region: string;
  /** Tidal's own environment: its own credentials, web identity token, STS endpoint. */
  environment: ProcessEnvironment;
  timeoutMs: number;
}

/**
 * A credential provider for an identity, as KEDA builds it: static keys; Tidal's own credentials;
 * or a role, assumed through the web identity token of Tidal's environment first (IRSA) and
 * through AssumeRole with Tidal's own credentials when that fails. Results are kept until shortly
 * before they expire; a failure is retried on the next call.
 */
export function awsCredentialProvider(
  authorization: AwsAuthorization,
  options: AwsCredentialOptions,
): AwsCredentialProvider {
  switch (authorization.kind) {
    case "keys": {
      const credentials: AwsCredentials = {
        accessKeyId: authorization.accessKeyId,
        secretAccessKey: authorization.secretAccessKey,
        ...(authorization.sessionToken ? { sessionToken: authorization.sessionToken } : {}),
      };
      return async () => credentials;
    }
    case "tidal":
      return authorization.assumeRoleArn
        ? memoize(assumeRole(authorization.assumeRoleArn, undefined, tidalCredentials(options), options))
        : tidalCredentials(options);
    case "pod-identity":
      return authorization.roleArn
        ? memoize(podIdentityRole(authorization.roleArn, authorization.externalId, options))
        : tidalCredentials(options);
  }
}

/**
 * Tidal's own credentials from its environment, in the AWS SDKs' order: an access key
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), a web identity
 * (AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN: IRSA), then container credentials
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI: EKS Pod Identity, ECS). Shared profiles
 * and EC2 instance metadata are not read.
 */
export function tidalCredentials(options: AwsCredentialOptions): AwsCredentialProvider {
  const environment = options.environment;
  const accessKeyId = environment.AWS_ACCESS_KEY_ID;
  const secretAccessKey = environment.AWS_SECRET_ACCESS_KEY;
  if (accessKeyId && secretAccessKey) {
    const sessionToken = environment.AWS_SESSION_TOKEN;
    const credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
    return async () => credentials;
  }
  const tokenFile = environment.AWS_WEB_IDENTITY_TOKEN_FILE;
  const roleArn = environment.AWS_ROLE_ARN;
  if (tokenFile && roleArn) {
    const sessionName = environment.AWS_ROLE_SESSION_NAME || `tidal-${Date.now()}`;
    return memoize(() => webIdentity(roleArn, tokenFile, sessionName, options));
  }
  const fullUri = environment.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  const relativeUri = environment.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  if (fullUri || relativeUri) {
    const url = fullUri || `http://169.254.170.2${relativeUri}`;
    return memoize(() => containerCredentials(url, options));
  }
  return async () => {
    throw new Error(
      "no AWS credentials: the trigger uses Tidal's own AWS identity, and Tidal's environment has none " +
        "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, or " +
        "AWS_CONTAINER_CREDENTIALS_FULL_URI); give the trigger credentials in a TriggerAuthentication instead",
    );
  };
}

/**
 * KEDA's pod identity with a role: AssumeRoleWithWebIdentity with the token file of Tidal's
 * environment (AWS_WEB_IDENTITY_TOKEN_FILE) when it has one; when that fails or there is none,
 * AssumeRole with Tidal's own credentials. The way that worked first is kept, as KEDA keeps it.
 */
function podIdentityRole(
  roleArn: string,
  externalId: string | undefined,
  options: AwsCredentialOptions,
): AwsCredentialProvider {
  const tokenFile = options.environment.AWS_WEB_IDENTITY_TOKEN_FILE;
  const byAssumeRole = assumeRole(roleArn, externalId, tidalCredentials(options), options);
  if (!tokenFile) return byAssumeRole;
  let chosen: AwsCredentialProvider | undefined;
  return async () => {
    if (chosen) return chosen();
    const byWebIdentity = () => webIdentity(roleArn, tokenFile, SESSION_NAME, options);
    try {
      const credentials = await byWebIdentity();
      chosen = byWebIdentity;
      return credentials;
    } catch (webError) {
      try {
        const credentials = await byAssumeRole();
        chosen = byAssumeRole;
        return credentials;
      } catch (assumeError) {
        throw new Error(
          `assuming role ${roleArn} failed: with the web identity token ${tokenFile}: ${messageOf(webError)}; ` +
            `with AssumeRole and Tidal's own credentials: ${messageOf(assumeError)}`,
          { cause: assumeError },
        );
      }
    }
  };
}

async function stsClient(options: AwsCredentialOptions, credentials: AwsCredentialProvider) {
  const sts = await import("@aws-sdk/client-sts");
  const client = new sts.STSClient(
    awsClientConfig({
      region: options.region,
      endpoint: awsEnvironmentEndpoint(options.environment, "STS"),
      credentials,
      timeoutMs: options.timeoutMs,
    }),
  );
  return { sts, client };
}

/** AssumeRoleWithWebIdentity needs no credentials of its own. */
const NO_CREDENTIALS: AwsCredentialProvider = async () => {
  throw new Error("this call needs no AWS credentials");
};

async function webIdentity(
  roleArn: string,
  tokenFile: string,
  sessionName: string,
  options: AwsCredentialOptions,
): Promise<AwsCredentials> {
  let token: string;
  try {
    token = (await readFile(tokenFile, "utf8")).trim();
  } catch (error) {
    throw new Error(`cannot read the web identity token file ${tokenFile}: ${fileError(error)}`, {
      cause: error,
    });
  }
  const { sts, client } = await stsClient(options, NO_CREDENTIALS);
  try {
    const answer = await client.send(
      new sts.AssumeRoleWithWebIdentityCommand({
        RoleArn: roleArn,
        RoleSessionName: sessionName,
        WebIdentityToken: token,
      }),
    );
    return fromSts(answer.Credentials, `AssumeRoleWithWebIdentity for ${roleArn}`);
  } catch (error) {
    throw new Error(`STS AssumeRoleWithWebIdentity for ${roleArn}: ${awsErrorMessage(error)}`, {
      cause: error,
    });
  } finally {
    client.destroy();
  }
}

function assumeRole(
  roleArn: string,
  externalId: string | undefined,
  credentials: AwsCredentialProvider,
  options: AwsCredentialOptions,
): AwsCredentialProvider {
  return async () => {
    const { sts, client } = await stsClient(options, credentials);
    try {
      const answer = await client.send(
        new sts.AssumeRoleCommand({
          RoleArn: roleArn,
          RoleSessionName: SESSION_NAME,
          ...(externalId ? { ExternalId: externalId } : {}),
        }),
      );
      return fromSts(answer.Credentials, `AssumeRole for ${roleArn}`);
    } catch (error) {
      throw new Error(`STS AssumeRole for ${roleArn}: ${awsErrorMessage(error)}`, { cause: error });
    } finally {
      client.destroy();
    }
  };
}

function fromSts(
  credentials:
    { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date } | undefined,
  what: string,
): AwsCredentials {
  if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) {
    throw new Error(`${what} answered without credentials`);
  }
  return {
    accessKeyId: credentials.AccessKeyId,
    secretAccessKey: credentials.SecretAccessKey,
    ...(credentials.SessionToken ? { sessionToken: credentials.SessionToken } : {}),
    ...(credentials.Expiration ? { expiration: new Date(credentials.Expiration) } : {}),
  };
}

/** The container credentials endpoint (EKS Pod Identity agent, ECS): GET with the authorization token. */
async function containerCredentials(url: string, options: AwsCredentialOptions): Promise<AwsCredentials> {
  const environment = options.environment;
  const headers: Record<string, string> = {};
  const tokenFile = environment.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  try {
    if (tokenFile) headers.Authorization = (await readFile(tokenFile, "utf8")).trim();
    else if (environment.AWS_CONTAINER_AUTHORIZATION_TOKEN)
      headers.Authorization = environment.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  } catch (error) {
    throw new Error(`cannot read the container authorization token file ${tokenFile}: ${fileError(error)}`, {
      cause: error,
    });
  }
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (error) {
    throw new Error(`container credentials endpoint ${url}: ${messageOf(error)}`, { cause: error });
  }
  const body = (await response.json().catch(() => undefined)) as
    { AccessKeyId?: string; SecretAccessKey?: string; Token?: string; Expiration?: string } | undefined;
  if (!response.ok || !body?.AccessKeyId || !body.SecretAccessKey) {
    throw new Error(
      `container credentials endpoint ${url} answered HTTP ${response.status} without credentials`,
    );
  }
  return {
    accessKeyId: body.AccessKeyId,
    secretAccessKey: body.SecretAccessKey,
    ...(body.Token ? { sessionToken: body.Token } : {}),
    ...(body.Expiration ? { expiration: new Date(body.Expiration) } : {}),
  };
}

function fileError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return code === "ENOENT" ? "no such file" : messageOf(error);
}

/** Keeps a provider's answer until shortly before it expires; failures are not kept. */
function memoize(provider: AwsCredentialProvider): AwsCredentialProvider {
  let current: Promise<AwsCredentials> | undefined;
  let expiresAt = Number.POSITIVE_INFINITY;
  return () => {
    if (current && Date.now() < expiresAt - REFRESH_MARGIN_MS) return current;
    const attempt = provider();
    current = attempt;
    expiresAt = Number.POSITIVE_INFINITY;
    attempt.then(
      (credentials) => {
        if (current === attempt) expiresAt = credentials.expiration?.getTime() ?? Number.POSITIVE_INFINITY;
      },
      () => {
        if (current === attempt) current = undefined;
      },
    );
    return attempt;
  };
}

/**
 * One line for an AWS SDK error: the service's error code and message (e.g. `QueueDoesNotExist:
 * The specified queue does not exist.`), or the network error (`connect ECONNREFUSED ...`).
 */
export function awsErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = messageOf(error);
  const name = error.name;
  if (name === "AbortError") return "the request was aborted (deadline passed)";
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && message.includes("Deserialization error")) {
    // An answer not in the service's protocol (a proxy's page, or an XML error from a JSON service).
    return `the service answered HTTP ${status} in a form the AWS client cannot read (${message.split("\n")[0]?.trim()})`;
  }
  if (!name || name === "Error" || message.startsWith(name)) return message;
  return `${name}: ${message}`;
}
