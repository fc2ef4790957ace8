import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName, useCleanup } from "../support/isolation.ts";
import { createTestNamespace, eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { services, useServices } from "../support/services.ts";
import { TidalOperator } from "../support/tidal-operator.ts";

beforeAll(() => useServices("redis"));

interface Lease {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}

/**
 * Two operators with --leader-elect in one namespace (direct mode, so no metrics API is needed):
 * one leads and scales, the other waits; killing the leader hands over within the lease time.
 */
describe("leader election", () => {
  const cleanup = useCleanup();
  const redis = new Redis(services.redisUrl);
  let namespace = "";
  const operators: TidalOperator[] = [];

  beforeAll(async () => {
    await kubectl(["apply", "-f", "deploy/crds/"]);
    const created = await createTestNamespace("e2e-leader");
    namespace = created.namespace;
    cleanup.add(created.remove);
  });
  afterAll(async () => {
    redis.disconnect();
    await Promise.all(operators.map((operator) => operator.stop()));
  });

  const replicasOf = async () =>
    (await kubectlJson<{ spec: { replicas: number } }>(["-n", namespace, "get", "deployment", "elected"]))
      .spec.replicas;
  const holder = async () =>
    (await kubectlJson<Lease>(["-n", namespace, "get", "lease", "tidal-operator"])).spec.holderIdentity ?? "";
  const leaderLogged = (operator: TidalOperator) =>
    operator.logs.some((line) => line.msg === "leader election: became leader");

  it("lets exactly one operator act, and the standby takes over when the leader dies", async () => {
    for (let index = 0; index < 2; index += 1)
      operators.push(await TidalOperator.start({ local: false, leaderElect: true, namespace }));
    const list = uniqueName("elected");
    cleanup.add(() => redis.del(list));
    await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "elected" },
          spec: {
            replicas: 0,
            selector: { matchLabels: { app: "elected" } },
            template: {
              metadata: { labels: { app: "elected" } },
              spec: { containers: [{ name: "main", image: "example.invalid/w" }] },
            },
          },
        },
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "elected", annotations: { "autoscaling.tidal.dev/mode": "direct" } },
          spec: {
            scaleTargetRef: { name: "elected" },
            pollingInterval: 1,
            cooldownPeriod: 600,
            triggers: [
              { type: "redis", metadata: { address: "127.0.0.1:6379", listName: list, listLength: "10" } },
            ],
          },
        },
      ]
        .map((document) => JSON.stringify(document))
        .join("\n"),
    );
    const leaderIdentity = await eventually("a lease holder", async () => (await holder()) || undefined);
    await eventually("one operator to report leading", () => operators.some(leaderLogged));
    expect(operators.filter(leaderLogged)).toHaveLength(1);
    const leader = operators.find(leaderLogged) as TidalOperator;
    const standby = operators.find((operator) => operator !== leader) as TidalOperator;
    expect(leaderIdentity.endsWith(`_${leader.child.pid}`)).toBe(true);

    await redis.rpush(list, ...Array.from({ length: 25 }, (_, index) => `item-${index}`));
    await eventually("3 replicas set by the leader", async () => (await replicasOf()) === 3, {
      timeoutMs: 30_000,
    });
    expect(leaderLogged(standby)).toBe(false);

    expect(await leader.stop("SIGKILL")).toBe(null);
    // The lease lasts 10 s and the standby retries every 2 s: it must lead within 15 s.
    await eventually(
      "the standby to take the lease",
      async () => (await holder()).endsWith(`_${standby.child.pid}`),
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    expect(leaderLogged(standby)).toBe(true);
    await redis.rpush(list, ...Array.from({ length: 20 }, (_, index) => `more-${index}`));
    await eventually("the new leader to scale to 5", async () => (await replicasOf()) === 5, {
      timeoutMs: 30_000,
    });
    const lease = await kubectlJson<Lease>(["-n", namespace, "get", "lease", "tidal-operator"]);
    expect(lease.spec.leaseTransitions).toBe(1);
  });
});
