import type { Endpoint } from "../../http-proxy/index.ts";

/** A discovery.k8s.io/v1 EndpointSlice as far as the interceptor reads it. */
export interface EndpointSliceObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: {
    addresses?: string[];
    conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
    targetRef?: { kind?: string; name?: string; namespace?: string };
  }[];
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
}

/** A core/v1 Service as far as the interceptor reads it. */
export interface ServiceObject {
  metadata: { name: string; namespace?: string };
  spec?: { ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[] };
}

/** Which port of a Service: its number (`port`) or its name (`portName`), as scaleTargetRef says. */
export interface ServicePortRef {
  port?: number | undefined;
  portName?: string | undefined;
}

/** What the interceptor knows about a Service's endpoints, for `tidal explain`. */
export interface ServiceEndpointsReport {
  service: string;
  serviceFound: boolean;
  /** The Service port chosen and the EndpointSlice port name it maps to; undefined if none matches. */
  servicePort?: { name: string; port: number };
  slices: number;
  ready: Endpoint[];
  notReady: Endpoint[];
  /** Why there are no ready endpoints, when there are none. */
  reason?: string;
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/**
 * The ready endpoints of Services, kept from EndpointSlice and Service watch events: the port a
 * scaleTargetRef names (a Service port number or name) maps through the Service to the slices'
 * port of the same name, whose number is where the pods listen. An endpoint counts as ready
 * unless its `ready` condition is false (absent means ready, as the API defines it). Results are
 * cached per Service and port until a slice or the Service changes, so a request costs a map
 * lookup; waiters for a Service are woken on every change to it.
 */
export class ServiceEndpoints {
  /** namespace/service → slice name → slice. */
  readonly #slices = new Map<string, Map<string, EndpointSliceObject>>();
  readonly #services = new Map<string, ServiceObject>();
  readonly #cache = new Map<string, Endpoint[]>();
  readonly #waiters = new Map<string, Set<() => void>>();

  applySlice(slice: EndpointSliceObject): void {
    const key = serviceKeyOfSlice(slice);
    if (key === undefined) return;
    let slices = this.#slices.get(key);
    if (slices === undefined) this.#slices.set(key, (slices = new Map()));
    slices.set(slice.metadata.name, slice);
    this.#changed(key);
  }

  deleteSlice(slice: EndpointSliceObject): void {
    const key = serviceKeyOfSlice(slice);
    if (key === undefined) return;
    const slices = this.#slices.get(key);
    slices?.delete(slice.metadata.name);
    if (slices?.size === 0) this.#slices.delete(key);
    this.#changed(key);
  }

  applyService(service: ServiceObject): void {
    const key = `${service.metadata.namespace ?? "default"}/${service.metadata.name}`;
    this.#services.set(key, service);
    this.#changed(key);
  }

  deleteService(service: ServiceObject): void {
    const key = `${service.metadata.namespace ?? "default"}/${service.metadata.name}`;
    this.#services.delete(key);
    this.#changed(key);
  }

  /** Ready endpoints of a Service's port. Cheap: called for every request. */
  ready(namespace: string, service: string, ref: ServicePortRef): readonly Endpoint[] {
    const cacheKey = `${namespace}/${service}/${ref.port ?? ""}/${ref.portName ?? ""}`;
    let ready = this.#cache.get(cacheKey);
    if (ready === undefined) {
      ready = this.report(namespace, service, ref).ready;
      this.#cache.set(cacheKey, ready);
    }
    return ready;
  }

  /** Everything known about a Service's endpoints for one port. */
  report(namespace: string, service: string, ref: ServicePortRef): ServiceEndpointsReport {
    const key = `${namespace}/${service}`;
    const found = this.#services.get(key);
    const slices = [...(this.#slices.get(key)?.values() ?? [])];
    const result: ServiceEndpointsReport = {
      service: key,
      serviceFound: found !== undefined,
      slices: slices.length,
      ready: [],
      notReady: [],
    };
    const sliceName = slicePortName(found, ref);
    if (sliceName === undefined) {
      result.reason = found
        ? `Service ${key} has no port ${ref.port ?? `named "${ref.portName}"`}`
        : `Service ${key} not found`;
      if (found || slices.length === 0) return result;
    }
    const seen = new Set<string>();
    for (const slice of slices) {
      if (slice.addressType === "FQDN") continue;
      const port = slicePort(slice, sliceName, ref);
      if (port === undefined) continue;
      if (sliceName !== undefined) result.servicePort ??= { name: sliceName, port };
      for (const endpoint of slice.endpoints ?? []) {
        const ready = endpoint.conditions?.ready !== false;
        for (const address of endpoint.addresses ?? []) {
          const id = `${address}:${port}`;
          if (seen.has(id)) continue;
          seen.add(id);
          (ready ? result.ready : result.notReady).push({ host: address, port });
        }
      }
    }
    if (result.ready.length === 0) {
      result.reason ??=
        slices.length === 0
          ? `Service ${key} has no EndpointSlices yet (no pods selected, or none created)`
          : result.notReady.length > 0
            ? `${result.notReady.length} endpoint(s) of Service ${key}, none ready`
            : `the EndpointSlices of Service ${key} list no endpoints for this port`;
    }
    return result;
  }

  /** Resolves at the next change to the Service or its slices, or when `signal` aborts. */
  changed(namespace: string, service: string, signal: AbortSignal): Promise<void> {
    const key = `${namespace}/${service}`;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      let waiters = this.#waiters.get(key);
      if (waiters === undefined) this.#waiters.set(key, (waiters = new Set()));
      const set = waiters;
      const done = (): void => {
        set.delete(done);
        if (set.size === 0 && this.#waiters.get(key) === set) this.#waiters.delete(key);
        signal.removeEventListener("abort", done);
        resolve();
      };
      set.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  #changed(key: string): void {
    const prefix = `${key}/`;
    for (const cached of this.#cache.keys()) if (cached.startsWith(prefix)) this.#cache.delete(cached);
    for (const wake of [...(this.#waiters.get(key) ?? [])]) wake();
  }
}

function serviceKeyOfSlice(slice: EndpointSliceObject): string | undefined {
  const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
  return service === undefined ? undefined : `${slice.metadata.namespace ?? "default"}/${service}`;
}

/**
 * The name the slices give the Service port `ref` names (slices name their ports after the
 * Service's). Without the Service, a name in `ref` is taken as is; undefined when nothing matches.
 */
function slicePortName(service: ServiceObject | undefined, ref: ServicePortRef): string | undefined {
  if (service === undefined) return ref.portName;
  const ports = service.spec?.ports ?? [];
  const match =
    ref.portName !== undefined
      ? ports.find((port) => (port.name ?? "") === ref.portName)
      : ports.find((port) => port.port === ref.port);
  return match === undefined ? undefined : (match.name ?? "");
}

/** The port number of a slice for the Service port `name`. Without a name (no Service known), the
 * slice's port equal to `ref.port`, or its only port. */
function slicePort(
  slice: EndpointSliceObject,
  name: string | undefined,
  ref: ServicePortRef,
): number | undefined {
  const ports = (slice.ports ?? []).filter((port) => (port.protocol ?? "TCP") === "TCP");
  const match =
    name !== undefined
      ? ports.find((port) => (port.name ?? "") === name)
      : (ports.find((port) => port.port === ref.port) ?? (ports.length === 1 ? ports[0] : undefined));
  return match?.port ?? undefined;
}
