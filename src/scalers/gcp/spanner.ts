import type { Spanner } from "@google-cloud/spanner";
import {
  describeGcpError,
  gcpEndpointOverride,
  loadGcpIdentity,
  sdkCallTimeout,
  untilAborted,
  type GcpCredentialSource,
  type GcpIdentity,
} from "../../auth/identity/gcp.ts";
import { retryingLazy } from "../../util/lazy.ts";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerContext, ScalerDefinition } from "../types.ts";
import { gcpCredentialParams, gcpCredentialProblems, triggerCredentialSource } from "./credentials.ts";

const params = {
  projectId: param.string({ description: "the Google Cloud project of the instance" }),
  instanceId: param.string({ description: "the Spanner instance" }),
  databaseId: param.string({ description: "the database" }),
  query: param.string({
    description: "SQL whose first row's first column (INT64) is the metric; no row reads 0",
  }),
  targetValue: param.float({ default: 5, description: "target value per replica" }),
  activationValue: param.float({ default: 0, description: "active when the value is greater than this" }),
  ...gcpCredentialParams,
};

type Environment = Readonly<Record<string, string | undefined>>;

/** Where the client connects: the emulator KEDA honours, Tidal's endpoint override, or Google's. */
interface SpannerTarget {
  /** For messages. */
  label: string;
  options: { apiEndpoint?: string; servicePath?: string; port?: number; plaintext: boolean };
  /** The emulator needs no credentials. */
  emulator: boolean;
}

export function spannerTarget(env: Environment): SpannerTarget {
  const emulator = env.SPANNER_EMULATOR_HOST?.trim();
  if (emulator) {
    const [host, port] = emulator.split(":");
    return {
      label: `the Spanner emulator at ${emulator}`,
      options: { servicePath: host as string, ...(port ? { port: Number(port) } : {}), plaintext: true },
      emulator: true,
    };
  }
  const override = gcpEndpointOverride("spanner", env as NodeJS.ProcessEnv);
  if (override) {
    return {
      label: override.origin,
      options: { apiEndpoint: override.host, port: override.port, plaintext: override.protocol === "http" },
      emulator: false,
    };
  }
  return { label: "spanner.googleapis.com", options: { plaintext: false }, emulator: false };
}

/** The first column of the first row, as KEDA reads it into an int64; no row is 0. */
export function spannerValue(
  rows: readonly (readonly { value: unknown }[])[],
  firstColumnType: string | number | undefined,
): number {
  const row = rows[0];
  if (row === undefined) return 0;
  if (firstColumnType !== "INT64" && firstColumnType !== 2)
    throw new Error(`reading first column as INT64: the column is ${String(firstColumnType ?? "missing")}`);
  const value = row[0]?.value;
  if (value === null || value === undefined)
    throw new Error("reading first column as INT64: the value is NULL");
  const number = Number(
    typeof value === "object" && "value" in (value as object) ? (value as { value: string }).value : value,
  );
  if (!Number.isFinite(number))
    throw new Error(`reading first column as INT64: ${String(value)} is not a number`);
  return number;
}

interface SpannerClient {
  spanner: Spanner;
  identity: GcpIdentity | undefined;
}

async function createSpanner(
  source: GcpCredentialSource | undefined,
  target: SpannerTarget,
  projectId: string,
): Promise<SpannerClient> {
  const identity = source && !target.emulator ? await loadGcpIdentity(source) : undefined;
  const { Spanner } = await import("@google-cloud/spanner");
  // The same @grpc/grpc-js the client library uses (one copy in the dependency tree).
  const grpc = await import("@grpc/grpc-js");
  const spanner = new Spanner({
    ...(identity ? await identity.clientOptions() : {}),
    projectId,
    ...(target.options.apiEndpoint ? { apiEndpoint: target.options.apiEndpoint } : {}),
    ...(target.options.servicePath ? { servicePath: target.options.servicePath } : {}),
    ...(target.options.port ? { port: target.options.port } : {}),
    ...(target.options.plaintext ? { sslCreds: grpc.credentials.createInsecure() } : {}),
    // Client-side metrics would be exported to Cloud Monitoring in the trigger's project.
    disableBuiltInMetrics: true,
  });
  return { spanner, identity };
}

function acquireSpanner(
  source: GcpCredentialSource | undefined,
  target: SpannerTarget,
  projectId: string,
  context: ScalerContext,
) {
  const credential =
    source === undefined
      ? "none"
      : source.kind === "workload"
        ? "workload"
        : source.kind === "key"
          ? source.json
          : source.path;
  return context.pool.acquire(
    poolKey("gcp-spanner", target.label, projectId, source?.kind ?? "none", credential),
    async () => retryingLazy(() => createSpanner(source, target, projectId)),
    async (lazy) => {
      const client = await lazy().catch(() => undefined);
      client?.spanner.close();
    },
  );
}

export const gcpSpannerScaler: ScalerDefinition<typeof params> = {
  type: "gcp-spanner",
  kedaScalerName: "spannerScaler",
  description:
    "The INT64 value of a SQL query on a Cloud Spanner database (a single-use read-only transaction).",
  testedAgainst:
    "fake-gcp-spanner (a loopback fake of Cloud Spanner's documented gRPC API, v1 sessions and ExecuteStreamingSql)",
  example: {
    metadata: {
      projectId: "my-project",
      instanceId: "my-instance",
      databaseId: "my-db",
      query: "SELECT COUNT(*) FROM jobs WHERE status = 'pending'",
    },
    authParams: { GoogleApplicationCredentials: '{"type":"service_account", …}' },
    metricName: "s0-gcp-spanner-my-instance-my-db-my-project",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    if (values.targetValue <= 0) {
      problems.push({
        key: "targetValue",
        message: `targetValue must be greater than 0, got ${values.targetValue}`,
        severity: "error",
      });
    }
    return [...problems, ...gcpCredentialProblems(values, context.podIdentity)];
  },
  metric: (values) => ({
    name: `gcp-spanner-${values.instanceId}-${values.databaseId}-${values.projectId}`,
    target: values.targetValue,
    activationTarget: values.activationValue,
  }),
  connect(values, context) {
    const target = spannerTarget(context.processEnvironment ?? {});
    const source = triggerCredentialSource(values, context.podIdentity);
    const lease = acquireSpanner(source, target, values.projectId, context);
    const what = `query on database ${values.databaseId} of instance ${values.instanceId} (project ${values.projectId})`;
    return {
      async measure(signal) {
        const client = await untilAborted((await lease.client)(), signal);
        const database = client.spanner.instance(values.instanceId).database(values.databaseId);
        let rows: { value: unknown }[][];
        let type: string | number | undefined;
        try {
          const [result, , metadata] = (await untilAborted(
            database.run({
              sql: values.query,
              json: false,
              gaxOptions: { timeout: sdkCallTimeout(context.timeoutMs) },
            } as never),
            signal,
          )) as unknown as [
            { value: unknown }[][],
            unknown,
            { rowType?: { fields?: { type?: { code?: string | number } }[] } },
          ];
          rows = result;
          type = metadata?.rowType?.fields?.[0]?.type?.code;
        } catch (error) {
          if (signal.aborted) throw error;
          const message = describeGcpError(error, what, target.label);
          throw new Error(client.identity ? client.identity.redact(message) : message, { cause: error });
        }
        const value = spannerValue(rows, type);
        return { value, active: value > values.activationValue };
      },
      close: () => lease.release(),
    };
  },
};
