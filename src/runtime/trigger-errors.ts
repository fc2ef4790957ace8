import type { TriggerMetricSpec, TriggerSample } from "../engine/types.ts";
import type { EventRecorder, ObjectRef } from "./events.ts";

/**
 * Turns trigger failures into events as KEDA does (KEDAScalerFailed), once per distinct error
 * rather than once per poll, and records when a trigger reads again.
 */
export class TriggerErrorReporter {
  readonly #reported = new Map<string, string>();
  readonly #ref: ObjectRef;
  readonly #events: EventRecorder;

  constructor(ref: ObjectRef, events: EventRecorder) {
    this.#ref = ref;
    this.#events = events;
  }

  report(specs: readonly TriggerMetricSpec[], samples: readonly TriggerSample[]): void {
    for (const [index, sample] of samples.entries()) {
      const spec = specs[index];
      if (spec === undefined) continue;
      const label = `trigger ${spec.name || spec.index} (${spec.type})`;
      const previous = this.#reported.get(spec.metricName);
      if (sample.error !== undefined && sample.error !== previous) {
        this.#events.record(this.#ref, "Warning", "KEDAScalerFailed", `${label}: ${sample.error}`);
        this.#reported.set(spec.metricName, sample.error);
      } else if (sample.error === undefined && previous !== undefined) {
        this.#events.record(this.#ref, "Normal", "KEDAScalerRecovered", `${label} reads again`);
        this.#reported.delete(spec.metricName);
      }
    }
  }
}
