/**
 * KEDA's tests of its mongodb scaler (pkg/scalers/mongo_scaler_test.go) as data: the metadata
 * table, the metric names, and the connection strings KEDA builds from separate parameters.
 */
import { describe, expect, it } from "vitest";
import { kedaParseTable, type KedaRow } from "../../../test/support/keda-rows.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { mongoConnectionString } from "./mongodb.ts";

const METADATA: KedaRow[] = [
  {
    line: 39,
    name: "No metadata",
    metadata: {},
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: true,
  },
  {
    line: 46,
    name: "connectionStringFromEnv",
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
  {
    line: 53,
    name: "with metric name",
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
  {
    line: 60,
    name: "from passwordFromEnv",
    metadata: {
      collection: "demo",
      passwordFromEnv: "MongoDB_PASSWORD",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      dbName: "test",
      host: "localhost",
      port: "1234",
      username: "sample",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
  {
    line: 67,
    name: "from trigger auth",
    metadata: {
      collection: "demo",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      dbName: "test",
      host: "localhost",
      password: "sec@ure",
      port: "1234",
      username: "sample",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
  {
    line: 74,
    name: "mongodb srv support",
    metadata: {
      collection: "demo",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      dbName: "test",
      host: "localhost",
      password: "sec@ure",
      port: "",
      scheme: "mongodb+srv",
      username: "sample",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
  {
    line: 81,
    name: "test float queryValue",
    metadata: {
      collection: "demo",
      query: '{"name":"John"}',
      queryValue: "0.9",
    },
    authParams: {
      dbName: "test",
      host: "localhost",
      password: "sec@ure",
      port: "",
      scheme: "mongodb+srv",
      username: "sample",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
  {
    line: 88,
    name: "wrong activationQueryValue",
    metadata: {
      activationQueryValue: "aa",
      collection: "demo",
      connectionStringFromEnv: "Mongo_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: true,
  },
  {
    line: 95,
    name: "TLS enabled with CA only - should succeed",
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      ca: "cavalue",
      tls: "enable",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
  {
    line: 102,
    name: "TLS enabled with cert and key - should succeed",
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      cert: "certvalue",
      key: "keyvalue",
      tls: "enable",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
  {
    line: 109,
    name: "TLS enabled with cert and key and CA - should succeed",
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      ca: "cavalue",
      cert: "certvalue",
      key: "keyvalue",
      tls: "enable",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
  {
    line: 116,
    name: "TLS enabled with cert only - should fail (key required)",
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      cert: "certvalue",
      tls: "enable",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: true,
  },
  {
    line: 123,
    name: "TLS enabled with key only - should fail (cert required)",
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      key: "keyvalue",
      tls: "enable",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: true,
  },
  {
    line: 130,
    name: "TLS enabled without any certs - should fail",
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      tls: "enable",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: true,
  },
  {
    line: 137,
    name: "TLS disabled (default) - should succeed without certs",
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      tls: "disable",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
  },
];

const METRIC_NAMES: KedaRow[] = [
  {
    line: 153,
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
    index: 0,
    metricName: "s0-mongodb-demo",
  },
  {
    line: 154,
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
    index: 1,
    metricName: "s1-mongodb-demo",
  },
];

const CONNECTION_STRINGS: (KedaRow & { connectionString: string })[] = [
  {
    line: 146,
    metadata: {
      collection: "demo",
      connectionStringFromEnv: "MongoDB_CONN_STR",
      dbName: "test",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
    connectionString: "mongodb://mongodb0.example.com:27017",
  },
  {
    line: 147,
    metadata: {
      collection: "demo",
      passwordFromEnv: "MongoDB_PASSWORD",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      dbName: "test",
      host: "localhost",
      port: "1234",
      username: "sample",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
    connectionString: "mongodb://sample:test%40password@localhost:1234/test",
  },
  {
    line: 148,
    metadata: {
      collection: "demo",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      dbName: "test",
      host: "localhost",
      password: "sec@ure",
      port: "1234",
      username: "sample",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
    connectionString: "mongodb://sample:sec%40ure@localhost:1234/test",
  },
  {
    line: 149,
    metadata: {
      collection: "demo",
      query: '{"name":"John"}',
      queryValue: "12",
    },
    authParams: {
      dbName: "test",
      host: "localhost",
      password: "sec@ure",
      port: "",
      scheme: "mongodb+srv",
      username: "sample",
    },
    resolvedEnv: {
      MongoDB_CONN_STR: "mongodb://mongodb0.example.com:27017",
      MongoDB_PASSWORD: "test@password",
    },
    isError: false,
    connectionString: "mongodb+srv://sample:sec%40ure@localhost/test",
  },
];

kedaParseTable("mongodb", "testMONGODBMetadata", METADATA);
kedaParseTable("mongodb", "mongoDBMetricIdentifiers", METRIC_NAMES);
kedaParseTable("mongodb", "mongoDBConnectionStringTestDatas", CONNECTION_STRINGS);

describe("KEDA's mongoDBConnectionStringTestDatas: the connection string", () => {
  it.each(CONNECTION_STRINGS.map((row) => [row.line, row] as const))("line %s", (_line, row) => {
    const prepared = prepareScalerTrigger("mongodb", row.metadata, {
      authParams: row.authParams ?? {},
      resolvedEnv: row.resolvedEnv ?? {},
    });
    expect(mongoConnectionString(prepared.params as never)).toBe(row.connectionString);
  });
});
