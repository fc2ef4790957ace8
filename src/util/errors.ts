/**
 * Errors a user can act on. Each carries a stable code and the process exit code the CLI uses:
 * 1 for a finding (invalid input, failed check), 2 for a usage mistake.
 */
export class TidalError extends Error {
  readonly code: string;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TidalError";
    this.code = code;
    this.exitCode = options.exitCode ?? 1;
  }
}

export class UsageError extends TidalError {
  constructor(message: string) {
    super("TIDAL_E_USAGE", message, { exitCode: 2 });
    this.name = "UsageError";
  }
}

/** The message of any thrown value, without a stack trace. */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.map(messageOf).join("; ");
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
