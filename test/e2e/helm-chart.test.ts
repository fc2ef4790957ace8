// The Helm chart deploy/helm/tidal for the values a KEDA user sets (KEDA's key names): each row of
// the table is passed to a real helm's `lint --strict` and `template`, its rendered objects are
// checked, and the rendering goes through a server-side dry-run apply on the real control plane.
// The KEDA values file is also installed with `helm install` (kwok runs the pods), where the
// disruption controller counts the PodDisruptionBudgets' pods.
// ServiceMonitor and PodMonitor are checked against the Prometheus Operator's own CRDs
// (deploy/helm/monitoring-crds.sh), applied to the control plane here and left there like the keda.sh
// CRDs; cert-manager's CRDs are not, so certManager mode stays in test/e2e/packaging.test.ts.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { eventually, kubectl, kubectlJson } from "../support/kube.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const chart = "deploy/helm/tidal";

type Labels = Record<string, string>;
type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels; annotations?: Labels };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
};
type Container = {
  name: string;
  args: string[];
  env: { name: string; value?: string }[];
  ports: { name: string; containerPort: number }[];
  resources: unknown;
  securityContext?: Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
};
type PodSpec = {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: { name: string }[];
  priorityClassName?: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes: { name: string }[];
  nodeSelector?: Labels;
  tolerations?: unknown[];
  affinity?: unknown;
  topologySpreadConstraints?: unknown[];
};
type Deployment = Manifest & {
  spec: {
    replicas: number;
    strategy?: unknown;
    selector: { matchLabels: Labels };
    template: { metadata: { labels: Labels; annotations?: Labels }; spec: PodSpec };
  };
};
type Service = Manifest & { spec: { selector: Labels; ports: { name: string; port: number }[] } };

