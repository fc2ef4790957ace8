/**
 * `tidal probe` over the twelve scalers whose services have no local server, each against its
 * loopback fake, from one manifest with credentials in a Secret, as a user runs the command. One
 * trigger per type reads its value; a few others fail with their own error; a canary secret used by
 * the failing triggers appears nowhere in the output.
 */
// First: gRPC reads where its trusted roots are when it loads.
import { trustFakeCertificateForGrpc } from "../../support/fakes/grpc-trust.ts";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { GCP_ENDPOINT_VARIABLES } from "../../../src/auth/identity/gcp.ts";
import { expectNoStackTrace, runTidal, type CliResult } from "../../cli/tidal-cli.ts";
import { startFakeAzureDevOps, type FakeAzureDevOps } from "../../support/fakes/fake-azure-devops.ts";
import { startFakeAzureMonitor, type FakeAzureMonitor } from "../../support/fakes/fake-azure-monitor.ts";
import { startFakeEntra, type FakeEntra } from "../../support/fakes/fake-entra.ts";
import { startFakeForgejo, type FakeForgejo } from "../../support/fakes/fake-forgejo.ts";
import { startFakeGcpSpanner, type FakeGcpSpanner } from "../../support/fakes/fake-gcp-spanner.ts";
import { startFakeGithub, type FakeGithub } from "../../support/fakes/fake-github.ts";
import {
  startFakeHuaweiCloudEye,
  type FakeHuaweiCloudEye,
} from "../../support/fakes/fake-huawei-cloudeye.ts";
import { startFakeKusto, type FakeKusto } from "../../support/fakes/fake-kusto.ts";
import { startFakeOpenStack, type FakeOpenStack } from "../../support/fakes/fake-openstack.ts";
import { startFakeSolarWinds, type FakeSolarWinds } from "../../support/fakes/fake-solarwinds.ts";
import { KEY_PROJECT, useGcpFakes } from "../../support/fakes/gcp-environment.ts";
import { fakeTls } from "../../support/fakes/tls.ts";
import { useCleanup } from "../../support/isolation.ts";

const gcp = useGcpFakes();
const CANARY = `canary-${randomBytes(8).toString("hex")}`;
const TOKEN = `probe-${randomBytes(8).toString("hex")}`;
const SECRET = `probe-secret-${randomBytes(8).toString("hex")}`;
const TENANT = "11111111-2222-3333-4444-555555555555";
const CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

interface ProbeRow {
  trigger: string | number;
  type: string;
  metricName: string | null;
  value: number | null;
  active: boolean | null;
  error: string | null;
}

let forgejo: FakeForgejo;
let solarwinds: FakeSolarWinds;
let openstack: FakeOpenStack;
let github: FakeGithub;
let devops: FakeAzureDevOps;
let monitor: FakeAzureMonitor;
let kusto: FakeKusto;
let entra: FakeEntra;
let huawei: FakeHuaweiCloudEye;
let spanner: FakeGcpSpanner;

beforeAll(async () => {
  await trustFakeCertificateForGrpc();
  [forgejo, solarwinds, openstack, github, devops, monitor, kusto, entra, huawei] = await Promise.all([
    startFakeForgejo(),
    startFakeSolarWinds(),
    startFakeOpenStack(),
    startFakeGithub(),
    startFakeAzureDevOps(),
    startFakeAzureMonitor(),
    startFakeKusto(),
    startFakeEntra(),
    startFakeHuaweiCloudEye(),
  ]);
  spanner = await startFakeGcpSpanner({ tokens: gcp.tokens });
});
afterAll(async () => {
  await Promise.all(
    [forgejo, solarwinds, openstack, github, devops, monitor, kusto, entra, huawei, spanner].map((fake) =>
      fake?.close(),
    ),
  );
});

