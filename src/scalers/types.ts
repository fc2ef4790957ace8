import type { ForecastReport, MetricTargetType } from "../engine/types.ts";
import type { ConnectionPool } from "./connection-pool.ts";
import type { LegacyTriggerRule } from "../api/legacy.ts";
import type { PodIdentity } from "../api/schema/trigger-authentication.ts";
import type { ParamProblem, ParamSchema, ParsedParams } from "./params.ts";

/** Read access to the Kubernetes API, for the triggers that read the cluster itself. */
export interface KubernetesAccess {
  /**
   * GETs an API path (e.g. `/api/v1/namespaces/web/pods?labelSelector=app%3Dweb`) as JSON.
   * Errors carry the API's own message (e.g. `configmaps "x" not found`) and, when the API
   * answered, its HTTP `status`.
   */
  get<T>(path: string, signal: AbortSignal): Promise<T>;
}

/** What a scaler is given besides its parameters. */
export interface ScalerContext {
  triggerIndex: number;
  /** The trigger's `name`, or "". */
  triggerName: string;
  triggerType: string;
  /** The object the trigger belongs to. */
  scalableObject: { kind: "ScaledObject" | "ScaledJob"; namespace: string; name: string };
  /** The trigger's `metricType` (default AverageValue). */
  metricType: MetricTargetType;
  /** True when the trigger feeds a scalingModifiers formula: its own target becomes optional. */
  asMetricSource: boolean;
  /** Deadline of one measurement in milliseconds (KEDA_HTTP_DEFAULT_TIMEOUT, default 3000). */
  timeoutMs: number;
  /** Shared connections: triggers that use the same server and credentials share one client. */
  pool: ConnectionPool;
  /**
   * The trigger's metadata with each `<key>FromEnv` entry holding the resolved value instead of the
   * variable's name (entries whose variable is unset are left out): what KEDA sends to external
   * scalers as `scalerMetadata`.
   */
  resolvedMetadata: Readonly<Record<string, string>>;
  /**
   * The TriggerAuthentication's podIdentity (never provider `none`): cloud scalers take their
   * credentials from it as KEDA does (aws, azure-workload, gcp).
   */
  podIdentity?: PodIdentity;
  /**
   * Tidal's own environment, as the command captured it (KEDA reads these from its operator pod's
   * environment): cloud SDK settings such as AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN for a
   * pod identity, or Tidal's own credentials. Library code never reads process.env. Default empty.
   */
  processEnvironment?: Readonly<Record<string, string | undefined>>;
  /**
   * The Kubernetes API (kubernetes-workload, kubernetes-resource): the operator's own client, or in
   * `tidal run` and `tidal probe` the kubeconfig kubectl would use, connected on first use. The
   * promise rejects with the reason when there is no cluster; undefined where a runtime offers none.
   */
  kubernetes?: () => Promise<KubernetesAccess>;
}

/** One reading of an event source. */
export interface Measurement {
  value: number;
  /** Whether the source is active (usually value > activation threshold; some scalers differ). */
  active: boolean;
  /** For a value that is a forecast (predictkube): how it was chosen, for traces, status and metrics. */
  forecast?: ForecastReport;
}

/** A connected scaler for one trigger. */
export interface Scaler {
  /** Reads the source once. Must honour `signal` (abort means the deadline passed). */
  measure(signal: AbortSignal): Promise<Measurement>;
  /**
   * Deadline of one measurement in milliseconds when the trigger sets its own (e.g. a `timeout`
   * parameter); default the context's `timeoutMs`.
   */
  readonly timeoutMs?: number;
  /**
   * For scalers whose metric only the source knows (external scalers answer GetMetricSpec): asks
   * the source for its metric name and target. The answer replaces the placeholder that
   * `metric()` gave at preparation (see `ScalerDefinition.metricFromSource`).
   */
  describe?(signal: AbortSignal): Promise<ScalerMetric>;
  /**
   * Optional push path: calls `wake` whenever the source may have changed, so the scheduler
   * evaluates at once instead of waiting for the next poll. Returns a function that stops it.
   */
  watch?(wake: () => void, onError: (error: Error) => void): () => void;
  close(): Promise<void>;
}

