// deploy/ against the real control plane: the kustomization (CRDs, RBAC, Deployment, Service,
// APIService, certificate Secret) through a server-side dry run, the same manifests applied for
// real in a namespace of their own (kwok runs the pods; the image is never pulled), what their
// ServiceAccount can and cannot do, and the Helm chart rendered by a real helm in each certificate
// mode. The APIService v1beta1.external.metrics.k8s.io is only ever dry-run: other tests own it.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer } from "node:tls";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { useCleanup } from "../support/isolation.ts";
import { eventually, kubectl, kubectlJson } from "../support/kube.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [key: string]: unknown;
};
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
type PodSpec = {
  volumes: { name: string; secret?: { secretName: string } }[];
  containers: { args: string[] }[];
};

/** Runs a command; resolves with its exit code and output whatever the code. */
function run(
  command: string,
  args: string[],
  options: { input?: string; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { encoding: "utf8", maxBuffer: 32 << 20, cwd: options.cwd ?? root },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

async function mustRun(
  command: string,
  args: string[],
  options: { input?: string; cwd?: string } = {},
): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0)
    throw new Error(`${command} ${args.join(" ")} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

const manifests = (text: string) =>
  parseAllDocuments(text)
    .map((doc) => doc.toJS() as Manifest)
    .filter(Boolean);
const find = (objects: Manifest[], kind: string) =>
  objects.find((object) => object.kind === kind) as Manifest;
/** The operator's object of a kind (the interceptor's have "interceptor" in their names). */
/** The operator's own object of a kind: not the interceptor's, nor the Role for `tidal explain` users. */
const operatorObject = (objects: Manifest[], kind: string) =>
  objects.find(
    (object) =>
      object.kind === kind &&
      !object.metadata.name.includes("interceptor") &&
      !object.metadata.name.endsWith("-explain"),
  ) as Manifest;
const podSpec = (objects: Manifest[]) =>
  (operatorObject(objects, "Deployment") as unknown as { spec: { template: { spec: PodSpec } } }).spec
    .template.spec;
const rules = (objects: Manifest[], kind: string) =>
  (operatorObject(objects, kind) as unknown as { rules: Rule[] }).rules;
const dryRun = async (objects: Manifest[]) =>
  (
    JSON.parse(
      await kubectl(
        ["apply", "--dry-run=server", "-o", "json", "-f", "-"],
        JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }),
      ),
    ) as { items: Manifest[] }
  ).items;

describe("deploy/ on the real control plane", () => {
  const cleanup = useCleanup();
  const suffix = randomBytes(3).toString("hex");
  const namespace = `e2e-packaging-${suffix}`;
  const account = `system:serviceaccount:${namespace}:tidal-operator`;
  const interceptorAccount = `system:serviceaccount:${namespace}:tidal-interceptor`;
  let work = "";
  let rendered: Manifest[] = [];
  let variant: Manifest[] = [];

  beforeAll(async () => {
    // A copy of deploy/ so the certificates the script writes stay out of the work tree.
    work = mkdtempSync(join(tmpdir(), "tidal-packaging-"));
    for (const entry of ["kustomization.yaml", "crds", "manifests", "generate-certs.sh"])
      cpSync(join(root, "deploy", entry), join(work, entry), { recursive: true });
    await mustRun("bash", [join(work, "generate-certs.sh")]);
    rendered = manifests(await kubectl(["kustomize", work]));
    // The same objects with tidal-system renamed, and unique names for the cluster-wide RBAC and
    // the kube-system RoleBinding. Not the CRDs (other tests apply them) nor the APIService.
    variant = (
      JSON.parse(JSON.stringify(rendered).replaceAll('"tidal-system"', `"${namespace}"`)) as Manifest[]
    )
      .filter(
        (object) =>
          object.kind !== "CustomResourceDefinition" &&
          object.kind !== "APIService" &&
          object.kind !== "ValidatingWebhookConfiguration",
      )
      .map((object) => {
        if (
          object.kind === "ClusterRole" ||
          object.kind === "ClusterRoleBinding" ||
          object.metadata.namespace === "kube-system"
        )
          object.metadata.name += `-${suffix}`;
        if (object.kind === "ClusterRoleBinding")
          (object as unknown as { roleRef: { name: string } }).roleRef.name += `-${suffix}`;
        return object;
      });
    cleanup.add(() =>
      run("kubectl", ["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]),
    );
    await kubectl(["apply", "-f", "-"], JSON.stringify(find(variant, "Namespace")));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("generate-certs.sh makes a CA and a serving certificate the aggregator accepts for tidal-operator.tidal-system.svc", async () => {
    const [ca, cert, key] = ["ca.crt", "tls.crt", "tls.key"].map((name) =>
      readFileSync(join(work, "certs", name), "utf8"),
    ) as [string, string, string];
    const server = createServer({ cert, key }, (socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const handshake = (servername: string) =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port, ca, servername }, () => resolve("verified"));
        socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
    try {
      expect(await handshake("tidal-operator.tidal-system.svc")).toBe("verified");
      expect(await handshake("tidal-operator.other.svc")).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    } finally {
      server.close();
    }
    const again = await run("bash", [join(work, "generate-certs.sh")]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("--force");
  });

  it("kubectl apply --dry-run=server -k deploy/ accepts every object, the CRDs and the APIService's caBundle included", async () => {
    // The namespaced objects can only be dry-run into a namespace that exists. tidal-system is also
    // the one `tidal operator --local` keeps its Service in, so it is made when missing and kept.
    if ((await run("kubectl", ["get", "namespace", "tidal-system"])).code !== 0)
      await run("kubectl", ["create", "namespace", "tidal-system"]);
    const result = await mustRun("kubectl", ["apply", "--dry-run=server", "-o", "json", "-k", work]);
    const items = (JSON.parse(result) as { items: Manifest[] }).items;
    expect(items.map((item) => item.kind).sort()).toEqual(
      [
        "APIService",
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Namespace",
        "Role",
        "RoleBinding",
        "RoleBinding",
        "Secret",
        "Service",
        "ServiceAccount",
        // The interceptor; the operator's Role for the interceptor replicas.
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Role",
        "RoleBinding",
        "Service",
        "Service",
        "ServiceAccount",
        "ValidatingWebhookConfiguration",
        // Certificate rotation (tidal install): caBundle patches and the certificate Secret.
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        // The Role tidal-operator-explain, for people running `tidal explain`.
        "Role",
      ]
        .concat(Array(5).fill("CustomResourceDefinition"))
        .sort(),
    );
    const apiService = find(items, "APIService") as unknown as {
      spec: { caBundle: string; insecureSkipTLSVerify?: boolean; service: unknown };
    };
    expect(Buffer.from(apiService.spec.caBundle, "base64").toString()).toBe(
      readFileSync(join(work, "certs", "ca.crt"), "utf8"),
    );
    expect(apiService.spec.insecureSkipTLSVerify ?? false).toBe(false);
    expect(apiService.spec.service).toEqual({ namespace: "tidal-system", name: "tidal-operator", port: 443 });
    const webhook = find(items, "ValidatingWebhookConfiguration") as unknown as {
      webhooks: { clientConfig: { caBundle: string; service: unknown }; failurePolicy: string }[];
    };
    expect(webhook.webhooks[0]!.clientConfig.caBundle).toBe(apiService.spec.caBundle);
    expect(webhook.webhooks[0]!.clientConfig.service).toEqual({
      namespace: "tidal-system",
      name: "tidal-operator",
      path: "/validate",
      port: 9443,
    });
    expect(webhook.webhooks[0]!.failurePolicy).toBe("Ignore");
    const secret = find(items, "Secret") as unknown as {
      metadata: { name: string };
      type: string;
      data: Record<string, string>;
    };
    expect(secret.type).toBe("kubernetes.io/tls");
    expect(Object.keys(secret.data).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
    expect(podSpec(items).volumes.find((volume) => volume.name === "certs")?.secret?.secretName).toBe(
      secret.metadata.name,
    );
  });

  describe("applied for real in a namespace of their own", () => {
    beforeAll(async () => {
      cleanup.add(() =>
        run("kubectl", [
          "delete",
          "clusterrole,clusterrolebinding",
          `tidal-operator-${suffix}`,
          `tidal-interceptor-${suffix}`,
          "--ignore-not-found",
        ]),
      );
      cleanup.add(() =>
        run("kubectl", [
          "-n",
          "kube-system",
          "delete",
          "rolebinding",
          `tidal-operator-auth-reader-${suffix}`,
          "--ignore-not-found",
        ]),
      );
      // kubectl auth can-i answers "no" for a resource type the server does not serve: the CRDs
      // must be there whatever ran before this file.
      await kubectl(["apply", "-f", "deploy/crds/"]);
      await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: variant }));
    });

    it("runs the operator's and the interceptor's replicas in a namespace that enforces the restricted Pod Security Standard", async () => {
      const denied = await run("kubectl", [
        "-n",
        namespace,
        "run",
        "plain-pod",
        "--image=example.invalid/x",
        "--dry-run=server",
      ]);
      expect(denied.stderr).toContain("violates PodSecurity");
      await eventually(
        "2 available operator replicas",
        async () =>
          (
            await kubectlJson<{ status: { availableReplicas?: number } }>([
              "-n",
              namespace,
              "get",
              "deployment",
              "tidal-operator",
            ])
          ).status.availableReplicas === 2,
        { timeoutMs: 60_000 },
      );
      await eventually(
        "2 available interceptor replicas",
        async () =>
          (
            await kubectlJson<{ status: { availableReplicas?: number } }>([
              "-n",
              namespace,
              "get",
              "deployment",
              "tidal-interceptor",
            ])
          ).status.availableReplicas === 2,
        { timeoutMs: 60_000 },
      );
      const pods = await kubectlJson<{
        items: { spec: { serviceAccountName: string; containers: { image: string }[] } }[];
      }>(["-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=tidal"]);
      expect(
        pods.items.map((pod) => [pod.spec.serviceAccountName, pod.spec.containers[0]?.image]).sort(),
      ).toEqual([
        ["tidal-interceptor", "tidal:0.1.0"],
        ["tidal-interceptor", "tidal:0.1.0"],
        ["tidal-operator", "tidal:0.1.0"],
        ["tidal-operator", "tidal:0.1.0"],
      ]);
    });

    const canI = async (
      verb: string,
      resource: string,
      scope: string[] = ["--all-namespaces"],
      as = account,
    ) => {
      const result = await run("kubectl", ["auth", "can-i", verb, resource, ...scope, `--as=${as}`]);
      return `${verb} ${resource} ${scope.join(" ")}: ${result.stdout.trim()}`;
    };
    const expectCan = async (allowed: boolean, checks: [string, string, string[]?][], as = account) => {
      const answers = await Promise.all(
        checks.map(([verb, resource, scope]) => canI(verb, resource, scope, as)),
      );
      expect(answers).toEqual(
        answers.map((answer) => answer.replace(/: .*$/, `: ${allowed ? "yes" : "no"}`)),
      );
    };

    it("lets the ServiceAccount do what the operator does", async () => {
      await expectCan(true, [
        ["watch", "scaledobjects.keda.sh"],
        ["list", "scaledjobs.keda.sh"],
        ["watch", "triggerauthentications.keda.sh"],
        ["watch", "clustertriggerauthentications.keda.sh"],
        ["patch", "scaledobjects.keda.sh", ["-n", "default"]],
        ["patch", "scaledobjects.keda.sh", ["--subresource=status", "-n", "default"]],
        ["patch", "scaledjobs.keda.sh", ["--subresource=status", "-n", "default"]],
        ["update", "scaledobjects.keda.sh", ["--subresource=finalizers", "-n", "default"]],
        ["create", "horizontalpodautoscalers.autoscaling", ["-n", "default"]],
        ["update", "horizontalpodautoscalers.autoscaling", ["-n", "default"]],
        ["delete", "horizontalpodautoscalers.autoscaling", ["-n", "default"]],
        ["get", "deployments.apps", ["--subresource=scale", "-n", "default"]],
        ["patch", "deployments.apps", ["--subresource=scale", "-n", "default"]],
        ["patch", "statefulsets.apps", ["--subresource=scale", "-n", "default"]],
        ["get", "deployments.apps", ["-n", "default"]],
        ["get", "statefulsets.apps", ["-n", "default"]],
        ["list", "pods", ["-n", "default"]],
        ["get", "secrets", ["-n", "default"]],
        ["get", "configmaps", ["-n", "default"]],
        // The forecast annotation's tidal-forecast-<name> ConfigMaps.
        ["create", "configmaps", ["-n", "default"]],
        ["update", "configmaps", ["-n", "default"]],
        ["create", "jobs.batch", ["-n", "default"]],
        ["list", "jobs.batch", ["-n", "default"]],
        ["delete", "jobs.batch", ["-n", "default"]],
        ["create", "events", ["-n", "default"]],
        ["patch", "events", ["-n", "default"]],
        ["create", "leases.coordination.k8s.io", ["-n", namespace]],
        ["get", "leases.coordination.k8s.io/tidal-operator", ["-n", namespace]],
        ["update", "leases.coordination.k8s.io/tidal-operator", ["-n", namespace]],
        ["get", "configmaps/extension-apiserver-authentication", ["-n", "kube-system"]],
        ["create", "serviceaccounts", ["--subresource=token", "-n", "default"]],
        ["watch", "httpscaledobjects.http.keda.sh"],
        ["patch", "httpscaledobjects.http.keda.sh", ["--subresource=status", "-n", "default"]],
        ["update", "httpscaledobjects.http.keda.sh", ["--subresource=finalizers", "-n", "default"]],
        ["create", "scaledobjects.keda.sh", ["-n", "default"]],
        ["update", "scaledobjects.keda.sh", ["-n", "default"]],
        ["delete", "scaledobjects.keda.sh", ["-n", "default"]],
        ["watch", "endpointslices.discovery.k8s.io", ["-n", namespace]],
        // Certificate rotation: its Secret, and the CA in the APIService and the webhook.
        ["update", "secrets", ["-n", namespace]],
        ["watch", "secrets", ["-n", namespace]],
        ["patch", "apiservices.apiregistration.k8s.io/v1beta1.external.metrics.k8s.io"],
        ["update", "validatingwebhookconfigurations.admissionregistration.k8s.io/tidal-admission"],
      ]);
    });

    it("and nothing it does not need", async () => {
      await expectCan(false, [
        ["patch", "triggerauthentications.keda.sh", ["-n", "default"]],
        ["patch", "httpscaledobjects.http.keda.sh", ["-n", "default"]],
        ["create", "httpscaledobjects.http.keda.sh", ["-n", "default"]],
        ["list", "endpointslices.discovery.k8s.io", ["-n", "default"]],
        ["patch", "deployments.apps", ["-n", "default"]],
        ["delete", "deployments.apps", ["-n", "default"]],
        ["create", "pods", ["-n", "default"]],
        ["delete", "pods", ["-n", "default"]],
        ["list", "secrets", ["-n", "default"]],
        ["create", "serviceaccounts", ["-n", "default"]],
        ["get", "serviceaccounts", ["-n", "default"]],
        ["update", "secrets", ["-n", "default"]],
        ["patch", "apiservices.apiregistration.k8s.io/v1beta1.metrics.k8s.io"],
        // ConfigMaps: get, create and update only.
        ["list", "configmaps", ["-n", "default"]],
        ["patch", "configmaps", ["-n", "default"]],
        ["delete", "configmaps", ["-n", "default"]],
        ["patch", "jobs.batch", ["-n", "default"]],
        ["update", "leases.coordination.k8s.io/tidal-operator", ["-n", "default"]],
        ["update", "leases.coordination.k8s.io/kube-controller-manager", ["-n", "kube-system"]],
        ["update", "leases.coordination.k8s.io/other", ["-n", namespace]],
        ["create", "apiservices.apiregistration.k8s.io"],
        ["create", "clusterroles.rbac.authorization.k8s.io"],
        ["create", "customresourcedefinitions.apiextensions.k8s.io"],
        ["create", "subjectaccessreviews.authorization.k8s.io"],
        ["get", "nodes"],
      ]);
    });

    it("lets the interceptor watch routes, Services and EndpointSlices, and do nothing else", async () => {
      await expectCan(
        true,
        [
          ["watch", "httpscaledobjects.http.keda.sh"],
          ["list", "services"],
          ["watch", "endpointslices.discovery.k8s.io"],
        ],
        interceptorAccount,
      );
      await expectCan(
        false,
        [
          ["get", "secrets", ["-n", "default"]],
          ["patch", "httpscaledobjects.http.keda.sh", ["--subresource=status", "-n", "default"]],
          ["patch", "deployments.apps", ["--subresource=scale", "-n", "default"]],
          ["watch", "scaledobjects.keda.sh"],
          ["create", "events", ["-n", "default"]],
          ["list", "pods", ["-n", "default"]],
        ],
        interceptorAccount,
      );
    });
  });

  describe("Helm chart deploy/helm/tidal", () => {
    let helm = "";
    const release = `tidal-${suffix}`;
    const operator = `${release}-operator`;
    const template = async (...args: string[]) =>
      manifests(
        await mustRun(helm, ["template", release, "deploy/helm/tidal", "--namespace", namespace, ...args]),
      );

    beforeAll(async () => {
      helm = (await mustRun("bash", ["deploy/helm/build-helm.sh"])).trim();
    }, 900_000);

    it("passes helm lint in every certificate mode", async () => {
      for (const values of [
        [],
        ["--set", "certificates.mode=selfSigned"],
        ["--set", "certificates.mode=certManager"],
        [
          "--set",
          "certificates.mode=existingSecret",
          "--set",
          "certificates.existingSecret.name=certs",
          "--set",
          "certificates.existingSecret.caBundle=Cg==",
        ],
      ]) {
        expect(await mustRun(helm, ["lint", "--strict", "deploy/helm/tidal", ...values])).toContain(
          "0 chart(s) failed",
        );
      }
      const bad = await run(helm, [
        "template",
        "x",
        "deploy/helm/tidal",
        "--set",
        "certificates.mode=existingSecret",
        "--set",
        "certificates.existingSecret.name=certs",
      ]);
      expect(bad.stderr).toContain("certificates.existingSecret.caBundle");
    });

    it("autoGenerated (the default): the API server accepts the rendering; same RBAC as the plain manifests; the operator rotates the certificates", async () => {
      const objects = await template("--include-crds");
      const accepted = await dryRun(objects);
      expect(accepted.map((object) => object.kind).sort()).toEqual(
        [
          "APIService",
          "ClusterRole",
          "ClusterRoleBinding",
          "Deployment",
          "Role",
          "RoleBinding",
          "RoleBinding",
          "Service",
          "ServiceAccount",
          "ClusterRole",
          "ClusterRoleBinding",
          "Deployment",
          "PodDisruptionBudget",
          "Role",
          "RoleBinding",
          "Service",
          "Service",
          "ServiceAccount",
          "ValidatingWebhookConfiguration",
          // Certificate rotation.
          "ClusterRole",
          "ClusterRoleBinding",
          "Role",
          "RoleBinding",
          // The Role tidal-operator-explain, for people running `tidal explain`.
          "Role",
        ]
          .concat(Array(5).fill("CustomResourceDefinition"))
          .sort(),
      );
      for (const kind of ["ClusterRole", "Role"]) expect(rules(objects, kind)).toEqual(rules(rendered, kind));
      const rotation = (kind: string) =>
        (
          objects.find(
            (object) => object.kind === kind && object.metadata.name === `${operator}-tls`,
          ) as unknown as { rules: Rule[] }
        ).rules;
      expect(rotation("ClusterRole")).toContainEqual({
        apiGroups: ["admissionregistration.k8s.io"],
        resources: ["validatingwebhookconfigurations"],
        resourceNames: [`${operator}-admission`],
        verbs: ["get", "update"],
      });
      expect(rotation("Role")).toEqual([
        { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch", "create", "update"] },
      ]);
      // The operator patches the CA in: the chart sets neither a caBundle nor insecureSkipTLSVerify.
      const apiService = find(objects, "APIService").spec as Record<string, unknown>;
      expect(apiService).toMatchObject({ service: { namespace, name: operator, port: 443 } });
      expect(apiService).not.toHaveProperty("caBundle");
      expect(apiService).not.toHaveProperty("insecureSkipTLSVerify");
      const pod = podSpec(objects);
      expect(pod.volumes.map((volume) => volume.name)).toEqual(["tmp"]);
      expect(pod.containers[0]?.args).toEqual([
        "operator",
        "--leader-elect",
        "--enable-cert-rotation",
        "--cert-secret-name",
        `${operator}-certs`,
        "--operator-service-name",
        operator,
        "--validating-webhook-name",
        `${operator}-admission`,
        "--metrics-server-port",
        "6443",
        "--metrics-bind-address",
        ":8080",
        "--http-scaler-port",
        "9090",
        "--http-scaler-address",
        `${operator}.${namespace}.svc:9090`,
        "--interceptor-service",
        `${namespace}/${release}-interceptor-admin`,
        "--webhook-port",
        "9443",
        "--log-format",
        "json",
        "--log-level",
        "info",
      ]);
      expect(
        (pod.containers[0] as unknown as { ports: { name: string }[] }).ports.map((port) => port.name),
      ).toEqual(["https", "metrics", "http-scaler", "webhook"]);
      // The pod template is the plain manifests' apart from names, arguments, env and ports.
      const strip = (spec: PodSpec) =>
        JSON.parse(JSON.stringify(spec).replaceAll(operator, "tidal-operator"), (key, value) =>
          ["args", "env", "volumes", "volumeMounts", "image", "ports"].includes(key) ? undefined : value,
        );
      expect(strip(pod)).toEqual(strip(podSpec(rendered)));
    });

    it("selfSigned: TLS not verified, and so no webhook", async () => {
      const objects = await template("--set", "certificates.mode=selfSigned");
      await dryRun(objects);
      expect(find(objects, "APIService").spec).toMatchObject({ insecureSkipTLSVerify: true });
      expect(objects.some((object) => object.kind === "ValidatingWebhookConfiguration")).toBe(false);
      expect(objects.some((object) => object.metadata.name === `${operator}-tls`)).toBe(false);
      const args = podSpec(objects).containers[0]?.args ?? [];
      expect(args).not.toContain("--enable-cert-rotation");
      expect(args).not.toContain("--webhook-port");
    });

    it("existingSecret: mounts the Secret and trusts the given CA", async () => {
      const caBundle = Buffer.from(readFileSync(join(work, "certs", "ca.crt"))).toString("base64");
      const objects = await template(
        "--set",
        "certificates.mode=existingSecret",
        "--set",
        "certificates.existingSecret.name=my-certs",
        "--set",
        `certificates.existingSecret.caBundle=${caBundle}`,
      );
      await dryRun(objects);
      expect(find(objects, "APIService").spec).toMatchObject({ caBundle });
      const webhook = find(objects, "ValidatingWebhookConfiguration") as unknown as {
        webhooks: { clientConfig: { caBundle: string; service: { port: number } } }[];
      };
      expect(webhook.webhooks[0]!.clientConfig).toMatchObject({ caBundle, service: { port: 9443 } });
      expect(podSpec(objects).containers[0]?.args).toEqual(
        expect.arrayContaining(["--webhook-port", "9443"]),
      );
      expect(podSpec(objects).volumes.find((volume) => volume.name === "certs")?.secret?.secretName).toBe(
        "my-certs",
      );
      expect(podSpec(objects).containers[0]?.args).toEqual(expect.arrayContaining(["--cert-dir", "/certs"]));
    });

    it("certManager: a CA, an Issuer and a serving Certificate whose CA is injected into the APIService", async () => {
      const objects = await template(
        "--set",
        "certificates.mode=certManager",
        "--set-json",
        'rbac.scaleTargets=[{"apiGroups":["argoproj.io"],"resources":["rollouts"]}]',
        "--set",
        "rbac.serviceAccountTokens=false",
      );
      // cert-manager is not installed here: everything else goes through the API server.
      await dryRun(objects.filter((object) => !object.apiVersion.startsWith("cert-manager.io/")));
      const certificates = objects.filter((object) => object.kind === "Certificate") as unknown as {
        metadata: { name: string };
        spec: Record<string, unknown>;
      }[];
      const serving = certificates.find((certificate) => certificate.metadata.name === `${operator}-serving`);
      expect(serving?.spec).toMatchObject({
        secretName: `${operator}-certs`,
        issuerRef: { name: `${operator}-ca`, kind: "Issuer" },
      });
      expect(serving?.spec.dnsNames).toContain(`${operator}.${namespace}.svc`);
      expect(certificates.find((certificate) => certificate.spec.isCA === true)?.spec.secretName).toBe(
        `${operator}-ca`,
      );
      expect(
        objects
          .filter((object) => object.kind === "Issuer")
          .map((issuer) => issuer.metadata.name)
          .sort(),
      ).toEqual([`${operator}-ca`, `${operator}-selfsigned`]);
      const apiService = find(objects, "APIService");
      expect(apiService.metadata.annotations?.["cert-manager.io/inject-ca-from"]).toBe(
        `${namespace}/${operator}-serving`,
      );
      expect(apiService.spec).not.toHaveProperty("insecureSkipTLSVerify");
      expect(
        find(objects, "ValidatingWebhookConfiguration").metadata.annotations?.[
          "cert-manager.io/inject-ca-from"
        ],
      ).toBe(`${namespace}/${operator}-serving`);
      expect(podSpec(objects).volumes.find((volume) => volume.name === "certs")?.secret?.secretName).toBe(
        `${operator}-certs`,
      );
      expect(rules(objects, "ClusterRole")).toContainEqual({
        apiGroups: ["argoproj.io"],
        resources: ["rollouts"],
        verbs: ["get"],
      });
      expect(rules(objects, "ClusterRole").flatMap((rule) => rule.resources)).not.toContain(
        "serviceaccounts/token",
      );
    });
  });
});
