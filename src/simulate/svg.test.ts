import { describe, expect, it } from "vitest";
import type { SimulationStep } from "./simulate.ts";
import { renderSvg } from "./svg.ts";

function step(t: number, replicas: number, queue: number | null): SimulationStep {
  return {
    t,
    kind: "direct",
    replicas,
    desired: replicas,
    active: replicas > 0,
    fallback: false,
    rule: "metric",
    reason: "",
    metrics: { queue },
  };
}

const STEPS = [step(0, 0, 0), step(30, 1, 45), step(60, 5, null), step(90, 5, 45)];

describe("renderSvg", () => {
  const svg = renderSvg(
    { steps: STEPS },
    { metricColumns: ["queue"], durationSeconds: 120, title: "orders <direct>" },
  );

  it("is one self-contained svg element", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.endsWith("</svg>")).toBe(true);
    expect(svg).not.toMatch(/href|<script|url\(/);
  });

  it("escapes the title and labels the legend", () => {
    expect(svg).toContain("orders &lt;direct&gt;");
    expect(svg).toContain(">replicas</text>");
    expect(svg).toContain(">queue (gaps: failing)</text>");
  });

  it("draws replicas as a step line over the whole time axis", () => {
    // x: 64 + t / 120 × 824; replicas axis 0–5 over 336 px from y=392 up.
    const replicaPath = svg.match(/<path d="([^"]+)" fill="none" stroke="#1f4e99"/)?.[1];
    expect(replicaPath).toBe("M64 392 H270 V324.8 H476 V56 H682 V56 H888");
  });

  it("leaves a gap where the metric fails", () => {
    const metricPath = svg.match(/<path d="([^"]+)" fill="none" stroke="#d9730d"/)?.[1];
    expect(metricPath?.match(/M/g)).toHaveLength(2);
  });

  it("labels time ticks in seconds", () => {
    expect(svg).toContain(">time (s)</text>");
    expect(svg).toMatch(/>100<\/text>/);
  });

  it("draws a forecast (`NAME forecast`) dotted, beside its dashed reading", () => {
    const steps = STEPS.map((entry) => ({
      ...entry,
      metrics: { ...entry.metrics, "queue forecast": entry.metrics.queue === null ? null : 50 },
    }));
    const chart = renderSvg(
      { steps },
      { metricColumns: ["queue", "queue forecast"], durationSeconds: 120, title: "orders" },
    );
    expect(chart).toContain(">queue forecast (gaps: failing)</text>");
    expect(chart).toContain('stroke-dasharray="1.5 2.5"');
    expect(chart).toContain('stroke-dasharray="4 3"');
  });
});

describe("renderSvg: targets, limits and holds", () => {
  const steps: SimulationStep[] = [
    { ...step(0, 0, 0), recommended: 0 },
    { ...step(30, 5, 45), recommended: 5 },
    { ...step(60, 5, 0), recommended: 0, hold: { rule: "stabilization", detail: "kept" } },
    { ...step(90, 0, 0), recommended: 0 },
  ];
  const svg = renderSvg(
    { steps },
    {
      metricColumns: ["queue"],
      durationSeconds: 120,
      minReplicas: 1,
      maxReplicas: 8,
      labels: { queue: "target 10/replica" },
      holds: [{ rule: "stabilization", from: 60, to: 90, replicas: 5, detail: "kept", recommended: 0 }],
    },
  );

  it("draws what the metrics asked for beside the replicas, and min/max as rules", () => {
    expect(svg).toContain(">metrics ask for</text>");
    expect(svg).toContain(">min 1, max 8</text>");
    expect(svg).toContain(">min 1</text>");
    expect(svg).toContain(">max 8</text>");
    // The replica axis reaches max 8 (within twice the peak of 5): ticks 0, 2, …, 8.
    expect(svg).toMatch(/text-anchor="end" fill="#1f4e99">8<\/text>/);
  });

  it("names each metric's target in the legend", () => {
    expect(svg).toContain(">queue (target 10/replica)</text>");
  });

  it("shades a hold from its start to its end and says which rule held", () => {
    // x: 64 + t / 120 × 824 → 476 to 682.
    expect(svg).toMatch(
      /<rect x="476" y="\d+" width="206" height="336" fill="#805ad5" fill-opacity="0.08"\/>/,
    );
    expect(svg).toContain(">stabilization</text>");
    expect(svg).toContain(">held: scale-down stabilization window</text>");
  });

  it("names a max far above the peak in the legend instead of squashing the chart", () => {
    const chart = renderSvg({ steps }, { metricColumns: ["queue"], durationSeconds: 120, maxReplicas: 100 });
    expect(chart).toContain(">max 100 (off the chart)</text>");
    expect(chart).not.toContain(">max 100</text>");
  });
});
