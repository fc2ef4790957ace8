import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { expectNoStackTrace, runTidal } from "../../test/cli/tidal-cli.ts";

// Each test spawns `tidal` (a second or more per process on a busy machine): a generous budget, no timing assertions.
vi.setConfig({ testTimeout: 120_000 });

const DIR = "test/fixtures/manifests/simulate";
const QUEUE_WORKER = `${DIR}/scaledobject.yaml`;
const ONE_REPLICA = `${DIR}/one-replica.yaml`;

interface Output {
  steps: {
    t: number;
    replicas: number;
    desired: number;
    active: boolean;
    fallback: boolean;
    reason: string;
  }[];
  summary: Record<string, number>;
  holds: { rule: string; from: number; to: number; replicas: number; detail: string; recommended?: number }[];
  notes: string[];
  end?: { seconds: number; queue: number; reason: string; message: string; drainedAt?: number };
}

/**
 * Golden scenario, reasoned by hand. queue-worker: pollingInterval 10 s, cooldownPeriod 30 s,
 * min 0, max 10, redis trigger with listLength 5 (target 5 items per replica). burst.csv: the queue
 * is 0 until t=20, 25 from t=20, 0 from t=60. Direct mode: KEDA and the HPA act at every poll.
 * The duration defaults to the last row + cooldown + 2 × polling = 60 + 30 + 20 = 110 s, so the
 * polls are t = 0, 10, …, 100.
 */
const GOLDEN_STEPS: [t: number, replicas: number, active: boolean][] = [
  [0, 0, false],
  [10, 0, false],
  [20, 1, true], // 25 > activation 0: KEDA activates 0 → 1
  [30, 4, true], // HPA wants ceil(25 / 5) = 5, but without behavior adds at most max(2 × 1, 4) = 4
  [40, 5, true], // ratio 25 / (4 × 5) = 1.25 is outside the 10 % tolerance: ceil(25 / 5) = 5
  [50, 5, true], // ratio 25 / (5 × 5) = 1: within tolerance
  [60, 5, false], // queue empty: the HPA's 300 s scale-down stabilization keeps the highest, 5
  [70, 5, false],
  [80, 5, false], // last active at t=50; the cooldown ends at 50 + 30 = 80, not passed yet
  [90, 0, false], // cooldown passed: KEDA scales to 0
  [100, 0, false],
];

function parse(stdout: string): Output {
  return JSON.parse(stdout) as Output;
}

