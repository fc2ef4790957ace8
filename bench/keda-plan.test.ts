import { describe, expect, it } from "vitest";
import {
  apiserverRequestTotal,
  requestsPerObjectMinute,
  comparisonFigures,
  comparisonTable,
  countReady,
  cronScaledObject,
  kedaAdapterArgs,
  kedaOperatorArgs,
  kedaParts,
  kedaSizes,
  metricsApiScaledObject,
  operatorEnvironment,
  ratio,
  sumUsage,
  tidalOperatorArgs,
  windowUsage,
  type KedaLaunch,
} from "./keda-plan.ts";

const launch: KedaLaunch = {
  kubeconfig: "/k/admin.kubeconfig",
  certDir: "/c",
  ports: {
    operatorMetrics: 1001,
    operatorProbe: 1002,
    grpc: 1003,
    adapterSecure: 1004,
    adapterMetrics: 1005,
  },
};

/** The value of a `--name=value` flag; undefined when absent. */
const flag = (args: string[], name: string) =>
  args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);

describe("KEDA's command lines outside the cluster", () => {
  it("moves every operator listener onto loopback off 8080/8081/9666 and names the cert dir", () => {
    const args = kedaOperatorArgs(launch);
    expect(flag(args, "metrics-bind-address")).toBe("127.0.0.1:1001");
    expect(flag(args, "health-probe-bind-address")).toBe("127.0.0.1:1002");
    expect(flag(args, "metrics-service-bind-address")).toBe("127.0.0.1:1003");
    expect(flag(args, "cert-dir")).toBe("/c");
    expect(flag(args, "kubeconfig")).toBe("/k/admin.kubeconfig");
    expect(args.join(" ")).not.toMatch(/:8080|:8081|:9666/);
  });

  it("gives the adapter the lister and delegated-auth kubeconfigs, the gRPC address and the serving pair", () => {
    const args = kedaAdapterArgs(launch);
    for (const name of [
      "kubeconfig",
      "lister-kubeconfig",
      "authentication-kubeconfig",
      "authorization-kubeconfig",
    ])
      expect(flag(args, name)).toBe("/k/admin.kubeconfig");
    expect(flag(args, "metrics-service-address")).toBe("127.0.0.1:1003");
    expect(flag(args, "secure-port")).toBe("1004");
    expect(flag(args, "port")).toBe("1005");
    expect(flag(args, "bind-address")).toBe("127.0.0.1");
    expect(flag(args, "tls-cert-file")).toBe("/c/tls.crt");
    expect(flag(args, "tls-private-key-file")).toBe("/c/tls.key");
  });

  it("leaves KEDA's client rate limit at its defaults unless raised, then raises both processes'", () => {
    expect(flag(kedaOperatorArgs(launch), "kube-api-qps")).toBeUndefined();
    expect(flag(kedaAdapterArgs(launch), "kube-api-burst")).toBeUndefined();
    const raised = { ...launch, kubeApiQps: 1000, kubeApiBurst: 2000 };
    for (const args of [kedaOperatorArgs(raised), kedaAdapterArgs(raised)]) {
      expect(flag(args, "kube-api-qps")).toBe("1000");
      expect(flag(args, "kube-api-burst")).toBe("2000");
    }
  });

  it("sets the variables KEDA refuses to start without (WATCH_NAMESPACE empty: all namespaces)", () => {
    expect(operatorEnvironment()).toEqual({
      WATCH_NAMESPACE: "",
      KEDA_CLUSTER_OBJECT_NAMESPACE: "keda",
      POD_NAMESPACE: "keda",
    });
  });

  it("runs Tidal's operator with --local and its metrics server on the given port", () => {
    const args = tidalOperatorArgs("/k/admin.kubeconfig", 4321);
    expect(args.slice(0, 2)).toEqual(["bin/tidal.js", "operator"]);
    expect(args).toContain("--local");
    expect(args[args.indexOf("--metrics-server-port") + 1]).toBe("4321");
    expect(args[args.indexOf("--dashboard-bind-address") + 1]).toBe("0");
  });
});

describe("the objects", () => {
  it("a cron trigger that is inactive but for the year's first five minutes, target of the same name", () => {
    const object = cronScaledObject("cron-00001") as {
      spec: {
        scaleTargetRef: { name: string };
        minReplicaCount: number;
        triggers: { type: string; metadata: Record<string, string> }[];
      };
    };
    expect(object.spec.scaleTargetRef.name).toBe("cron-00001");
    expect(object.spec.minReplicaCount).toBe(0);
    expect(object.spec.triggers[0]).toMatchObject({
      type: "cron",
      metadata: { start: "0 0 1 1 *", end: "5 0 1 1 *", timezone: "Etc/UTC", desiredReplicas: "1" },
    });
  });

  it("a metrics-api trigger polled every second", () => {
    const object = metricsApiScaledObject("react", "http://127.0.0.1:9/value", 5) as {
      spec: { pollingInterval: number; triggers: { metadata: Record<string, string> }[] };
    };
    expect(object.spec.pollingInterval).toBe(1);
    expect(object.spec.triggers[0]?.metadata).toMatchObject({
      url: "http://127.0.0.1:9/value",
      targetValue: "5",
    });
  });

  it("counts Ready=True only", () => {
    expect(
      countReady([
        { status: { conditions: [{ type: "Ready", status: "True" }] } },
        {
          status: {
            conditions: [
              { type: "Ready", status: "False" },
              { type: "Active", status: "True" },
            ],
          },
        },
        { status: { conditions: [{ type: "Ready", status: "Unknown" }] } },
        {},
      ]),
    ).toBe(1);
  });
});

