import { randomBytes } from "node:crypto";
import type { Cleanup } from "./isolation.ts";
import { services } from "./services.ts";

/**
 * The OpenSearch test server's REST API with the test credentials, for the opensearch,
 * elasticsearch and elastic-forecast tests.
 */
export async function opensearch(method: string, path: string, body?: unknown): Promise<unknown> {
  const credentials = Buffer.from(`${services.opensearchUsername}:${services.opensearchPassword}`).toString(
    "base64",
  );
  const response = await fetch(new URL(path, services.opensearchUrl), {
    method,
    headers: { Authorization: `Basic ${credentials}`, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`OpenSearch ${method} ${path}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/**
 * An index no other test uses, holding `pending` documents with status "pending" and `done` with
 * status "done" (searchable when this returns); deleted by the cleanup. Not uniqueName: its
 * "tidal-" prefix is the test password, which messages redact.
 */
export async function jobsIndex(cleanup: Cleanup, pending: number, done = 0): Promise<string> {
  const name = `jobs-${process.pid}-${randomBytes(4).toString("hex")}`;
  await opensearch("PUT", `/${name}`, { mappings: { properties: { status: { type: "keyword" } } } });
  cleanup.add(() => opensearch("DELETE", `/${name}`));
  await addJobs(name, pending, "pending");
  await addJobs(name, done, "done");
  return name;
}

export async function addJobs(index: string, count: number, status: string): Promise<void> {
  if (count === 0) return;
  const lines = Array.from({ length: count }, () => `{"index":{}}\n${JSON.stringify({ status })}\n`).join("");
  const credentials = Buffer.from(`${services.opensearchUsername}:${services.opensearchPassword}`).toString(
    "base64",
  );
  const response = await fetch(new URL(`/${index}/_bulk?refresh=wait_for`, services.opensearchUrl), {
    method: "POST",
    headers: { Authorization: `Basic ${credentials}`, "Content-Type": "application/x-ndjson" },
    body: lines,
  });
  if (!response.ok) throw new Error(`OpenSearch bulk: HTTP ${response.status}: ${await response.text()}`);
}

/** A stored Mustache search template counting documents whose status is {{status}}; deleted by the cleanup. */
export async function statusTemplate(cleanup: Cleanup): Promise<string> {
  const name = `by-status-${randomBytes(4).toString("hex")}`;
  await opensearch("POST", `/_scripts/${name}`, {
    script: { lang: "mustache", source: { query: { term: { status: "{{status}}" } } } },
  });
  cleanup.add(() => opensearch("DELETE", `/_scripts/${name}`));
  return name;
}

/** The test server's user and password, as a trigger's authParams. */
export const opensearchCredentials = () => ({
  username: services.opensearchUsername,
  password: services.opensearchPassword,
});

/** A trigger's metadata counting all documents of index `jobs` at `addresses` (target 1), and `more`. */
export const matchAll = (addresses: string, more: Record<string, string> = {}) => ({
  addresses,
  index: "jobs",
  query: '{"query":{"match_all":{}}}',
  valueLocation: "hits.total.value",
  targetValue: "1",
  ...more,
});
