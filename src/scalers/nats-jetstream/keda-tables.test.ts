import { expect } from "vitest";
import {
  errorsOf,
  kedaVar,
  prepareRow,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { consumerBacklog, leaderProblem, monitoringUrls, needsLeaderCheck } from "./jsz.ts";

const FILE = "nats_jetstream_scaler_test.json";

runParseVectors({ file: FILE, table: "testNATSJetStreamMetadata", type: "nats-jetstream" });

runParseVectors({
  file: FILE,
  table: "natsJetStreamMetricIdentifiers",
  type: "nats-jetstream",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

runValueVectors(FILE, "TestGetNATSJetStreamMonitoringURL.tests", {}, (row) => {
  const { jsz } = monitoringUrls(
    String(row.natsServerEndpoint),
    Boolean(row.useHTTPS),
    String(row.accountID),
  );
  expect(jsz.href).toBe(row.expectedURL);
});

/** The JSON names of the Go fields KEDA's mock /jsz responses use (its json tags). */
const JSON_NAMES: Record<string, string> = {
  Accounts: "account_details",
  MetaCluster: "meta_cluster",
  ClusterSize: "cluster_size",
  ID: "id",
  Name: "name",
  Streams: "stream_detail",
  State: "state",
  LastSequence: "last_seq",
  Consumers: "consumer_detail",
  NumPending: "num_pending",
  NumAckPending: "num_ack_pending",
  Cluster: "cluster",
  Leader: "leader",
};

/** A Go struct value from the table as the JSON the server sends. */
function asJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(asJson);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => {
      const name = JSON_NAMES[key];
      if (name === undefined) throw new Error(`no JSON name for KEDA's field ${key}`);
      return [name, asJson(item)];
    }),
  );
}

/** KEDA's mock servers: the monitoring endpoints that answer, with their /varz. */
const servers = kedaVar(FILE, "testNATSJetStreamServerMockResponses") as Record<string, string>;

/**
 * KEDA's TestNATSJetStreamIsActive and TestNATSJetStreamGetMetrics: a measurement from a mock
 * /jsz answer, through the steps of Tidal's measure (find the consumer; in a cluster, check that
 * the answering server leads it).
 */
runValueVectors(FILE, "testNATSJetStreamMockResponses", {}, (row) => {
  const metadata = stringMap(((row.metadata as KedaRow).metadataTestData as KedaRow).metadata);
  const prepared = prepareRow("nats-jetstream", { metadata });
  expect(errorsOf(prepared)).toEqual([]);
  const params = prepared.params as {
    natsServerMonitoringEndpoint: string;
    account?: string;
    accountID?: string;
    stream: string;
    consumer: string;
    activationLagThreshold: number;
  };
  const measure = () => {
    const varz = servers[params.natsServerMonitoringEndpoint];
    if (varz === undefined) throw new Error(`cannot reach ${params.natsServerMonitoringEndpoint}`);
    const lookup = {
      account: params.account,
      accountId: params.accountID || params.account || "",
      stream: params.stream,
      consumer: params.consumer,
    };
    const backlog = consumerBacklog(asJson(row.data), lookup);
    if (needsLeaderCheck(backlog)) {
      const problem = leaderProblem(backlog, JSON.parse(varz), params.consumer);
      if (problem !== undefined) throw new Error(problem);
    }
    return { active: backlog.lag > params.activationLagThreshold };
  };
  if (row.isError) expect(measure).toThrow();
  else expect(measure()).toEqual({ active: row.isActive });
});
