/**
 * "Same YAML, same timeline" (part of bench/keda.ts), its pure parts: the script both operators
 * are run through, the objects (one ScaledObject per trigger family KEDA and Tidal both have, the
 * identical YAML for both), and the comparison of the replica timelines recorded under each. No
 * process, file or network here; bench/keda-timeline.ts drives it.
 */
import { figure, type Figure } from "./lib/report.ts";

/** Every ScaledObject polls this often (seconds); it is also the comparison's tolerance. */
export const TIMELINE_POLLING_SECONDS = 5;
/** Short, so that scale-to-zero happens within the run. */
export const TIMELINE_COOLDOWN_SECONDS = 10;
/** metrics-api value / list length / row count per replica. */
export const TIMELINE_TARGET = 5;
/** Each numeric trigger's activation threshold: active only above it. */
export const TIMELINE_ACTIVATION = 2;
/** The cron trigger's replicas while its window is open. */
export const TIMELINE_CRON_REPLICAS = 3;
/** Recording goes on until this many seconds after the script's start. */
export const TIMELINE_SECONDS = 150;

export const TIMELINE_FAMILIES = ["metrics-api", "redis", "postgresql", "cron"] as const;
export type TimelineFamily = (typeof TIMELINE_FAMILIES)[number];

export interface ScriptStep {
  /** Seconds after the script's start (a minute boundary). */
  at: number;
  /** The metrics-api value, the Redis list's length and the table's row count from then on. */
  value: number;
}

/**
 * The trace the numeric families follow: 0; the activation threshold itself (not above it: still
 * 0 replicas); one above it (activation: one replica); 20 → 4 replicas through the HPA; 7 → 2
 * replicas (the HPA's scale-down window is 0 in the objects); 0 → the HPA's minimum, then 0
 * replicas after the cooldown.
 */
export const TIMELINE_SCRIPT: readonly ScriptStep[] = [
  { at: 0, value: 0 },
  { at: 10, value: TIMELINE_ACTIVATION },
  { at: 25, value: TIMELINE_ACTIVATION + 1 },
  { at: 40, value: 4 * TIMELINE_TARGET },
  { at: 60, value: 7 },
  { at: 85, value: 0 },
];

/** The cron window, in seconds after the script's start: minutes 1 to 2 of the run. */
export const TIMELINE_CRON_WINDOW = { opens: 60, closes: 120 } as const;

/** The script's value at `seconds` after its start. */
export function scriptValue(seconds: number, script: readonly ScriptStep[] = TIMELINE_SCRIPT): number {
  let value = 0;
  for (const step of script) if (step.at <= seconds) value = step.value;
  return value;
}

/**
 * When the script starts: the first minute boundary at least `leadMs` after `nowMs` (epoch
 * milliseconds), so that the cron window, whose resolution is a minute, falls at the same seconds
 * of the script in every run.
 */
export function scriptStart(nowMs: number, leadMs: number): number {
  return Math.ceil((nowMs + leadMs) / 60_000) * 60_000;
}

/** `minute hour * * *` in UTC for an epoch time on a minute boundary. */
export function cronAt(epochMs: number): string {
  const date = new Date(epochMs);
  return `${date.getUTCMinutes()} ${date.getUTCHours()} * * *`;
}

/** Names of a family's Deployment and ScaledObject. */
export function timelineName(family: TimelineFamily): string {
  return `timeline-${family}`;
}

export interface TimelineSources {
  /** The metrics-api trigger's URL (a loopback server answering {"value": V}). */
  metricsUrl: string;
  /** host:port of Redis. */
  redisAddress: string;
  redisList: string;
  /** postgresql://user:password@host:port/db, given to the trigger through the container's env. */
  postgresUrl: string;
  postgresTable: string;
  /** The script's start, epoch milliseconds on a minute boundary (for the cron window). */
  startMs: number;
}

/** The Deployment of a family: 0 replicas, the PostgreSQL URL in its container's environment. */
export function timelineDeployment(
  family: TimelineFamily,
  sources: TimelineSources,
): Record<string, unknown> {
  const name = timelineName(family);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: "main",
              image: "example.invalid/worker",
              env: [{ name: "PG_URL", value: sources.postgresUrl }],
            },
          ],
        },
      },
    },
  };
}

function trigger(family: TimelineFamily, sources: TimelineSources): Record<string, unknown> {
  const target = String(TIMELINE_TARGET);
  const activation = String(TIMELINE_ACTIVATION);
  switch (family) {
    case "metrics-api":
      return {
        type: "metrics-api",
        metadata: {
          url: sources.metricsUrl,
          valueLocation: "value",
          targetValue: target,
          activationTargetValue: activation,
          format: "json",
        },
      };
    case "redis":
      return {
        type: "redis",
        metadata: {
          address: sources.redisAddress,
          listName: sources.redisList,
          listLength: target,
          activationListLength: activation,
        },
      };
    case "postgresql":
      return {
        type: "postgresql",
        metadata: {
          connectionFromEnv: "PG_URL",
          query: `SELECT COUNT(*) FROM ${sources.postgresTable}`,
          targetQueryValue: target,
          activationTargetQueryValue: activation,
        },
      };
    case "cron":
      return {
        type: "cron",
        metadata: {
          timezone: "Etc/UTC",
          start: cronAt(sources.startMs + TIMELINE_CRON_WINDOW.opens * 1000),
          end: cronAt(sources.startMs + TIMELINE_CRON_WINDOW.closes * 1000),
          desiredReplicas: String(TIMELINE_CRON_REPLICAS),
        },
      };
  }
}

