import { describe, expect, it } from "vitest";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { cronNamePart, cronWindowTracker, cronWindowValue } from "./window.ts";

function prepare(metadata: Record<string, string>, index = 0) {
  return withErrorMessages(prepareScalerTrigger("cron", metadata, { index }));
}

const officeHours = {
  timezone: "Asia/Kolkata",
  start: "0 6 * * *",
  end: "0 20 * * *",
  desiredReplicas: "10",
};

describe("cron parameters", () => {
  it("names the metric as KEDA does, with target 1", () => {
    const prepared = prepare(officeHours);
    expect(prepared.errors).toEqual([]);
    expect(prepared.metricSpec).toMatchObject({
      metricName: "s0-cron-Asia-Kolkata-06xxx-020xxx",
      target: 1,
      activationTarget: 0,
    });
  });

  it("replaces the characters of the schedules KEDA replaces", () => {
    expect(cronNamePart("*/15 9-17 ? * 1,3,5")).toBe("xSl159-17Qmx1Cm3Cm5");
    const prepared = prepare(
      { ...officeHours, timezone: "America/New_York", start: "*/30 8 * * 1,2", end: "0 18 * * *" },
      3,
    );
    expect(prepared.metricSpec?.metricName).toBe("s3-cron-America-New_York-xSl308xx1Cm2-018xxx");
  });

  it("requires every parameter", () => {
    expect(prepare({}).errors).toEqual([
      `missing required parameter "start" (looked in trigger metadata)`,
      `missing required parameter "end" (looked in trigger metadata)`,
      `missing required parameter "timezone" (looked in trigger metadata)`,
      `missing required parameter "desiredReplicas" (looked in trigger metadata)`,
    ]);
  });

  it.each([
    [{ end: "0 6 * * *" }, "start and end must not be the same schedule"],
    [{ start: "0 6 * *" }, /start "0 6 \* \*" is not a 5-field cron expression/],
    [{ end: "0 0 20 * * *" }, /end "0 0 20 \* \* \*" is not a 5-field cron expression/],
    [{ start: "61 6 * * *" }, /start "61 6 \* \* \*" is not a 5-field cron expression/],
    [{ timezone: "Mars/Olympus_Mons" }, `timezone "Mars/Olympus_Mons" is not a known IANA time zone`],
    [{ desiredReplicas: "0" }, "desiredReplicas must be greater than 0"],
    [{ desiredReplicas: "ten" }, `parameter "desiredReplicas" value "ten" must be an integer`],
  ])("rejects %j", (change, message) => {
    const errors = prepare({ ...officeHours, ...change }).errors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it("accepts descriptors and KEDA's sloppy steps", () => {
    expect(prepare({ ...officeHours, start: "@daily", end: "0 5/5 * * *" }).errors).toEqual([]);
  });
});

describe("cronWindowValue", () => {
  const at = (iso: string) => Date.parse(iso);

  it("is desiredReplicas inside the window and 0 outside, in the trigger's time zone", () => {
    const window = { timezone: "Asia/Kolkata", start: "0 6 * * *", end: "0 20 * * *", desiredReplicas: 10 };
    // 06:00 in Kolkata is 00:30 UTC; 20:00 is 14:30 UTC.
    expect(cronWindowValue(window, at("2026-05-04T00:29:59Z"))).toEqual({ value: 0, active: false });
    expect(cronWindowValue(window, at("2026-05-04T00:30:00Z"))).toEqual({ value: 10, active: true });
    expect(cronWindowValue(window, at("2026-05-04T14:29:59Z"))).toEqual({ value: 10, active: true });
    expect(cronWindowValue(window, at("2026-05-04T14:30:00Z"))).toEqual({ value: 0, active: false });
  });

  it("handles a window that crosses midnight", () => {
    const night = { timezone: "America/New_York", start: "0 22 * * *", end: "0 6 * * *", desiredReplicas: 3 };
    // New York is UTC-4 in May.
    expect(cronWindowValue(night, at("2026-05-05T01:30:00Z"))).toEqual({ value: 0, active: false }); // 21:30
    expect(cronWindowValue(night, at("2026-05-05T02:00:00Z"))).toEqual({ value: 3, active: true }); // 22:00
    expect(cronWindowValue(night, at("2026-05-05T03:00:00Z")).active).toBe(true); // 23:00
    expect(cronWindowValue(night, at("2026-05-05T07:00:00Z")).active).toBe(true); // 03:00
    expect(cronWindowValue(night, at("2026-05-05T10:00:00Z")).active).toBe(false); // 06:00
  });

  it("follows daylight saving time in the time zone", () => {
    const window = { timezone: "Europe/Berlin", start: "0 1 * * *", end: "0 4 * * *", desiredReplicas: 2 };
    // 2026-03-29 02:00 CET jumps to 03:00 CEST: the window is 00:00Z–02:00Z that night, 00:00Z–03:00Z the night before.
    expect(cronWindowValue(window, at("2026-03-28T02:30:00Z")).active).toBe(true); // 03:30 CET
    expect(cronWindowValue(window, at("2026-03-29T01:30:00Z")).active).toBe(true); // 03:30 CEST
    expect(cronWindowValue(window, at("2026-03-29T02:30:00Z")).active).toBe(false); // 04:30 CEST
    // 2026-10-25 03:00 CEST falls back to 02:00 CET: the window ends at 03:00Z.
    expect(cronWindowValue(window, at("2026-10-25T02:30:00Z")).active).toBe(true); // 03:30 CET
    expect(cronWindowValue(window, at("2026-10-25T03:00:00Z")).active).toBe(false); // 04:00 CET
  });

  it("reads the same instant differently in different time zones", () => {
    const window = { start: "0 9 * * *", end: "0 17 * * *", desiredReplicas: 4 };
    const instant = at("2026-05-04T12:00:00Z");
    expect(cronWindowValue({ ...window, timezone: "Europe/London" }, instant).active).toBe(true); // 13:00
    expect(cronWindowValue({ ...window, timezone: "Asia/Tokyo" }, instant).active).toBe(false); // 21:00
  });

  it("handles weekday windows over a weekend", () => {
    const weekdays = { timezone: "UTC", start: "0 8 * * 1-5", end: "0 17 * * 1-5", desiredReplicas: 5 };
    expect(cronWindowValue(weekdays, at("2026-05-08T16:00:00Z")).active).toBe(true); // Friday
    expect(cronWindowValue(weekdays, at("2026-05-09T12:00:00Z")).active).toBe(false); // Saturday
    expect(cronWindowValue(weekdays, at("2026-05-11T08:00:00Z")).active).toBe(true); // Monday 08:00
  });

  it("fails for a schedule that never fires", () => {
    const never = { timezone: "UTC", start: "0 0 30 2 *", end: "0 6 * * *", desiredReplicas: 1 };
    expect(() => cronWindowValue(never, at("2026-05-04T00:00:00Z"))).toThrow(
      /start schedule "0 0 30 2 \*" never fires/,
    );
  });
});

describe("cronWindowTracker", () => {
  const windows = [
    { timezone: "Asia/Kolkata", start: "0 6 * * *", end: "0 20 * * *", desiredReplicas: 10 },
    { timezone: "Europe/Berlin", start: "0 1 * * *", end: "0 4 * * *", desiredReplicas: 2 },
    { timezone: "Etc/UTC", start: "*/5 * * * *", end: "2-59/5 * * * *", desiredReplicas: 1 },
  ];

  it("answers as cronWindowValue at every instant, polled forwards across the boundaries (and DST)", () => {
    for (const window of windows) {
      const track = cronWindowTracker(window);
      // Every 97 s (out of step with the schedules) for a day around the spring-forward night.
      const from = Date.parse("2026-03-28T18:00:00Z");
      for (let now = from; now < from + 86_400_000; now += 97_000) {
        expect(track(now), `${window.start} at ${new Date(now).toISOString()}`).toEqual(
          cronWindowValue(window, now),
        );
      }
    }
  });

  it("answers right at and just before a boundary, and after the clock goes back", () => {
    const window = windows[0] as (typeof windows)[number];
    const track = cronWindowTracker(window);
    const instants = [
      "2026-05-04T00:00:00Z",
      "2026-05-04T00:29:59.000Z",
      "2026-05-04T00:29:59.999Z",
      "2026-05-04T00:30:00Z",
      "2026-05-04T14:29:59.500Z",
      "2026-05-04T14:30:00Z",
      "2026-05-04T10:00:00Z", // back in time
      "2026-05-04T00:10:00Z",
    ].map((iso) => Date.parse(iso));
    for (const now of instants) expect(track(now)).toEqual(cronWindowValue(window, now));
  });
});
