import { Counter, Gauge, Histogram, Registry, Summary } from "prom-client";

/** What the metrics show of a forecasting trigger's choice (the engine's ForecastReport). */
export interface ForecastReading {
  mode: "predictive" | "reactive";
  reasonCode?: string;
  predicted: number | null;
  backtestError: number | null;
}

/** Labels KEDA puts on every per-trigger metric. */
export interface ScalerLabels {
  namespace: string;
  metric: string;
  scaledObject: string;
  scaler: string;
  triggerIndex: string;
  type: "scaledobject" | "scaledjob";
}

const SCALER_LABELS = ["namespace", "metric", "scaledObject", "scaler", "triggerIndex", "type"] as const;

/**
 * The Prometheus metrics Tidal exposes: KEDA's names and labels (so KEDA dashboards and alerts work
 * unchanged) plus Tidal's own under `tidal_`.
 */
export class TidalMetrics {
  readonly registry = new Registry();
  readonly scalerValue = new Gauge({
    name: "keda_scaler_metrics_value",
    help: "The current value for each scaler's metric that would be used by the HPA in computing the target average.",
    labelNames: SCALER_LABELS,
    registers: [this.registry],
  });
  readonly scalerLatency = new Gauge({
    name: "keda_scaler_metrics_latency_seconds",
    help: "The latency of retrieving current metric from each scaler, in seconds.",
    labelNames: SCALER_LABELS,
    registers: [this.registry],
  });
  readonly scalerActive = new Gauge({
    name: "keda_scaler_active",
    help: "Indicates whether a scaler is active (1), or not (0).",
    labelNames: SCALER_LABELS,
    registers: [this.registry],
  });
  readonly scalerTarget = new Gauge({
    name: "tidal_scaler_metrics_target",
    help: "The target of each scaler's metric (the HPA's averageValue or value), beside keda_scaler_metrics_value.",
    labelNames: SCALER_LABELS,
    registers: [this.registry],
  });
  readonly scalerActivationTarget = new Gauge({
    name: "tidal_scaler_metrics_activation_target",
    help: "The activation threshold of each scaler's metric: active when the value is greater.",
    labelNames: SCALER_LABELS,
    registers: [this.registry],
  });
  readonly scalerErrors = new Counter({
    name: "keda_scaler_detail_errors_total",
    help: "The total number of errors encountered for each scaler.",
    labelNames: SCALER_LABELS,
    registers: [this.registry],
  });
  readonly scaledObjectErrors = new Counter({
    name: "keda_scaled_object_errors_total",
    help: "The number of errors that have occurred for each ScaledObject.",
    labelNames: ["namespace", "scaledObject"],
    registers: [this.registry],
  });
  readonly scaledJobErrors = new Counter({
    name: "keda_scaled_job_errors_total",
    help: "Number of scaled job errors.",
    labelNames: ["namespace", "scaledJob"],
    registers: [this.registry],
  });
  readonly scaledObjectPaused = new Gauge({
    name: "keda_scaled_object_paused",
    help: "Indicates whether a ScaledObject is paused (1), or not (0).",
    labelNames: ["namespace", "scaledObject"],
    registers: [this.registry],
  });
  readonly triggersRegistered = new Gauge({
    name: "keda_trigger_registered_total",
    help: "Total number of triggers per trigger type registered.",
    labelNames: ["type"],
    registers: [this.registry],
  });
  readonly resourcesRegistered = new Gauge({
    name: "keda_resource_registered_total",
    help: "Total number of KEDA custom resources per namespace for each custom resource type (CRD) registered.",
    labelNames: ["type", "namespace"],
    registers: [this.registry],
  });
  readonly scaleLoopLatency = new Gauge({
    name: "keda_internal_scale_loop_latency_seconds",
    help: "Total deviation (in seconds) between the expected execution time and the actual execution time for the scaling loop.",
    labelNames: ["namespace", "type", "resource"],
    registers: [this.registry],
  });
  readonly desiredReplicas = new Gauge({
    name: "tidal_desired_replicas",
    help: "Replicas Tidal last decided for a ScaledObject or running jobs for a ScaledJob.",
    labelNames: ["namespace", "kind", "name"],
    registers: [this.registry],
  });
  readonly currentReplicas = new Gauge({
    name: "tidal_current_replicas",
    help: "Replicas the scale target had at the last evaluation.",
    labelNames: ["namespace", "kind", "name"],
    registers: [this.registry],
  });
  /** The same observations as schedulingLag, as quantiles of the last minute (for benchmarks and alerts). */
  readonly schedulingLagQuantiles = new Summary({
    name: "tidal_scheduling_lag_quantiles_seconds",
    help: "How late evaluations start against their planned time: quantiles over the last 60 seconds.",
    percentiles: [0.5, 0.9, 0.99, 0.999],
    maxAgeSeconds: 60,
    ageBuckets: 6,
    registers: [this.registry],
  });
  readonly schedulingLag = alsoObservedBy(
    new Histogram({
      name: "tidal_scheduling_lag_seconds",
      help: "How late evaluations start against their planned time.",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    }),
    this.schedulingLagQuantiles,
  );
  readonly forecastPredictive = new Gauge({
    name: "tidal_forecast_predictive",
    help: "Whether a forecasting trigger serves its forecast (1) or its current value (0).",
    labelNames: SCALER_LABELS,
    registers: [this.registry],
  });
  readonly forecastReactiveReason = new Gauge({
    name: "tidal_forecast_reactive_reason",
    help: "Why a forecasting trigger serves its current value: 1 for the reason that holds (history-too-short, backtest-error, baseline-better, no-history-at-target).",
    labelNames: [...SCALER_LABELS, "reason"],
    registers: [this.registry],
  });
  readonly forecastValue = new Gauge({
    name: "tidal_forecast_value",
    help: "The model's forecast of a forecasting trigger's metric at now + horizon.",
    labelNames: SCALER_LABELS,
    registers: [this.registry],
  });
  readonly forecastBacktestError = new Gauge({
    name: "tidal_forecast_backtest_error",
    help: "The model's backtest error (mean absolute error over the mean value) at its last fit.",
    labelNames: SCALER_LABELS,
    registers: [this.registry],
  });
  readonly workerRestarts = new Counter({
    name: "tidal_worker_restarts_total",
    help: "Restarts of crashed local worker processes.",
    labelNames: ["namespace", "pool"],
    registers: [this.registry],
  });

