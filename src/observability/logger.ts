export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds these fields to every line. */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** `json`: one JSON object per line; `text`: `time level message key=value…` for people. */
  format?: "json" | "text";
  write?: (line: string) => void;
  now?: () => Date;
}

/**
 * A small structured logger. Callers pass no secrets: scaler errors are redacted where they are
 * created, and configuration values that are credentials never reach a log call.
 */
export function createLogger(options: LoggerOptions = {}, base: Record<string, unknown> = {}): Logger {
  const threshold = LEVELS[options.level ?? "info"];
  const format = options.format ?? "json";
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const log = (level: LogLevel, message: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[level] < threshold) return;
    const record = { ...base, ...fields };
    if (format === "json") {
      write(`${JSON.stringify({ time: now().toISOString(), level, msg: message, ...record })}\n`);
      return;
    }
    const pairs = Object.entries(record)
      .map(
        ([key, value]) =>
          `${key}=${typeof value === "string" && !/\s/.test(value) ? value : JSON.stringify(value)}`,
      )
      .join(" ");
    write(`${now().toISOString()} ${level.padEnd(5)} ${message}${pairs ? ` ${pairs}` : ""}\n`);
  };
  return {
    debug: (message, fields) => log("debug", message, fields),
    info: (message, fields) => log("info", message, fields),
    warn: (message, fields) => log("warn", message, fields),
    error: (message, fields) => log("error", message, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}

/** A logger that drops everything (tests, quiet commands). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
