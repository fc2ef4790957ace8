import { describe, expect, it } from "vitest";
import {
  compareFamilies,
  compareTimelines,
  cronAt,
  describeMismatch,
  record,
  replicasAt,
  scriptStart,
  scriptValue,
  TIMELINE_ACTIVATION,
  TIMELINE_CRON_WINDOW,
  TIMELINE_FAMILIES,
  TIMELINE_POLLING_SECONDS,
  TIMELINE_SCRIPT,
  timelineDeployment,
  timelineFigures,
  timelineScaledObject,
  timelineTable,
  type Change,
  type TimelineSources,
} from "./keda-timeline-plan.ts";

const sources: TimelineSources = {
  metricsUrl: "http://127.0.0.1:4000/value",
  redisAddress: "127.0.0.1:6379",
  redisList: "list",
  postgresUrl: "postgresql://u:p@127.0.0.1:5432/db",
  postgresTable: "rows",
  startMs: Date.UTC(2026, 11, 3, 20, 14, 0),
};

const window = { from: 0, to: 150 };
const tolerance = TIMELINE_POLLING_SECONDS;
const changes = (...pairs: [number, number][]): Change[] => pairs.map(([at, replicas]) => ({ at, replicas }));

describe("the script", () => {
  it("goes 0 → the activation threshold → above it → several replicas → 0, holding each value from its step on", () => {
    expect(TIMELINE_SCRIPT[0]).toEqual({ at: 0, value: 0 });
    expect(TIMELINE_SCRIPT.at(-1)?.value).toBe(0);
    expect(Math.max(...TIMELINE_SCRIPT.map((step) => step.value))).toBeGreaterThan(5);
    expect(scriptValue(9.9)).toBe(0);
    expect(scriptValue(10)).toBe(TIMELINE_ACTIVATION);
    expect(scriptValue(25)).toBe(TIMELINE_ACTIVATION + 1);
    expect(scriptValue(45)).toBe(20);
    expect(scriptValue(149)).toBe(0);
  });

  it("starts on the first minute boundary at least the lead away", () => {
    const now = Date.UTC(2026, 11, 3, 20, 13, 10);
    expect(new Date(scriptStart(now, 40_000)).toISOString()).toBe("2026-12-03T20:14:00.000Z");
    expect(new Date(scriptStart(now, 55_000)).toISOString()).toBe("2026-12-03T20:15:00.000Z");
    expect(scriptStart(Date.UTC(2026, 0, 1, 0, 0, 20), 40_000)).toBe(Date.UTC(2026, 0, 1, 0, 1, 0));
  });

  it("writes the cron window as UTC minutes one and two of the run", () => {
    expect(cronAt(sources.startMs + TIMELINE_CRON_WINDOW.opens * 1000)).toBe("15 20 * * *");
    expect(cronAt(Date.UTC(2026, 11, 3, 23, 59, 0) + 60_000)).toBe("0 0 * * *");
  });
});

describe("the objects", () => {
  it("gives every family one ScaledObject polling every 5 s, from 0 replicas, a short cooldown, no HPA scale-down window", () => {
    for (const family of TIMELINE_FAMILIES) {
      const object = timelineScaledObject(family, sources) as {
        metadata: { name: string };
        spec: Record<string, unknown> & { triggers: { type: string }[]; scaleTargetRef: { name: string } };
      };
      expect(object.spec.scaleTargetRef.name).toBe(object.metadata.name);
      expect(object.spec.pollingInterval).toBe(TIMELINE_POLLING_SECONDS);
      expect(object.spec.minReplicaCount).toBe(0);
      expect(object.spec.cooldownPeriod).toBeLessThanOrEqual(10);
      expect(object.spec.advanced).toEqual({
        horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } },
      });
      expect(object.spec.triggers.map((trigger) => trigger.type)).toEqual([family]);
    }
  });

  it("reads each source the way the script writes it", () => {
    const metadata = (family: (typeof TIMELINE_FAMILIES)[number]) =>
      (
        timelineScaledObject(family, sources) as {
          spec: { triggers: { metadata: Record<string, string> }[] };
        }
      ).spec.triggers[0]?.metadata;
    expect(metadata("metrics-api")).toMatchObject({
      url: sources.metricsUrl,
      valueLocation: "value",
      activationTargetValue: "2",
    });
    expect(metadata("redis")).toMatchObject({
      address: "127.0.0.1:6379",
      listName: "list",
      activationListLength: "2",
    });
    expect(metadata("postgresql")).toMatchObject({
      connectionFromEnv: "PG_URL",
      query: "SELECT COUNT(*) FROM rows",
      activationTargetQueryValue: "2",
    });
    expect(metadata("cron")).toMatchObject({ start: "15 20 * * *", end: "16 20 * * *", timezone: "Etc/UTC" });
    const deployment = timelineDeployment("postgresql", sources) as {
      spec: { replicas: number; template: { spec: { containers: { env: unknown[] }[] } } };
    };
    expect(deployment.spec.replicas).toBe(0);
    expect(deployment.spec.template.spec.containers[0]?.env).toEqual([
      { name: "PG_URL", value: sources.postgresUrl },
    ]);
  });
});