describe("tidal probe over the scalers tested against loopback fakes", () => {
  const cleanup = useCleanup();
  let json: CliResult;
  let table: CliResult;
  let rows: ProbeRow[];

  beforeAll(async () => {
    forgejo.addUser({ name: "alice", token: TOKEN });
    forgejo.addRepo("alice/app");
    forgejo.jobs.push({ id: 1, repo: "alice/app", runsOn: ["docker"] });
    solarwinds.tokens.add(TOKEN);
    solarwinds.series.push({ metric: "jobs.pending", points: [{ value: 3 }] });
    openstack.addUser({ id: "alice", password: SECRET, defaultProject: "web" });
    openstack.addMetric({ id: "m-1", project: "web", granularity: 300, points: [{ value: 11 }] });
    openstack.setContainer("web", "uploads", 4);
    github.tokens.add(TOKEN);
    github.addOwner({ login: "acme", kind: "org" });
    github.addRepo("acme", "app", [{ id: 1, status: "queued", jobs: [{ status: "queued", labels: [] }] }]);
    devops.tokens.add(TOKEN);
    devops.addPool("acme", { id: 12, name: "linux", jobs: [{ requestId: 1 }, { requestId: 2 }] });
    entra.addApp({ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET });
    monitor.bearerTokens.add(entra.tokenFor(CLIENT, `${monitor.origin}/.default`));
    monitor.metrics.push({
      resourceId: "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Web/sites/app",
      name: "Requests",
      points: [{ total: 42 }],
    });
    monitor.setQueryResult("ws-1", "Jobs | count", [
      { columns: [{ name: "Count", type: "long" }], rows: [[6]] },
    ]);
    monitor.setAppMetric("app-1", "requests/count", { sum: 8 });
    kusto.bearerTokens.add(entra.tokenFor(CLIENT, kusto.scope));
    kusto.setResult("jobs", "Jobs | count", { columns: [{ name: "Count", type: "long" }], rows: [[5]] });
    huawei.credentials.set("PROBEAK", SECRET);
    huawei.series.push({
      project: "proj-1",
      namespace: "SYS.ELB",
      metricName: "mb_l7_qps",
      dimension: { name: "lbaas_instance_id", value: "lb-1" },
      datapoints: [{ average: 9 }],
    });
    spanner.addDatabase({ project: KEY_PROJECT, instance: "main", database: "queue" });
    spanner.setResult("SELECT COUNT(*) FROM jobs", {
      columns: [{ name: "", type: "INT64" }],
      rows: [["13"]],
    });

    const secret = {
      token: TOKEN,
      secret: SECRET,
      canary: CANARY,
      gcpKey: gcp.account.keyJson,
      appKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    };
    const auth = (
      name: string,
      refs: Record<string, keyof typeof secret | undefined>,
      literal: Record<string, string> = {},
    ) => ({
      apiVersion: "keda.sh/v1alpha1",
      kind: "TriggerAuthentication",
      metadata: { name },
      spec: {
        secretTargetRef: [
          ...Object.entries(refs).map(([parameter, key]) => ({ parameter, name: "credentials", key })),
          ...Object.keys(literal).map((parameter) => ({ parameter, name: "literals", key: parameter })),
        ],
      },
      literal,
    });
    const auths = [
      auth("token", { token: "token", personalAccessToken: "token", apiToken: "token" }),
      auth("canary-token", { token: "canary", personalAccessToken: "canary", apiToken: "canary" }),
      auth(
        "openstack",
        { password: "secret" },
        { authURL: `${openstack.origin}/v3`, userID: "alice", projectID: "web" },
      ),
      auth("devops", { personalAccessToken: "token" }, { organizationURL: devops.organizationUrl("acme") }),
      auth(
        "azure",
        { activeDirectoryClientPassword: "secret", clientSecret: "secret" },
        { activeDirectoryClientId: CLIENT, tenantId: TENANT, clientId: CLIENT },
      ),
      auth("azure-canary", { activeDirectoryClientPassword: "canary" }, { activeDirectoryClientId: CLIENT }),
      auth(
        "huawei",
        { SecretKey: "secret" },
        {
          IdentityEndpoint: `${huawei.origin}/v3`,
          ProjectID: "proj-1",
          DomainID: "d",
          Region: "cn-north-1",
          Domain: "acct",
          AccessKey: "PROBEAK",
        },
      ),
      auth("gcp", { GoogleApplicationCredentials: "gcpKey" }),
    ];
    const literals = Object.assign({}, ...auths.map((entry) => entry.literal)) as Record<string, string>;
    const azureCloud = { cloud: "Private" };
    const triggers = [
      {
        type: "forgejo-runner",
        name: "forgejo",
        metadata: { address: forgejo.origin, labels: "docker" },
        authenticationRef: { name: "token" },
      },
      {
        type: "solarwinds",
        name: "solarwinds",
        metadata: {
          host: solarwinds.origin,
          metricName: "jobs.pending",
          aggregation: "AVG",
          intervalS: "60",
          targetValue: "1",
        },
        authenticationRef: { name: "token" },
      },
      {
        type: "openstack-metric",
        name: "openstack-metric",
        metadata: {
          metricsURL: `${openstack.origin}/v1/metric`,
          metricID: "m-1",
          aggregationMethod: "mean",
          granularity: "300",
          threshold: "5",
        },
        authenticationRef: { name: "openstack" },
      },
      {
        type: "openstack-swift",
        name: "openstack-swift",
        metadata: { containerName: "uploads" },
        authenticationRef: { name: "openstack" },
      },
      {
        type: "github-runner",
        name: "github",
        metadata: { githubApiURL: github.origin, owner: "acme", runnerScope: "org" },
        authenticationRef: { name: "token" },
      },
      {
        type: "azure-pipelines",
        name: "pipelines",
        metadata: { poolName: "linux" },
        authenticationRef: { name: "devops" },
      },
      {
        type: "azure-monitor",
        name: "monitor",
        metadata: {
          resourceURI: "Microsoft.Web/sites/app",
          tenantId: TENANT,
          subscriptionId: "sub",
          resourceGroupName: "rg",
          metricName: "Requests",
          metricAggregationType: "Total",
          targetValue: "10",
          azureResourceManagerEndpoint: monitor.origin,
          ...azureCloud,
        },
        authenticationRef: { name: "azure" },
      },
      {
        type: "azure-log-analytics",
        name: "log-analytics",
        metadata: {
          workspaceId: "ws-1",
          query: "Jobs | count",
          threshold: "5",
          logAnalyticsResourceURL: monitor.origin,
          ...azureCloud,
        },
        authenticationRef: { name: "azure" },
      },
      {
        type: "azure-app-insights",
        name: "app-insights",
        metadata: {
          applicationInsightsId: "app-1",
          tenantId: TENANT,
          metricId: "requests/count",
          metricAggregationTimespan: "0:5",
          metricAggregationType: "sum",
          targetValue: "5",
          appInsightsResourceURL: monitor.origin,
          activeDirectoryEndpoint: entra.authorityHost,
          ...azureCloud,
        },
        authenticationRef: { name: "azure" },
      },
      {
        type: "azure-data-explorer",
        name: "data-explorer",
        metadata: {
          endpoint: kusto.origin,
          databaseName: "jobs",
          query: "Jobs | count",
          threshold: "5",
          activeDirectoryEndpoint: entra.authorityHost,
          ...azureCloud,
        },
        authenticationRef: { name: "azure" },
      },
      {
        type: "huawei-cloudeye",
        name: "cloudeye",
        metadata: {
          namespace: "SYS.ELB",
          metricName: "mb_l7_qps",
          dimensionName: "lbaas_instance_id",
          dimensionValue: "lb-1",
          targetMetricValue: "5",
        },
        authenticationRef: { name: "huawei" },
      },
      {
        type: "gcp-spanner",
        name: "spanner",
        metadata: {
          projectId: KEY_PROJECT,
          instanceId: "main",
          databaseId: "queue",
          query: "SELECT COUNT(*) FROM jobs",
        },
        authenticationRef: { name: "gcp" },
      },
      // Failing triggers, with the canary as their credential.
      {
        type: "forgejo-runner",
        name: "forgejo-canary",
        metadata: { address: forgejo.origin, labels: "docker" },
        authenticationRef: { name: "canary-token" },
      },
      {
        type: "github-runner",
        name: "github-canary",
        metadata: { githubApiURL: github.origin, owner: "acme", runnerScope: "org" },
        authenticationRef: { name: "canary-token" },
      },
      {
        type: "azure-monitor",
        name: "monitor-canary",
        metadata: {
          resourceURI: "Microsoft.Web/sites/app",
          tenantId: TENANT,
          subscriptionId: "sub",
          resourceGroupName: "rg",
          metricName: "Requests",
          metricAggregationType: "Total",
          targetValue: "10",
          azureResourceManagerEndpoint: monitor.origin,
          ...azureCloud,
        },
        authenticationRef: { name: "azure-canary" },
      },
    ];
    const documents = [
      { apiVersion: "v1", kind: "Secret", metadata: { name: "credentials" }, stringData: secret },
      { apiVersion: "v1", kind: "Secret", metadata: { name: "literals" }, stringData: literals },
      ...auths.map(({ literal: _literal, ...document }) => document),
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "fakes" },
        spec: { scaleTargetRef: { name: "fakes" }, triggers },
      },
    ];
    const folder = mkdtempSync(join(tmpdir(), "tidal-probe-fakes-"));
    cleanup.add(() => rmSync(folder, { recursive: true, force: true }));
    const manifest = join(folder, "fakes.yaml");
    writeFileSync(manifest, documents.map((document) => stringify(document)).join("---\n"));
    const caFile = (await fakeTls()).caFile;
    const env = {
      NODE_EXTRA_CA_CERTS: caFile,
      GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: caFile,
      AZURE_AUTHORITY_HOST: entra.authorityHost,
      [GCP_ENDPOINT_VARIABLES.spanner]: spanner.origin,
    };
    // The first measurement of each type loads its client library (a few seconds on a busy
    // machine for twelve of them at once), so the deadline is longer than the default 3 s.
    [json, table] = await Promise.all([
      runTidal(["probe", "-f", manifest, "--output", "json", "--timeout", "30000"], { env }),
      runTidal(["probe", "-f", manifest, "--timeout", "30000"], { env }),
    ]);
    rows = JSON.parse(json.stdout) as ProbeRow[];
  });

  const row = (trigger: string) => rows.find((candidate) => candidate.trigger === trigger);

  it("measures each trigger type against its fake", () => {
    const expected: Record<string, [string, number]> = {
      forgejo: ["s0-forgejo", 1],
      solarwinds: ["s1-solarwinds", 3],
      "openstack-metric": ["s2-openstack-metric-m-1", 11],
      "openstack-swift": ["s3-openstack-swift-uploads", 4],
      github: ["s4-github-runner-acme", 1],
      pipelines: ["s5-azure-pipelines-12", 2],
      monitor: ["s6-azure-monitor-Requests", 42],
      "log-analytics": ["s7-azure-log-analytics-ws-1", 6],
      "app-insights": ["s8-azure-app-insights-requests-count", 8],
      "data-explorer": ["s9-azure-data-explorer-jobs", 5],
      cloudeye: ["s10-huawei-cloudeye-mb_l7_qps", 9],
      spanner: [`s11-gcp-spanner-main-queue-${KEY_PROJECT}`, 13],
    };
    for (const [name, [metricName, value]] of Object.entries(expected)) {
      expect(row(name), name).toMatchObject({ metricName, value, error: null });
    }
  });

  it("gives each failing trigger its own error, without the canary", () => {
    expect(row("forgejo-canary")?.error).toMatch(/status: 401/);
    expect(row("github-canary")?.error).toMatch(/status: 401 .*Bad credentials/);
    expect(row("monitor-canary")?.error).toMatch(/AADSTS7000215/);
    expect(json.code).toBe(1);
    expect(table.code).toBe(1);
    for (const result of [json, table]) {
      expectNoStackTrace(result);
      const output = result.stdout + result.stderr;
      expect(output).not.toContain(CANARY);
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain(TOKEN);
      expect(output).not.toContain(gcp.account.keyId);
    }
  });
});
