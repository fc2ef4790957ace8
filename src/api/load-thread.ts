/**
 * Runs `loadManifests` on a worker thread (see load-off-thread.ts): the thread's entry point.
 * Errors cross the thread boundary as plain data and are rebuilt on the other side.
 */
import { parentPort, workerData } from "node:worker_threads";
import { TidalError, messageOf } from "../util/errors.ts";
import { loadManifests } from "./load.ts";

const { paths } = workerData as { paths: string[] };
try {
  parentPort?.postMessage({ loaded: await loadManifests(paths) });
} catch (error) {
  parentPort?.postMessage({
    error:
      error instanceof TidalError
        ? { code: error.code, message: error.message, exitCode: error.exitCode }
        : { message: messageOf(error) },
  });
}
