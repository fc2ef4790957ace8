import { describe, expect, it } from "vitest";
import { TidalError } from "../util/errors.ts";
import {
  chooseInterceptorPod,
  chooseOperatorPod,
  dashboardPortOf,
  type OperatorPod,
} from "./operator-tunnel.ts";

const pod = (
  name: string,
  phase = "Running",
  args: string[] = ["operator", "--leader-elect"],
): OperatorPod => ({
  metadata: { name, namespace: "tidal-system" },
  spec: { containers: [{ args }] },
  status: { phase },
});
const now = Date.parse("2026-01-01T12:00:00Z");
const lease = (holderIdentity: string, renewTime = "2026-01-01T11:59:59.000000Z") => ({
  spec: { holderIdentity, renewTime, leaseDurationSeconds: 10 },
});

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TidalError);
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

describe("chooseOperatorPod", () => {
  it("asks the Lease holder's Pod: its identity is <pod>_<pid>", () => {
    const chosen = chooseOperatorPod(
      "tidal-system",
      lease("tidal-operator-7d9f-b_1"),
      [pod("tidal-operator-7d9f-a"), pod("tidal-operator-7d9f-b")],
      now,
    );
    expect(chosen).toEqual({
      namespace: "tidal-system",
      pod: "tidal-operator-7d9f-b",
      port: 8435,
      why: "leader (Lease tidal-system/tidal-operator)",
    });
  });

  it("takes the only running Pod when nobody leads (no --leader-elect)", () => {
    const chosen = chooseOperatorPod(
      "ops",
      undefined,
      [pod("old", "Succeeded"), pod("tidal-operator-x")],
      now,
    );
    expect(chosen.pod).toBe("tidal-operator-x");
    expect(chosen.why).toBe("the only operator Pod");
  });

  it("ignores a Lease nobody has renewed for long, and then needs a single Pod", () => {
    const stale = lease("gone_1", "2026-01-01T11:00:00.000000Z");
    expect(chooseOperatorPod("ops", stale, [pod("a")], now).pod).toBe("a");
    expect(failure(() => chooseOperatorPod("ops", stale, [pod("a"), pod("b")], now))).toBe(
      '2 operator Pods run in ops (a (Running), b (Running)) and none holds the Lease ops/tidal-operator (its holder "gone_1" stopped renewing it); only the leader has decisions: run the operator with --leader-elect, or ask one with --server after kubectl port-forward',
    );
  });

  it("says so when no Pod runs, or the leader is no Pod of the operator", () => {
    expect(failure(() => chooseOperatorPod("ops", undefined, [], now))).toContain(
      "no operator Pod is running in namespace ops (none has the labels app.kubernetes.io/name=tidal,app.kubernetes.io/component=operator): install it with `tidal install`, or pass --operator-namespace",
    );
    expect(failure(() => chooseOperatorPod("ops", undefined, [pod("a", "Pending")], now))).toContain(
      "(pods: a (Pending))",
    );
    expect(failure(() => chooseOperatorPod("ops", lease("laptop_4242"), [pod("a")], now))).toContain(
      'the leader of Lease ops/tidal-operator is "laptop_4242", and no operator Pod in ops is named "laptop"',
    );
  });
});

describe("dashboardPortOf", () => {
  it("reads --dashboard-bind-address from the container's args, else 8435", () => {
    expect(dashboardPortOf(pod("a"))).toBe(8435);
    expect(
      dashboardPortOf(pod("a", "Running", ["operator", "--dashboard-bind-address", "127.0.0.1:9435"])),
    ).toBe(9435);
    expect(dashboardPortOf(pod("a", "Running", ["operator", "--dashboard-bind-address=[::1]:7000"]))).toBe(
      7000,
    );
  });

  it("refuses a Pod whose status API is off", () => {
    expect(
      failure(() => dashboardPortOf(pod("a", "Running", ["operator", "--dashboard-bind-address", "0"]))),
    ).toBe(
      "the operator Pod tidal-system/a runs with --dashboard-bind-address 0: its status API is off, so it cannot explain; remove that argument",
    );
  });
});

describe("chooseInterceptorPod", () => {
  const interceptor = (
    name: string,
    phase: string,
    args: string[],
    ports = [{ name: "admin", containerPort: 9191 }],
  ) => ({
    metadata: { name, namespace: "tidal-system" },
    spec: { containers: [{ args, ports }] },
    status: { phase },
  });

  it("takes the first running replica by name, on --admin-port, else the port named admin, else 9090", () => {
    const pods = [
      interceptor("tidal-interceptor-b", "Running", ["interceptor"]),
      interceptor("tidal-interceptor-a", "Pending", ["interceptor"]),
      interceptor("tidal-interceptor-c", "Running", ["interceptor", "--admin-port", "9300"]),
    ];
    expect(chooseInterceptorPod("tidal-system", pods)).toEqual({
      namespace: "tidal-system",
      pod: "tidal-interceptor-b",
      port: 9191,
      why: "an interceptor replica",
    });
    expect(chooseInterceptorPod("tidal-system", pods.slice(2)).port).toBe(9300);
    expect(chooseInterceptorPod("tidal-system", [interceptor("x", "Running", [], [])]).port).toBe(9090);
  });

  it("says so when none runs", () => {
    expect(failure(() => chooseInterceptorPod("web", []))).toContain(
      "no interceptor Pod is running in namespace web (none has the labels app.kubernetes.io/name=tidal,app.kubernetes.io/component=interceptor)",
    );
  });
});
