import { createPrivateKey } from "node:crypto";
import type { Connection } from "@temporalio/client";
import { poolKey } from "../connection-pool.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import {
  int64,
  queueTypes,
  runningWorkflowCountQuery,
  scalerMode,
  sumDeploymentBacklog,
  TASK_QUEUE_TYPE,
  VERSION_STATUS,
  VISIBILITY_LITERAL,
} from "./backlog.ts";

const DEPRECATED_BUILD_ID =
  "is deprecated in KEDA and removed in v2.21 (Temporal Server drops the Rules-Based Versioning APIs): use workerDeploymentName and workerDeploymentBuildId";

const params = {
  endpoint: param.string({
    sources: ["metadata", "env"],
    description: "frontend gRPC address, e.g. temporal:7233",
  }),
  namespace: param.string({
    sources: ["metadata", "env"],
    default: "default",
    description: "Temporal namespace",
  }),
  activationTargetQueueSize: param.int({
    default: 0,
    description: "active when the backlog is greater than this",
  }),
  targetQueueSize: param.int({ default: 5, description: "target backlog per replica" }),
  taskQueue: param.string({ sources: ["metadata", "env"], description: "task queue whose backlog is read" }),
  queueTypes: param.list({
    optional: true,
    description: "task queue types to count: workflow, activity, nexus (default all three)",
  }),
  buildId: param.string({
    sources: ["metadata", "env"],
    optional: true,
    description:
      "build ID to count (deprecated in KEDA: use workerDeploymentName and workerDeploymentBuildId)",
  }),
  workerDeploymentName: param.string({
    sources: ["metadata", "env"],
    optional: true,
    description: "worker deployment whose version's backlog is read (with workerDeploymentBuildId)",
  }),
  workerDeploymentBuildId: param.string({
    sources: ["metadata", "env"],
    optional: true,
    description: "build ID of the worker deployment version (with workerDeploymentName)",
  }),
  selectAllActive: param.bool({
    default: false,
    description: "count all active build IDs (deprecated in KEDA)",
  }),
  selectUnversioned: param.bool({
    default: false,
    description: "count the unversioned queue (deprecated in KEDA)",
  }),
  includeRunningWorkflowCount: param.bool({
    default: false,
    description: "stay active while workflows run on the task queue, even with no backlog",
  }),
  workflowTaskQueueForCount: param.string({
    sources: ["metadata", "env"],
    optional: true,
    description: "task queue whose running workflows count (default taskQueue)",
  }),
  apiKey: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description: "API key (Temporal Cloud)",
  }),
  minConnectTimeout: param.int({ default: 5, description: "seconds to wait for the connection" }),
  enableTLS: param.bool({
    default: true,
    description: "use TLS with an apiKey (cert and key always use TLS)",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  cert: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client certificate (PEM) for mTLS",
  }),
  key: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client private key (PEM) for mTLS",
  }),
  keyPassword: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "password of the client private key",
  }),
  ca: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "CA certificate (PEM), with mTLS",
  }),
  tlsServerName: param.string({
    optional: true,
    description: "server name to verify instead of the endpoint's host",
  }),
};

