import { bodyExcerpt } from "./excerpt.ts";
import type { HttpResponse } from "./http-get.ts";

interface JolokiaReply {
  value?: unknown;
  status?: unknown;
  error?: unknown;
  error_type?: unknown;
}

/** Which broker and queue a Jolokia read was about, for the error texts. */
export interface JolokiaSubject {
  /** "ActiveMQ" or "Artemis". */
  server: string;
  queue: string;
  broker: string;
}

/**
 * The attribute value of a Jolokia read, by KEDA's rule: the HTTP status and Jolokia's own status
 * must both be 200, and the value is an integer. Anything else is an error that says why (wrong
 * credentials, a missing queue, an origin Jolokia refuses).
 */
export function jolokiaValue(response: HttpResponse, subject: JolokiaSubject): number {
  let reply: JolokiaReply | undefined;
  try {
    const parsed: unknown = JSON.parse(response.body);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
      reply = parsed as JolokiaReply;
  } catch {
    reply = undefined;
  }
  const where = `${subject.server} management endpoint`;
  if (reply === undefined) {
    const hint =
      response.status === 401 || response.status === 403 ? " (check the username and password)" : "";
    const excerpt = bodyExcerpt(response.body, 120);
    throw new Error(
      response.status === 200
        ? `${where} answered with something that is not JSON: ${excerpt}`
        : `${where} answered HTTP ${response.status}${hint}${excerpt ? `: ${excerpt}` : ""}`,
    );
  }
  const status = typeof reply.status === "number" ? reply.status : 0;
  if (response.status !== 200 || status !== 200) {
    const detail = typeof reply.error === "string" ? `: ${reply.error}` : "";
    if (status === 404 && /InstanceNotFound/.test(String(reply.error_type ?? reply.error ?? ""))) {
      throw new Error(
        `${subject.server} has no queue "${subject.queue}" on broker "${subject.broker}" (Jolokia status 404${detail})`,
      );
    }
    throw new Error(`${where} response error code: ${response.status} ${status}${detail}`);
  }
  if (typeof reply.value !== "number" || !Number.isInteger(reply.value)) {
    throw new Error(`${where} returned ${JSON.stringify(reply.value)} for the queue size, not an integer`);
  }
  return reply.value;
}
