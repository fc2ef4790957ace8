/**
 * Writes the files generated from the schemas and scaler declarations: deploy/crds/*.yaml and
 * docs/scalers.md. Run `npm run generate` after changing either; a unit test checks they match.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { generatedFiles } from "./generated-files.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
for (const [path, content] of Object.entries(await generatedFiles())) {
  await mkdir(new URL(`../${path.slice(0, path.lastIndexOf("/"))}/`, import.meta.url), { recursive: true });
  await writeFile(`${root}${path}`, content);
  process.stdout.write(`wrote ${path}\n`);
}