describe("recording a timeline", () => {
  it("keeps only the changes, from 0 replicas", () => {
    const timeline: Change[] = [];
    for (const [at, replicas] of [
      [0, 0],
      [0.2, 0],
      [12.4, 1],
      [12.6, 1],
      [33, 4],
      [95, 0],
    ] as const)
      record(timeline, at, replicas);
    expect(timeline).toEqual(changes([12.4, 1], [33, 4], [95, 0]));
    expect(replicasAt(timeline, 12)).toBe(0);
    expect(replicasAt(timeline, 50)).toBe(4);
  });
});

describe("comparing two timelines", () => {
  it("finds nothing when every change is within one poll", () => {
    const keda = changes([12, 1], [33, 4], [58, 2], [83, 1], [95, 0]);
    const tidal = changes([14, 1], [31, 4], [62.5, 2], [83.2, 1], [99, 0]);
    const result = compareTimelines(keda, tidal, tolerance, window);
    expect(result.mismatches).toEqual([]);
    expect(result.kedaChanges).toBe(5);
    expect(result.tidalChanges).toBe(5);
    expect(result.largestShift).toBeCloseTo(4.5);
    // 12–14 (0 vs 1), 31–33 (4 vs 1), 58–62.5 (2 vs 4), 83–83.2, 95–99: 12.7 s
    expect(result.disagreeSeconds).toBeCloseTo(12.7);
    expect(result.longestDisagreeSeconds).toBeCloseTo(4.5);
  });

  it("reports a change more than one poll apart as a shift, signed Tidal − KEDA", () => {
    const result = compareTimelines(
      changes([12, 1], [95, 0]),
      changes([12.5, 1], [107, 0]),
      tolerance,
      window,
    );
    expect(result.mismatches).toEqual([
      { kind: "shift", keda: { at: 95, replicas: 0 }, tidal: { at: 107, replicas: 0 }, shift: 12 },
    ]);
    expect(result.largestShift).toBe(12);
    expect(describeMismatch("redis", result.mismatches[0]!)).toBe(
      "redis: shift: KEDA 0 at 95.0 s, Tidal 0 at 107.0 s (+12.0 s)",
    );
  });

  it("reports a change on one side only as missing, and pairs the rest", () => {
    // KEDA passes through 1 on its way down; Tidal goes straight from 2 to 0.
    const keda = changes([12, 1], [33, 2], [83, 1], [95, 0]);
    const tidal = changes([12, 1], [33, 2], [96, 0]);
    const result = compareTimelines(keda, tidal, tolerance, window);
    expect(result.mismatches).toEqual([{ kind: "missing", keda: { at: 83, replicas: 1 } }]);
    expect(result.largestShift).toBe(1);
  });

  it("reports paired changes to other replicas as a value mismatch", () => {
    const result = compareTimelines(changes([12, 1], [33, 4]), changes([12, 1], [34, 3]), tolerance, window);
    expect(result.mismatches).toEqual([
      { kind: "value", keda: { at: 33, replicas: 4 }, tidal: { at: 34, replicas: 3 }, shift: 1 },
    ]);
  });

  it("treats an empty side as every change missing", () => {
    const result = compareTimelines(changes([61, 1], [62, 3]), [], tolerance, window);
    expect(result.mismatches.map((mismatch) => mismatch.kind)).toEqual(["missing", "missing"]);
    expect(result.largestShift).toBeNull();
    expect(result.disagreeSeconds).toBe(89);
  });
});

describe("the report", () => {
  it("has per family the mismatches (target 0) and the largest shift, and a row per family", () => {
    const compared = compareFamilies([
      { family: "redis", keda: changes([12, 1], [95, 0]), tidal: changes([13, 1], [107, 0]) },
      { family: "cron", keda: changes([61, 1]), tidal: null },
    ]);
    const figures = timelineFigures(compared);
    expect(figures.find((entry) => entry.id === "timeline.redis.mismatches")).toMatchObject({
      value: 1,
      met: false,
    });
    expect(figures.find((entry) => entry.id === "timeline.redis.largestShift")?.value).toBe(12);
    expect(figures.find((entry) => entry.id === "timeline.cron.mismatches")?.value).toBeNull();
    const table = timelineTable(compared);
    expect(table).toContain("| redis | 2 | 2 | 12.0 s | 13.0 s (12.0 s) | 1 |");
    expect(table).toContain("| cron | – | – | – | – | not recorded |");
    expect(table.at(-1)).toBe("- redis: shift: KEDA 0 at 95.0 s, Tidal 0 at 107.0 s (+12.0 s)");
  });
});
