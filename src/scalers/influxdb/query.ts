import type { InfluxDB, QueryApi } from "@influxdata/influxdb-client";

export type InfluxClient = InfluxDB;

/** The Go type KEDA's client gives a Flux column's values, for its "could not be converted" error. */
const GO_TYPES: Record<string, string> = {
  boolean: "bool",
  unsignedLong: "uint64",
  string: "string",
  "dateTime:RFC3339": "time.Time",
  "dateTime:RFC3339Nano": "time.Time",
  duration: "time.Duration",
  base64Binary: "[]uint8",
};

/**
 * The `_value` of the first record a Flux query returns, as KEDA reads it: a double or a long is
 * the value, any other type (or a missing or empty `_value`) is an error, and no record at all is
 * "no results found from query".
 */
export function firstRecordValue(values: readonly string[], columns: readonly FluxColumn[]): number {
  const column = columns.find((candidate) => candidate.label === "_value");
  const raw = column ? (values[column.index] ?? "") : "";
  const text = raw === "" && column ? column.defaultValue : raw;
  if (column === undefined || text === "") {
    throw new Error("value of type <nil> could not be converted into a float");
  }
  if (column.dataType === "double" || column.dataType === "long") {
    return column.dataType === "double" ? goFluxDouble(text) : Number(text);
  }
  throw new Error(
    `value of type ${GO_TYPES[column.dataType] ?? "string"} could not be converted into a float`,
  );
}

export interface FluxColumn {
  label: string;
  dataType: string;
  defaultValue: string;
  index: number;
}

/** A Flux double as written in annotated CSV: a decimal number, `+Inf`, `-Inf` or `NaN`. */
function goFluxDouble(text: string): number {
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** Runs the query and reads the first record, until `signal` aborts (then the request is cancelled). */
export function queryFirstValue(queryApi: QueryApi, query: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let cancel: (() => void) | undefined;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      cancel?.();
      outcome();
    };
    const onAbort = () => settle(() => reject(signal.reason as Error));
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    signal.addEventListener("abort", onAbort, { once: true });
    queryApi.queryRows(query, {
      useCancellable(cancellable) {
        cancel = () => cancellable.cancel();
        if (settled) cancel();
      },
      next(values, tableMeta) {
        settle(() => {
          try {
            resolve(firstRecordValue(values, tableMeta.columns));
          } catch (error) {
            reject(error as Error);
          }
        });
      },
      error(error) {
        settle(() => reject(influxError(error)));
      },
      complete() {
        settle(() => reject(new Error("no results found from query")));
      },
    });
  });
}

/** The server's own words for a failed query (`unauthorized: unauthorized access`), else the error's. */
function influxError(error: Error): Error {
  const { json, statusCode } = error as Error & {
    json?: { code?: unknown; message?: unknown; error?: unknown };
    statusCode?: number;
  };
  if (statusCode !== undefined && typeof json?.message === "string") {
    const code = typeof json.code === "string" ? `${json.code}: ` : "";
    return new Error(`${code}${json.message} (HTTP ${statusCode})`);
  }
  // InfluxDB 1.x's compatible API answers {"error": "…"}.
  if (statusCode !== undefined && typeof json?.error === "string") {
    return new Error(`${json.error} (HTTP ${statusCode})`);
  }
  return new Error(error.message);
}
