import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** Global setup of the e2e tier: starts (or reuses) the local control plane and exports its env. */
export default function setup(): void {
  execFileSync("scripts/kube.sh", ["up"], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  const env = execFileSync("scripts/kube.sh", ["env"], { cwd: root, encoding: "utf8" });
  for (const line of env.split("\n")) {
    const match = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (!match) continue;
    const [, name, value] = match as unknown as [string, string, string];
    process.env[name] = value.replace("$PATH", process.env.PATH ?? "");
  }
}
