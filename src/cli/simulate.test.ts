import { mkdtempSync, readFileSync } from "node:fs";
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
    expect(Object.keys(output)).toEqual(["steps", "summary"]);
    for (const step of output.steps)
      expect(Object.keys(step)).toEqual(["t", "replicas", "desired", "active", "fallback", "reason"]);
    expect(output.steps.map((step) => [step.t, step.replicas, step.active])).toEqual(GOLDEN_STEPS);
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

  it("prints a table with the summary by default", async () => {
    const result = await runTidal([
      "simulate",
      "-f",
      QUEUE_WORKER,
      "--metrics",
      `${DIR}/burst.csv`,
      "--mode",
      "direct",
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^T\s+REPLICAS\s+DESIRED\s+ACTIVE\s+FALLBACK\s+REASON$/);
    expect(lines[3]).toMatch(/^20\s+1\s+1\s+yes\s+no\s+0 → 1 replicas; activation/);
    expect(lines.slice(-3)).toEqual(["replicaSeconds: 300", "maxReplicas: 5", "scaleEvents: 4"]);
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
    // The replicas axis title has the replicas colour; the path drawn in it is the replica count.
    const color = /<text [^>]*fill="(#[0-9a-f]{6})"[^>]*>replicas<\/text>/.exec(svg)?.[1];
    expect(color).toBeDefined();
    const path = new RegExp(`<path d="([^"]+)"[^>]*stroke="${color}"`).exec(svg)?.[1];
    expect(path).toBeDefined();
    // Decode the step path (M x y, then H x / V y) with the replica axis labels (y of value 0 and 1).
    const labels = [
      ...svg.matchAll(
        new RegExp(`<text x="[\\d.]+" y="([\\d.]+)" text-anchor="end" fill="${color}">(\\d+)</text>`, "g"),
      ),
    ].map((m): [y: number, value: number] => [Number(m[1]), Number(m[2])]);
    const y0 = labels.find(([, value]) => value === 0)?.[0] as number;
    const y1 = labels.find(([, value]) => value === 1)?.[0] as number;
    expect([y0, y1].every(Number.isFinite)).toBe(true);
    const levels = [...path!.matchAll(/(?:M[\d.]+ |V)([\d.]+)/g)].map((m) =>
      Math.round((y0 - Number(m[1])) / (y0 - y1)),
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
    expect(Object.keys(output)).toEqual(["steps", "summary"]);
    for (const step of output.steps)
      expect(Object.keys(step)).toEqual(["t", "replicas", "desired", "active", "fallback", "reason"]);
    expect(output.steps.every((step) => step.replicas === 1)).toBe(true);
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
    expect(svg).toContain(">rate</text>");
    expect(svg).toContain(">backlog</text>");
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
        `bad-unknown-column.csv: trace column "retries" matches no trigger; triggers: queue`,
      ],
      [
        metrics("bad-not-a-number.csv"),
        `bad-not-a-number.csv: line 3, column "queue": "lots" is not a number`,
      ],
      [metrics("bad-cell-count.csv"), "bad-cell-count.csv: line 3: 1 cell, but the header has 2 columns"],
      [
        metrics("bad-time-order.csv"),
        "bad-time-order.csv: line 4: t must increase from row to row (5 after 10)",
      ],
      [
        metrics("bad-first-column.csv"),
        'bad-first-column.csv: line 1: the first column must be "t" (seconds from 0), got "time"',
      ],
      [metrics("bad-empty.csv"), "bad-empty.csv: the file is empty; expected a header line such as t,queue"],
      [
        workload("bad-arrivals-header.csv"),
        'bad-arrivals-header.csv: the header must be "t,rate", got "t,items"',
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

  it("refuses a simulated time over a week, and a chart path that is one of its inputs or cannot be written", async () => {
    const trace = `${DIR}/burst.csv`;
    const before = readFileSync(trace, "utf8");
    const [unixTimes, longDuration, overwrite, noFolder] = await Promise.all([
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", `${DIR}/unix-times.csv`]),
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", trace, "--duration", "1e9"]),
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", trace, "--plot", trace]),
      runTidal(["simulate", "-f", QUEUE_WORKER, "--metrics", trace, "--plot", "/no-such-folder/x.svg"]),
    ]);
    expect(unixTimes.code).toBe(2);
    expect(unixTimes.stderr).toContain(
      `${DIR}/unix-times.csv: the last t is 1700000030, more than a week; t counts seconds from the start of the trace (for Unix times, subtract the first one)`,
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
    for (const result of [unixTimes, longDuration, overwrite, noFolder]) expectNoStackTrace(result);
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
