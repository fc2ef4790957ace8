import { setImmediate as nextTurn } from "node:timers/promises";
import type { Endpoint } from "./endpoint-load.ts";

/** Where the proxy learns about a route's workers (implemented by the runtime). */
export interface EndpointSource {
  /** Workers of the route that are ready now. */
  endpoints(routeKey: string): readonly Endpoint[];
  /** Resolves once the route has at least one ready worker; gives up when `signal` aborts. */
  waitForEndpoints(routeKey: string, signal: AbortSignal): Promise<void>;
}

export type HoldResult =
  { ready: readonly Endpoint[] } | { timedOut: true } | { aborted: true } | { failed: unknown };

/**
 * Waits up to `timeoutMs` for the route to have a ready worker (the add-on's conditionWait). The
 * runtime's wait is cancelled through its signal when the time is up or `signal` aborts.
 */
export async function holdForEndpoints(
  source: EndpointSource,
  routeKey: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<HoldResult> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const stop = AbortSignal.any([signal, deadline]);
  const stopped = new Promise<void>((resolve) =>
    stop.addEventListener("abort", () => resolve(), { once: true }),
  );
  for (;;) {
    const ready = source.endpoints(routeKey);
    if (ready.length > 0) return { ready };
    if (deadline.aborted) return { timedOut: true };
    if (stop.aborted) return { aborted: true };
    try {
      await Promise.race([source.waitForEndpoints(routeKey, stop), stopped]);
    } catch (error) {
      if (!stop.aborted) return { failed: error };
    }
    // The worker that woke us may be gone again; yield before looking so a wait that settles at
    // once cannot starve the timers.
    await nextTurn();
  }
}
