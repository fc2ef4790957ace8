import type { AuthSources } from "../../auth/sources.ts";
import type { Logger } from "../../observability/logger.ts";
import type { TidalMetrics } from "../../observability/metrics.ts";
import type { ConnectionPool } from "../../scalers/connection-pool.ts";
import type { Scheduler } from "../../scheduler/scheduler.ts";
import type { ScalingHistory } from "../history.ts";
import type { KubeClient } from "./kube-api.ts";
import type { KubeEventRecorder } from "./kube-events.ts";

/** What the ScaledObject and ScaledJob reconcilers share, wired once by the operator. */
export interface ReconcilerDependencies {
  api: KubeClient;
  authSources: AuthSources;
  scheduler: Scheduler;
  pool: ConnectionPool;
  metrics: TidalMetrics;
  events: KubeEventRecorder;
  /** Where the loops leave their points, for the dashboard. */
  history?: ScalingHistory;
  logger: Logger;
  /** Tidal's version, for the app.kubernetes.io/version label. */
  version: string;
  /** Where ClusterTriggerAuthentication secrets live (KEDA_CLUSTER_OBJECT_NAMESPACE). */
  clusterObjectNamespace: string;
  /** Deadline of one measurement. */
  timeoutMs: number;
  /** How often direct-mode ScaledObjects sync like the HPA (default 15 s). */
  hpaSyncPeriodMs?: number;
  /** The operator's own environment: cloud identities (e.g. AWS_WEB_IDENTITY_TOKEN_FILE) for triggers. */
  processEnvironment: Readonly<Record<string, string | undefined>>;
  /** Only the leader writes; every replica reads. */
  isLeader: () => boolean;
  now?: () => number;
}
