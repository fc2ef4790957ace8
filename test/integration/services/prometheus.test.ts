import { beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("prometheus"));

interface QueryResponse {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

async function query(promql: string): Promise<QueryResponse> {
  const url = new URL("/api/v1/query", services.prometheusUrl);
  url.searchParams.set("query", promql);
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as QueryResponse;
}

describe("prometheus test server", () => {
  it("is ready on 127.0.0.1:9090", async () => {
    expect(new URL(services.prometheusUrl).host).toBe("127.0.0.1:9090");
    const response = await fetch(new URL("/-/ready", services.prometheusUrl));
    expect(response.status).toBe(200);
  });

  it("answers an instant query for `up` with its own scrape", async () => {
    // The first self-scrape lands a few seconds after a fresh start.
    const series = await eventually('a sample of up{job="prometheus"}', async () => {
      const body = await query("up");
      expect(body.status).toBe("success");
      expect(body.data.resultType).toBe("vector");
      return body.data.result.find((sample) => sample.metric.job === "prometheus");
    });
    expect(series.metric.instance).toBe("127.0.0.1:9090");
    expect(series.value[1]).toBe("1");
  });

  it("evaluates arithmetic on scraped data", async () => {
    const value = await eventually("count(up == 1) * 2 to have a value", async () => {
      const body = await query('count(up{job="prometheus"} == 1) * 2');
      return body.data.result[0]?.value[1];
    });
    expect(value).toBe("2");
  });
});
