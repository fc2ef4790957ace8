import { describe, expect, it } from "vitest";
import { ScalingHistory, type HistoryRecord } from "./history.ts";

const object = { kind: "ScaledObject", namespace: "default", name: "orders" };
const spec = (metricName: string, target = 10, activationTarget = 0) => ({
  name: "",
  type: "redis",
  metricName,
  target,
  activationTarget,
});

function record(
  at: number,
  replicas: number,
  values: (number | null)[],
  overrides: Partial<HistoryRecord> = {},
) {
  return {
    at,
    replicas,
    desiredReplicas: replicas,
    active: replicas > 0,
    fallback: false,
    specs: [spec("s0-redis-orders")],
    values,
    ...overrides,
  };
}

describe("ScalingHistory", () => {
  it("returns every evaluation as columns, with the thresholds in effect", () => {
    const history = new ScalingHistory();
    history.record(object, record(1_000, 0, [0]));
    history.record(object, record(2_000, 1, [12.5], { desiredReplicas: 2 }));
    history.record(object, record(3_000, 2, [null]));
    expect(history.get(object)).toEqual({
      t: [1_000, 2_000, 3_000],
      replicas: [0, 1, 2],
      desiredReplicas: [0, 2, 2],
      active: [false, true, true],
      fallback: [false, false, false],
      values: [[0, 12.5, null]],
      coarseMs: 60_000,
      coarseUntil: 0,
      triggers: [
        {
          name: "",
          type: "redis",
          metricName: "s0-redis-orders",
          thresholds: [{ at: 1_000, target: 10, activationTarget: 0 }],
        },
      ],
    });
  });

  it("keeps values to 7 significant digits (float32) and counts as 16-bit integers", () => {
    const history = new ScalingHistory();
    history.record(object, record(1, 70_000, [0.1]));
    history.record(object, record(2, 3, [1234567.8]));
    const got = history.get(object);
    expect(got?.values[0]).toEqual([0.1, 1234568]);
    expect(got?.replicas).toEqual([65_535, 3]);
  });

  it("keeps the last evaluations at full resolution and older ones as per-bucket maxima", () => {
    const history = new ScalingHistory({ recentPoints: 4, coarseMs: 10_000, coarsePoints: 3 });
    // One evaluation per 2.5 s for 60 s: values rise and fall so bucket maxima differ from the last.
    for (let index = 0; index < 24; index++) {
      const at = index * 2_500;
      history.record(object, record(at, index % 4, [index % 5]));
    }
    const got = history.get(object);
    // Full resolution: the last 4 evaluations (52.5 s .. 57.5 s).
    expect(got?.t.slice(-4)).toEqual([50_000, 52_500, 55_000, 57_500]);
    // Buckets of the evaluations that left it: the 3 newest closed ones (10-20 s, 20-30 s,
    // 30-40 s) and the open one (40-50 s).
    expect(got?.t.slice(0, -4)).toEqual([10_000, 20_000, 30_000, 40_000]);
    expect(got?.coarseUntil).toBe(50_000);
    // Bucket 10-20 s holds evaluations 4..7: replicas 0..3, values 4,0,1,2.
    expect(got?.replicas[0]).toBe(3);
    expect(got?.values[0]?.[0]).toBe(4);
  });

  it("loses no evaluation between the buckets and the full-resolution points", () => {
    const history = new ScalingHistory({ recentPoints: 4, coarseMs: 60_000 });
    // From 30 s into a minute: a scale from zero at 32 s, then ten evaluations at one replica.
    for (let index = 0; index < 12; index++)
      history.record(object, record(30_000 + index * 1_000, index < 2 ? 0 : 1, [index < 2 ? 0 : 5]));
    const got = history.get(object);
    // The first 8 evaluations are one bucket, at the first one's time (not the minute's start,
    // before anything was recorded), with their largest counts and values; before, the history
    // began at the 9th.
    expect(got?.t).toEqual([30_000, 38_000, 39_000, 40_000, 41_000]);
    expect(got?.coarseUntil).toBe(38_000);
    expect(got?.replicas).toEqual([1, 1, 1, 1, 1]);
    expect(got?.values[0]).toEqual([5, 5, 5, 5, 5]);
    expect(history.sparkline(object)).toEqual([1, 1, 1, 1, 1]);
  });

  it("returns only newer full-resolution points after a time (what live views append)", () => {
    const history = new ScalingHistory();
    for (let at = 1; at <= 5; at++) history.record(object, record(at * 1000, at, [at]));
    expect(history.get(object, 3_000)?.t).toEqual([4_000, 5_000]);
    expect(history.get(object, 5_000)?.t).toEqual([]);
  });

  it("records a threshold change, and starts over when the triggers change", () => {
    const history = new ScalingHistory();
    history.record(object, record(1_000, 1, [1]));
    history.record(object, record(2_000, 1, [1], { specs: [spec("s0-redis-orders", 20, 5)] }));
    expect(history.get(object)?.triggers[0]?.thresholds).toEqual([
      { at: 1_000, target: 10, activationTarget: 0 },
      { at: 2_000, target: 20, activationTarget: 5 },
    ]);
    history.record(object, record(3_000, 1, [1, 2], { specs: [spec("s0-a"), spec("s1-b")] }));
    const got = history.get(object);
    expect(got?.t).toEqual([3_000]);
    expect(got?.triggers.map((trigger) => trigger.metricName)).toEqual(["s0-a", "s1-b"]);
  });

  it("draws a sparkline of at most N points from the largest count of each stretch", () => {
    const history = new ScalingHistory();
    for (let index = 0; index < 100; index++)
      history.record(object, record(index * 1000, index === 42 ? 9 : 1, [0]));
    const line = history.sparkline(object, 10);
    expect(line).toHaveLength(10);
    expect(Math.max(...line)).toBe(9);
    expect(history.sparkline({ ...object, name: "other" })).toEqual([]);
  });

  it("tells listeners of new points, forgets objects, and bounds memory per object", () => {
    const history = new ScalingHistory({ recentPoints: 50, coarsePoints: 20 });
    const heard: string[] = [];
    const stop = history.onRecord((ref) => heard.push(ref.name));
    for (let index = 0; index < 10_000; index++) history.record(object, record(index * 1000, 1, [index]));
    stop();
    history.record(object, record(20_000_000, 1, [1]));
    expect(heard).toHaveLength(10_000);
    // 70 points of 8 + 2 + 2 + 1 + 4 bytes (one trigger), whatever was recorded.
    expect(history.stats()).toEqual({ objects: 1, pointBytes: 70 * 17 });
    history.forget(object);
    expect(history.get(object)).toBeUndefined();
    expect(history.stats().objects).toBe(0);
  });
});

