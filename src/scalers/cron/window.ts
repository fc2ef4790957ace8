import { Cron } from "croner";
import type { Measurement } from "../types.ts";

/** What the window computation needs from a cron trigger. */
export interface CronWindow {
  start: string;
  end: string;
  timezone: string;
  desiredReplicas: number;
}

/** Standard 5-field cron (robfig/cron's standard parser, which KEDA uses), descriptors such as @daily included. */
function schedule(expression: string, timezone: string): Cron {
  return new Cron(expression, { timezone, mode: "5-part", sloppyRanges: true, paused: true });
}

/** Why `expression` is not a usable 5-field cron expression, or undefined when it is. */
export function cronExpressionProblem(expression: string): string | undefined {
  try {
    schedule(expression, "UTC");
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^CronPattern: /, "");
  }
}

/** Whether `timezone` is an IANA time zone name this runtime knows. */
export function isKnownTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

function nextRun(expression: string, timezone: string, nowMs: number, which: "start" | "end"): number {
  const next = schedule(expression, timezone).nextRun(new Date(nowMs));
  if (next === null) throw new Error(`the ${which} schedule "${expression}" never fires again`);
  return next.getTime();
}

/**
 * KEDA's rule: `now` is inside the window when the next end comes before the next start (or at
 * the same time), both computed in the trigger's time zone. Inside, the value is desiredReplicas
 * and the trigger is active; outside, 0 and inactive.
 */
export function cronWindowValue(window: CronWindow, nowMs: number): Measurement {
  const nextStart = nextRun(window.start, window.timezone, nowMs, "start");
  const nextEnd = nextRun(window.end, window.timezone, nowMs, "end");
  const inside = nextEnd <= nextStart;
  return { value: inside ? window.desiredReplicas : 0, active: inside };
}

/**
 * cronWindowValue for one trigger polled again and again: the answer can change only when one of
 * the two schedules fires, so the next start and end are computed once and reused until a second
 * before the earlier of them (croner works in whole seconds), or when the clock goes back. A
 * thousand cron triggers then cost no schedule parsing per poll.
 */
export function cronWindowTracker(window: CronWindow): (nowMs: number) => Measurement {
  let computedAt = Number.POSITIVE_INFINITY;
  let validUntil = Number.NEGATIVE_INFINITY;
  let answer: Measurement = { value: 0, active: false };
  return (nowMs) => {
    if (nowMs >= computedAt && nowMs < validUntil) return { ...answer };
    const nextStart = nextRun(window.start, window.timezone, nowMs, "start");
    const nextEnd = nextRun(window.end, window.timezone, nowMs, "end");
    const inside = nextEnd <= nextStart;
    answer = { value: inside ? window.desiredReplicas : 0, active: inside };
    computedAt = nowMs;
    validUntil = Math.min(nextStart, nextEnd) - 1000;
    return { ...answer };
  };
}

/** KEDA's parseCronTimeFormat: a schedule made safe for a metric name. */
export function cronNamePart(expression: string): string {
  return expression
    .replaceAll(" ", "")
    .replaceAll("*", "x")
    .replaceAll("/", "Sl")
    .replaceAll("?", "Qm")
    .replaceAll(",", "Cm");
}