/**
 * A family's ScaledObject, the same for both operators: minReplicaCount 0, polling every
 * TIMELINE_POLLING_SECONDS, a short cooldown, and the HPA's scale-down window at 0 so that a lower
 * value shows within the run instead of after the default five minutes.
 */
export function timelineScaledObject(
  family: TimelineFamily,
  sources: TimelineSources,
): Record<string, unknown> {
  const name = timelineName(family);
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name },
    spec: {
      scaleTargetRef: { name },
      pollingInterval: TIMELINE_POLLING_SECONDS,
      cooldownPeriod: TIMELINE_COOLDOWN_SECONDS,
      minReplicaCount: 0,
      maxReplicaCount: 10,
      advanced: {
        horizontalPodAutoscalerConfig: {
          behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
        },
      },
      triggers: [trigger(family, sources)],
    },
  };
}

// ---- timelines ----------------------------------------------------------------------------------

/** A Deployment's spec.replicas changed to `replicas` at `at` seconds after the script's start. */
export interface Change {
  at: number;
  replicas: number;
}

/**
 * Adds a reading to a timeline of changes (starting from `initial` replicas): appended only when
 * the value differs from the last one.
 */
export function record(changes: Change[], at: number, replicas: number, initial = 0): void {
  const last = changes.length ? (changes[changes.length - 1] as Change).replicas : initial;
  if (replicas !== last) changes.push({ at, replicas });
}

export interface Mismatch {
  /** `missing`: a change on one side only; `value`: paired changes to different replicas; `shift`: the same change more than the tolerance apart. */
  kind: "missing" | "value" | "shift";
  keda?: Change;
  tidal?: Change;
  /** Tidal's time minus KEDA's, seconds, for paired changes. */
  shift?: number;
}

export interface TimelineComparison {
  kedaChanges: number;
  tidalChanges: number;
  /** The largest |shift| among paired changes to the same value; null when none paired. */
  largestShift: number | null;
  mismatches: Mismatch[];
  /** Seconds, within [from, to], where the two step functions show different replicas. */
  disagreeSeconds: number;
  /** The longest such stretch. */
  longestDisagreeSeconds: number;
}

/**
 * Pairs the two lists of changes in order (an alignment of least cost: a pair to the same value
 * costs nothing, a pair to different values a little more than one unpaired change, so a change
 * is only left unpaired when pairing would cost more; the time apart breaks ties) and reports
 * every unpaired change, every pair to different values and every pair further apart than
 * `tolerance` seconds.
 */
export function compareTimelines(
  keda: readonly Change[],
  tidal: readonly Change[],
  tolerance: number,
  window: { from: number; to: number },
): TimelineComparison {
  const n = keda.length;
  const m = tidal.length;
  const gap = 1;
  const pairCost = (a: Change, b: Change) =>
    (a.replicas === b.replicas ? 0 : 1.1) + Math.min(Math.abs(a.at - b.at), 1000) / 1e6;
  // cost[i][j]: least cost of aligning keda[i..] with tidal[j..].
  const cost = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n; i >= 0; i--)
    for (let j = m; j >= 0; j--) {
      if (i === n && j === m) continue;
      const options: number[] = [];
      if (i < n) options.push(gap + (cost[i + 1] as number[])[j]!);
      if (j < m) options.push(gap + (cost[i] as number[])[j + 1]!);
      if (i < n && j < m) options.push(pairCost(keda[i]!, tidal[j]!) + (cost[i + 1] as number[])[j + 1]!);
      (cost[i] as number[])[j] = Math.min(...options);
    }
  const mismatches: Mismatch[] = [];
  let largestShift: number | null = null;
  let i = 0;
  let j = 0;
  const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  while (i < n || j < m) {
    const here = (cost[i] as number[])[j]!;
    if (i < n && j < m && near(here, pairCost(keda[i]!, tidal[j]!) + (cost[i + 1] as number[])[j + 1]!)) {
      const a = keda[i]!;
      const b = tidal[j]!;
      const shift = b.at - a.at;
      if (a.replicas !== b.replicas) mismatches.push({ kind: "value", keda: a, tidal: b, shift });
      else {
        largestShift = Math.max(largestShift ?? 0, Math.abs(shift));
        if (Math.abs(shift) > tolerance) mismatches.push({ kind: "shift", keda: a, tidal: b, shift });
      }
      i++;
      j++;
    } else if (i < n && near(here, gap + (cost[i + 1] as number[])[j]!)) {
      mismatches.push({ kind: "missing", keda: keda[i]! });
      i++;
    } else {
      mismatches.push({ kind: "missing", tidal: tidal[j]! });
      j++;
    }
  }
  const { total, longest } = disagreement(keda, tidal, window);
  return {
    kedaChanges: n,
    tidalChanges: m,
    largestShift,
    mismatches,
    disagreeSeconds: total,
    longestDisagreeSeconds: longest,
  };
}

