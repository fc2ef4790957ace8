/** Go's time.ParseDuration syntax (`30s`, `1m30s`, `500ms`), plus KEDA's bare integer of milliseconds. */

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration string or an integer number of milliseconds, in milliseconds; undefined when neither. */
export function parseDuration(raw: string): number | undefined {
  if (/^\d+$/.test(raw)) return Number.parseInt(raw, 10);
  const pattern = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of raw.matchAll(pattern)) {
    total += Number(match[1]) * (DURATION_UNITS[match[2] as string] ?? 0);
    consumed += match[0].length;
  }
  return consumed === raw.length && consumed > 0 ? total : undefined;
}

/**
 * Go's time.Duration.String for a whole number of milliseconds: `500ms`, `1.5s`, `2m0s`, `1h0m0s`
 * (as KEDA prints durations into queries).
 */
export function formatGoDuration(milliseconds: number): string {
  if (milliseconds === 0) return "0s";
  const sign = milliseconds < 0 ? "-" : "";
  const total = Math.abs(Math.round(milliseconds));
  if (total < 1000) return `${sign}${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const millis = total % 60_000;
  const seconds = `${Math.floor(millis / 1000)}${
    millis % 1000
      ? `.${String(millis % 1000)
          .padStart(3, "0")
          .replace(/0+$/, "")}`
      : ""
  }s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}
