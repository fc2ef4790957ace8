import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName, useCleanup } from "../support/isolation.ts";
import { createTestNamespace, eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { services, useServices } from "../support/services.ts";
import { TidalOperator } from "../support/tidal-operator.ts";

beforeAll(() => useServices("redis"));

const root = fileURLToPath(new URL("../..", import.meta.url));

function deployment(name: string) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "example.invalid/worker" }] },
      },
    },
  };
}

function scaledObject(name: string, list: string) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name },
    spec: {
      scaleTargetRef: { name },
      pollingInterval: 1,
      cooldownPeriod: 5,
      maxReplicaCount: 5,
      triggers: [
        { type: "redis", metadata: { address: "127.0.0.1:6379", listName: list, listLength: "10" } },
      ],
    },
  };
}

describe("the operator across crashes and API server restarts", () => {
  const cleanup = useCleanup();
  const redis = new Redis(services.redisUrl);
  let namespace = "";
  let operator: TidalOperator;

  beforeAll(async () => {
    await kubectl(["apply", "-f", "deploy/crds/"]);
    const created = await createTestNamespace("e2e-resilience");
    namespace = created.namespace;
    cleanup.add(created.remove);
    operator = await TidalOperator.start();
  });
  afterAll(async () => {
    redis.disconnect();
    await operator.stop();
  });

  const apply = (object: unknown) => kubectl(["-n", namespace, "apply", "-f", "-"], JSON.stringify(object));
  const replicasOf = async (name: string) =>
    (await kubectlJson<{ spec: { replicas: number } }>(["-n", namespace, "get", "deployment", name])).spec
      .replicas;
  const lastActiveTime = async (name: string) =>
    (
      await kubectlJson<{ status?: { lastActiveTime?: string } }>([
        "-n",
        namespace,
        "get",
        "scaledobject",
        name,
      ])
    ).status?.lastActiveTime;
  const isReady = async (name: string) =>
    (
      await kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
        "-n",
        namespace,
        "get",
        "scaledobject",
        name,
      ])
    ).status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True") ??
    false;

  it("changes no replica count after being killed with SIGKILL while scaled out and restarted", async () => {
    const list = uniqueName("killed");
    cleanup.add(() => redis.del(list));
    await apply(deployment("survivor"));
    await apply(scaledObject("survivor", list));
    await eventually("Ready", () => isReady("survivor"));
    await redis.rpush(list, ...Array.from({ length: 45 }, (_, index) => `item-${index}`));
    await eventually("5 replicas", async () => (await replicasOf("survivor")) === 5, { timeoutMs: 90_000 });

    expect(await operator.stop("SIGKILL")).toBe(null);
    const beforeRestart = await lastActiveTime("survivor");
    operator = await TidalOperator.start();
    // The new process polls (lastActiveTime moves on) and the HPA keeps reading through it.
    await eventually(
      "a poll by the restarted operator",
      async () => (await lastActiveTime("survivor")) !== beforeRestart,
      { timeoutMs: 30_000 },
    );
    const seen = new Set<number>();
    for (let poll = 0; poll < 5; poll += 1) {
      const at = await lastActiveTime("survivor");
      await eventually("the next poll", async () => (await lastActiveTime("survivor")) !== at, {
        timeoutMs: 30_000,
      });
      seen.add(await replicasOf("survivor"));
    }
    expect([...seen]).toEqual([5]);
  });

  it("loses no watch when the kube-apiserver restarts", async () => {
    const pid = Number(readFileSync(`${root}/.tidal/kube/pids/kube-apiserver`, "utf8"));
    process.kill(-pid, "SIGTERM");
    await eventually(
      "the API server to stop",
      async () => {
        try {
          await kubectl(["get", "--raw", "/readyz", "--request-timeout=2s"]);
          return false;
        } catch {
          return true;
        }
      },
      { timeoutMs: 60_000 },
    );
    await promisify(execFile)("scripts/kube.sh", ["up"], { cwd: root });

    const list = uniqueName("after-restart");
    cleanup.add(() => redis.del(list));
    await apply(deployment("late"));
    await apply(scaledObject("late", list));
    await eventually("a ScaledObject created after the restart to become Ready", () => isReady("late"), {
      timeoutMs: 90_000,
    });
    await redis.rpush(list, "one");
    await eventually("its Deployment activated", async () => (await replicasOf("late")) === 1, {
      timeoutMs: 30_000,
    });
    expect(operator.child.exitCode).toBe(null);
  });
});
