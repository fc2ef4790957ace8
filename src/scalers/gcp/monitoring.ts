import type { MetricServiceClient, QueryServiceClient } from "@google-cloud/monitoring";
import {
  describeGcpError,
  gapicRestOptions,
  gcpEndpointLabel,
  loadGcpIdentity,
  sdkCallTimeout,
  untilAborted,
  workloadProjectId,
  type GcpCredentialSource,
  type GcpIdentity,
} from "../../auth/identity/gcp.ts";
import type { ConnectionPool, Lease } from "../connection-pool.ts";
import { poolKey } from "../connection-pool.ts";
import { formatGoDuration } from "../../util/go/duration.ts";
import { retryingLazy } from "../../util/lazy.ts";

/**
 * Cloud Monitoring reads, as KEDA's gcp StackDriverClient makes them: the first point of the first
 * time series of a filter (gcp-stackdriver, gcp-cloudtasks), or of an MQL query (gcp-pubsub). The
 * client library loads on the first read; Tidal uses its REST transport (see gapicRestOptions).
 */

/** KEDA's aligners (`alignmentAligner`), lower case, and the API's names. */
const ALIGNERS = [
  "none",
  "delta",
  "rate",
  "interpolate",
  "next_older",
  "min",
  "max",
  "mean",
  "count",
  "sum",
  "stddev",
  "count_true",
  "count_false",
  "fraction_true",
  "percentile_99",
  "percentile_95",
  "percentile_50",
  "percentile_05",
  "percent_change",
] as const;

/** KEDA's reducers (`alignmentReducer`). */
const REDUCERS = [
  "none",
  "mean",
  "min",
  "max",
  "sum",
  "stddev",
  "count",
  "count_true",
  "count_false",
  "fraction_true",
  "percentile_99",
  "percentile_95",
  "percentile_50",
  "percentile_05",
] as const;

type Aligner = `ALIGN_${Uppercase<(typeof ALIGNERS)[number]>}`;
type Reducer = `REDUCE_${Uppercase<(typeof REDUCERS)[number]>}`;

export interface Aggregation {
  alignmentPeriod: { seconds: number };
  perSeriesAligner: Aligner;
  crossSeriesReducer: Reducer;
}

/**
 * KEDA's NewStackdriverAggregator: names are case-insensitive, empty means none. Throws KEDA's
 * "unknown aligner: x" / "unknown reducer: x".
 */
export function stackdriverAggregation(periodSeconds: number, aligner: string, reducer: string): Aggregation {
  const alignerName = aligner.toLowerCase() || "none";
  if (!(ALIGNERS as readonly string[]).includes(alignerName)) throw new Error(`unknown aligner: ${aligner}`);
  const reducerName = reducer.toLowerCase() || "none";
  if (!(REDUCERS as readonly string[]).includes(reducerName)) throw new Error(`unknown reducer: ${reducer}`);
  return {
    alignmentPeriod: { seconds: periodSeconds },
    perSeriesAligner: `ALIGN_${alignerName.toUpperCase()}` as Aligner,
    crossSeriesReducer: `REDUCE_${reducerName.toUpperCase()}` as Reducer,
  };
}

const VALID_PUBSUB_NAME = /^[A-Za-z][A-Za-z0-9\-_.~+%]{2,254}$/;

/** KEDA's check of a Pub/Sub subscription or topic id before it goes into a query. */
export function checkPubSubResourceName(name: string): void {
  if (name.toLowerCase().startsWith("goog")) {
    throw new Error(`invalid Pub/Sub resource name ${JSON.stringify(name)}: names cannot start with "goog"`);
  }
  if (!VALID_PUBSUB_NAME.test(name)) throw new Error(`invalid Pub/Sub resource name ${JSON.stringify(name)}`);
}

const DEFAULT_TIME_HORIZON_MS = 2 * 60_000;
const AGGREGATION_TIME_HORIZON_MS = 5 * 60_000;
const ALIGNMENT_PERIOD = "3m0s";

/** KEDA's MQL aggregation: mean, median, variance, stddev, sum, count, or percentileN (0–100). */
function mqlAggregation(aggregation: string): string {
  if (aggregation.startsWith("percentile")) {
    const digits = aggregation.slice("percentile".length);
    const percentile = /^[+-]?\d+$/.test(digits) ? Number.parseInt(digits, 10) : Number.NaN;
    if (!(percentile >= 0 && percentile <= 100)) throw new Error(`invalid percentile value: ${digits}`);
    return `percentile(value, ${percentile})`;
  }
  if (["median", "mean", "variance", "stddev", "sum", "count"].includes(aggregation)) {
    return `${aggregation}(value)`;
  }
  throw new Error(`unsupported aggregation function: ${aggregation}`);
}