export const temporalScaler: ScalerDefinition<typeof params> = {
  type: "temporal",
  kedaScalerName: "temporalScaler",
  description: "Approximate backlog of a Temporal task queue (or of a worker deployment version).",
  testedAgainst: "Temporal dev server (temporal CLI 1.5.1 built from Go modules)",
  example: {
    metadata: { endpoint: "temporal:7233", namespace: "default", taskQueue: "orders" },
    metricName: "s0-temporal-default-orders",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    if (values.targetQueueSize < 0) error("targetQueueSize", "targetQueueSize must be a positive number");
    if (values.activationTargetQueueSize < 0) {
      error("activationTargetQueueSize", "activationTargetQueueSize must be a positive number");
    }
    if (Boolean(values.cert) !== Boolean(values.key))
      error("cert", "both cert and key must be provided when using TLS");
    if (values.minConnectTimeout < 0)
      error("minConnectTimeout", "minConnectTimeout must be a positive number");
    if (Boolean(values.workerDeploymentName) !== Boolean(values.workerDeploymentBuildId)) {
      error("workerDeploymentName", "workerDeploymentName and workerDeploymentBuildId must both be set");
    }
    if (
      values.workerDeploymentName &&
      (values.buildId || values.selectAllActive || values.selectUnversioned)
    ) {
      error(
        "workerDeploymentName",
        "workerDeploymentName/workerDeploymentBuildId cannot be combined with buildId, selectAllActive, or selectUnversioned",
      );
    }
    if (values.workflowTaskQueueForCount && !values.includeRunningWorkflowCount) {
      error(
        "workflowTaskQueueForCount",
        "workflowTaskQueueForCount has no effect unless includeRunningWorkflowCount is true",
      );
    }
    if (values.includeRunningWorkflowCount) {
      const names = [
        values.taskQueue,
        values.workflowTaskQueueForCount,
        values.workerDeploymentName,
        values.workerDeploymentBuildId,
      ];
      for (const name of names) {
        if (name && !VISIBILITY_LITERAL.test(name)) {
          error(
            "taskQueue",
            `value "${name}" contains characters not allowed in Temporal visibility queries when includeRunningWorkflowCount is enabled`,
          );
        }
      }
    }
    if (problems.length === 0) {
      for (const key of ["buildId", "selectAllActive", "selectUnversioned"] as const) {
        if (values[key])
          problems.push({ key, message: `${key} ${DEPRECATED_BUILD_ID}`, severity: "warning" });
      }
    }
    return problems;
  },
  metric: (values) => ({
    name: values.workerDeploymentName
      ? `temporal-${values.namespace}-${values.taskQueue}-${values.workerDeploymentName}-${values.workerDeploymentBuildId ?? ""}`
      : `temporal-${values.namespace}-${values.taskQueue}`,
    target: values.targetQueueSize,
    activationTarget: values.activationTargetQueueSize,
  }),
  connect(values, context) {
    const lease = context.pool.acquire<Connection>(
      poolKey(
        "temporal",
        values.endpoint,
        values.namespace,
        values.apiKey,
        values.cert,
        values.key,
        values.keyPassword,
        values.ca,
        values.enableTLS,
        values.unsafeSsl,
        values.tlsServerName,
      ),
      () => connectTemporal(values, context.timeoutMs),
      (connection) => connection.close(),
    );
    const mode = scalerMode(values);
    const types = queueTypes(values.queueTypes);
    const service = async () => (await lease.client).workflowService;

    const unversionedBacklog = async (signal: AbortSignal) => {
      let total = 0;
      for (const type of types) {
        const workflowService = await service();
        const response = await withSignal(lease.client, signal, () =>
          workflowService.describeTaskQueue({
            namespace: values.namespace,
            taskQueue: { name: values.taskQueue, kind: 1 },
            taskQueueType: type,
            reportStats: true,
          }),
        ).catch((error: unknown) => {
          throw new Error(
            `failed to describe task queue "${values.taskQueue}" (type ${typeName(type)}): ${grpcMessage(error)}`,
            { cause: error },
          );
        });
        total += int64(response.stats?.approximateBacklogCount);
      }
      return { backlog: total, status: undefined };
    };

    const buildIdBacklog = async (signal: AbortSignal) => {
      const workflowService = await service();
      const response = await withSignal(lease.client, signal, () =>
        workflowService.describeTaskQueue({
          namespace: values.namespace,
          taskQueue: { name: values.taskQueue, kind: 1 },
          apiMode: 1,
          versions: {
            buildIds: [values.buildId ?? ""],
            unversioned: values.selectUnversioned,
            allActive: values.selectAllActive,
          },
          taskQueueTypes: types,
          reportStats: true,
        }),
      ).catch((error: unknown) => {
        throw new Error(
          `failed to describe task queue enhanced (taskQueue="${values.taskQueue}", buildId="${values.buildId ?? ""}"): ${grpcMessage(error)}`,
          { cause: error },
        );
      });
      let total = 0;
      for (const version of Object.values(response.versionsInfo ?? {})) {
        for (const typeInfo of Object.values(version.typesInfo ?? {})) {
          if (typeInfo.stats) total += int64(typeInfo.stats.approximateBacklogCount);
        }
      }
      return { backlog: total, status: undefined };
    };

    const deploymentBacklog = async (signal: AbortSignal) => {
      const workflowService = await service();
      const response = await withSignal(lease.client, signal, () =>
        workflowService.describeWorkerDeploymentVersion({
          namespace: values.namespace,
          deploymentVersion: {
            deploymentName: values.workerDeploymentName ?? "",
            buildId: values.workerDeploymentBuildId ?? "",
          },
          reportTaskQueueStats: true,
        }),
      ).catch((error: unknown) => {
        throw new Error(
          `failed to describe worker deployment version (deploymentName="${values.workerDeploymentName ?? ""}", buildId="${values.workerDeploymentBuildId ?? ""}"): ${grpcMessage(error)}`,
          { cause: error },
        );
      });
      const backlog = sumDeploymentBacklog(
        response.versionTaskQueues ?? [],
        values.taskQueue,
        values.queueTypes,
      );
      return { backlog, status: response.workerDeploymentVersionInfo?.status ?? VERSION_STATUS.unspecified };
    };

    const activeWithoutBacklog = async (status: number | undefined, signal: AbortSignal) => {
      if (status !== undefined) {
        if (status === VERSION_STATUS.draining) return true;
        if (status !== VERSION_STATUS.current && status !== VERSION_STATUS.ramping) return false;
      }
      try {
        const query = runningWorkflowCountQuery(values);
        const workflowService = await service();
        const response = await withSignal(lease.client, signal, () =>
          workflowService.countWorkflowExecutions({ namespace: values.namespace, query }),
        );
        return int64(response.count) > 0;
      } catch {
        // As in KEDA, a failed count is no signal.
        return false;
      }
    };

    return {
      async measure(signal) {
        // KEDA connects when it creates the scaler: a connection failure is not a backlog failure.
        await lease.client;
        let result: { backlog: number; status: number | undefined };
        try {
          result =
            mode === "deployment-version"
              ? await deploymentBacklog(signal)
              : mode === "build-id"
                ? await buildIdBacklog(signal)
                : await unversionedBacklog(signal);
        } catch (error) {
          if (signal.aborted) throw error;
          throw new Error(`failed to get Temporal backlog count: ${(error as Error).message}`, {
            cause: error,
          });
        }
        let active = result.backlog > values.activationTargetQueueSize;
        if (!active && values.includeRunningWorkflowCount)
          active = await activeWithoutBacklog(result.status, signal);
        return { value: result.backlog, active };
      },
      close: () => lease.release(),
    };
  },
};

