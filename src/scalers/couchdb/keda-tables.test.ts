/**
 * KEDA's tests of its couchdb scaler (pkg/scalers/couchdb_scaler_test.go) as data: the metadata
 * table and the metric names (KEDA's coucdb- spelling).
 */
import { kedaParseTable, type KedaRow } from "../../../test/support/keda-rows.ts";

const METADATA: KedaRow[] = [
  {
    line: 36,
    name: "no metadata",
    metadata: {},
    resolvedEnv: {
      CouchDB_CONN_STR: "http://admin:YeFvQno9LylIm5MDgwcV@localhost:5984/",
      CouchDB_PASSWORD: "YeFvQno9LylIm5MDgwcV",
    },
    isError: true,
  },
  {
    line: 44,
    name: "with connectionStringFromEnv",
    metadata: {
      connectionStringFromEnv: "CouchDB_CONN_STR",
      dbName: "animals",
      query: '{ "selector": { "feet": { "$gt": 0 } }, "fields": ["_id", "feet", "greeting"] }',
      queryValue: "1",
    },
    resolvedEnv: {
      CouchDB_CONN_STR: "http://admin:YeFvQno9LylIm5MDgwcV@localhost:5984/",
      CouchDB_PASSWORD: "YeFvQno9LylIm5MDgwcV",
    },
    isError: false,
  },
  {
    line: 52,
    name: "with metric name",
    metadata: {
      connectionStringFromEnv: "CouchDB_CONN_STR",
      dbName: "animals",
      query: '{ "selector": { "feet": { "$gt": 0 } }, "fields": ["_id", "feet", "greeting"] }',
      queryValue: "1",
    },
    resolvedEnv: {
      CouchDB_CONN_STR: "http://admin:YeFvQno9LylIm5MDgwcV@localhost:5984/",
      CouchDB_PASSWORD: "YeFvQno9LylIm5MDgwcV",
    },
    isError: false,
  },
  {
    line: 60,
    name: "from trigger auth",
    metadata: {
      query: '{ "selector": { "feet": { "$gt": 0 } }, "fields": ["_id", "feet", "greeting"] }',
      queryValue: "1",
    },
    authParams: {
      dbName: "animals",
      host: "localhost",
      password: "YeFvQno9LylIm5MDgwcV",
      port: "5984",
      username: "admin",
    },
    resolvedEnv: {
      CouchDB_CONN_STR: "http://admin:YeFvQno9LylIm5MDgwcV@localhost:5984/",
      CouchDB_PASSWORD: "YeFvQno9LylIm5MDgwcV",
    },
    isError: false,
  },
  {
    line: 68,
    name: "wrong activationQueryValue",
    metadata: {
      activationQueryValue: "a",
      connectionStringFromEnv: "CouchDB_CONN_STR",
      dbName: "animals",
      query: '{ "selector": { "feet": { "$gt": 0 } }, "fields": ["_id", "feet", "greeting"] }',
      queryValue: "1",
    },
    resolvedEnv: {
      CouchDB_CONN_STR: "http://admin:YeFvQno9LylIm5MDgwcV@localhost:5984/",
      CouchDB_PASSWORD: "YeFvQno9LylIm5MDgwcV",
    },
    isError: true,
  },
];

const METRIC_NAMES: KedaRow[] = [
  {
    line: 78,
    metadata: {
      connectionStringFromEnv: "CouchDB_CONN_STR",
      dbName: "animals",
      query: '{ "selector": { "feet": { "$gt": 0 } }, "fields": ["_id", "feet", "greeting"] }',
      queryValue: "1",
    },
    resolvedEnv: {
      CouchDB_CONN_STR: "http://admin:YeFvQno9LylIm5MDgwcV@localhost:5984/",
      CouchDB_PASSWORD: "YeFvQno9LylIm5MDgwcV",
    },
    isError: false,
    index: 0,
    metricName: "s0-coucdb-animals",
  },
  {
    line: 79,
    metadata: {
      connectionStringFromEnv: "CouchDB_CONN_STR",
      dbName: "animals",
      query: '{ "selector": { "feet": { "$gt": 0 } }, "fields": ["_id", "feet", "greeting"] }',
      queryValue: "1",
    },
    resolvedEnv: {
      CouchDB_CONN_STR: "http://admin:YeFvQno9LylIm5MDgwcV@localhost:5984/",
      CouchDB_PASSWORD: "YeFvQno9LylIm5MDgwcV",
    },
    isError: false,
    index: 1,
    metricName: "s1-coucdb-animals",
  },
];

kedaParseTable("couchdb", "testCOUCHDBMetadata", METADATA);
kedaParseTable("couchdb", "couchDBMetricIdentifiers", METRIC_NAMES);
