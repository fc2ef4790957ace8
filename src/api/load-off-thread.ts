import { Worker } from "node:worker_threads";
import { TidalError, UsageError } from "../util/errors.ts";
import type { loadManifests } from "./load.ts";

type Loaded = Awaited<ReturnType<typeof loadManifests>>;
type Reply = { loaded: Loaded } | { error: { code?: string; message: string; exitCode?: number } };

/**
 * `loadManifests` on a worker thread, for a process that serves traffic while it reads files
 * again (`tidal run` reloading): reading and parsing stay off the event loop that answers the
 * status API and the HTTP proxy and runs the scale loops. Parsing is linear and bounded (see
 * MAX_DOCUMENT_BYTES), but a few megabytes of YAML still take a second or more on a busy machine.
 * Standard input cannot be read there; callers that reload never read it.
 */
export function loadManifestsOffThread(paths: readonly string[]): Promise<Loaded> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./load-thread.ts", import.meta.url), {
      workerData: { paths: [...paths] },
      stdin: false,
    });
    let settled = false;
    worker.once("message", (reply: Reply) => {
      settled = true;
      void worker.terminate();
      if ("loaded" in reply) {
        resolve(reply.loaded);
        return;
      }
      const { code, message, exitCode } = reply.error;
      if (code === "TIDAL_E_USAGE") reject(new UsageError(message));
      else
        reject(new TidalError(code ?? "TIDAL_E_READ", message, exitCode === undefined ? {} : { exitCode }));
    });
    worker.once("error", (error) => {
      if (!settled) reject(new TidalError("TIDAL_E_READ", `cannot read the files: ${error.message}`));
      settled = true;
    });
    worker.once("exit", (code) => {
      if (!settled)
        reject(new TidalError("TIDAL_E_READ", `cannot read the files (the reader exited with ${code})`));
      settled = true;
    });
  });
}
