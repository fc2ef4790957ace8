import { createHash } from "node:crypto";

/** JSON with object keys sorted, so two equal values always give the same text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : item,
  );
}

/** A short digest of `value`'s stable JSON: what to keep when only "did it change?" matters. */
export function fingerprintOf(value: unknown): string {
  return createHash("sha256").update(stableJson(value)).digest("base64url");
}
