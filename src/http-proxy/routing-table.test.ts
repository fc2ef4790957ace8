import { describe, expect, it } from "vitest";
import { findRouteConflicts, RoutingTable } from "./routing-table.ts";
import type { HttpRoute } from "./routing-table.ts";

function routeKey(routes: HttpRoute[], host: string | undefined, target: string): string | undefined {
  return new RoutingTable(routes).match(host, target)?.key;
}

describe("RoutingTable hosts", () => {
  const routes: HttpRoute[] = [
    { key: "ns/exact", hosts: ["app.example.com"] },
    { key: "ns/wide", hosts: ["*.example.com"] },
    { key: "ns/narrow", hosts: ["*.bar.example.com"] },
    { key: "ns/any" },
  ];

  it("matches the Host header without its port and ignoring case", () => {
    expect(routeKey(routes, "APP.Example.com:8080", "/")).toBe("ns/exact");
  });

  it("prefers an exact host over wildcards", () => {
    expect(routeKey([routes[1]!, routes[0]!], "app.example.com", "/")).toBe("ns/exact");
  });

  it("matches wildcards on any depth of subdomain, the most specific first", () => {
    expect(routeKey(routes, "foo.example.com", "/")).toBe("ns/wide");
    expect(routeKey(routes, "a.b.example.com", "/")).toBe("ns/wide");
    expect(routeKey(routes, "api.bar.example.com", "/")).toBe("ns/narrow");
  });

  it("does not let *.example.com match example.com itself", () => {
    expect(routeKey(routes.slice(1, 2), "example.com", "/")).toBeUndefined();
  });

  it("falls back to routes without hosts, and to '*' or '' hosts", () => {
    expect(routeKey(routes, "other.org", "/")).toBe("ns/any");
    expect(routeKey([{ key: "ns/star", hosts: ["*"] }], "other.org", "/x")).toBe("ns/star");
    expect(routeKey([{ key: "ns/empty", hosts: [""] }], undefined, "/x")).toBe("ns/empty");
    expect(routeKey([{ key: "ns/none", hosts: [] }], "x", "/")).toBe("ns/none");
  });

  it("strips the port of IPv6 literals and of configured hosts", () => {
    expect(routeKey([{ key: "ns/v6", hosts: ["[::1]"] }], "[::1]:8080", "/")).toBe("ns/v6");
    expect(routeKey([{ key: "ns/port", hosts: ["local:9000"] }], "local", "/")).toBe("ns/port");
  });

  it("goes on to wildcards and any host when the exact host's prefixes do not claim the path", () => {
    const tiers: HttpRoute[] = [
      { key: "ns/exact-api", hosts: ["app.example.com"], pathPrefixes: ["/api"] },
      { key: "ns/wide", hosts: ["*.example.com"], pathPrefixes: ["/web"] },
      { key: "ns/any" },
    ];
    const table = new RoutingTable(tiers);
    for (const [target, key] of [
      ["/api/x", "ns/exact-api"],
      ["/web", "ns/wide"],
      ["/other", "ns/any"],
    ] as const) {
      expect(table.match("app.example.com", target)?.key).toBe(key);
      expect(table.explain("app.example.com", target)?.route.key).toBe(key);
    }
  });

  it("returns nothing when no host tier matches", () => {
    expect(routeKey(routes.slice(0, 3), "other.org", "/")).toBeUndefined();
  });
});