/** A tiny XML well-formedness check: every tag closed in order, attributes quoted, text escaped. */
function expectWellFormedXml(text: string): void {
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let position = 0;
  for (const match of text.matchAll(tag)) {
    const between = text.slice(position, match.index);
    expect(between, `text before ${match[0]}`).not.toMatch(/[<>]|&(?!(?:amp|lt|gt|quot|apos|#\d+);)/);
    position = (match.index ?? 0) + match[0].length;
    const [, closing, name, , selfClosing] = match;
    if (closing) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else if (!selfClosing) stack.push(name as string);
  }
  expect(text.slice(position).trim()).toBe("");
  expect(stack).toEqual([]);
}

describe("tidal simulate --metrics", () => {
  it("golden numbers in direct mode: steps and summary as reasoned by hand", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      QUEUE_WORKER,
      "--metrics",
      `${DIR}/burst.csv`,
      "--mode",
      "direct",
      "--output",
      "json",
    ]);
    expect(result.code).toBe(0);
    const output = parse(result.stdout);
    expect(Object.keys(output)).toEqual(["steps", "summary", "holds", "notes"]);
    for (const step of output.steps)
      expect(Object.keys(step)).toEqual(["t", "replicas", "desired", "active", "fallback", "reason"]);
    expect(output.steps.map((step) => [step.t, step.replicas, step.active])).toEqual(GOLDEN_STEPS);
    // The HPA's 300 s window keeps 5 replicas from t=60 until KEDA scales to zero at t=90.
    expect(output.holds).toEqual([
      {
        rule: "stabilization",
        from: 60,
        to: 90,
        replicas: 5,
        detail: "highest recommendation of the last 300 s is 5",
        recommended: 0,
      },
    ]);
    expect(output.notes).toEqual([]);
    expect(output.steps.every((step) => step.desired === step.replicas && !step.fallback)).toBe(true);
    expect(output.steps[2]?.reason).toContain("activation");
    expect(output.steps[9]?.reason).toContain("deactivation");
    // replicaSeconds = 1 × (30−20) + 4 × (40−30) + 5 × (90−40) = 10 + 40 + 250 = 300;
    // four changes: 0→1, 1→4, 4→5, 5→0.
    expect(output.summary).toEqual({ replicaSeconds: 300, maxReplicas: 5, scaleEvents: 4 });
  });

  it("hpa mode has the same shape, a summary that matches its steps, and honours --initial-replicas and --duration", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      QUEUE_WORKER,
      "--metrics",
      `${DIR}/burst.csv`,
      "--initial-replicas",
      "2",
      "--duration",
      "200",
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const { steps, summary } = parse(result.stdout);
    expect(Object.keys(summary)).toEqual(["replicaSeconds", "maxReplicas", "scaleEvents"]);
    expect(steps.at(-1)!.t).toBeLessThan(200);
    // The summary integrates the step function that starts at the initial 2 replicas.
    let replicaSeconds = 0;
    let current = 2;
    let since = 0;
    let events = 0;
    for (const step of steps) {
      if (step.replicas === current) continue;
      replicaSeconds += current * (step.t - since);
      [current, since, events] = [step.replicas, step.t, events + 1];
    }
    replicaSeconds += current * (200 - since);
    expect(summary).toEqual({
      replicaSeconds,
      maxReplicas: Math.max(2, ...steps.map((step) => step.replicas)),
      scaleEvents: events,
    });
    expect(steps.at(-1)?.replicas).toBe(0);
  });

  it("prints a summary by default, and every evaluation with --steps", async () => {
    const args = ["simulate", "-f", QUEUE_WORKER, "--metrics", `${DIR}/burst.csv`, "--mode", "direct"];
    const [summary, steps] = await Promise.all([runTidal(args), runTidal([...args, "--steps"])]);
    expect(summary.code).toBe(0);
    expect(summary.stderr).toBe("");
    expect(summary.stdout).toBe(
      [
        "ScaledObject queue-worker (direct mode), 110 s simulated",
        `  trace ${DIR}/burst.csv: 3 rows, time in column "t" as seconds from 0, to 60 s`,
        "  columns: queue",
        "",
        "Replicas: 0 → 1 → 4 → 5 → 0; at most 5 (min 0, max 10); 4 changes; 300 replica-seconds (2.73 on average)",
        "",
        "Changes",
        "  T   REPLICAS  WHY",
        "  20  0 → 1     activation: trigger s0-redis-jobs is active (25 > 0)",
        "  30  1 → 4     scale-up-limit: without behavior the HPA adds at most max(2 × 1, 4) = 4 per sync",
        "  40  4 → 5     metric: ceil(25 / 5) = 5",
        "  90  5 → 0     deactivation: no trigger is active and the cooldown has passed",
        "",
        "Held",
        "  T      REPLICAS  BY                               WHY",
        "  60–90  5         scale-down stabilization window  highest recommendation of the last 300 s is 5 (the metrics ask for 0)",
        "",
        "(--steps prints every evaluation; -o json has every number)",
        "",
      ].join("\n"),
    );
    expect(steps.code).toBe(0);
    const lines = steps.stdout.split("\n");
    expect(lines[0]).toMatch(/^T\s+KIND\s+REPLICAS\s+DESIRED\s+ACTIVE\s+FALLBACK\s+WHY$/);
    expect(lines[3]).toMatch(/^20\s+direct\s+1\s+1\s+yes\s+no\s+activation: trigger s0-redis-jobs is active/);
    expect(lines.slice(1, 12).every((line) => /^\d+\s+direct\s/.test(line))).toBe(true);
    // The summary follows the table, without the hint to pass --steps.
    expect(lines[13]).toBe("ScaledObject queue-worker (direct mode), 110 s simulated");
    expect(steps.stdout).not.toContain("--steps prints");
  });

  it("reads a Grafana export (dates, a missed scrape, an empty cell) and says so", async () => {
    const result = await runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", `${DIR}/grafana-export.csv`]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "ScaledObject queue-worker (hpa mode), 9.6 min simulated",
      `  trace ${DIR}/grafana-export.csv: 35 rows, time in column "Time" as dates from 2024-03-05T14:00:00Z, mostly every 15 s`,
      "  columns: queue",
      "  note: uneven steps: 1 of 34 intervals differ from 15 s, the first 30 s before line 25; each value holds until the next row",
      "  note: 1 empty cell holds the value of the row above",
    ]);
    // Changes carry the export's own clock.
    expect(result.stdout).toContain("  T    TIME (UTC)  REPLICAS  WHY\n  60   14:01:00    0 → 1 ");
    expect(result.stdout).toMatch(/\n {2}14:03:00–14:05:20 {2}10 {8}scale-down stabilization window /);
  });

  it("reads a Prometheus export whose column is KEDA's own series for the trigger", async () => {
    const [table, json] = await Promise.all([
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", `${DIR}/prometheus-export.csv`]),
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", `${DIR}/prometheus-export.csv`, "-o", "json"]),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(
      `  trace ${DIR}/prometheus-export.csv: 20 rows, time in column "timestamp" as Unix seconds from 2024-03-05T14:00:00Z, every 30 s\n  columns: keda_scaler_metrics_value{exported_namespace=… → queue\n`,
    );
    const output = parse(json.stdout);
    expect(output.steps[0]?.t).toBe(0);
    expect(Math.max(...output.steps.map((step) => step.replicas))).toBe(10);
    expect(output.notes).toEqual(["1 empty cell holds the value of the row above"]);
  });

  it("--plot writes a well-formed SVG with the title and the replicas as a path", async () => {
    const plot = join(mkdtempSync(join(tmpdir(), "tidal-plot-")), "replicas.svg");
    const result = await runTidal([
      "simulate",
      "-f",
      QUEUE_WORKER,
      "--metrics",
      `${DIR}/burst.csv`,
      "--mode",
      "direct",
      "--plot",
      plot,
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const svg = readFileSync(plot, "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expectWellFormedXml(svg);
    expect(svg).toContain(">ScaledObject queue-worker (direct mode)</text>");
    expect(svg).toContain(">metrics ask for</text>");
    expect(svg).toContain(">min 0, max 10</text>");
    expect(svg).toContain(">queue (target 5/replica)</text>");
    expect(svg).toContain(">held: scale-down stabilization window</text>");
    // The replicas axis title has the replicas colour; the path drawn in it is the replica count.
    const color = /<text [^>]*fill="(#[0-9a-f]{6})"[^>]*>replicas<\/text>/.exec(svg)?.[1];
    expect(color).toBeDefined();
    const path = new RegExp(`<path d="([^"]+)"[^>]*stroke="${color}"`).exec(svg)?.[1];
    expect(path).toBeDefined();
    // Decode the step path (M x y, then H x / V y) with two replica axis labels (0 and the next tick).
    const labels = [
      ...svg.matchAll(
        new RegExp(`<text x="[\\d.]+" y="([\\d.]+)" text-anchor="end" fill="${color}">(\\d+)</text>`, "g"),
      ),
    ].map((m): [y: number, value: number] => [Number(m[1]), Number(m[2])]);
    const y0 = labels.find(([, value]) => value === 0)?.[0] as number;
    const [yTick, tick] = labels.find(([, value]) => value > 0) ?? [Number.NaN, Number.NaN];
    expect([y0, yTick].every(Number.isFinite)).toBe(true);
    const levels = [...path!.matchAll(/(?:M[\d.]+ |V)([\d.]+)/g)].map((m) =>
      Math.round(((y0 - Number(m[1])) / (y0 - yTick)) * tick),
    );
    expect(levels).toEqual(GOLDEN_STEPS.map(([, replicas]) => replicas));
  });
});

describe("tidal simulate with a cpu trigger (the HPA's Resource metric)", () => {
  const CPU_WEB = `${DIR}/cpu-web.yaml`;

  it("replays the pods' average utilization through the HPA's per-pod math", async () => {
    // cpu-web: Utilization target 50 %, min 2, max 10, polling 15 s. cpu.csv: 50 % until t=30, 100 %
    // until t=90, then 25 %. Each poll: ceil(utilization / 50 × ready pods), at most doubling per 15 s.
    const result = await runTidal([
      "simulate",
      "-f",
      CPU_WEB,
      "--metrics",
      `${DIR}/cpu.csv`,
      "--mode",
      "direct",
      "--duration",
      "120",
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const output = parse(result.stdout);
    expect(output.steps.map((step) => [step.t, step.replicas])).toEqual([
      [0, 2],
      [15, 2],
      [30, 4],
      [45, 8],
      [60, 10],
      [75, 10],
      [90, 10], // 25 % asks for 5; the 300 s scale-down stabilization keeps 10
      [105, 10],
    ]);
    expect(output.steps[2]?.reason).toContain("ceil(100% / 50% × 2 ready) = 4");
    // Only cpu triggers: KEDA treats the object as always active.
    expect(output.steps.every((step) => step.active)).toBe(true);
  });

  it("refuses a workload, which models a queue and not CPU, naming the trigger", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      CPU_WEB,
      "--workload",
      `${DIR}/arrivals.csv`,
      "--service-rate",
      "1",
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "tidal: trigger 0 (cpu): the workload model has a queue, not CPU or memory; replay cpu values with --metrics\n",
    );
    expectNoStackTrace(result);
  });
});

describe("tidal simulate --workload", () => {
  /**
   * Golden workload, reasoned by hand: one replica (min = max = 1) serving 1 item/s; 3 items/s
   * arrive during the first 10 s, then nothing; 40 s simulated in 1 s ticks.
   * Backlog at the start of each tick: 0 at t=0, then 2, 4, …, 20 (t=1…10), then 19, 18, …, 1
   * (t=11…29), then 0 (t=30…39): 40 samples, eleven of them 0.
   * P50 (20th of 40): 11 zeros, then 1, 2, 2, 3, 4, 4, 5, 6, 6 → the 20th is 6.
   * P95 (38th of 40): counting down from the top 20, 19, 18, 18 → the 38th is 18.
   * Waits (FIFO): the middle item of second i (i = 0…9) leaves at 3i + 1.5 s and arrived at
   * i + 0.5 s, so it waits 2i + 1 s: 1, 3, …, 19, each for 3 items; P95 of 30 items is 19.
   * All 30 items are served by t=30; replicaSeconds = 1 × 40.
   */
  it("golden numbers: backlog percentiles, wait, items served", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      ONE_REPLICA,
      "--workload",
      `${DIR}/arrivals.csv`,
      "--service-rate",
      "1",
      "--duration",
      "40",
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const output = parse(result.stdout);
    expect(Object.keys(output)).toEqual(["steps", "summary", "holds", "end", "notes"]);
    for (const step of output.steps)
      expect(Object.keys(step)).toEqual(["t", "replicas", "desired", "active", "fallback", "reason"]);
    expect(output.steps.every((step) => step.replicas === 1)).toBe(true);
    expect(output.end).toEqual({
      seconds: 40,
      queue: 0,
      reason: "duration",
      message: "the queue is empty at the end",
    });
    expect(output.summary).toEqual({
      replicaSeconds: 40,
      maxReplicas: 1,
      scaleEvents: 0,
      backlogP50: 6,
      backlogP95: 18,
      backlogMax: 20,
      waitP95Seconds: 19,
      itemsServed: 30,
    });
  });

  it("a slower start (--startup-delay) cannot serve more items than an instant one", async () => {
    const args = [
      "simulate",
      "-f",
      QUEUE_WORKER,
      "--workload",
      `${DIR}/arrivals.csv`,
      "--service-rate",
      "1",
      "--duration",
      "120",
      "--mode",
      "direct",
      "-o",
      "json",
    ];
    const [instant, delayed] = await Promise.all([
      runTidal(args),
      runTidal([...args, "--startup-delay", "20"]),
    ]);
    const [fast, slow] = [parse(instant.stdout).summary, parse(delayed.stdout).summary];
    expect(fast.itemsServed).toBe(30);
    expect(slow.itemsServed).toBeLessThanOrEqual(fast.itemsServed!);
    expect(slow.waitP95Seconds).toBeGreaterThan(fast.waitP95Seconds!);
    expect(slow.backlogMax).toBeGreaterThanOrEqual(fast.backlogMax!);
  });
});

describe("tidal simulate with a forecast (--rate-trigger)", () => {
  // predictive.yaml: a predictkube trigger "rate" (a minute ahead, a ten-minute season) and a redis
  // trigger "backlog"; rush-arrivals.csv: 2 items/s with 40 items/s from 300 s to 420 s of every
  // ten minutes, for 3000 s.
  const args = (file: string) => [
    "simulate",
    "-f",
    file,
    "--workload",
    `${DIR}/rush-arrivals.csv`,
    "--service-rate",
    "5",
    "--startup-delay",
    "10",
    "--rate-trigger",
    "rate",
    "--duration",
    "3000",
  ];

  it("draws the rate and the forecast it served, and waits less than the same object reading the rate alone", async () => {
    const plot = join(mkdtempSync(join(tmpdir(), "tidal-simulate-")), "rush.svg");
    const [predictive, reactive, charted] = await Promise.all([
      runTidal([...args(`${DIR}/predictive.yaml`), "--warmup", "1800", "-o", "json"]),
      runTidal([...args(`${DIR}/reactive.yaml`), "--warmup", "1800", "-o", "json"]),
      runTidal([...args(`${DIR}/predictive.yaml`), "--plot", plot]),
    ]);
    expect(predictive.code).toBe(0);
    expect(reactive.code).toBe(0);
    expect(charted.code).toBe(0);
    const svg = readFileSync(plot, "utf8");
    expectWellFormedXml(svg);
    expect(svg).toContain(">rate forecast</text>");
    expect(svg).toMatch(/>rate \(target [\d.]+\/replica\)<\/text>/);
    expect(svg).toMatch(/>backlog \(target [\d.]+\/replica\)<\/text>/);
    // The summaries cover the last 1200 s: two rushes, which the forecast sees coming.
    const [ahead, behind] = [parse(predictive.stdout).summary, parse(reactive.stdout).summary];
    expect(ahead.itemsServed).toBeGreaterThan(0);
    expect(ahead.waitP95Seconds).toBeLessThan(behind.waitP95Seconds!);
  });

  it("refuses --rate-trigger without --workload, and a name that matches no trigger", async () => {
    const [noWorkload, unknown] = await Promise.all([
      runTidal([
        "simulate",
        "-f",
        `${DIR}/predictive.yaml`,
        "--metrics",
        `${DIR}/burst.csv`,
        "--rate-trigger",
        "rate",
      ]),
      runTidal([...args(`${DIR}/predictive.yaml`).slice(0, -4), "--rate-trigger", "queue"]),
    ]);
    expect(noWorkload).toMatchObject({
      code: 2,
      stderr: "tidal: --rate-trigger needs --workload: a metric trace gives every trigger its own column\n",
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("--rate-trigger queue matches no trigger; triggers: rate, backlog");
    for (const result of [noWorkload, unknown]) expectNoStackTrace(result);
  });
});

describe("tidal simulate: bad input", () => {
  const metrics = (file: string) => runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", `${DIR}/${file}`]);
  const workload = (file: string) =>
    runTidal(["simulate", "-f", QUEUE_WORKER, "--workload", `${DIR}/${file}`, "--service-rate", "1"]);

  it("bad CSVs exit 1 with a message naming the file, line and column, never a stack trace", async () => {
    const cases: [Promise<Awaited<ReturnType<typeof runTidal>>>, string][] = [
      [
        metrics("bad-unknown-column.csv"),
        `bad-unknown-column.csv: trace column "retries" matches no trigger; name each column after a trigger's name, its metric name or s<index>: queue, s0-redis-jobs or s0 (redis)`,
      ],
      [
        metrics("bad-not-a-number.csv"),
        `bad-not-a-number.csv: line 3, column "queue": "lots" is not a number`,
      ],
      [metrics("bad-cell-count.csv"), "bad-cell-count.csv: line 3: 1 cell, but the header has 2 columns"],
      [
        metrics("bad-time-order.csv"),
        'bad-time-order.csv: line 4, column "t": times must increase from row to row (5 after 10)',
      ],
      [
        metrics("bad-time-cell.csv"),
        'bad-time-cell.csv: line 3, column "time": "later" is not a time (seconds from 0, Unix seconds or milliseconds, or a date such as 2024-01-15T10:00:00Z or 2024-01-15 10:00:00)',
      ],
      [
        metrics("bad-empty.csv"),
        "bad-empty.csv: the file is empty; expected a header line such as time,queue",
      ],
      [
        workload("bad-arrivals-header.csv"),
        'bad-arrivals-header.csv: line 1: the columns must be a time and "rate" (items/s), such as t,rate; got "t","items"',
      ],
      [
        workload("bad-arrivals-negative.csv"),
        'bad-arrivals-negative.csv: line 2, column "rate": -2 must be ≥ 0',
      ],
    ];
    const results = await Promise.all(cases.map(([run]) => run));
    for (const [index, [, message]] of cases.entries()) {
      const result = results[index]!;
      expect(result.code, message).toBe(1);
      expect(result.stdout, message).toBe("");
      expect(result.stderr, message).toBe(`tidal: ${DIR}/${message}\n`);
      expectNoStackTrace(result);
    }
  });

  it("reads a trigger's parameters from a TriggerAuthentication and Secret in the same file", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      `${DIR}/rabbitmq-auth.yaml`,
      "--metrics",
      `${DIR}/orders.csv`,
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as Output;
    // 100 messages at 20 per replica: five replicas wanted, and activation from zero on the first poll.
    expect(output.steps[0]).toMatchObject({ t: 0, replicas: 1, active: true });
    expect(Math.max(...output.steps.map((step) => step.desired))).toBe(5);
  });

  it("simulates a week at most, and refuses a chart path that is one of its inputs or cannot be written", async () => {
    const trace = `${DIR}/burst.csv`;
    const before = readFileSync(trace, "utf8");
    const [twoWeeks, longDuration, overwrite, noFolder] = await Promise.all([
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", `${DIR}/two-weeks.csv`]),
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", trace, "--duration", "1e9"]),
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", trace, "--plot", trace]),
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", trace, "--plot", "/no-such-folder/x.svg"]),
    ]);
    // A trace longer than a week is simulated for its first week, with a note.
    expect(twoWeeks.code).toBe(0);
    expect(twoWeeks.stdout).toContain(
      "  note: the trace spans 336 h; simulated its first week, the longest run (--duration chooses less)\n",
    );
    expect(longDuration).toMatchObject({
      code: 2,
      stderr: "tidal: --duration must be at most 604800 seconds (a week), got 1000000000\n",
    });
    expect(overwrite.code).toBe(2);
    expect(overwrite.stderr).toContain(`--plot ${trace} would overwrite the input ${trace}`);
    expect(readFileSync(trace, "utf8")).toBe(before);
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toContain("--plot /no-such-folder/x.svg: cannot write the chart (ENOENT)");
    for (const result of [twoWeeks, longDuration, overwrite, noFolder]) expectNoStackTrace(result);
  });

  it("usage mistakes exit 2 with the rule they broke", async () => {
    const [both, neither, noRate, badInitial, missingTrace, invalidManifest] = await Promise.all([
      runTidal([
        "simulate",
        "-f",
        QUEUE_WORKER,
        "--metrics",
        `${DIR}/burst.csv`,
        "--workload",
        `${DIR}/arrivals.csv`,
      ]),
      runTidal(["simulate", "-f", QUEUE_WORKER]),
      runTidal(["simulate", "-f", QUEUE_WORKER, "--workload", `${DIR}/arrivals.csv`]),
      runTidal([
        "simulate",
        "-f",
        QUEUE_WORKER,
        "--metrics",
        `${DIR}/burst.csv`,
        "--initial-replicas",
        "1.5",
      ]),
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", `${DIR}/no-such.csv`]),
      runTidal([
        "simulate",
        "-f",
        "test/fixtures/manifests/invalid/min-greater-than-max.yaml",
        "--metrics",
        `${DIR}/burst.csv`,
      ]),
    ]);
    expect(both).toMatchObject({
      code: 2,
      stderr: "tidal: give exactly one of --metrics TRACE.csv or --workload ARRIVALS.csv\n",
    });
    expect(neither).toMatchObject({
      code: 2,
      stderr: "tidal: give exactly one of --metrics TRACE.csv or --workload ARRIVALS.csv\n",
    });
    expect(noRate).toMatchObject({
      code: 2,
      stderr: "tidal: --workload needs --service-rate greater than 0\n",
    });
    expect(badInitial).toMatchObject({
      code: 2,
      stderr: "tidal: --initial-replicas must be a whole number\n",
    });
    expect(missingTrace).toMatchObject({
      code: 2,
      stderr: `tidal: ${DIR}/no-such.csv: cannot read the file\n`,
    });
    // An invalid ScaledObject is a finding (exit 1), with validate's message.
    expect(invalidManifest.code).toBe(1);
    expect(invalidManifest.stderr).toContain(
      "spec.minReplicaCount: minReplicaCount (5) must be less than or equal to maxReplicaCount (2)",
    );
    for (const result of [both, neither, noRate, badInitial, missingTrace, invalidManifest])
      expectNoStackTrace(result);
  });
});

describe("tidal simulate: time columns", () => {
  it("takes Unix seconds in a t column as times, from 0 at the first row", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      QUEUE_WORKER,
      "--metrics",
      `${DIR}/unix-times.csv`,
      "--mode",
      "direct",
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const { steps } = parse(result.stdout);
    // 25 items from the second row, 30 s in: activation at the t=30 poll.
    expect(steps.find((step) => step.active)?.t).toBe(30);
    expect(steps.at(-1)?.t).toBe(70); // 30 + cooldown 30 + 2 × 10, in polls of 10 s
  });
});

describe("tidal simulate: ScaledJob and HTTPScaledObject files", () => {
  it("simulates a ScaledJob: Jobs created each poll, completed after --job-duration", async () => {
    const args = ["simulate", "-f", `${DIR}/scaledjob.yaml`, "--metrics", `${DIR}/imports.csv`];
    const [table, json] = await Promise.all([
      runTidal([...args, "--job-duration", "45"]),
      runTidal([...args, "--job-duration", "45", "-o", "json"]),
    ]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("ScaledJob importer (default strategy), 3.3 min simulated\n");
    expect(table.stdout).toContain("  each Job runs 45 s (--job-duration)\n");
    expect(table.stdout).toContain(
      "Jobs: 8 created; running 0 → 4 → 0; at most 4 at once (max 10); 360 job-seconds\n",
    );
    expect(table.stdout).toMatch(/\n {2}60 {3}\+4, 4 running {2}job-strategy: default: 4 - 0 running = 4\n/);
    const output = JSON.parse(json.stdout) as Omit<Output, "steps"> & {
      steps: { t: number; created: number; replicas: number }[];
    };
    expect(output.summary).toEqual({ jobsCreated: 8, maxRunning: 4, jobSeconds: 360 });
    expect(output.steps.map((step) => [step.t, step.created, step.replicas])).toEqual([
      [0, 4, 4],
      [30, 0, 4],
      [60, 4, 4],
      [90, 0, 4],
      [120, 0, 0],
      [150, 0, 0],
      [180, 0, 0],
    ]);
  });

  it("refuses a workload for a ScaledJob, naming what to use", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      `${DIR}/scaledjob.yaml`,
      "--workload",
      `${DIR}/arrivals.csv`,
      "--service-rate",
      "1",
    ]);
    expect(result).toMatchObject({
      code: 2,
      stderr:
        "tidal: ScaledJob importer: --workload models a ScaledObject's replicas serving a queue; replay the ScaledJob's queue with --metrics\n",
    });
  });

  it("simulates an HTTPScaledObject as the add-on's ScaledObject: a trigger named http", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      `${DIR}/http.yaml`,
      "--metrics",
      `${DIR}/http-concurrency.csv`,
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const output = parse(result.stdout);
    // pollingInterval 1 s; 12 in-flight requests at 09:00:05 activate it; 80 at 10 per replica want 8.
    expect(output.steps.find((step) => step.active)?.t).toBe(5);
    expect(Math.max(...output.steps.map((step) => step.replicas))).toBe(8);
    expect(output.steps.at(-1)?.replicas).toBe(0); // scaledownPeriod 60 s after the last request
    expect(output.steps.at(-1)?.t).toBe(91); // 30 + 60 + 2 × 1
  });

  it("asks for --name when a file has several objects to simulate", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "tidal-simulate-")), "all.yaml");
    writeFileSync(
      file,
      ["scaledobject.yaml", "scaledjob.yaml", "http.yaml"]
        .map((name) => readFileSync(`${DIR}/${name}`, "utf8"))
        .join("\n---\n"),
    );
    const result = await runTidal(["simulate", "-f", file, "--metrics", `${DIR}/burst.csv`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /has 3 objects to simulate; pick one with --name \(ScaledObject\/queue-worker, ScaledJob\/importer, HTTPScaledObject\/web; KIND\/NAME when names repeat\)\n$/,
    );
    const chosen = await runTidal([
      "simulate",
      "-f",
      file,
      "--metrics",
      `${DIR}/imports.csv`,
      "--name",
      "scaledjob/importer",
    ]);
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toMatch(/^ScaledJob importer \(default strategy\)/);
  });
});