/** Runs one call with the measurement's abort signal. */
async function withSignal<T>(
  connection: Promise<Connection>,
  signal: AbortSignal,
  call: () => Promise<T>,
): Promise<T> {
  return (await connection).withAbortSignal(signal, call);
}

function typeName(type: number): string {
  const names: Record<number, string> = {
    [TASK_QUEUE_TYPE.workflow]: "TASK_QUEUE_TYPE_WORKFLOW",
    [TASK_QUEUE_TYPE.activity]: "TASK_QUEUE_TYPE_ACTIVITY",
    [TASK_QUEUE_TYPE.nexus]: "TASK_QUEUE_TYPE_NEXUS",
  };
  return names[type] ?? "TASK_QUEUE_TYPE_UNSPECIFIED";
}

const GRPC_CODES = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];

/** A gRPC failure as Go prints it: `rpc error: code = NotFound desc = …`. */
function grpcMessage(error: unknown): string {
  const { code, details, message } = error as { code?: unknown; details?: unknown; message?: string };
  if (typeof code === "number" && GRPC_CODES[code]) {
    return `rpc error: code = ${GRPC_CODES[code]} desc = ${typeof details === "string" && details ? details : (message ?? "")}`;
  }
  return message ?? String(error);
}

/** TLS as KEDA sets it up: cert and key always mean mTLS; an apiKey alone uses TLS unless enableTLS is false. */
async function connectTemporal(
  values: {
    endpoint: string;
    namespace: string;
    apiKey?: string | undefined;
    cert?: string | undefined;
    key?: string | undefined;
    keyPassword?: string | undefined;
    ca?: string | undefined;
    enableTLS: boolean;
    unsafeSsl: boolean;
    tlsServerName?: string | undefined;
    minConnectTimeout: number;
  },
  timeoutMs: number,
): Promise<Connection> {
  const started = Date.now();
  const { Connection } = await import("@temporalio/client");
  const useTls = Boolean(values.cert && values.key) || Boolean(values.apiKey && values.enableTLS);
  const key =
    values.key && values.keyPassword
      ? createPrivateKey({ key: values.key, passphrase: values.keyPassword }).export({
          type: "pkcs8",
          format: "pem",
        })
      : values.key;
  const mutual = Boolean(values.cert && values.key);
  let transport: Record<string, unknown> = { tls: false };
  if (useTls && values.unsafeSsl) {
    const { credentials } = await import("@grpc/grpc-js");
    transport = {
      credentials: credentials.createSsl(
        mutual && values.ca ? Buffer.from(values.ca) : null,
        mutual ? Buffer.from(String(key)) : null,
        mutual ? Buffer.from(values.cert ?? "") : null,
        { rejectUnauthorized: false, checkServerIdentity: () => undefined },
      ),
    };
  } else if (useTls) {
    transport = {
      tls: {
        ...(values.tlsServerName ? { serverNameOverride: values.tlsServerName } : {}),
        ...(mutual && values.ca ? { serverRootCACertificate: Buffer.from(values.ca) } : {}),
        ...(mutual
          ? { clientCertPair: { crt: Buffer.from(values.cert ?? ""), key: Buffer.from(String(key)) } }
          : {}),
      },
    };
  }
  // Within the first measurement's deadline (loading the client counts), so a server that
  // cannot be reached is named as such.
  const deadline = Math.max(100, Math.floor(timeoutMs * 0.8) - (Date.now() - started));
  const connectTimeout =
    values.minConnectTimeout > 0 ? Math.min(values.minConnectTimeout * 1000, deadline) : deadline;
  try {
    return await Connection.connect({
      address: values.endpoint,
      metadata: { "temporal-namespace": values.namespace },
      ...(values.apiKey ? { apiKey: values.apiKey } : {}),
      ...transport,
      connectTimeout,
    });
  } catch (error) {
    throw new Error(
      `failed to create Temporal client connection to ${values.endpoint}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
