import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A variant of an example's manifest with some strings replaced (unique queue or list names, so
 * tests never share data), written beside the original so relative commands still resolve.
 * Returns its path and a function that removes it.
 */
export function exampleVariant(
  example: string,
  replacements: Record<string, string>,
): { file: string; remove: () => void } {
  const original = fileURLToPath(new URL(`../../examples/${example}/tidal.yaml`, import.meta.url));
  let text = readFileSync(original, "utf8");
  for (const [from, to] of Object.entries(replacements)) text = text.split(from).join(to);
  const file = join(dirname(original), `.test-${process.pid}-${Math.random().toString(36).slice(2, 8)}.yaml`);
  writeFileSync(file, text);
  return { file, remove: () => rmSync(file, { force: true }) };
}
