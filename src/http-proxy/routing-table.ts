/**
 * Request routing as the KEDA HTTP add-on's interceptor does it: the Host header picks a host tier
 * (exact name, then `*.` wildcards from most to least specific, then any-host routes), and within
 * the first tier that has a matching prefix the longest path prefix wins. Prefixes match whole
 * path segments: `/api` matches `/api` and `/api/x`, never `/apix`. Routes with `headers` (add-on
 * 0.12) match only requests carrying every listed header with exactly that value; for the same
 * host and prefix, the route with more headers is tried first, and routes without headers catch
 * the rest, as in the Gateway API's precedence.
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
  /** Request headers that must all be present with these exact values (names case-insensitive). */
  headers?: readonly RouteHeader[];
}

export interface RouteHeader {
  name: string;
  value: string;
}

/** A request header by lower-case name: its value (several joined with ", "), or undefined. */
export type HeaderLookup = (lowerName: string) => string | undefined;

const NO_HEADERS: HeaderLookup = () => undefined;

/** Which claim of a route a request matched. */
export interface RouteMatch<R> {
  route: R;
  /** The host as normalised for matching: the name, a `*.` wildcard, or `*` for any host. */
  host: string;
  pathPrefix: string;
  /** Headers the route requires (names lower-cased). */
  headers: readonly RouteHeader[];
}

/** Two or more routes claiming the same host and path prefix. */
export interface RouteConflict {
  /** The host as normalised for matching; `*` for any host. */
  host: string;
  pathPrefix: string;
  /** The headers both routes require (`name: value`, names lower-cased), if any. */
  headers?: string[];
  /** Keys of the routes involved, in the order given; the first one receives the traffic. */
  routeKeys: string[];
}

const ANY_HOST = "*";

interface PrefixEntry<R> {
  /** Without leading or trailing slashes; `""` is the root. */
  prefix: string;
  route: R;
  /** Lower-cased names with the values they must have; empty when the route has none. */
  headers: readonly RouteHeader[];
}

export class RoutingTable<R extends HttpRoute> {
  readonly #byHost = new Map<string, PrefixEntry<R>[]>();
  readonly #hasWildcards: boolean;

  constructor(routes: readonly R[]) {
    for (const route of routes) {
      const headers = routeHeaders(route);
      for (const host of routeHosts(route)) {
        let entries = this.#byHost.get(host);
        if (!entries) this.#byHost.set(host, (entries = []));
        for (const prefix of routePrefixes(route)) entries.push({ prefix, route, headers });
      }
    }
    // Longest prefix first, then most headers; the sort is stable, so among equals the earlier
    // route wins.
    for (const entries of this.#byHost.values())
      entries.sort((a, b) => b.prefix.length - a.prefix.length || b.headers.length - a.headers.length);
    this.#hasWildcards = [...this.#byHost.keys()].some((host) => host.startsWith("*."));
  }

  /** The route for a request's Host header, request target (`/path?query`) and headers, if any. */
  match(hostHeader: string | undefined, target: string, header: HeaderLookup = NO_HEADERS): R | undefined {
    // The per-request path: the usual exact host is looked up without building a RouteMatch.
    const host = requestHostname(hostHeader ?? "");
    const path = normalizePath(requestPath(target));
    const entries = this.#byHost.get(host);
    if (entries !== undefined) {
      const entry = firstMatch(entries, path, header);
      if (entry !== undefined) return entry.route;
    }
    return this.explain(hostHeader, target, header)?.route;
  }

  /** The route and the entry that matched: the host (`*` for any), prefix and headers it claims. */
  explain(
    hostHeader: string | undefined,
    target: string,
    header: HeaderLookup = NO_HEADERS,
  ): RouteMatch<R> | undefined {
    const host = requestHostname(hostHeader ?? "");
    const path = normalizePath(requestPath(target));
    const exact = this.#matchPrefix(host, path, header);
    if (exact) return exact;
    if (this.#hasWildcards) {
      for (let dot = host.indexOf("."); dot !== -1; dot = host.indexOf(".", dot + 1)) {
        const wildcard = this.#matchPrefix(`*${host.slice(dot)}`, path, header);
        if (wildcard) return wildcard;
      }
    }
    return this.#matchPrefix(ANY_HOST, path, header);
  }

  #matchPrefix(host: string, path: string, header: HeaderLookup): RouteMatch<R> | undefined {
    const entries = this.#byHost.get(host);
    if (!entries) return undefined;
    const entry = firstMatch(entries, path, header);
    return entry && { route: entry.route, host, pathPrefix: `/${entry.prefix}`, headers: entry.headers };
  }
}

/** The first entry (longest prefix, most headers) claiming a path and the request's headers. */
function firstMatch<R extends HttpRoute>(
  entries: readonly PrefixEntry<R>[],
  path: string,
  header: HeaderLookup,
): PrefixEntry<R> | undefined {
  for (const entry of entries) {
    const { prefix, headers } = entry;
    if (
      (prefix === "" ||
        path === prefix ||
        (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47)) /* "/" */ &&
      (headers.length === 0 || headers.every(({ name, value }) => header(name) === value))
    ) {
      return entry;
    }
  }
  return undefined;
}

/** Host+prefix pairs claimed by more than one route. */
export function findRouteConflicts(routes: readonly HttpRoute[]): RouteConflict[] {
  const claims = new Map<string, RouteConflict>();
  for (const route of routes) {
    const headers = routeHeaders(route)
      .map(({ name, value }) => `${name}: ${value}`)
      .sort();
    for (const host of routeHosts(route)) {
      for (const prefix of routePrefixes(route)) {
        const pathPrefix = `/${prefix}`;
        const id = `${host} ${pathPrefix} ${JSON.stringify(headers)}`;
        const claim = claims.get(id);
        if (!claim)
          claims.set(id, {
            host,
            pathPrefix,
            ...(headers.length > 0 ? { headers } : {}),
            routeKeys: [route.key],
          });
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

/** A route's headers, names lower-cased; a name listed twice keeps its first value. */
function routeHeaders(route: HttpRoute): RouteHeader[] {
  const seen = new Set<string>();
  const headers: RouteHeader[] = [];
  for (const { name, value } of route.headers ?? []) {
    const lower = name.toLowerCase();
    if (seen.has(lower)) continue;
    seen.add(lower);
    headers.push({ name: lower, value });
  }
  return headers;
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
