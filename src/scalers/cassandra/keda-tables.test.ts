/**
 * KEDA's tests of its cassandra scaler (pkg/scalers/cassandra_scaler_test.go) as data: the
 * metadata table, the TLS table and the metric names.
 */
import { kedaParseTable, type KedaRow } from "../../../test/support/keda-rows.ts";

const METADATA: KedaRow[] = [
  {
    line: 38,
    name: "nothing passed",
    metadata: {},
    isError: true,
  },
  {
    line: 44,
    name: "everything passed verbatim",
    metadata: {
      clusterIPAddress: "cassandra.test",
      keyspace: "test_keyspace",
      port: "9042",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: false,
  },
  {
    line: 57,
    name: "metricName from keyspace",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: false,
  },
  {
    line: 69,
    name: "no query",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: true,
  },
  {
    line: 80,
    name: "no targetQueryValue",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: true,
  },
  {
    line: 91,
    name: "no username",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: true,
  },
  {
    line: 102,
    name: "no port",
    metadata: {
      clusterIPAddress: "cassandra.test",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: true,
  },
  {
    line: 114,
    name: "no clusterIPAddress",
    metadata: {
      keyspace: "test_keyspace",
      port: "9042",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: true,
  },
  {
    line: 126,
    name: "no keyspace",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: true,
  },
  {
    line: 137,
    name: "no password",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    isError: true,
  },
  {
    line: 149,
    name: "with https prefix",
    metadata: {
      clusterIPAddress: "https://cassandra.test",
      keyspace: "test_keyspace",
      port: "9042",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: false,
  },
];

const TLS: KedaRow[] = [
  {
    line: 165,
    name: "success with cert/key",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      cert: "test-cert",
      key: "test-key",
      password: "Y2Fzc2FuZHJhCg==",
      tls: "enable",
    },
    isError: false,
  },
  {
    line: 176,
    name: "failure missing cert",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      key: "test-key",
      password: "Y2Fzc2FuZHJhCg==",
      tls: "enable",
    },
    isError: true,
  },
  {
    line: 186,
    name: "failure missing key",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      cert: "test-cert",
      password: "Y2Fzc2FuZHJhCg==",
      tls: "enable",
    },
    isError: true,
  },
  {
    line: 196,
    name: "failure invalid tls value",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      cert: "test-cert",
      key: "test-key",
      password: "Y2Fzc2FuZHJhCg==",
      tls: "yes",
    },
    isError: true,
  },
];

const METRIC_NAMES: KedaRow[] = [
  {
    line: 210,
    name: "everything passed verbatim",
    metadata: {
      clusterIPAddress: "cassandra.test",
      keyspace: "test_keyspace",
      port: "9042",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: false,
    index: 0,
    metricName: "s0-cassandra-test_keyspace",
  },
  {
    line: 216,
    name: "metricName from keyspace",
    metadata: {
      clusterIPAddress: "cassandra.test:9042",
      keyspace: "test_keyspace",
      query: "SELECT COUNT(*) FROM test_keyspace.test_table;",
      targetQueryValue: "1",
      username: "cassandra",
    },
    authParams: {
      password: "Y2Fzc2FuZHJhCg==",
    },
    isError: false,
    index: 1,
    metricName: "s1-cassandra-test_keyspace",
  },
];

kedaParseTable("cassandra", "testCassandraMetadata", METADATA);
kedaParseTable("cassandra", "tlsAuthParamsTestData", TLS);
kedaParseTable("cassandra", "cassandraMetricIdentifiers", METRIC_NAMES);
