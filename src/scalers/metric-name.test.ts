import { describe, expect, it } from "vitest";
import { goQueryEscape, metricNameWithIndex, normalizeMetricName } from "./metric-name.ts";

describe("metric names (KEDA: GenerateMetricNameWithIndex in pkg/scalers/scaler.go)", () => {
  it("NormalizeString replaces each of / . : % ( ) with -", () => {
    expect(normalizeMetricName("a/b.c:d%e(f)g")).toBe("a-b-c-d-e-f-g");
    expect(normalizeMetricName("Asia/Kolkata")).toBe("Asia-Kolkata");
    // Everything else is kept, including + _ and upper case.
    expect(normalizeMetricName("Queue_1+x")).toBe("Queue_1+x");
  });

  it("GenerateMetricNameWithIndex prefixes s<index>- to the normalized name", () => {
    expect(metricNameWithIndex(0, "rabbitmq-orders")).toBe("s0-rabbitmq-orders");
    expect(metricNameWithIndex(1, "kafka-a.b")).toBe("s1-kafka-a-b");
    expect(metricNameWithIndex(12, "prometheus")).toBe("s12-prometheus");
  });

  it("Go's url.QueryEscape: spaces become +, only A-Z a-z 0-9 - _ . ~ stay, hex is upper case", () => {
    expect(goQueryEscape("hello world")).toBe("hello+world");
    expect(goQueryEscape("a b/c?d=e&f")).toBe("a+b%2Fc%3Fd%3De%26f");
    expect(goQueryEscape("AZaz09-_.~")).toBe("AZaz09-_.~");
    expect(goQueryEscape("!*'()")).toBe("%21%2A%27%28%29");
    expect(goQueryEscape("é")).toBe("%C3%A9");
  });

  it("rabbitmq's name is Normalize(QueryEscape(queueName)) (KEDA: pkg/scalers/rabbitmq_scaler.go)", () => {
    expect(metricNameWithIndex(0, `rabbitmq-${goQueryEscape("orders")}`)).toBe("s0-rabbitmq-orders");
    expect(metricNameWithIndex(0, `rabbitmq-${goQueryEscape("orders/eu 1")}`)).toBe(
      "s0-rabbitmq-orders-2Feu+1",
    );
  });
});