/** Runs a command; resolves with its exit code and output whatever the code. */
function run(
  command: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { encoding: "utf8", maxBuffer: 32 << 20, cwd: root },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function mustRun(command: string, args: string[], input?: string): Promise<string> {
  const result = await run(command, args, input);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

const parse = (text: string) =>
  parseAllDocuments(text)
    .map((doc) => doc.toJS() as Manifest)
    .filter(Boolean);

/** The rendered objects of one release, with accessors for the ones the rows check. */
class Rendering {
  readonly objects: Manifest[];
  readonly release: string;
  constructor(objects: Manifest[], release: string) {
    this.objects = objects;
    this.release = release;
  }
  all(kind: string): Manifest[] {
    return this.objects.filter((object) => object.kind === kind);
  }
  get(kind: string, name: string): Manifest {
    const found = this.objects.find((object) => object.kind === kind && object.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name} in the rendering`);
    return found;
  }
  has(kind: string, name?: string): boolean {
    return this.objects.some(
      (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
    );
  }
  get operator(): Deployment {
    return this.get("Deployment", `${this.release}-operator`) as Deployment;
  }
  get interceptor(): Deployment {
    return this.get("Deployment", `${this.release}-interceptor`) as Deployment;
  }
  container(deployment: Deployment): Container {
    return deployment.spec.template.spec.containers[0] as Container;
  }
  /** The value after a flag in the container's args; undefined when the flag is absent. */
  flag(deployment: Deployment, name: string): string | undefined {
    const args = this.container(deployment).args;
    const at = args.indexOf(name);
    return at < 0 ? undefined : (args[at + 1] ?? "");
  }
}

const matches = (selector: Labels, labels: Labels | undefined) =>
  Object.entries(selector).every(([key, value]) => labels?.[key] === value);

describe("Helm chart values a KEDA user sets", () => {
  let helm = "";
  const suffix = randomBytes(3).toString("hex");
  const namespace = `e2e-helm-${suffix}`;
  const release = `tidal-${suffix}`;
  const operator = `${release}-operator`;
  const interceptor = `${release}-interceptor`;

  const template = async (values: string[]) =>
    new Rendering(
      parse(await mustRun(helm, ["template", release, chart, "--namespace", namespace, ...values])),
      release,
    );
  /** kubectl apply --server-side --dry-run=server (strict field validation): what the API server accepted. */
  const dryRun = async (objects: Manifest[]) =>
    (
      JSON.parse(
        await kubectl(
          [
            "apply",
            "--server-side",
            "--dry-run=server",
            "--field-manager=helm-chart-test",
            "-o",
            "json",
            "-f",
            "-",
          ],
          JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
        ),
      ) as { items: Manifest[] }
    ).items;

  beforeAll(async () => {
    helm = (await mustRun("bash", ["deploy/helm/build-helm.sh"])).trim();
    const crds = (await mustRun("bash", ["deploy/helm/monitoring-crds.sh"])).trim();
    // Server-side: these CRDs are larger than client-side apply's last-applied annotation allows.
    for (const name of ["servicemonitors", "podmonitors"])
      await kubectl([
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        join(crds, `monitoring.coreos.com_${name}.yaml`),
      ]);
    for (const name of ["servicemonitors", "podmonitors"])
      await kubectl([
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        `crd/${name}.monitoring.coreos.com`,
      ]);
    await kubectl(["create", "namespace", namespace]);
  }, 900_000);
  afterAll(() => run("kubectl", ["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]));

  const rows: { name: string; values: string[]; check: (rendering: Rendering) => void }[] = [
    {
      name: "defaults: two replicas with leader election, info logs, no monitors, the interceptor's PDB",
      values: [],
      check: (r) => {
        expect(r.operator.spec.replicas).toBe(2);
        expect(r.container(r.operator).args).toContain("--leader-elect");
        expect(r.flag(r.operator, "--log-level")).toBe("info");
        expect(r.flag(r.operator, "--log-format")).toBe("json");
        expect(r.flag(r.operator, "--namespace")).toBeUndefined();
        expect(r.has("ServiceMonitor") || r.has("PodMonitor")).toBe(false);
        expect(r.has("PodDisruptionBudget", operator)).toBe(false);
        expect(r.get("PodDisruptionBudget", interceptor).spec).toEqual({
          maxUnavailable: 1,
          selector: { matchLabels: r.interceptor.spec.selector.matchLabels },
        });
        const pod = r.operator.spec.template.spec;
        expect(pod.securityContext).toEqual({
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 1000,
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(r.container(r.operator).securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ["ALL"] },
        });
        for (const key of ["nodeSelector", "tolerations", "affinity", "topologySpreadConstraints"])
          expect(pod).not.toHaveProperty(key);
      },
    },
    {
      name: "a KEDA values file (ci/keda-values.yaml): scheduling, security, resources, PDB, monitors, env, volumes",
      values: ["-f", `${chart}/ci/keda-values.yaml`],
      check: (r) => {
        const deployment = r.operator;
        const pod = deployment.spec.template.spec;
        const container = r.container(deployment);
        expect(deployment.spec.replicas).toBe(3);
        expect(deployment.spec.strategy).toEqual({
          type: "RollingUpdate",
          rollingUpdate: { maxUnavailable: 1 },
        });
        expect(container.args).toContain("--leader-elect");
        expect(r.flag(deployment, "--namespace")).toBe("apps");
        expect(r.flag(deployment, "--log-level")).toBe("debug");
        expect(r.flag(deployment, "--log-format")).toBe("text");
        expect(container.resources).toEqual({
          requests: { cpu: "200m", memory: "256Mi" },
          limits: { cpu: "2", memory: "1000Mi" },
        });
        // The user's keys are merged into the hardened defaults.
        expect(container.securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: 2000,
          capabilities: { drop: ["ALL"] },
          seccompProfile: { type: "RuntimeDefault" },
        });
        expect(pod.securityContext).toMatchObject({ runAsUser: 2000, runAsGroup: 2000, fsGroup: 2000 });
        expect(pod.nodeSelector).toEqual({ "kubernetes.io/os": "linux" });
        expect(pod.tolerations).toEqual([
          { key: "dedicated", operator: "Equal", value: "autoscaling", effect: "NoSchedule" },
        ]);
        expect(pod.affinity).toHaveProperty("podAntiAffinity");
        expect(pod.topologySpreadConstraints).toMatchObject([{ topologyKey: "topology.kubernetes.io/zone" }]);
        expect(pod.priorityClassName).toBe("system-cluster-critical");
        expect(pod.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
        expect(deployment.spec.template.metadata.labels).toMatchObject({ tier: "control" });
        expect(deployment.spec.template.metadata.annotations).toEqual({ "example.com/scrape": "true" });
        expect(container.env).toEqual(
          expect.arrayContaining([
            { name: "KEDA_HTTP_DEFAULT_TIMEOUT", value: "5000" },
            { name: "HTTPS_PROXY", value: "http://proxy.example.com:3128" },
            { name: "NODE_EXTRA_CA_CERTS", value: "/custom/ca/ca.crt" },
          ]),
        );
        expect(pod.volumes.map((volume) => volume.name)).toEqual(["tmp", "custom-ca"]);
        expect(container.volumeMounts).toContainEqual({
          name: "custom-ca",
          mountPath: "/custom/ca",
          readOnly: true,
        });
        expect(r.get("ServiceAccount", operator).metadata.annotations).toEqual({
          "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/tidal",
        });
        for (const object of r.objects)
          expect(object.metadata.labels, object.kind).toMatchObject({ team: "platform" });

        // The PDB covers exactly the operator's pods.
        const pdb = r.get("PodDisruptionBudget", operator).spec as {
          minAvailable: number;
          selector: { matchLabels: Labels };
        };
        expect(pdb.minAvailable).toBe(1);
        expect(pdb).not.toHaveProperty("maxUnavailable");
        expect(pdb.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
        expect(matches(pdb.selector.matchLabels, r.interceptor.spec.template.metadata.labels)).toBe(false);

        // The ServiceMonitor selects the operator's Service, and only it, on its metrics port.
        const monitor = r.get("ServiceMonitor", operator) as Manifest & {
          spec: {
            selector: { matchLabels: Labels };
            namespaceSelector: { matchNames: string[] };
            endpoints: { port: string; path: string; interval: string; scrapeTimeout: string }[];
          };
        };
        expect(monitor.metadata.labels).toMatchObject({ release: "prometheus" });
        expect(monitor.spec.namespaceSelector.matchNames).toEqual([namespace]);
        const services = (r.all("Service") as Service[]).filter((service) =>
          matches(monitor.spec.selector.matchLabels, service.metadata.labels),
        );
        expect(services.map((service) => service.metadata.name)).toEqual([operator]);
        expect(monitor.spec.endpoints).toMatchObject([
          { port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s", scheme: "http" },
        ]);
        const metricsPort = services[0]!.spec.ports.find(
          (port) => port.name === monitor.spec.endpoints[0]!.port,
        );
        expect(metricsPort).toMatchObject({ port: 8080, targetPort: "metrics" });
        expect(r.flag(deployment, "--metrics-bind-address")).toBe(":8080");

        // The PodMonitor selects the operator's pods, on their metrics container port.
        const podMonitor = r.get("PodMonitor", operator) as Manifest & {
          spec: {
            selector: { matchLabels: Labels };
            podMetricsEndpoints: { port: string; interval: string }[];
          };
        };
        expect(matches(podMonitor.spec.selector.matchLabels, deployment.spec.template.metadata.labels)).toBe(
          true,
        );
        expect(
          matches(podMonitor.spec.selector.matchLabels, r.interceptor.spec.template.metadata.labels),
        ).toBe(false);
        expect(podMonitor.spec.podMetricsEndpoints).toEqual([
          { port: "metrics", path: "/metrics", interval: "15s" },
        ]);
        expect(container.ports).toContainEqual({ name: "metrics", containerPort: 8080 });
      },
    },
    {
      name: "KEDA's numeric log level is debug; one replica without leader election",
      values: [
        "--set",
        "logging.operator.level=2",
        "--set",
        "operator.replicaCount=1",
        "--set",
        "operator.leaderElection=false",
      ],
      check: (r) => {
        expect(r.flag(r.operator, "--log-level")).toBe("debug");
        expect(r.operator.spec.replicas).toBe(1);
        expect(r.container(r.operator).args).not.toContain("--leader-elect");
      },
    },
    {
      name: "metrics off: no metrics Service port and no monitors, though their keys are set",
      values: [
        "--set",
        "prometheus.operator.enabled=false",
        "--set",
        "prometheus.operator.serviceMonitor.enabled=true",
        "--set",
        "prometheus.operator.podMonitor.enabled=true",
      ],
      check: (r) => {
        expect(r.has("ServiceMonitor") || r.has("PodMonitor")).toBe(false);
        const service = r.get("Service", operator) as Service;
        // The webhook's port stays: the default certificates (autoGenerated) register the webhook.
        expect(service.spec.ports.map((port) => port.name)).toEqual(["https", "webhook", "http-scaler"]);
        // The probes still use it.
        expect(r.container(r.operator).ports.map((port) => port.name)).toContain("metrics");
      },
    },
    {
      name: "ServiceMonitor on the container port (targetPort), HTTPS scheme, its namespace set",
      values: [
        "--set",
        "prometheus.operator.serviceMonitor.enabled=true",
        "--set",
        "prometheus.operator.serviceMonitor.port=",
        "--set",
        "prometheus.operator.serviceMonitor.targetPort=metrics",
        "--set",
        "prometheus.operator.serviceMonitor.scheme=https",
        "--set",
        "prometheus.operator.serviceMonitor.tlsConfig.insecureSkipVerify=true",
        "--set",
        `prometheus.operator.serviceMonitor.namespace=${namespace}`,
        "--set",
        "prometheus.operator.serviceMonitor.jobLabel=app.kubernetes.io/name",
      ],
      check: (r) => {
        const monitor = r.get("ServiceMonitor", operator) as Manifest & {
          spec: { jobLabel: string; endpoints: Record<string, unknown>[] };
        };
        expect(monitor.spec.jobLabel).toBe("app.kubernetes.io/name");
        expect(monitor.spec.endpoints).toEqual([
          {
            path: "/metrics",
            targetPort: "metrics",
            scheme: "https",
            tlsConfig: { insecureSkipVerify: true },
          },
        ]);
      },
    },
    {
      name: "webhooks off (existingSecret mode): no configuration, port or flag",
      values: [
        "--set",
        "certificates.mode=existingSecret",
        "--set",
        "certificates.existingSecret.name=certs",
        "--set",
        "certificates.existingSecret.caBundle=Cg==",
        "--set",
        "webhooks.enabled=false",
      ],
      check: (r) => {
        expect(r.has("ValidatingWebhookConfiguration")).toBe(false);
        expect(r.flag(r.operator, "--webhook-port")).toBeUndefined();
        expect((r.get("Service", operator) as Service).spec.ports.map((port) => port.name)).not.toContain(
          "webhook",
        );
      },
    },
    {
      name: "webhooks on (existingSecret mode): the configuration with KEDA's failure policy and timeout, on the served port",
      values: [
        "--set",
        "certificates.mode=existingSecret",
        "--set",
        "certificates.existingSecret.name=certs",
        "--set",
        "certificates.existingSecret.caBundle=Cg==",
        "--set",
        "webhooks.port=9445",
        "--set",
        "webhooks.failurePolicy=Fail",
        "--set",
        "webhooks.timeoutSeconds=5",
      ],
      check: (r) => {
        const configuration = r.get("ValidatingWebhookConfiguration", `${operator}-admission`) as Manifest & {
          webhooks: {
            failurePolicy: string;
            timeoutSeconds: number;
            clientConfig: { service: { port: number } };
          }[];
        };
        expect(configuration.webhooks[0]).toMatchObject({
          failurePolicy: "Fail",
          timeoutSeconds: 5,
          clientConfig: { service: { name: operator, port: 9445 } },
        });
        expect(r.flag(r.operator, "--webhook-port")).toBe("9445");
        expect((r.get("Service", operator) as Service).spec.ports).toContainEqual({
          name: "webhook",
          port: 9445,
          targetPort: "webhook",
        });
      },
    },
    {
      name: "the interceptor by the HTTP add-on's keys (ci/interceptor-values.yaml)",
      values: ["-f", `${chart}/ci/interceptor-values.yaml`],
      check: (r) => {
        const deployment = r.interceptor;
        const pod = deployment.spec.template.spec;
        const container = r.container(deployment);
        expect(deployment.spec.replicas).toBe(3);
        expect(r.flag(deployment, "--log-level")).toBe("warn");
        expect(r.flag(deployment, "--log-format")).toBe("text");
        expect(container.env).toEqual(
          expect.arrayContaining([
            { name: "KEDA_HTTP_WATCH_NAMESPACE", value: "web" },
            { name: "KEDA_HTTP_PROXY_TLS_ENABLED", value: "true" },
            { name: "OTEL_SERVICE_NAME", value: "tidal-interceptor" },
          ]),
        );
        expect(pod.imagePullSecrets).toEqual([{ name: "interceptor-registry" }]);
        expect(pod.priorityClassName).toBe("system-node-critical");
        expect(pod.nodeSelector).toEqual({ pool: "edge" });
        expect(pod.topologySpreadConstraints).toMatchObject([{ topologyKey: "kubernetes.io/hostname" }]);
        expect(pod.securityContext).toMatchObject({ runAsUser: 1000, fsGroup: 1000 });
        expect(pod.volumes.map((volume) => volume.name)).toEqual(["certs", "tmp", "scratch"]);
        expect(container.volumeMounts.map((mount) => mount.mountPath)).toEqual([
          "/certs",
          "/tmp",
          "/scratch",
        ]);
        const pdb = r.get("PodDisruptionBudget", interceptor).spec;
        expect(pdb).toEqual({
          minAvailable: 2,
          selector: { matchLabels: deployment.spec.selector.matchLabels },
        });
        // The top-level keys reach the operator where the interceptor has its own.
        expect(r.operator.spec.template.spec.nodeSelector).toEqual({ pool: "system" });
        expect(r.operator.spec.template.spec.imagePullSecrets).toEqual([{ name: "registry-credentials" }]);
        expect(r.flag(r.operator, "--log-level")).toBe("info");
      },
    },
    {
      name: "interceptor off: none of its objects, nor its PDB",
      values: ["--set", "interceptor.enabled=false"],
      check: (r) => {
        expect(r.objects.filter((object) => object.metadata.name.startsWith(interceptor))).toEqual([]);
      },
    },
    {
      name: "an existing ServiceAccount, its token not mounted",
      values: [
        "--set",
        "serviceAccount.operator.create=false",
        "--set",
        "serviceAccount.operator.name=platform-tidal",
        "--set",
        "serviceAccount.operator.automountServiceAccountToken=false",
      ],
      check: (r) => {
        expect(r.has("ServiceAccount", operator)).toBe(false);
        const pod = r.operator.spec.template.spec;
        expect(pod.serviceAccountName).toBe("platform-tidal");
        expect(pod.automountServiceAccountToken).toBe(false);
        const binding = r.get("ClusterRoleBinding", operator) as Manifest & { subjects: { name: string }[] };
        expect(binding.subjects.map((subject) => subject.name)).toEqual(["platform-tidal"]);
      },
    },
  ];

  for (const row of rows)
    it(`${row.name}: lint, render, server-side dry run`, async () => {
      expect(
        await mustRun(helm, ["lint", "--strict", chart, "--namespace", namespace, ...row.values]),
      ).toContain("0 chart(s) failed");
      const rendering = await template(row.values);
      row.check(rendering);
      const accepted = await dryRun(rendering.objects);
      expect(accepted.map((object) => `${object.kind}/${object.metadata.name}`).sort()).toEqual(
        rendering.objects.map((object) => `${object.kind}/${object.metadata.name}`).sort(),
      );
    });

  it("the API server checks the monitors against the Prometheus Operator's schema", async () => {
    const rendering = await template([
      "--set",
      "prometheus.operator.serviceMonitor.enabled=true",
      "--set",
      "prometheus.operator.serviceMonitor.tlsConfig.notAField=true",
    ]);
    const result = await run(
      "kubectl",
      ["apply", "--server-side", "--dry-run=server", "--field-manager=helm-chart-test", "-f", "-"],
      JSON.stringify(rendering.get("ServiceMonitor", operator)),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("notAField");
  });

  it("helm install with the KEDA values file: the PDBs count their pods, the monitors' selectors find the operator's pods and metrics port; helm uninstall removes it", async () => {
    // A release of its own in a namespace of its own; the APIService and CRDs are the other tests'.
    const installed = `tidal-i-${suffix}`;
    const target = `e2e-helm-install-${suffix}`;
    const name = `${installed}-operator`;
    const uninstall = () =>
      run(helm, ["uninstall", installed, "--namespace", target, "--ignore-not-found", "--wait"]);
    try {
      await mustRun(helm, [
        "install",
        installed,
        chart,
        "--namespace",
        target,
        "--create-namespace",
        "--skip-crds",
        "-f",
        `${chart}/ci/keda-values.yaml`,
        "--set",
        "metricsServer.enabled=false",
      ]);
      type Pdb = { status?: { expectedPods?: number; currentHealthy?: number; disruptionsAllowed?: number } };
      const status = async (pdb: string) =>
        (await kubectlJson<Pdb>(["-n", target, "get", "pdb", pdb])).status ?? {};
      // The disruption controller counts the ready pods each budget's selector matches: the
      // operator's three (minAvailable 1: two may go), the interceptor's two (maxUnavailable 1).
      await eventually(
        "the PDBs count their pods",
        async () =>
          (await status(name)).disruptionsAllowed === 2 &&
          (await status(`${installed}-interceptor`)).disruptionsAllowed === 1,
        { timeoutMs: 120_000 },
      );
      expect(await status(name)).toMatchObject({ expectedPods: 3, currentHealthy: 3 });
      expect(await status(`${installed}-interceptor`)).toMatchObject({ expectedPods: 2, currentHealthy: 2 });

      const selector = (labels: Labels) =>
        Object.entries(labels)
          .map(([key, value]) => `${key}=${value}`)
          .join(",");
      const list = async <T>(kind: string, labels: Labels) =>
        (await kubectlJson<{ items: T[] }>(["-n", target, "get", kind, "-l", selector(labels)])).items;
      type Pod = { spec: PodSpec };
      // The ServiceMonitor finds the operator's Service, whose metrics port leads to the metrics
      // container port of the operator's three pods.
      const monitor = await kubectlJson<{
        spec: { selector: { matchLabels: Labels }; endpoints: { port: string }[] };
      }>(["-n", target, "get", "servicemonitor", name]);
      const services = await list<Service & { spec: { ports: { targetPort: string }[] } }>(
        "services",
        monitor.spec.selector.matchLabels,
      );
      expect(services.map((service) => service.metadata.name)).toEqual([name]);
      const port = services[0]!.spec.ports.find(
        (candidate) => candidate.name === monitor.spec.endpoints[0]?.port,
      );
      expect(port).toMatchObject({ port: 8080, targetPort: "metrics" });
      const served = await list<Pod>("pods", services[0]!.spec.selector);
      expect(served).toHaveLength(3);
      // The PodMonitor finds the same three pods.
      const podMonitor = await kubectlJson<{ spec: { selector: { matchLabels: Labels } } }>([
        "-n",
        target,
        "get",
        "podmonitor",
        name,
      ]);
      const pods = await list<Pod>("pods", podMonitor.spec.selector.matchLabels);
      expect(pods).toHaveLength(3);
      for (const pod of [...served, ...pods]) {
        expect(pod.spec.containers[0]?.ports).toContainEqual(
          expect.objectContaining({ name: "metrics", containerPort: 8080 }),
        );
        expect(pod.spec.priorityClassName).toBe("system-cluster-critical");
        expect(pod.spec.containers[0]?.securityContext).toMatchObject({ runAsUser: 2000 });
      }

      await mustRun(helm, ["uninstall", installed, "--namespace", target, "--wait"]);
      expect((await run("kubectl", ["-n", target, "get", "deployment", name])).code).not.toBe(0);
      expect((await run("kubectl", ["get", "clusterrole", name])).code).not.toBe(0);
    } finally {
      await uninstall();
      await run("kubectl", ["delete", "namespace", target, "--wait=false", "--ignore-not-found"]);
    }
  });

  it("refuses values Tidal cannot honour, naming the key", async () => {
    const refusals: [string[], string][] = [
      [["--set", "watchNamespace=a\\,b"], 'watchNamespace "a,b": Tidal watches one namespace'],
      [["--set", "logging.operator.level=verbose"], "logging level must be debug, info, warn, error"],
      [
        ["--set", "logging.interceptor.format=logfmt"],
        'logging format must be json, text or console, not "logfmt"',
      ],
      [
        ["--set", "operator.leaderElection=false"],
        "operator.replicaCount > 1 needs operator.leaderElection: true",
      ],
      [
        [
          "--set",
          "podDisruptionBudget.operator.minAvailable=1",
          "--set",
          "podDisruptionBudget.operator.maxUnavailable=1",
        ],
        "minAvailable or maxUnavailable, not both",
      ],
      [
        [
          "--set",
          "prometheus.operator.serviceMonitor.enabled=true",
          "--set",
          "prometheus.operator.serviceMonitor.targetPort=8080",
        ],
        "set port (the Service's) or targetPort (the container's), not both",
      ],
      [["--set", "serviceAccount.operator.create=false"], "serviceAccount.operator.name is required"],
    ];
    for (const [values, message] of refusals) {
      const result = await run(helm, ["template", release, chart, ...values]);
      expect(result.code, values.join(" ")).not.toBe(0);
      expect(result.stderr).toContain(message);
    }
  });
});
