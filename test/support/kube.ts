import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";

export { eventually } from "./isolation.ts";

/** Runs the built kubectl against the local control plane (KUBECONFIG from the e2e setup). */
export function kubectl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "kubectl",
      args,
      { encoding: "utf8", maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`kubectl ${args.join(" ")}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function kubectlJson<T = Record<string, unknown>>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, "-o", "json"])) as T;
}

/** Creates a namespace unique to one test file; returns it and a function that deletes it. */
export async function createTestNamespace(
  prefix: string,
): Promise<{ namespace: string; remove: () => Promise<void> }> {
  const namespace = `${prefix}-${randomBytes(3).toString("hex")}`;
  await kubectl(["create", "namespace", namespace]);
  return {
    namespace,
    remove: async () => void (await kubectl(["delete", "namespace", namespace, "--wait=false"])),
  };
}