/** A forecasting trigger's reading: `predicted` for now + horizon. */
const predicts = (
  predicted: number | null,
  horizonSeconds = 600,
  mode: "predictive" | "reactive" = "predictive",
) => ({
  predicted,
  horizonSeconds,
  mode,
});

describe("ScalingHistory's forecasts (the dashboard's forecast provider)", () => {
  it("gives each forecasting trigger's predictions at their target time, and none for the others", () => {
    const history = new ScalingHistory();
    const specs = [spec("s0-predictkube"), spec("s1-redis-orders")];
    history.record(
      object,
      record(1_000, 1, [4, 1], { specs, forecasts: [predicts(null, 600, "reactive"), null] }),
    );
    history.record(object, record(16_000, 1, [5, 1], { specs, forecasts: [predicts(7.5), null] }));
    history.record(object, record(31_000, 1, [6, 1], { specs, forecasts: [predicts(9), null] }));
    expect(history.forecasts(object)).toEqual([
      {
        of: { kind: "metric", metricName: "s0-predictkube" },
        madeAt: 31_000,
        horizonSeconds: 600,
        served: true,
        points: [
          { at: 616_000, value: 7.5 },
          { at: 631_000, value: 9 },
        ],
      },
    ]);
    // The measured history is as without forecasts.
    expect(history.get(object)?.values).toEqual([
      [4, 5, 6],
      [1, 1, 1],
    ]);
  });

  it("says whether the newest forecast is served, and keeps a model's value while it is not", () => {
    const history = new ScalingHistory();
    history.record(object, record(1_000, 1, [4], { forecasts: [predicts(8, 60)] }));
    history.record(object, record(2_000, 1, [4], { forecasts: [predicts(3, 60, "reactive")] }));
    expect(history.forecasts(object)).toMatchObject([
      {
        served: false,
        points: [
          { at: 61_000, value: 8 },
          { at: 62_000, value: 3 },
        ],
      },
    ]);
  });

  it("gives none for an object without forecasting triggers, and costs it nothing", () => {
    const history = new ScalingHistory();
    history.record(object, record(1_000, 1, [4]));
    history.record(object, record(2_000, 1, [4], { forecasts: [null] }));
    expect(history.forecasts(object)).toEqual([]);
    expect(history.forecasts({ ...object, name: "other" })).toEqual([]);
    const plain = new ScalingHistory();
    plain.record(object, record(1_000, 1, [4]));
    plain.record(object, record(2_000, 1, [4]));
    expect(history.stats()).toEqual(plain.stats());
  });

  it("starts the forecasts over when the horizon or the triggers change, and forgets them with the object", () => {
    const history = new ScalingHistory();
    history.record(object, record(1_000, 1, [4], { forecasts: [predicts(8, 60)] }));
    history.record(object, record(2_000, 1, [4], { forecasts: [predicts(9, 120)] }));
    expect(history.forecasts(object)[0]?.points).toEqual([{ at: 122_000, value: 9 }]);
    history.record(object, record(3_000, 1, [4, 1], { specs: [spec("s0-a"), spec("s1-b")] }));
    expect(history.forecasts(object)).toEqual([]);
    history.record(
      object,
      record(4_000, 1, [4, 1], { specs: [spec("s0-a"), spec("s1-b")], forecasts: [null, predicts(2, 60)] }),
    );
    expect(history.forecasts(object)).toMatchObject([
      { of: { metricName: "s1-b" }, points: [{ at: 64_000, value: 2 }] },
    ]);
    history.forget(object);
    expect(history.forecasts(object)).toEqual([]);
  });

  it("keeps the predictions bounded like the measurements: recent ones as made, older ones as bucket maxima", () => {
    const history = new ScalingHistory({ recentPoints: 4, coarseMs: 10_000, coarsePoints: 3 });
    // One evaluation per 2.5 s for 60 s, as in the measured history's test above.
    for (let index = 0; index < 24; index++) {
      const at = index * 2_500;
      history.record(object, record(at, 1, [index % 5], { forecasts: [predicts(index % 5, 30)] }));
    }
    const [forecast] = history.forecasts(object);
    const measured = history.get(object);
    // The same points as the measured line's (buckets, then every evaluation), 30 s later, with
    // the largest prediction of each bucket.
    expect(forecast?.points.map((point) => point.at)).toEqual(measured?.t.map((t) => t + 30_000));
    expect(forecast?.points.map((point) => point.value)).toEqual(measured?.values[0]);
    // Bounded whatever is recorded: both tracks hold 4 + 3 points of 17 bytes.
    for (let index = 24; index < 10_000; index++)
      history.record(object, record(index * 2_500, 1, [1], { forecasts: [predicts(1, 30)] }));
    expect(history.forecasts(object)[0]?.points).toHaveLength(4 + 3 + 1);
    expect(history.stats().pointBytes).toBe(2 * 7 * 17);
  });
});
