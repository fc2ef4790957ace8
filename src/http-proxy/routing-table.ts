/**
 * Request routing as the KEDA HTTP add-on's interceptor does it: the Host header picks a host tier
 * (exact name, then `*.` wildcards from most to least specific, then any-host routes), and within
 * the first tier that has a matching prefix the longest path prefix wins. Prefixes match whole
 * path segments: `/api` matches `/api` and `/api/x`, never `/apix`.
 */

/** The routing part of one HTTPScaledObject. */
export interface HttpRoute {
  /** `namespace/name` of the HTTPScaledObject. */
  key: string;
  /** Host names (port ignored, case-insensitive); `*.example.com` matches every subdomain of
   * example.com. Absent, empty, `""` or `"*"` match any host. */
  hosts?: readonly string[];
  /** Path prefixes, matched on segment boundaries. Absent or empty means `/` (everything). */
  pathPrefixes?: readonly string[];
}

/** Two or more routes claiming the same host and path prefix. */
export interface RouteConflict {
  /** The host as normalised for matching; `*` for any host. */
  host: string;
  pathPrefix: string;
  /** Keys of the routes involved, in the order given; the first one receives the traffic. */
  routeKeys: string[];
}

const ANY_HOST = "*";

interface PrefixEntry<R> {
  /** Without leading or trailing slashes; `""` is the root. */
  prefix: string;
  route: R;
}

export class RoutingTable<R extends HttpRoute> {
  readonly #byHost = new Map<string, PrefixEntry<R>[]>();
  readonly #hasWildcards: boolean;

  constructor(routes: readonly R[]) {
    for (const route of routes) {
      for (const host of routeHosts(route)) {
        let entries = this.#byHost.get(host);
        if (!entries) this.#byHost.set(host, (entries = []));
        for (const prefix of routePrefixes(route)) entries.push({ prefix, route });
      }
    }
    // Longest prefix first; the sort is stable, so for equal prefixes the earlier route wins.
    for (const entries of this.#byHost.values()) entries.sort((a, b) => b.prefix.length - a.prefix.length);
    this.#hasWildcards = [...this.#byHost.keys()].some((host) => host.startsWith("*."));
  }

  /** The route for a request's Host header and request target (`/path?query`), if any. */
  match(hostHeader: string | undefined, target: string): R | undefined {
    const host = requestHostname(hostHeader ?? "");
    const path = normalizePath(requestPath(target));
    const exact = this.#matchPrefix(host, path);
    if (exact) return exact;
    if (this.#hasWildcards) {
      for (let dot = host.indexOf("."); dot !== -1; dot = host.indexOf(".", dot + 1)) {
        const wildcard = this.#matchPrefix(`*${host.slice(dot)}`, path);
        if (wildcard) return wildcard;
      }
    }
    return this.#matchPrefix(ANY_HOST, path);
  }

  #matchPrefix(host: string, path: string): R | undefined {
    const entries = this.#byHost.get(host);
    if (!entries) return undefined;
    for (const { prefix, route } of entries) {
      if (
        prefix === "" ||
        path === prefix ||
        (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47) /* "/" */
      ) {
        return route;
      }
    }
    return undefined;
  }
}

/** Host+prefix pairs claimed by more than one route. */
export function findRouteConflicts(routes: readonly HttpRoute[]): RouteConflict[] {
  const claims = new Map<string, RouteConflict>();
  for (const route of routes) {
    for (const host of routeHosts(route)) {
      for (const prefix of routePrefixes(route)) {
        const pathPrefix = `/${prefix}`;
        const id = `${host} ${pathPrefix}`;
        const claim = claims.get(id);
        if (!claim) claims.set(id, { host, pathPrefix, routeKeys: [route.key] });
        else if (!claim.routeKeys.includes(route.key)) claim.routeKeys.push(route.key);
      }
    }
  }
  return [...claims.values()].filter((claim) => claim.routeKeys.length > 1);
}

function routeHosts(route: HttpRoute): Set<string> {
  const hosts = route.hosts?.length ? route.hosts : [ANY_HOST];
  return new Set(hosts.map((host) => (host === "" || host === ANY_HOST ? ANY_HOST : requestHostname(host))));
}

function routePrefixes(route: HttpRoute): Set<string> {
  const prefixes = route.pathPrefixes?.length ? route.pathPrefixes : ["/"];
  return new Set(prefixes.map(normalizePath));
}

/** Lower-cased host without the port; IPv6 literals keep their brackets. */
function requestHostname(host: string): string {
  const end = host.startsWith("[") ? host.indexOf("]") + 1 : host.indexOf(":");
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

/** The decoded path of a request target, without the query. */
function requestPath(target: string): string {
  const query = target.indexOf("?");
  const path = query === -1 ? target : target.slice(0, query);
  if (!path.includes("%")) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function normalizePath(path: string): string {
  let start = 0;
  let end = path.length;
  while (start < end && path.charCodeAt(start) === 47) start++;
  while (end > start && path.charCodeAt(end - 1) === 47) end--;
  return start === 0 && end === path.length ? path : path.slice(start, end);
}