/** The replicas of a timeline at `at` (0 before its first change). */
export function replicasAt(changes: readonly Change[], at: number): number {
  let replicas = 0;
  for (const change of changes) if (change.at <= at) replicas = change.replicas;
  return replicas;
}

function disagreement(
  keda: readonly Change[],
  tidal: readonly Change[],
  window: { from: number; to: number },
): { total: number; longest: number } {
  const points = [...new Set([window.from, window.to, ...[...keda, ...tidal].map((change) => change.at)])]
    .filter((at) => at >= window.from && at <= window.to)
    .sort((a, b) => a - b);
  let total = 0;
  let longest = 0;
  let stretch = 0;
  for (let index = 0; index + 1 < points.length; index++) {
    const from = points[index]!;
    const length = points[index + 1]! - from;
    if (replicasAt(keda, from) !== replicasAt(tidal, from)) {
      total += length;
      stretch += length;
      longest = Math.max(longest, stretch);
    } else stretch = 0;
  }
  return { total, longest };
}

// ---- report -------------------------------------------------------------------------------------

export interface FamilyTimelines {
  family: TimelineFamily;
  keda: Change[] | null;
  tidal: Change[] | null;
}

function format(change: Change | undefined): string {
  return change ? `${change.replicas} at ${change.at.toFixed(1)} s` : "–";
}

/** One line per mismatch, e.g. "redis: shift: KEDA 4 at 33.2 s, Tidal 4 at 40.1 s (+6.9 s)". */
export function describeMismatch(family: string, mismatch: Mismatch): string {
  const shift =
    mismatch.shift === undefined ? "" : ` (${mismatch.shift >= 0 ? "+" : ""}${mismatch.shift.toFixed(1)} s)`;
  return `${family}: ${mismatch.kind}: KEDA ${format(mismatch.keda)}, Tidal ${format(mismatch.tidal)}${shift}`;
}

/** Compares each family whose two timelines were both recorded. */
export function compareFamilies(
  timelines: readonly FamilyTimelines[],
  tolerance = TIMELINE_POLLING_SECONDS,
  window = { from: 0, to: TIMELINE_SECONDS },
): { family: TimelineFamily; comparison: TimelineComparison | null }[] {
  return timelines.map(({ family, keda, tidal }) => ({
    family,
    comparison: keda && tidal ? compareTimelines(keda, tidal, tolerance, window) : null,
  }));
}

/** Per family: the number of mismatches (target 0) and the largest shift between paired changes. */
export function timelineFigures(compared: ReturnType<typeof compareFamilies>): Figure[] {
  return compared.flatMap(({ family, comparison }) => [
    figure(
      `timeline.${family}.mismatches`,
      `same timeline, ${family}: changes differing by more than one poll (${TIMELINE_POLLING_SECONDS} s)`,
      comparison ? comparison.mismatches.length : null,
      "",
      { comparison: "at most", value: 0 },
    ),
    figure(
      `timeline.${family}.largestShift`,
      `same timeline, ${family}: largest shift between the same change`,
      comparison?.largestShift ?? null,
      "s",
    ),
  ]);
}

/** The Markdown table per family, then one line per mismatch. */
export function timelineTable(compared: ReturnType<typeof compareFamilies>): string[] {
  const lines = [
    "",
    `Same YAML, same timeline (polling ${TIMELINE_POLLING_SECONDS} s, cooldown ${TIMELINE_COOLDOWN_SECONDS} s; a mismatch is a change on one side only, to other replicas, or more than ${TIMELINE_POLLING_SECONDS} s apart):`,
    "",
    "| Family | changes KEDA | changes Tidal | largest shift | replicas differ for (longest) | mismatches |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const { family, comparison } of compared) {
    if (!comparison) {
      lines.push(`| ${family} | – | – | – | – | not recorded |`);
      continue;
    }
    lines.push(
      `| ${family} | ${comparison.kedaChanges} | ${comparison.tidalChanges} | ${
        comparison.largestShift === null ? "–" : `${comparison.largestShift.toFixed(1)} s`
      } | ${comparison.disagreeSeconds.toFixed(1)} s (${comparison.longestDisagreeSeconds.toFixed(1)} s) | ${comparison.mismatches.length} |`,
    );
  }
  const described = compared.flatMap(({ family, comparison }) =>
    (comparison?.mismatches ?? []).map((mismatch) => `- ${describeMismatch(family, mismatch)}`),
  );
  if (described.length) lines.push("", ...described);
  return lines;
}
