import type { Condition } from "../../api/schema/primitives.ts";

/** New conditions, keeping the object's other condition types as they are. */
export function mergeConditions(
  existing: readonly Condition[] | undefined,
  updates: readonly Condition[],
): Condition[] {
  const types = new Set(updates.map((condition) => condition.type));
  return [...updates, ...(existing ?? []).filter((condition) => !types.has(condition.type))];
}