describe("usage over a window", () => {
  const readings = [
    { at: 0, cpuSeconds: 1, rssBytes: 100 * 2 ** 20 },
    { at: 1000, cpuSeconds: 1.1, rssBytes: 110 * 2 ** 20 },
    { at: 2000, cpuSeconds: 1.2, rssBytes: 120 * 2 ** 20 },
    { at: 3000, cpuSeconds: 2, rssBytes: 300 * 2 ** 20 },
  ];

  it("CPU between the first and last reading inside, RSS mean and max of those", () => {
    expect(windowUsage(readings, 0, 2000)).toEqual({
      cpuPercent: expect.closeTo(10, 6),
      rssMiB: 110,
      rssMaxMiB: 120,
    });
  });

  it("null with fewer than two readings inside", () => {
    expect(windowUsage(readings, 500, 1500)).toBeNull();
  });

  it("sums processes, null if any is unknown", () => {
    const one = { cpuPercent: 1, rssMiB: 100, rssMaxMiB: 110 };
    expect(sumUsage([one, { cpuPercent: 2, rssMiB: 50, rssMaxMiB: 60 }])).toEqual({
      cpuPercent: 3,
      rssMiB: 150,
      rssMaxMiB: 170,
    });
    expect(sumUsage([one, null])).toBeNull();
    expect(sumUsage([])).toBeNull();
  });
});

describe("figures", () => {
  it("ratio is Tidal ÷ KEDA, null when either is missing or KEDA's is 0", () => {
    expect(ratio(2, 8)).toBe(0.25);
    expect(ratio(null, 8)).toBeNull();
    expect(ratio(2, undefined)).toBeNull();
    expect(ratio(2, 0)).toBeNull();
  });

  it("one ratio figure per comparison with its target, and the raised-limit ratio where measured", () => {
    const figures = comparisonFigures([
      {
        id: "start",
        label: "start",
        unit: "s",
        keda: 0.8,
        tidal: 2.4,
        target: { comparison: "at most", value: 1 },
      },
      {
        id: "ready",
        label: "ready",
        unit: "s",
        keda: 500,
        kedaRaised: 50,
        tidal: 25,
        target: { comparison: "at most", value: 0.1 },
      },
    ]);
    expect(figures.map((item) => [item.id, item.value, item.met])).toEqual([
      ["ratio.start", 3, false],
      ["ratio.ready", 0.05, true],
      ["ratioRaised.ready", 0.5, undefined],
    ]);
  });

  it("a side-by-side table with a raised-limits column when any row has one", () => {
    const table = comparisonTable([
      { id: "a", label: "start", unit: "s", keda: 0.8, tidal: 2.4 },
      { id: "b", label: "ready", unit: "s", keda: 500, kedaRaised: 50, tidal: null },
    ]);
    expect(table).toEqual([
      "| Figure | KEDA | KEDA, raised limits | Tidal | Tidal ÷ KEDA |",
      "|---|---:|---:|---:|---:|",
      "| start | 0.8 s |  | 2.4 s | 3× |",
      "| ready | 500 s | 50 s | – | –, – (raised) |",
    ]);
  });
});

describe("sizes", () => {
  it("100 quick, 100 and 1,000 otherwise, or the listed ones", () => {
    expect(kedaSizes(true, undefined)).toEqual([100]);
    expect(kedaSizes(false, undefined)).toEqual([100, 1000]);
    expect(kedaSizes(false, "100,1000,5000")).toEqual([100, 1000, 5000]);
    expect(() => kedaSizes(false, "100,x")).toThrow(/TIDAL_BENCH_KEDA_SIZES/);
  });
});

describe("API requests", () => {
  it("sums apiserver_request_total over its series and nothing else", () => {
    const text = [
      "# HELP apiserver_request_total Counter of apiserver requests",
      "# TYPE apiserver_request_total counter",
      'apiserver_request_total{code="200",resource="scaledobjects",verb="LIST"} 12',
      'apiserver_request_total{code="201",resource="events",verb="POST"} 3.5e+01',
      'apiserver_request_total_other{code="200"} 1000',
      'apiserver_request_duration_seconds_count{verb="GET"} 77',
    ].join("\n");
    expect(apiserverRequestTotal(text)).toBe(47);
  });

  it("takes the bench's own requests out and scales to one object and one minute", () => {
    expect(requestsPerObjectMinute({ before: 1000, after: 1650, ownRequests: 50 }, 100, 30_000)).toBe(12);
  });
});

describe("the parts run after start and idle", () => {
  it("are all by default, those named otherwise, none when empty", () => {
    expect([...kedaParts(undefined)]).toEqual(["sizes", "reaction", "timeline"]);
    expect([...kedaParts("timeline")]).toEqual(["timeline"]);
    expect([...kedaParts(" sizes , reaction")]).toEqual(["sizes", "reaction"]);
    expect(kedaParts("").size).toBe(0);
    expect(() => kedaParts("sizes,timelines")).toThrow(/unknown timelines/);
  });
});