describe("RoutingTable path prefixes", () => {
  const routes: HttpRoute[] = [
    { key: "ns/root", hosts: ["h"] },
    { key: "ns/api", hosts: ["h"], pathPrefixes: ["/api"] },
    { key: "ns/v2", hosts: ["h"], pathPrefixes: ["/api/v2/"] },
  ];

  it("takes the longest matching prefix", () => {
    expect(routeKey(routes, "h", "/api/v2/users?x=1")).toBe("ns/v2");
    expect(routeKey(routes, "h", "/api/v1")).toBe("ns/api");
    expect(routeKey(routes, "h", "/elsewhere")).toBe("ns/root");
  });

  it("matches on segment boundaries only", () => {
    expect(routeKey(routes, "h", "/api")).toBe("ns/api");
    expect(routeKey(routes, "h", "/api/")).toBe("ns/api");
    expect(routeKey(routes, "h", "/apix")).toBe("ns/root");
    expect(routeKey(routes.slice(1), "h", "/apix")).toBeUndefined();
  });

  it("ignores the query string and decodes the path", () => {
    expect(routeKey(routes.slice(1), "h", "/?/api")).toBeUndefined();
    expect(routeKey(routes.slice(1), "h", "/%61pi/x")).toBe("ns/api");
  });

  it("falls through to a less specific host tier when the exact host has no matching prefix", () => {
    const tiered: HttpRoute[] = [
      { key: "ns/exact-api", hosts: ["a.example.com"], pathPrefixes: ["/api"] },
      { key: "ns/wild", hosts: ["*.example.com"], pathPrefixes: ["/web"] },
      { key: "ns/any" },
    ];
    expect(routeKey(tiered, "a.example.com", "/api/x")).toBe("ns/exact-api");
    expect(routeKey(tiered, "a.example.com", "/web")).toBe("ns/wild");
    expect(routeKey(tiered, "a.example.com", "/other")).toBe("ns/any");
  });

  it("gives a contested host and prefix to the first route", () => {
    const contested: HttpRoute[] = [
      { key: "ns/first", hosts: ["h"] },
      { key: "ns/second", hosts: ["h"], pathPrefixes: ["/"] },
    ];
    expect(routeKey(contested, "h", "/")).toBe("ns/first");
  });
});

describe("findRouteConflicts", () => {
  it("reports routes that claim the same host and prefix", () => {
    const conflicts = findRouteConflicts([
      { key: "ns/a", hosts: ["App.example.com"], pathPrefixes: ["/api/"] },
      { key: "ns/b", hosts: ["app.example.com:80"], pathPrefixes: ["/api", "/other"] },
      { key: "ns/c", pathPrefixes: ["/"] },
      { key: "ns/d", hosts: ["*"] },
    ]);
    expect(conflicts).toEqual([
      { host: "app.example.com", pathPrefix: "/api", routeKeys: ["ns/a", "ns/b"] },
      { host: "*", pathPrefix: "/", routeKeys: ["ns/c", "ns/d"] },
    ]);
  });

  it("does not count a route repeating its own host or prefix", () => {
    expect(findRouteConflicts([{ key: "ns/a", hosts: ["h", "H"], pathPrefixes: ["/x", "/x/"] }])).toEqual([]);
  });
});

describe("RoutingTable headers", () => {
  const routes: HttpRoute[] = [
    { key: "ns/default", hosts: ["h"] },
    { key: "ns/beta", hosts: ["h"], headers: [{ name: "X-Canary", value: "beta" }] },
    {
      key: "ns/beta-gold",
      hosts: ["h"],
      headers: [
        { name: "x-canary", value: "beta" },
        { name: "X-Tier", value: "gold" },
      ],
    },
    {
      key: "ns/api-beta",
      hosts: ["h"],
      pathPrefixes: ["/api"],
      headers: [{ name: "x-canary", value: "beta" }],
    },
  ];
  const match = (target: string, headers: Record<string, string>) =>
    new RoutingTable(routes).match("h", target, (name) => headers[name])?.key;

  it("sends requests with every listed header and value to the route, names case-insensitive", () => {
    expect(match("/", { "x-canary": "beta" })).toBe("ns/beta");
  });

  it("prefers the route with more matching headers for the same host and prefix", () => {
    expect(match("/", { "x-canary": "beta", "x-tier": "gold" })).toBe("ns/beta-gold");
  });

  it("lets routes without headers catch requests whose headers match no route", () => {
    expect(match("/", {})).toBe("ns/default");
    expect(match("/", { "x-canary": "BETA" })).toBe("ns/default");
  });

  it("ranks the longer prefix first, then headers, falling back to a shorter prefix", () => {
    expect(match("/api/x", { "x-canary": "beta" })).toBe("ns/api-beta");
    expect(match("/api/x", {})).toBe("ns/default");
  });

  it("reports conflicts only between routes requiring the same headers", () => {
    expect(
      findRouteConflicts([
        { key: "ns/a", hosts: ["h"], headers: [{ name: "X-A", value: "1" }] },
        { key: "ns/b", hosts: ["h"], headers: [{ name: "x-a", value: "1" }] },
        { key: "ns/c", hosts: ["h"] },
      ]),
    ).toEqual([{ host: "h", pathPrefix: "/", headers: ["x-a: 1"], routeKeys: ["ns/a", "ns/b"] }]);
  });
});
