import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = fileURLToPath(new URL("../../scripts/services.sh", import.meta.url));

/**
 * Global setup of the integration and e2e tiers: installs what every test server needs (Debian
 * packages, downloads, builds; no time limit, so a cold machine can take its time), then puts
 * their addresses and credentials (`scripts/services.sh env`) into process.env, which the test
 * workers inherit. Each test file starts the servers it uses with `useServices` (services.ts).
 */
export default async function setup(): Promise<void> {
  const install = spawnSync("bash", [script, "install"], { stdio: "inherit" });
  if (install.error) throw install.error;
  if (install.status !== 0) {
    throw new Error(
      `scripts/services.sh install failed (exit ${install.status ?? install.signal}); see its output above`,
    );
  }
  const output = execFileSync("bash", [script, "env"], { encoding: "utf8" });
  for (const [name, value] of parseExports(output)) process.env[name] = value;
}

/** Parses `export NAME=VALUE` lines, with VALUE bare, 'single-quoted' or "double-quoted". */
function parseExports(text: string): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (const line of text.split("\n")) {
    const match = /^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    result.push([match[1]!, unquote(match[2]!.trim())]);
  }
  return result;
}

/** Undoes shell quoting of one word: 'literal', "with \\ escapes", bare with \ escapes, or a mix. */
function unquote(word: string): string {
  let out = "";
  let i = 0;
  while (i < word.length) {
    const c = word[i]!;
    if (c === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in ${word}`);
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      while (i < word.length && word[i] !== '"') {
        if (word[i] === "\\" && i + 1 < word.length && '$`"\\\n'.includes(word[i + 1]!)) i += 1;
        out += word[i];
        i += 1;
      }
      if (i >= word.length) throw new Error(`unterminated " in ${word}`);
      i += 1;
    } else if (c === "\\" && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
    } else {
      out += c;
      i += 1;
    }
  }
  return out;
}
