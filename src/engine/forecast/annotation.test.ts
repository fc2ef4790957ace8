import { describe, expect, it } from "vitest";
import { FORECAST_ANNOTATION, forecastsTrigger, parseForecastAnnotation } from "./annotation.ts";
import { DAY_MS } from "./settings.ts";

const MINUTE = 60_000;
const parse = (value: string) => parseForecastAnnotation({ [FORECAST_ANNOTATION]: value });

describe("autoscaling.tidal.dev/forecast", () => {
  it("is off without the annotation or with false, and on with the defaults for true", () => {
    expect(parseForecastAnnotation(undefined)).toEqual({ enabled: false, problems: [] });
    expect(parse("false")).toEqual({ enabled: false, problems: [] });
    expect(parse("true")).toEqual({
      enabled: true,
      problems: [],
      settings: {
        horizonMs: 10 * MINUTE,
        historyMs: 14 * DAY_MS,
        stepMs: 5 * MINUTE,
        season: { kind: "auto" },
        maxError: 0.3,
        refitMs: 15 * MINUTE,
      },
    });
  });

  it("reads key=value parameters over the defaults", () => {
    const parsed = parse("horizon=3m, history=2d,step=30s, season=daily, maxError=0.2, refit=1h");
    expect(parsed).toMatchObject({
      enabled: true,
      settings: {
        horizonMs: 3 * MINUTE,
        historyMs: 2 * DAY_MS,
        stepMs: 30_000,
        season: { kind: "period", periodMs: DAY_MS },
        maxError: 0.2,
        refitMs: 60 * MINUTE,
      },
    });
  });

  it("names each bad parameter and the forms it takes", () => {
    expect(parse("horizon=soon, sesaon=daily, maxError=high").problems).toEqual([
      'unknown parameter "sesaon"; did you mean "season"?; write true, or key=value pairs of horizon, history, step, season, maxError, refit',
      'horizon "soon" is not a duration; write a duration such as 30m, 2h, 1d or 1w2d (units ms, s, m, h, d, w)',
      'maxError "high" is not a number; write a fraction such as 0.3',
    ]);
    expect(parse("history=60d, step=1m").problems).toEqual([
      "history: the history window holds 86400 steps; at most 11000 are kept, as Prometheus answers at most 11,000 points per series (use a longer step)",
    ]);
    expect(parse("season=hourly").enabled).toBe(false);
  });

  it("forecasts every trigger but cpu, memory and predictkube", () => {
    expect(forecastsTrigger({ type: "redis" })).toBe(true);
    expect(forecastsTrigger({ type: "cpu", resource: "cpu" })).toBe(false);
    expect(forecastsTrigger({ type: "predictkube" })).toBe(false);
  });
});
