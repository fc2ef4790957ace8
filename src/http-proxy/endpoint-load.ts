/** A ready worker's listening address. */
export interface Endpoint {
  host: string;
  port: number;
}

/**
 * Requests in flight per endpoint, and the choice of the least loaded endpoint. Callers rotate
 * `start` per request so that ties (an idle pool) are broken round-robin.
 */
export class EndpointLoad {
  /** host → port → requests in flight; entries leave when their count returns to zero. */
  readonly #inFlight = new Map<string, Map<number, number>>();

  /** The endpoint with the fewest requests in flight, scanning from `start`; `exclude` is skipped. */
  pick(endpoints: readonly Endpoint[], start: number, exclude?: Endpoint): Endpoint | undefined {
    let best: Endpoint | undefined;
    let bestLoad = Infinity;
    const count = endpoints.length;
    for (let offset = 0; offset < count; offset++) {
      const endpoint = endpoints[(start + offset) % count];
      if (!endpoint || (exclude && endpoint.port === exclude.port && endpoint.host === exclude.host))
        continue;
      const load = this.inFlight(endpoint);
      if (load < bestLoad) {
        best = endpoint;
        bestLoad = load;
      }
    }
    return best;
  }

  inFlight(endpoint: Endpoint): number {
    return this.#inFlight.get(endpoint.host)?.get(endpoint.port) ?? 0;
  }

  acquire(endpoint: Endpoint): void {
    let ports = this.#inFlight.get(endpoint.host);
    if (!ports) this.#inFlight.set(endpoint.host, (ports = new Map()));
    ports.set(endpoint.port, (ports.get(endpoint.port) ?? 0) + 1);
  }

  release(endpoint: Endpoint): void {
    const ports = this.#inFlight.get(endpoint.host);
    const load = ports?.get(endpoint.port);
    if (!ports || load === undefined) return;
    if (load > 1) ports.set(endpoint.port, load - 1);
    else if (ports.delete(endpoint.port) && ports.size === 0) this.#inFlight.delete(endpoint.host);
  }
}