/** The metric this trigger exposes: KEDA's name (without the `s<i>-` prefix) and its targets. */
export interface ScalerMetric {
  /** Name part after `s<index>-`, before normalization, e.g. `redis-jobs`. */
  name: string;
  target: number;
  activationTarget: number;
  /**
   * The name is the whole metric name, without `s<index>-` and not normalized (datadog's
   * `datadogmetric@<namespace>:<name>`, which the Datadog Cluster Agent serves by that name).
   */
  verbatimName?: boolean;
  /** A target type the scaler always uses, whatever the trigger's metricType (splunk-observability: Value). */
  targetType?: MetricTargetType;
}

/** A minimal valid trigger of a scaler type, and the metric KEDA names for it at trigger index 0. */
export interface ScalerExample {
  metadata: Readonly<Record<string, string>>;
  /** Parameters a TriggerAuthentication would give (credentials). */
  authParams?: Readonly<Record<string, string>>;
  /** cpu and memory: the trigger's metricType. */
  metricType?: "Utilization" | "AverageValue";
  /** `s0-…`; for cpu and memory the Resource metric's name. */
  metricName: string;
}

/** A scaler type: its parameters, its metric, and how to connect. Registered in registry.ts. */
export interface ScalerDefinition<S extends ParamSchema = ParamSchema> {
  /** KEDA's trigger `type`. */
  type: string;
  /** Other trigger types served by the same definition (e.g. redis-cluster). */
  aliases?: readonly string[];
  /**
   * The Go type of KEDA's scaler for this trigger type (e.g. `prometheusScaler`): KEDA's metrics
   * carry it as the `scaler` label of a trigger without a name.
   */
  kedaScalerName: string;
  /** A trigger type of Tidal's own, which KEDA does not have; `kedaScalerName` is then Tidal's choice. */
  tidalOnly?: boolean;
  /** False when KEDA refuses `useCachedMetrics` for this type (cpu, memory, cron). Default true. */
  cachedMetrics?: boolean;
  /** How KEDA 1.x (`keda.k8s.io/v1alpha1`) wrote this type's metadata, for `tidal migrate`. */
  legacy?: LegacyTriggerRule;
  /** One line for `docs/scalers.md`. */
  description: string;
  /**
   * What the integration tests measure this scaler against: a real server (e.g. "PostgreSQL 15"),
   * or a loopback fake of a cloud service's documented wire format (named `fake-…`).
   */
  testedAgainst: string;
  /** A minimal valid trigger: shown in `docs/scalers.md` and run by the contract test over every scaler. */
  example: ScalerExample;
  /** Types of metric targets allowed; default AverageValue and Value. */
  metricTypes?: readonly (MetricTargetType | "Utilization")[];
  /**
   * cpu and memory: the HPA measures them (metrics.k8s.io); the trigger becomes a Resource metric
   * of the HPA (`PreparedTrigger.resource`) and is never connected.
   */
  resourceMetric?: boolean;
  params: S;
  /** Cross-parameter checks after parsing (conflicts, ranges). Return problems, empty when valid. */
  validate?(
    params: ParsedParams<S>,
    context: Pick<ScalerContext, "asMetricSource" | "triggerType" | "podIdentity"> & {
      metricType?: string;
      /** The trigger's own inputs, for KEDA's rules about where a value was given (e.g. "not in both"). */
      inputs: {
        metadata: Readonly<Record<string, string>>;
        authParams: Readonly<Record<string, string>>;
      };
    },
  ): ParamProblem[];
  metric(
    params: ParsedParams<S>,
    context: Pick<ScalerContext, "triggerType" | "triggerIndex"> & {
      /** The namespace of the trigger's ScaledObject or ScaledJob ("default" when it names none). */
      namespace?: string;
    },
  ): ScalerMetric;
  /**
   * True when the metric name and target come from the source: `metric()` then returns a
   * placeholder, and the connected scaler's `describe()` the real metric.
   */
  metricFromSource?: boolean;
  /**
   * True when the scaler hands its whole metadata on (external scalers): metadata keys it does not
   * declare are then expected, not warned about.
   */
  passesMetadataThrough?: boolean;
  /**
   * Prefixes of metadata keys the scaler reads as a family (sumologic's `query.<rowId>`): such keys
   * are expected, and the scaler reads them from `inputs.metadata` / `resolvedMetadata`.
   */
  metadataPrefixes?: readonly string[];
  connect(params: ParsedParams<S>, context: ScalerContext): Scaler;
}
