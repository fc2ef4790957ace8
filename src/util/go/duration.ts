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

const CALENDAR_UNITS: Record<string, number> = {
  ...DURATION_UNITS,
  μs: 1e-3,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * The duration syntax of the go-str2duration module KEDA's predictkube scaler uses: Go's units plus
 * `d` (24 h) and `w` (7 d), combinable (`1w2d`, `1d12h`, `1.5h`), an optional sign, and a bare `0`.
 * A number without a unit is an error, as there. Milliseconds, or undefined when it does not parse.
 */
export function parseCalendarDuration(raw: string): number | undefined {
  let text = raw;
  let sign = 1;
  if (text.startsWith("-") || text.startsWith("+")) {
    sign = text.startsWith("-") ? -1 : 1;
    text = text.slice(1);
  }
  if (text === "0") return 0;
  if (text === "") return undefined;
  const pattern = /(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h|d|w)/y;
  let total = 0;
  let position = 0;
  while (position < text.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(text);
    if (match === null) return undefined;
    const number = match[1] as string;
    if (number === "" || number === ".") return undefined;
    total += Number(number) * (CALENDAR_UNITS[match[2] as string] ?? 0);
    position = pattern.lastIndex;
  }
  return sign * total;
}

/** The accepted forms of parseCalendarDuration, for messages. */
export const CALENDAR_DURATION_FORMS = "a duration such as 30m, 2h, 1d or 1w2d (units ms, s, m, h, d, w)";

/**
 * A whole number of milliseconds the way go-str2duration prints it: `1w4d2h3m5s`, `2m`, `1d`,
 * `500ms`; units that are zero are left out.
 */
export function formatCalendarDuration(milliseconds: number): string {
  if (milliseconds === 0) return "0s";
  const sign = milliseconds < 0 ? "-" : "";
  let rest = Math.abs(Math.round(milliseconds));
  let text = "";
  for (const [unit, size] of [
    ["w", 604_800_000],
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return sign + text;
}