  constructor(version: string) {
    new Gauge({
      name: "tidal_build_info",
      help: "Tidal's version and runtime; always 1.",
      labelNames: ["version", "node_version"],
      registers: [this.registry],
    }).set({ version, node_version: process.version }, 1);
    // KEDA's labels, for dashboards that read them: the runtime is Node, not Go, so goversion holds
    // Node's version and git_commit is empty (Tidal is versioned by release).
    new Gauge({
      name: "keda_build_info",
      help: "A metric with a constant '1' value labeled by version, git_commit, goversion, goos and goarch.",
      labelNames: ["version", "git_commit", "goversion", "goos", "goarch"],
      registers: [this.registry],
    }).set(
      {
        version,
        git_commit: "",
        goversion: process.version,
        goos: process.platform,
        goarch: process.arch === "x64" ? "amd64" : process.arch,
      },
      1,
    );
  }

  /** Label sets written per object, so a deleted object's series can be removed. */
  readonly #seriesByObject = new Map<string, Map<string, ScalerLabels>>();

  /**
   * Records one trigger's reading, as KEDA does after each measurement; what is left out keeps its
   * last value (KEDA leaves activity alone when a read fails, and a formula's series has no
   * latency or error count).
   */
  recordTrigger(
    labels: ScalerLabels,
    reading: {
      value?: number;
      active?: boolean;
      latencySeconds?: number;
      failed?: boolean;
      target?: number;
      activationTarget?: number;
    },
  ): void {
    const objectKey = `${labels.type}/${labels.namespace}/${labels.scaledObject}`;
    let series = this.#seriesByObject.get(objectKey);
    if (series === undefined) {
      series = new Map();
      this.#seriesByObject.set(objectKey, series);
    }
    if (!series.has(labels.metric + labels.triggerIndex)) {
      series.set(labels.metric + labels.triggerIndex, labels);
      if (reading.failed !== undefined) this.scalerErrors.inc(labels, 0);
    }
    if (reading.value !== undefined) this.scalerValue.set(labels, reading.value);
    if (reading.target !== undefined) this.scalerTarget.set(labels, reading.target);
    if (reading.activationTarget !== undefined)
      this.scalerActivationTarget.set(labels, reading.activationTarget);
    if (reading.active !== undefined) this.scalerActive.set(labels, reading.active ? 1 : 0);
    if (reading.latencySeconds !== undefined) this.scalerLatency.set(labels, reading.latencySeconds);
    if (reading.failed) this.scalerErrors.inc(labels);
  }

  /** The reactive reason each forecasting trigger last reported, so a changed one is removed. */
  readonly #forecastReasons = new Map<string, string>();

