import { messageOf } from "../../util/errors.ts";

interface AzureRestError {
  statusCode?: number;
  code?: string;
  message: string;
}

function restError(error: unknown): AzureRestError | undefined {
  if (!(error instanceof Error)) return undefined;
  const candidate = error as Error & { statusCode?: unknown; code?: unknown };
  return {
    message: error.message,
    ...(typeof candidate.statusCode === "number" ? { statusCode: candidate.statusCode } : {}),
    ...(typeof candidate.code === "string" ? { code: candidate.code } : {}),
  };
}

/** The first line of an SDK message, without the request id and time lines Azure appends. */
function firstLine(message: string): string {
  return (message.split("\n")[0] ?? "").replace(/\s*(RequestId|TrackingId|Time):\S*.*$/i, "").trim();
}

/**
 * One line for an error of an Azure SDK call to `service` (e.g. `Service Bus at ns.servicebus.windows.net`):
 * refused credentials, a missing entity, and an endpoint that cannot be reached are said plainly,
 * with the service's own words after them.
 */
export function azureErrorMessage(error: unknown, service: string): string {
  const rest = restError(error);
  if (rest === undefined) return messageOf(error);
  const detail = firstLine(rest.message) || rest.code || "no detail";
  if (rest.statusCode === 401 || rest.statusCode === 403) {
    return `${service} refused the credentials (HTTP ${rest.statusCode}): ${detail}`;
  }
  if (
    rest.code === "REQUEST_SEND_ERROR" ||
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|certificate|self[- ]signed/i.test(
      rest.message,
    )
  ) {
    return `cannot reach ${service}: ${detail}`;
  }
  if (rest.statusCode !== undefined) return `${service} answered HTTP ${rest.statusCode}: ${detail}`;
  return `${service}: ${detail}`;
}
