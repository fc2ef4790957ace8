import { expect } from "vitest";
import {
  errorsOf,
  kedaTable,
  kedaVar,
  plain,
  prepareRow,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { createRedactor } from "../../util/redact.ts";
import { managementRequest, readQueue, vhostAndPrefix } from "./management-api.ts";
import type { RabbitMqParams } from "./params.ts";
import { combineReadings, measurementFor, readingOf, type ManagementQueue } from "./queue-reading.ts";
import { resolveTrigger } from "./trigger.ts";

const FILE = "rabbitmq_scaler_test.json";
const DOC = "docs/keda-differences.md#rabbitmq";
const HOST = String(kedaVar(FILE, "host"));
const resolvedEnv = stringMap(kedaVar(FILE, "sampleRabbitMqResolvedEnv"));
const withEnv = (row: KedaRow) => ({
  metadata: stringMap(row.metadata),
  authParams: stringMap(row.authParams),
  resolvedEnv,
});

const PLACEHOLDER_HOST = {
  tidalError: true,
  reason:
    "a host that is not a URL (http://, a bare name) is an error when parsed; KEDA fails only when it connects",
  doc: DOC,
};
runParseVectors({
  file: FILE,
  table: "testRabbitMQMetadata",
  type: "rabbitmq",
  inputs: withEnv,
  differences: Object.fromEntries(
    [6, 12, 13, 19, 25, 26, 29, 30, 32, 33, 34, 35, 36, 40, 43, 48, 50].map((row) => [row, PLACEHOLDER_HOST]),
  ),
});

runParseVectors({
  file: FILE,
  table: "testRabbitMQAuthParamData",
  type: "rabbitmq",
  inputs: withEnv,
});

runParseVectors({
  file: FILE,
  table: "testDefaultQueueLength",
  type: "rabbitmq",
  inputs: withEnv,
  expect: () => ({ target: 20 }),
});

runParseVectors({
  file: FILE,
  table: "rabbitMQMetricIdentifiers",
  type: "rabbitmq",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    resolvedEnv,
    index: Number(row.index),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

runValueVectors(FILE, "getVhostAndPathFromURLTestData", {}, (row) => {
  expect(vhostAndPrefix(String(row.rawPath), String(row.overrideVhost))).toEqual({
    vhost: row.resolvedVhostPath,
    prefix: row.resolvedPath,
  });
});

/** A management API stub's address, as KEDA's tests start one. */
const STUB = "http://127.0.0.1:15672";
const vhostRows = kedaTable(FILE, "getVhostAndPathFromURLTestData").rows;

interface QueueCase {
  metadata: Record<string, string>;
  /** The host URL's path: KEDA's sub-path and vhost. */
  hostPath: string;
  /** The request KEDA's stub expects: path and query. */
  expectedRequest: string;
  response: string;
  status: number;
}

/**
 * Reads a queue as Tidal's http protocol does, from a stub answering `response`: the request must
 * be the one KEDA's test server expects, then the reading gives the activity (or the error).
 */
async function readCase(queueCase: QueueCase) {
  const prepared = prepareRow("rabbitmq", {
    metadata: queueCase.metadata,
    resolvedEnv: { [HOST]: `${STUB}${queueCase.hostPath}`, plainHost: STUB },
  });
  expect(errorsOf(prepared)).toEqual([]);
  const params = prepared.params as RabbitMqParams;
  const request = managementRequest(params.host, params);
  expect(request.url.pathname + request.url.search).toBe(queueCase.expectedRequest);
  const resolved = resolveTrigger(params);
  if ("problems" in resolved) throw new Error("unreachable: the trigger parsed");
  const client = {
    get: async () => ({ status: queueCase.status, body: queueCase.response }),
    close: () => undefined,
  };
  const reading = await readQueue(client, request, params, AbortSignal.timeout(1000));
  return measurementFor(resolved.trigger.mode, reading, params.activationValue);
}

async function expectQueueCase(queueCase: QueueCase, row: KedaRow) {
  const read = readCase(queueCase);
  if (queueCase.status === 200) await expect(read).resolves.toMatchObject({ active: Boolean(row.isActive) });
  else await expect(read).rejects.toThrow(queueCase.response);
}

/** KEDA's TestGetQueueInfo and TestGetQueueInfoWithRegex: each row under every sub-path and vhost. */
function queueInfoCases(row: KedaRow, queueName: string, query: (pageSize: number) => string): QueueCase[] {
  return vhostRows.map((vhostRow) => {
    const metadata: Record<string, string> = {
      queueName,
      hostFromEnv: HOST,
      protocol: "http",
      ...stringMap(row.extraMetadata),
      vhostName: String(vhostRow.overrideVhost),
    };
    const path = `${String(vhostRow.resolvedPath)}`;
    const vhost = String(vhostRow.resolvedVhostPath);
    const pageSize = Number(metadata.pageSize ?? 100);
    return {
      metadata,
      hostPath: `${path}${vhost}`,
      expectedRequest: `${path}/api/queues${vhost}${query(pageSize)}`,
      response: String(row.response ?? ""),
      status: Number(plain(row.responseStatus)),
    };
  });
}

runValueVectors(FILE, "testQueueInfoTestData", {}, async (row) => {
  for (const queueCase of queueInfoCases(row, "evaluate_trials", () => "/evaluate_trials")) {
    await expectQueueCase(queueCase, row);
  }
});

runValueVectors(FILE, "testQueueInfoTestDataSingleVhost", {}, async (row) => {
  const metadata: Record<string, string> = {
    queueName: "evaluate_trials",
    protocol: "http",
    ...stringMap(row.extraMetadata),
  };
  // KEDA's test reads the vhost from vhostName (escaped; empty is the root vhost), not vhostPath.
  const vhostName = metadata.vhostName ?? "";
  const vhost = vhostName ? `/${encodeURIComponent(vhostName)}` : "/%2F";
  await expectQueueCase(
    {
      metadata,
      hostPath: "",
      expectedRequest: `/api/queues${vhost}/evaluate_trials`,
      response: String(row.response),
      status: Number(plain(row.responseStatus)),
    },
    row,
  );
});

const regexQuery = (pageSize: number) =>
  `?page=1&use_regex=true&pagination=false&name=%5Eevaluate_trials%24&page_size=${pageSize}`;

runValueVectors(FILE, "testRegexQueueInfoTestData", {}, async (row) => {
  for (const queueCase of queueInfoCases(row, "^evaluate_trials$", regexQuery)) {
    await expectQueueCase(queueCase, row);
  }
});

runValueVectors(FILE, "testRegexPageSizeTestData", {}, async (row) => {
  const queueInfo = row.queueInfo as KedaRow;
  const sized = { ...queueInfo, extraMetadata: { useRegex: "true", pageSize: String(row.pageSize) } };
  for (const queueCase of queueInfoCases(sized, "^evaluate_trials$", regexQuery)) {
    await expectQueueCase(queueCase, { ...queueInfo, isActive: true, $line: row.$line });
  }
});

runValueVectors(FILE, "testRegexQueueInfoNavigationTestData", {}, async (row) => {
  const read = readCase({
    metadata: { queueName: "evaluate_trials", hostFromEnv: HOST, protocol: "http", useRegex: "true" },
    hostPath: "",
    expectedRequest:
      "/api/queues/%2F?page=1&use_regex=true&pagination=false&name=evaluate_trials&page_size=100",
    response: String(row.response),
    status: 200,
  });
  if (row.isError) await expect(read).rejects.toThrow(/raise pageSize/);
  else await expect(read).resolves.toBeDefined();
});

/** KEDA's queueInfo struct as the management API's JSON. */
function managementQueue(queue: KedaRow): ManagementQueue {
  const stats = queue.MessageStat as {
    PublishDetail?: { Rate?: number };
    DeliverGetDetail?: { Rate?: number };
  };
  return {
    messages: Number(queue.Messages ?? 0),
    messages_ready: Number(queue.MessagesReady ?? 0),
    message_stats: {
      publish_details: { rate: stats?.PublishDetail?.Rate ?? 0 },
      deliver_get_details: { rate: stats?.DeliverGetDetail?.Rate ?? 0 },
    },
  };
}

/** Combined with `operation`: messages, ready messages (excludeUnacknowledged) and both rates. */
function combined(queues: unknown, operation: "sum" | "avg" | "max") {
  const list = ((queues as KedaRow[] | null) ?? []).map(managementQueue);
  const all = combineReadings(
    list.map((queue) => readingOf(queue, false)),
    operation,
  );
  const ready = combineReadings(
    list.map((queue) => readingOf(queue, true)),
    operation,
  );
  return [all.messages, ready.messages, all.publishRate, all.deliverGetRate];
}

for (const [table, operation] of [
  ["TestGetSum.tests", "sum"],
  ["TestGetAverage.tests", "avg"],
  ["TestGetMaximum.tests", "max"],
] as const) {
  runValueVectors(FILE, table, {}, (row) => {
    const [messages, ready, publishRate, deliverRate] = combined(row.queues, operation);
    expect([messages, ready]).toEqual([row.expectedMessages, row.expectedReady]);
    expect(publishRate).toBeCloseTo(Number(row.expectedPublishRate), 3);
    expect(deliverRate).toBeCloseTo(Number(row.expectedDeliverRate), 3);
  });
}

runValueVectors(FILE, "TestGetComposedQueue.tests", {}, (row) => {
  const operation = String(row.operation);
  if (row.wantErr) {
    // Tidal rejects an unknown operation when it parses the trigger.
    const metadata = { queueName: "q", host: "http://rabbitmq:15672/", useRegex: "true", operation };
    expect(errorsOf(prepareRow("rabbitmq", { metadata }))).toEqual([expect.stringContaining('"operation"')]);
    return;
  }
  const [messages, ready, publishRate, deliverRate] = combined(row.queues, operation as "sum");
  expect([messages, ready]).toEqual([row.expectedMsgs, row.expectedReady]);
  expect(publishRate).toBeCloseTo(Number(row.expectedPubRate ?? 0), 3);
  expect(deliverRate).toBeCloseTo(Number(row.expectedDelRate ?? 0), 3);
});

/**
 * KEDA rewrites credentials in its errors to `user:password@`; Tidal masks the password only
 * (`user1:***@`), keeping the user name, which is not a secret.
 */
runValueVectors(FILE, "anonymizeRabbitMQErrorTestData", {}, (row) => {
  const original = String((row.err as { $error: string }).$error);
  const redacted = createRedactor([])(original);
  const password = /:([^/:@\s]+)@/.exec(original)?.[1];
  if (password) expect(redacted).not.toContain(`:${password}@`);
  const credentials = /([^ /:]+):([^/:]+)@/g;
  expect(`error inspecting RabbitMQ: ${redacted.replace(credentials, "user:password@")}`).toBe(row.message);
});
