import { formatNumber } from "../../util/format-number.ts";
import { renderTable, type Cell } from "../../util/table.ts";
import type { RuntimeEvent } from "../events.ts";
import type { ObjectSnapshot } from "../snapshot.ts";
import { stderrTail } from "../../targets/shared/process-exit.ts";
import type { WorkerStatus } from "../../targets/process-pool/pool-worker.ts";

const MAX_EVENTS = 8;

function triggerSummary(snapshot: ObjectSnapshot): string {
  return snapshot.triggers
    .map((trigger) => {
      const name = trigger.name || trigger.metricName;
      if (trigger.error) return `${name}: error`;
      return `${name} ${trigger.value === null ? "-" : formatNumber(trigger.value)}/${formatNumber(trigger.target)}`;
    })
    .join(", ");
}

function yesNo(value: boolean, style: "green" | "yellow"): Cell {
  return value ? { text: "yes", style } : { text: "no", style: "dim" };
}

/** The terminal screen of `tidal run`: objects, replicas, trigger values and the latest events. */
export function renderLiveView(
  objects: readonly ObjectSnapshot[],
  jobs: readonly ObjectSnapshot[],
  events: readonly RuntimeEvent[],
  header: string,
  color: boolean,
  pools: readonly { name: string; workers: readonly WorkerStatus[] }[] = [],
): string {
  const rows = [
    ...objects.map((object) => ({ kind: "ScaledObject", object })),
    ...jobs.map((object) => ({ kind: "ScaledJob", object })),
  ].map(({ kind, object }): Cell[] => [
    `${kind}/${object.name}`,
    `${object.target.kind}/${object.target.name}`,
    object.replicas === object.desiredReplicas
      ? String(object.replicas)
      : `${object.replicas} → ${object.desiredReplicas}`,
    yesNo(object.ready, "green"),
    yesNo(object.active, "green"),
    yesNo(object.fallback, "yellow"),
    object.triggers.some((trigger) => trigger.error)
      ? { text: triggerSummary(object), style: "red" }
      : triggerSummary(object),
  ]);
  const table = renderTable(
    ["OBJECT", "TARGET", "REPLICAS", "READY", "ACTIVE", "FALLBACK", "TRIGGERS (value/target)"],
    rows,
    color,
  );
  const recent = events.slice(-MAX_EVENTS).map((event) => {
    const line = `${event.at.slice(11, 19)}  ${event.kind}/${event.name}  ${event.reason}: ${event.message}`;
    return color && event.type === "Warning" ? `\u001b[33m${line}\u001b[39m` : line;
  });
  const failing = failingWorkers(pools, color);
  return `${header}\n\n${table}\n${failing}${recent.length > 0 ? `recent events\n${recent.join("\n")}\n` : ""}`;
}

/** Workers waiting to restart, each with the last lines its process wrote to stderr. */
function failingWorkers(
  pools: readonly { name: string; workers: readonly WorkerStatus[] }[],
  color: boolean,
): string {
  const blocks = pools.flatMap((pool) =>
    pool.workers
      .filter((worker) => worker.state === "backoff")
      .map((worker) => {
        const title = `ProcessPool/${pool.name} worker ${worker.index} (restarted ${worker.restarts}×), last stderr:`;
        const lines = stderrTail(worker.lastStderr ?? [], 5).map((line) => `  ${line}`);
        const body = lines.length > 0 ? lines.join("\n") : "  (nothing)";
        return `${color ? `\u001b[31m${title}\u001b[39m` : title}\n${body}`;
      }),
  );
  return blocks.length > 0
    ? `failing workers (tidal logs POOL for all output)\n${blocks.join("\n")}\n\n`
    : "";
}
