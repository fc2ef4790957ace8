import { z } from "zod";
import type { ScaledObjectState } from "../../engine/types.ts";

/** What a ScaledObject's loop keeps across restarts of `tidal run` (in --state-dir). */
export interface PersistedScaleState {
  engine: ScaledObjectState;
  /** Replicas Tidal last set, restored on restart so a restart never drops workers mid-cooldown. */
  replicas: number;
}

const time = z.number().finite();
const count = z.number().int().min(0);

const persistedScaleState = z.object({
  engine: z.object({
    createdAt: time,
    lastActiveTime: time.optional(),
    health: z.record(z.string(), z.object({ numberOfFailures: count, status: z.enum(["Happy", "Failing"]) })),
    hpa: z.object({
      recommendations: z.array(z.object({ at: time, replicas: count })),
      scaleUpEvents: z.array(z.object({ at: time, replicaChange: z.number().int() })),
      scaleDownEvents: z.array(z.object({ at: time, replicaChange: z.number().int() })),
    }),
  }),
  replicas: count,
});

/**
 * Reads a state file's content, or throws saying what is wrong with it ("replicas: must be a
 * whole number ≥ 0, got -5"), so one bad file is named and set aside instead of stopping the start.
 */
export function readPersistedScaleState(value: unknown): PersistedScaleState {
  const parsed = persistedScaleState.safeParse(value);
  if (parsed.success) return parsed.data as PersistedScaleState;
  const issue = parsed.error.issues[0];
  const path = issue?.path.join(".") || "the document";
  const got = valueAt(value, issue?.path ?? []);
  const shown = got === undefined ? "missing" : `got ${JSON.stringify(got)?.slice(0, 40)}`;
  const rule =
    issue?.path.at(-1) === "replicas" || issue?.path.at(-1) === "numberOfFailures"
      ? "must be a whole number ≥ 0"
      : (issue?.message ?? "invalid");
  return fail(`${path}: ${rule}, ${shown}`);
}

function fail(message: string): never {
  throw new Error(message);
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