  /** Records how a forecasting trigger chose its value (Tidal's own metrics, beside KEDA's). */
  recordForecast(labels: ScalerLabels, forecast: ForecastReading): void {
    const key = seriesKey(labels);
    this.forecastPredictive.set(labels, forecast.mode === "predictive" ? 1 : 0);
    const reason = forecast.mode === "reactive" ? (forecast.reasonCode ?? "") : "";
    const previous = this.#forecastReasons.get(key);
    if (previous !== undefined && previous !== reason) {
      this.forecastReactiveReason.remove({ ...labels, reason: previous });
    }
    if (reason === "") this.#forecastReasons.delete(key);
    else {
      this.forecastReactiveReason.set({ ...labels, reason }, 1);
      this.#forecastReasons.set(key, reason);
    }
    if (forecast.predicted === null) this.forecastValue.remove(labels);
    else this.forecastValue.set(labels, forecast.predicted);
    if (forecast.backtestError === null || !Number.isFinite(forecast.backtestError))
      this.forecastBacktestError.remove(labels);
    else this.forecastBacktestError.set(labels, forecast.backtestError);
  }

  /** What each object added to KEDA's registration counts, so that it is taken back once. */
  readonly #registered = new Map<string, { resource: string; namespace: string; triggerTypes: string[] }>();
  /** When each object's next scheduled evaluation is due (epoch ms). */
  readonly #loopDueAt = new Map<string, number>();

  /**
   * Counts an object in keda_resource_registered_total and its triggers in
   * keda_trigger_registered_total, as KEDA's controllers do on reconcile; registering it again
   * (a changed spec) replaces what it counted before.
   */
  registerObject(
    type: ScalerLabels["type"],
    namespace: string,
    name: string,
    triggerTypes: readonly string[],
  ): void {
    this.#unregister(`${type}/${namespace}/${name}`);
    const resource = type === "scaledobject" ? "scaled_object" : "scaled_job";
    this.resourcesRegistered.inc({ type: resource, namespace });
    for (const triggerType of triggerTypes) this.triggersRegistered.inc({ type: triggerType });
    this.#registered.set(`${type}/${namespace}/${name}`, {
      resource,
      namespace,
      triggerTypes: [...triggerTypes],
    });
  }

  #unregister(objectKey: string): void {
    const previous = this.#registered.get(objectKey);
    if (previous === undefined) return;
    this.resourcesRegistered.dec({ type: previous.resource, namespace: previous.namespace });
    for (const triggerType of previous.triggerTypes) this.triggersRegistered.dec({ type: triggerType });
    this.#registered.delete(objectKey);
  }

  /**
   * Records, as an evaluation starts, how late it is against its planned time
   * (keda_internal_scale_loop_latency_seconds, 0 when it is early: a push woke it).
   */
  recordLoopStart(
    type: ScalerLabels["type"],
    namespace: string,
    name: string,
    intervalMs: number,
    now: number,
  ): void {
    const objectKey = `${type}/${namespace}/${name}`;
    const due = this.#loopDueAt.get(objectKey) ?? now;
    this.scaleLoopLatency.set({ namespace, type, resource: name }, Math.max(0, now - due) / 1000);
    this.#loopDueAt.set(objectKey, now + intervalMs);
  }

  /** Forgets every per-trigger series of an object (it was deleted or reloaded). */
  forgetObject(type: ScalerLabels["type"], namespace: string, name: string): void {
    const objectKey = `${type}/${namespace}/${name}`;
    this.#unregister(objectKey);
    this.#loopDueAt.delete(objectKey);
    this.scaleLoopLatency.remove({ namespace, type, resource: name });
    for (const labels of this.#seriesByObject.get(objectKey)?.values() ?? []) {
      for (const metric of [
        this.scalerValue,
        this.scalerTarget,
        this.scalerActivationTarget,
        this.scalerLatency,
        this.scalerActive,
        this.scalerErrors,
        this.forecastPredictive,
        this.forecastValue,
        this.forecastBacktestError,
      ])
        metric.remove(labels);
      const reason = this.#forecastReasons.get(seriesKey(labels));
      if (reason !== undefined) this.forecastReactiveReason.remove({ ...labels, reason });
      this.#forecastReasons.delete(seriesKey(labels));
    }
    this.#seriesByObject.delete(objectKey);
  }

  /** The exposition text: every metric, or only those named (cheap with many objects). */
  async text(names?: readonly string[]): Promise<{ contentType: string; body: string }> {
    if (names === undefined || names.length === 0) {
      return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    }
    const known = names.filter((name) => this.registry.getSingleMetric(name) !== undefined);
    const parts = await Promise.all(known.map((name) => this.registry.getSingleMetricAsString(name)));
    return { contentType: this.registry.contentType, body: parts.map((part) => `${part}\n`).join("") };
  }
}

function seriesKey(labels: ScalerLabels): string {
  return `${labels.type}/${labels.namespace}/${labels.scaledObject}/${labels.metric}/${labels.triggerIndex}`;
}

/** A label-less histogram whose observations also go to a summary. */
function alsoObservedBy(histogram: Histogram, summary: Summary): Histogram {
  const observe = histogram.observe.bind(histogram) as (value: number) => void;
  histogram.observe = ((value: number) => {
    observe(value);
    summary.observe(value);
  }) as Histogram["observe"];
  return histogram;
}