/**
 * KEDA's BuildMQLQuery: the last `timeHorizon` (default 2m, or 5m with an aggregation) of a
 * Pub/Sub metric of one subscription or topic, aggregated every 3 minutes when asked.
 */
export function buildMqlQuery(
  projectId: string,
  resourceType: "subscription" | "topic",
  metric: string,
  resourceName: string,
  aggregation: string,
  timeHorizonMs: number,
): string {
  checkPubSubResourceName(resourceName);
  const horizon =
    timeHorizonMs > 0 ? timeHorizonMs : aggregation ? AGGREGATION_TIME_HORIZON_MS : DEFAULT_TIME_HORIZON_MS;
  let query =
    `fetch pubsub_${resourceType} | metric '${metric}' | filter (resource.project_id == '${projectId}' && ` +
    `resource.${resourceType}_id == '${resourceName}') | within ${formatGoDuration(horizon)}`;
  if (aggregation) {
    query += ` | align delta(${ALIGNMENT_PERIOD}) | every ${ALIGNMENT_PERIOD} | group_by [], ${mqlAggregation(aggregation)}`;
  }
  return query;
}

/** A TypedValue of the API as the client decodes it. */
interface TypedValue {
  value?: string;
  doubleValue?: number | string | null;
  int64Value?: number | string | null;
  boolValue?: boolean | null;
  stringValue?: string | null;
  distributionValue?: unknown;
}

/** KEDA's extractValueFromPoint: a double or an int64; anything else is an error. */
export function numberOfTypedValue(typed: TypedValue | null | undefined): number {
  const kind =
    typed?.value ??
    (["doubleValue", "int64Value", "boolValue", "stringValue", "distributionValue"] as const).find(
      (field) => typed?.[field] !== undefined && typed?.[field] !== null,
    );
  if (kind === "doubleValue") return Number(typed?.doubleValue);
  if (kind === "int64Value") return Number(typed?.int64Value);
  const shown = kind ? kind.replace(/Value$/, "") : "no";
  throw new Error(`could not extract a value from the metric: its point holds ${shown} value, not a number`);
}

export interface TimeSeriesRead {
  filter: string;
  /** The trigger's project, else the credentials' (see projectOf). */
  projectId: string;
  aggregation?: Aggregation | undefined;
  valueIfNull?: number | undefined;
  /** Minutes back from now; 0 or less means KEDA's 2. */
  filterDurationMinutes?: number | undefined;
}

export interface QueryRead {
  projectId: string;
  query: string;
  valueIfNull?: number | undefined;
}

/**
 * KEDA's getActualProjectID: the trigger's project, else the client's (the workload's), else the
 * one in the key's credentials; empty when none has one.
 */
export function actualProjectId(
  trigger: string | undefined,
  client: string | undefined,
  credentials: string | undefined,
): string {
  return trigger || client || credentials || "";
}

/**
 * Retries of a failed call within one measurement (the library's default retries until the
 * deadline): an unreachable endpoint is reported at once, and the next poll tries again.
 */
const MAX_RETRIES = 2;

/** One set of Cloud Monitoring clients for one credential (shared through the connection pool). */
export class GcpMonitoring {
  readonly #identity: () => Promise<GcpIdentity>;
  readonly #metrics: () => Promise<MetricServiceClient>;
  readonly #query: () => Promise<QueryServiceClient>;
  readonly #workloadProject: () => Promise<string>;
  readonly #timeoutMs: number;
  #closed = false;
  #clients: { close(): Promise<void> }[] = [];

