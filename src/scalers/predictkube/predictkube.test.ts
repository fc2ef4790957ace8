import { describe, expect, it } from "vitest";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { instantUrl, instantValue, rangePoints, rangeUrl } from "./history.ts";
import { predictKubeSettings } from "./predictkube.ts";

const base = {
  prometheusAddress: "http://prometheus:9090",
  query: "sum(rate(http_requests_total[2m]))",
  predictHorizon: "2h",
  historyTimeWindow: "7d",
  queryStep: "2m",
  threshold: "2000",
};

function prepare(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  return withErrorMessages(prepareScalerTrigger("predictkube", metadata, { authParams }));
}

describe("predictkube parameters", () => {
  it("names the metric as KEDA does, with the threshold as target and activation on the current value", () => {
    const prepared = prepare({ ...base, activationThreshold: "10" });
    expect(prepared.errors).toEqual([]);
    expect(prepared.metricSpec).toMatchObject({
      metricName: "s0-predictkube-predictkube_metric",
      target: 2000,
      activationTarget: 10,
    });
  });

  it("requires what KEDA requires, threshold 0 counting as missing", () => {
    expect(prepare({}).errors.join("\n")).toMatch(
      /prometheusAddress[\s\S]*query[\s\S]*predictHorizon[\s\S]*historyTimeWindow[\s\S]*queryStep/,
    );
    expect(prepare({ ...base, threshold: "0" }).errors).toEqual([`missing required parameter "threshold"`]);
  });

  it("names a malformed duration and the forms it accepts", () => {
    expect(prepare({ ...base, predictHorizon: "2 hours" }).errors).toEqual([
      'predictHorizon "2 hours" is not a duration; write a duration such as 30m, 2h, 1d or 1w2d (units ms, s, m, h, d, w)',
    ]);
    expect(prepare({ ...base, historyTimeWindow: "7" }).errors).toEqual([
      'historyTimeWindow "7" is not a duration; write a duration such as 30m, 2h, 1d or 1w2d (units ms, s, m, h, d, w)',
    ]);
    expect(prepare({ ...base, historyTimeWindow: "-7d" }).errors).toEqual([
      "historyTimeWindow: the history window must be greater than 0",
    ]);
    expect(prepare({ ...base, historyTimeWindow: "30d", queryStep: "1m" }).errors[0]).toMatch(
      /^historyTimeWindow: the history window holds 43200 steps; at most 11000 are kept/,
    );
  });

  it("accepts KEDA's apiKey and says it is not needed", () => {
    const prepared = prepare(base, { apiKey: "eyJhbGciOiJIUzI1NiJ9.e30.c2ln" });
    expect(prepared.errors).toEqual([]);
    expect(prepared.problems).toEqual([
      {
        key: "apiKey",
        message:
          "apiKey is PredictKube's key for its hosted model; Tidal fits the model itself and does not need it (it is not sent anywhere)",
        severity: "warning",
      },
    ]);
    // Sent to Prometheus only when the trigger asks for apiKey authentication (as KEDA's would).
    expect(prepare({ ...base, authModes: "apiKey" }, { apiKey: "k" }).problems).toEqual([]);
  });

  it("reads Tidal's own settings, and KEDA's 5m step for queryStep 0", () => {
    const { settings } = predictKubeSettings({
      ...base,
      queryStep: "0",
      tidalSeason: "weekly",
      tidalMaxError: 0.2,
      tidalRefitInterval: "1h",
    });
    expect(settings).toEqual({
      horizonMs: 7_200_000,
      historyMs: 604_800_000,
      stepMs: 300_000,
      season: { kind: "period", periodMs: 604_800_000 },
      maxError: 0.2,
      refitMs: 3_600_000,
    });
    expect(prepare({ ...base, tidalSeason: "hourly" }).errors).toEqual([
      'tidalSeason "hourly" must be auto, none, daily, weekly or a period such as 1d, 12h or 1w',
    ]);
  });
});

describe("predictkube's Prometheus reads", () => {
  it("asks query_range as client_golang does: Unix seconds and the step in seconds", () => {
    const url = rangeUrl(
      "http://prom:9090/",
      "sum(up)",
      { start: 1_700_000_000_500, end: 1_700_604_800_500, stepMs: 120_000 },
      { api_key: "k" },
    );
    expect(url.href).toBe(
      "http://prom:9090/api/v1/query_range?query=sum%28up%29&start=1700000000.5&end=1700604800.5&step=120&api_key=k",
    );
    expect(instantUrl("http://prom:9090", "up", 1_700_000_000_000, {}).href).toBe(
      "http://prom:9090/api/v1/query?query=up&time=1700000000",
    );
  });

  it("reads one series of points, leaving NaN out as a gap", () => {
    const body = JSON.stringify({
      status: "success",
      data: {
        resultType: "matrix",
        result: [
          {
            metric: {},
            values: [
              [1700000000, "1.5"],
              [1700000120, "NaN"],
              [1700000240, "3"],
            ],
          },
        ],
      },
    });
    expect(rangePoints({ status: 200, body }, "up")).toEqual([
      { t: 1_700_000_000_000, value: 1.5 },
      { t: 1_700_000_240_000, value: 3 },
    ]);
  });

  it("fails with the reason when there is no history, several series, or an error", () => {
    const empty = JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } });
    expect(() => rangePoints({ status: 200, body: empty }, "missing_metric")).toThrow(
      "prometheus query missing_metric returned no history over the historyTimeWindow; predictkube needs the metric's past values",
    );
    const two = JSON.stringify({ data: { resultType: "matrix", result: [{ values: [] }, { values: [] }] } });
    expect(() => rangePoints({ status: 200, body: two }, "up")).toThrow(
      "prometheus query up returned 2 series; predictkube needs one (aggregate it, e.g. with sum)",
    );
    const bad = JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" });
    expect(() => rangePoints({ status: 400, body: bad }, "up(")).toThrow(
      "prometheus query_range api returned HTTP 400: bad_data: parse error",
    );
    const none = JSON.stringify({ data: { resultType: "vector", result: [] } });
    expect(() => instantValue({ status: 200, body: none }, "up")).toThrow(
      "prometheus query up returned no current value; predictkube needs the metric now",
    );
    const scalar = JSON.stringify({ data: { resultType: "scalar", result: [1700000000, "4"] } });
    expect(instantValue({ status: 200, body: scalar }, "scalar(up)")).toBe(4);
  });
});
