import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generatedFiles } from "./generated-files.ts";

const root = new URL("../", import.meta.url);
const files = await generatedFiles();

describe("generated files", () => {
  it("the committed generated files (deploy/crds/ and the rest) are exactly what generatedFiles() produces (run `npm run generate` after changing a schema or a scaler)", () => {
    const committed = readdirSync(new URL("deploy/crds/", root)).filter((name) => name.endsWith(".yaml"));
    const generated = Object.keys(files).filter((path) => path.startsWith("deploy/crds/"));
    expect(committed.map((name) => `deploy/crds/${name}`).sort()).toEqual(generated.sort());
    for (const [path, content] of Object.entries(files)) {
      expect(readFileSync(new URL(path, root), "utf8"), `${path} is stale: run npm run generate`).toBe(
        content,
      );
    }
  });
});
