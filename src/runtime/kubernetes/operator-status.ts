import type { DecisionTrace } from "../../engine/types.ts";
import type { EventLog, ObjectRef, RuntimeEvent } from "../events.ts";
import type { ForecastSeries, ScalingHistory } from "../history.ts";
import type { ObjectSnapshot } from "../snapshot.ts";
import type { DashboardObject, DashboardSource, ProcessPoolView, StatusSource } from "../status/source.ts";
import type { KubeClient } from "./kube-api.ts";

interface CoreEvent {
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  type?: string;
  reason?: string;
  message?: string;
  eventTime?: string | null;
  lastTimestamp?: string | null;
  firstTimestamp?: string | null;
  metadata?: { creationTimestamp?: string };
}

/** Events the object view shows per related object (the newest). */
const CLUSTER_EVENTS = 30;

export interface OperatorStatusOptions {
  api: KubeClient;
  history: ScalingHistory;
  events: EventLog;
  objects: () => DashboardObject[];
}

/**
 * The operator's status API and dashboard: its scale and job loops' snapshots, traces and
 * history, the events it recorded (kept in memory too), and on the object view the events the
 * cluster holds about the object's target and HPA (the HPA's rescales, the Deployment's).
 */
export class OperatorStatus implements StatusSource, DashboardSource {
  readonly title = "tidal operator";
  readonly #options: OperatorStatusOptions;

  constructor(options: OperatorStatusOptions) {
    this.#options = options;
  }

  get history(): ScalingHistory {
    return this.#options.history;
  }

  /** The forecasting triggers' predictions, as the scale and job loops record them in the history. */
  forecast(object: ObjectRef): ForecastSeries[] {
    return this.#options.history.forecasts(object);
  }

  objects(): DashboardObject[] {
    return this.#options.objects();
  }

  scaledObjects(): ObjectSnapshot[] {
    return this.#of("ScaledObject").map((object) => object.snapshot());
  }

  scaledJobs(): ObjectSnapshot[] {
    return this.#of("ScaledJob").map((object) => object.snapshot());
  }

  #of(kind: string): DashboardObject[] {
    return this.objects().filter((object) => object.ref.kind === kind);
  }

  trace(name: string, namespace?: string): DecisionTrace | undefined | "ambiguous" {
    const matches = this.#of("ScaledObject").filter(
      (object) => object.ref.name === name && (namespace === undefined || object.ref.namespace === namespace),
    );
    if (matches.length > 1) return "ambiguous";
    return matches[0]?.trace();
  }

  events(kind: string, name: string, namespace?: string): RuntimeEvent[] {
    const namespaces = namespace
      ? [namespace]
      : [...new Set(this.objects().map((object) => object.ref.namespace))];
    return namespaces.flatMap((candidate) =>
      this.#options.events.recent({ kind, namespace: candidate, name }),
    );
  }

  /** The operator scales Kubernetes workloads, no ProcessPools. */
  processPools(): ProcessPoolView[] {
    return [];
  }

  eventsOf(object: ObjectRef): RuntimeEvent[] {
    return this.#options.events.recent(object);
  }

  recentEvents(): RuntimeEvent[] {
    return this.#options.events.latest();
  }

  onEvent(listener: (event: RuntimeEvent) => void): void {
    this.#options.events.onEvent(listener);
  }

  async clusterEvents(object: DashboardObject): Promise<RuntimeEvent[]> {
    const { namespace } = object.ref;
    const lists = await Promise.all(
      (object.related ?? []).map(async (related) => {
        const selector = `involvedObject.name=${related.name},involvedObject.kind=${related.kind}`;
        const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events?fieldSelector=${encodeURIComponent(selector)}`;
        const list = await this.#options.api.get<{ items?: CoreEvent[] }>(path);
        return (list.items ?? [])
          .map((event) => toRuntimeEvent(event, namespace))
          .sort((a, b) => a.at.localeCompare(b.at))
          .slice(-CLUSTER_EVENTS);
      }),
    );
    return lists.flat().sort((a, b) => a.at.localeCompare(b.at));
  }
}

function toRuntimeEvent(event: CoreEvent, namespace: string): RuntimeEvent {
  const at =
    event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp ?? "";
  return {
    at: at === "" ? new Date(0).toISOString() : new Date(at).toISOString(),
    kind: event.involvedObject?.kind ?? "",
    namespace: event.involvedObject?.namespace ?? namespace,
    name: event.involvedObject?.name ?? "",
    type: event.type === "Warning" ? "Warning" : "Normal",
    reason: event.reason ?? "",
    message: event.message ?? "",
  };
}
