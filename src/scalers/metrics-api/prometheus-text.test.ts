import { describe, expect, it } from "vitest";
import { parseSeriesSelector, prometheusTextValue } from "./prometheus-text.ts";

const exposition = `# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{method="post",code="200"} 1027 1395066363000
http_requests_total{method="post",code="400"}    3 1395066363000
# TYPE queue_depth gauge
queue_depth{queue="orders"} 12.5
queue_depth{queue="mails",region="eu-west"} 4
untyped_thing 7
escaped{path="C:\\\\dir\\"x\\""} 9
# TYPE latency histogram
latency_bucket{le="0.5"} 10
latency_bucket{le="+Inf"} 12
latency_sum 3.5
latency_count 12
not_a_number NaN
`;

describe("prometheusTextValue", () => {
  it.each([
    ['http_requests_total{code="400"}', 3],
    ['http_requests_total{method="post"}', 1027],
    ["http_requests_total", 1027],
    ['queue_depth{queue="orders"}', 12.5],
    ["queue_depth{region='eu-west'}", 4],
    ['queue_depth{queue!="orders"}', 4],
    ['queue_depth{queue=~"mail.*"}', 4],
    ['queue_depth{queue!~"o.*"}', 4],
    ["untyped_thing", 7],
    ['{__name__="untyped_thing"}', 7],
    ['escaped{path="C:\\\\dir\\"x\\""}', 9],
  ])("%s → %d", (selector, value) => {
    expect(prometheusTextValue(exposition, selector)).toBe(value);
  });

  it("reads NaN (the framework turns it into 0)", () => {
    expect(prometheusTextValue(exposition, "not_a_number")).toBeNaN();
  });

  it("fails for a missing metric or series", () => {
    expect(() => prometheusTextValue(exposition, "nope")).toThrow("metric 'nope' not found");
    expect(() => prometheusTextValue(exposition, 'queue_depth{queue="x"}')).toThrow(
      `value queue_depth{queue="x"} not found`,
    );
  });

  it("does not read histogram samples, as KEDA", () => {
    expect(() => prometheusTextValue(exposition, "latency")).toThrow("value latency not found");
    expect(() => prometheusTextValue(exposition, "latency_count")).toThrow(
      "metric 'latency_count' not found",
    );
  });

  it("reports malformed lines and selectors", () => {
    expect(() => prometheusTextValue("metric{a=b} 1\n", "metric")).toThrow(
      /line 1: expected a quoted label value/,
    );
    expect(() => prometheusTextValue("metric one\n", "metric")).toThrow(
      /line 1: value "one" is not a number/,
    );
    expect(() => prometheusTextValue(exposition, "data.result.0")).toThrow(/unexpected text/);
    expect(() => prometheusTextValue(exposition, '{job="x"}')).toThrow(/must name a metric/);
  });
});

describe("parseSeriesSelector", () => {
  it("reads the name and matchers", () => {
    expect(parseSeriesSelector(' up { job = "api" , instance!~`a.*` } ')).toEqual({
      metricName: "up",
      matchers: [
        { name: "job", operator: "=", value: "api" },
        { name: "instance", operator: "!~", value: "a.*" },
      ],
    });
  });
});