  constructor(source: GcpCredentialSource, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#identity = retryingLazy(() => loadGcpIdentity(source));
    this.#workloadProject = retryingLazy(() => workloadProjectId());
    this.#metrics = retryingLazy(async () => {
      const { MetricServiceClient } = await import("@google-cloud/monitoring");
      return this.#keep(new MetricServiceClient(await this.#options()));
    });
    this.#query = retryingLazy(async () => {
      const { QueryServiceClient } = await import("@google-cloud/monitoring");
      const client = new QueryServiceClient(await this.#options());
      // KEDA reads Pub/Sub through MQL's QueryTimeSeries, which the library announces as deprecated on
      // every process's first call: the announcement says nothing a Tidal user can act on.
      (client as unknown as { warn: () => void }).warn = () => {};
      return this.#keep(client);
    });
  }

  #keep<T extends { close(): Promise<void> }>(client: T): T {
    if (this.#closed) void client.close().catch(() => undefined);
    else this.#clients.push(client);
    return client;
  }

  async #options() {
    const identity = await this.#identity();
    return { ...(await identity.clientOptions()), ...gapicRestOptions("monitoring") };
  }

  /**
   * KEDA's getActualProjectID: the trigger's project, else the workload's (CLOUDSDK_CORE_PROJECT or
   * the metadata server), else the key's project_id.
   */
  async projectOf(explicit: string | undefined): Promise<string> {
    if (explicit) return explicit;
    const identity = await this.#identity();
    const workload = identity.key === undefined ? await this.#workloadProject() : undefined;
    return actualProjectId(explicit, workload, identity.key?.project_id);
  }

  /** KEDA's GetMetrics: the first point of the first series matching the filter. */
  async firstTimeSeriesValue(read: TimeSeriesRead, signal: AbortSignal): Promise<number> {
    const minutes =
      read.filterDurationMinutes && read.filterDurationMinutes > 0 ? read.filterDurationMinutes : 2;
    const now = Math.floor(Date.now() / 1000);
    const filter = `${read.filter} AND resource.labels.project_id="${read.projectId}"`;
    const request = {
      name: `projects/${read.projectId}`,
      filter,
      interval: { startTime: { seconds: now - minutes * 60 }, endTime: { seconds: now } },
      ...(read.aggregation ? { aggregation: read.aggregation } : {}),
    };
    const series = await this.#call("list time series", signal, async (timeout) => {
      const client = await this.#metrics();
      const [page] = await client.listTimeSeries(request, {
        timeout: timeout(),
        autoPaginate: false,
        maxRetries: MAX_RETRIES,
      });
      return page;
    });
    const first = series[0];
    if (first === undefined) {
      if (read.valueIfNull !== undefined) return read.valueIfNull;
      throw new Error(`could not find stackdriver metric with filter ${filter}`);
    }
    const point = first.points?.[0];
    return point ? numberOfTypedValue(point.value as TypedValue) : -1;
  }

  /** KEDA's QueryMetrics: the first value of the first series an MQL query returns. */
  async firstQueryValue(read: QueryRead, signal: AbortSignal): Promise<number> {
    const request = { name: `projects/${read.projectId}`, query: read.query, pageSize: 1 };
    const data = await this.#call("query time series", signal, async (timeout) => {
      const client = await this.#query();
      const [page] = await client.queryTimeSeries(request, {
        timeout: timeout(),
        autoPaginate: false,
        maxRetries: MAX_RETRIES,
      });
      return page;
    });
    const first = data[0];
    if (first === undefined) {
      if (read.valueIfNull !== undefined) return read.valueIfNull;
      throw new Error(`could not find stackdriver metric with query ${read.query}`);
    }
    const point = first.pointData?.[0];
    return point ? numberOfTypedValue(point.values?.[0] as TypedValue) : -1;
  }

  /**
   * Runs one API call within the measurement's deadline: `timeout()` is what is left of it (less a
   * margin) once the library is loaded and the client built.
   */
  async #call<T>(what: string, signal: AbortSignal, work: (timeout: () => number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + sdkCallTimeout(this.#timeoutMs);
    const identity = await untilAborted(this.#identity(), signal);
    try {
      return await untilAborted(
        work(() => Math.max(100, deadline - Date.now())),
        signal,
      );
    } catch (error) {
      if (signal.aborted) throw error;
      const endpoint = gcpEndpointLabel("monitoring");
      throw new Error(identity.redact(describeGcpError(error, `Cloud Monitoring ${what}`, endpoint)), {
        cause: error,
      });
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const clients = this.#clients;
    this.#clients = [];
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  }
}

/** The pooled Cloud Monitoring clients of a credential source. */
export function acquireMonitoring(
  pool: ConnectionPool,
  source: GcpCredentialSource,
  timeoutMs: number,
): Lease<GcpMonitoring> {
  const credential =
    source.kind === "workload" ? "workload" : source.kind === "key" ? source.json : source.path;
  return pool.acquire(
    poolKey("gcp-monitoring", source.kind, credential, timeoutMs),
    async () => new GcpMonitoring(source, timeoutMs),
    (monitoring) => monitoring.close(),
  );
}