describe("tidal simulate --workload runs until the queue drains", () => {
  it("goes past the last arrival until the queue is empty, then shows the scale-in", async () => {
    // queue-worker at 0.2 items/s per replica: 30 items arrive in 10 s; the default tail alone would end at 60 s.
    const result = await runTidal([
      "simulate",
      "-f",
      QUEUE_WORKER,
      "--workload",
      `${DIR}/arrivals.csv`,
      "--service-rate",
      "0.2",
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    const { end, summary } = parse(result.stdout);
    expect(end).toMatchObject({ reason: "drained", queue: 0 });
    expect(end!.seconds).toBe(end!.drainedAt! + 50); // cooldown 30 + 2 × polling 10
    expect(summary.itemsServed).toBeCloseTo(30, 6);
  });

  it("says why it stops when the queue cannot drain", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      ONE_REPLICA,
      "--workload",
      `${DIR}/rush-arrivals.csv`,
      "--service-rate",
      "1",
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /\nEnd: the queue stopped draining at [\d.]+ min with \d+ items: 1 ready replica serves 1 item\/s \(maxReplicaCount 1\) and 2 items\/s arrive\n/,
    );
  });
});

describe("tidal simulate --help", () => {
  it("documents trace formats, column names, --steps and the object kinds", async () => {
    const result = await runTidal(["simulate", "--help"]);
    expect(result.code).toBe(0);
    const help = result.stdout.replace(/\s+/g, " ");
    for (const text of [
      "ScaledObject, ScaledJob or HTTPScaledObject",
      "--steps",
      "--job-duration <seconds>",
      "Unix seconds or",
      "Grafana's",
      'keda_scaler_metrics_value{metric="s0-redis-jobs"}',
      "runs until the queue drains",
      "min/max",
    ])
      expect(help).toContain(text);
  });
});
