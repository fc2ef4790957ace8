import { describe, expect, it } from "vitest";
import { KubeApiError, type KubeApi } from "./kube-api.ts";
import { boundTokenExpirySeconds, ServiceAccountTokens } from "./service-account-tokens.ts";

describe("KEDA_BOUND_SERVICE_ACCOUNT_TOKEN_EXPIRY", () => {
  it("is a Go duration from 1h to 6h, 1h when unset or empty", () => {
    expect(boundTokenExpirySeconds(undefined)).toBe(3600);
    expect(boundTokenExpirySeconds("")).toBe(3600);
    expect(boundTokenExpirySeconds("90m")).toBe(5400);
    expect(boundTokenExpirySeconds("6h")).toBe(21600);
    expect(() => boundTokenExpirySeconds("59m")).toThrow("must be between 1h and 6h, got 59m");
    expect(() => boundTokenExpirySeconds("7h")).toThrow("must be between 1h and 6h");
    expect(() => boundTokenExpirySeconds("3600")).toThrow("is not a duration such as 1h or 90m");
  });
});

describe("ServiceAccountTokens", () => {
  /** The API server's side of TokenRequest, recorded: a token per call, expiring as asked. */
  function apiServer(now: () => number) {
    const calls: { path: string; body: unknown }[] = [];
    const api = {
      create: async (path: string, body: { spec: { expirationSeconds: number } }) => {
        calls.push({ path, body });
        if (path.includes("/missing/"))
          throw new KubeApiError(404, "NotFound", `serviceaccounts "missing" not found`);
        return {
          status: {
            token: `token-${calls.length}`,
            expirationTimestamp: new Date(now() + body.spec.expirationSeconds * 1000).toISOString(),
          },
        };
      },
    } as unknown as KubeApi;
    return { api, calls };
  }

  it("asks with KEDA's expiry and the default audience, shares a token until 80% of its lifetime", async () => {
    let clock = Date.parse("2026-01-01T00:00:00Z");
    const now = () => clock;
    const { api, calls } = apiServer(now);
    const tokens = new ServiceAccountTokens(api, { expirationSeconds: 3600, now });
    const [first, again] = await Promise.all([tokens.get("apps", "reader"), tokens.get("apps", "reader")]);
    expect(first).toEqual({ token: "token-1", expiresAt: clock + 3_600_000, refreshAt: clock + 2_880_000 });
    expect(again).toBe(first);
    expect(calls).toEqual([
      {
        path: "/api/v1/namespaces/apps/serviceaccounts/reader/token",
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: 3600 },
        },
      },
    ]);
    expect((await tokens.get("other", "reader")).token).toBe("token-2");
    clock += 2_879_000;
    expect((await tokens.get("apps", "reader")).token).toBe("token-1");
    clock += 1_000;
    expect((await tokens.get("apps", "reader")).token).toBe("token-3");
  });

  it("names a missing service account and does not keep the failure", async () => {
    const { api, calls } = apiServer(Date.now);
    const tokens = new ServiceAccountTokens(api, { expirationSeconds: 3600 });
    await expect(tokens.get("missing", "reader")).rejects.toThrow(
      'service account "reader" not found in namespace "missing"',
    );
    await expect(tokens.get("missing", "reader")).rejects.toThrow();
    expect(calls).toHaveLength(2);
  });
});
