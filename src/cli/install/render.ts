import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "selfsigned";
import { parseAllDocuments } from "yaml";
import { selfSignedServingCert } from "../../runtime/metrics-api/certs.ts";
import { packageVersion } from "../../util/version.ts";

/** A Kubernetes object as install applies it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface InstallOptions {
  /** Where the operator runs (default tidal-system). */
  namespace: string;
  /** Prefix of every object's name, so that two installations can share a cluster (default tidal). */
  name: string;
  image: string;
  /** Register the APIService external.metrics.k8s.io (off while KEDA still owns it). */
  metricsApi: boolean;
  /** Register the admission webhook. */
  webhook: boolean;
  crds: boolean;
}

/** The folder of deploy/ in this checkout or installed package. */
const DEPLOY = fileURLToPath(new URL("../../../deploy/", import.meta.url));

export const DEFAULT_IMAGE = `tidal:${packageVersion()}`;

async function documentsIn(folder: string): Promise<Manifest[]> {
  const files = (await readdir(folder)).filter((file) => file.endsWith(".yaml")).sort();
  const texts = await Promise.all(files.map((file) => readFile(join(folder, file), "utf8")));
  return texts.flatMap((text) =>
    parseAllDocuments(text)
      .map((document) => document.toJS() as Manifest | null)
      .filter((document): document is Manifest => document !== null),
  );
}

/**
 * What `kubectl apply -k deploy/` would create, for one installation: deploy/'s CRDs and manifests
 * with the namespace, names and image given, a CA (10 years) and serving certificate (1 year) of
 * its own in the certificate Secret, and that CA in the APIService's and webhook's caBundle.
 * Ordered so that each object's dependencies come before it.
 */
export async function renderInstallation(options: InstallOptions): Promise<Manifest[]> {
  const crds = options.crds ? await documentsIn(join(DEPLOY, "crds")) : [];
  let manifests = await documentsIn(join(DEPLOY, "manifests"));
  if (!options.metricsApi) manifests = manifests.filter((manifest) => manifest.kind !== "APIService");
  if (!options.webhook)
    manifests = manifests.filter((manifest) => manifest.kind !== "ValidatingWebhookConfiguration");
  const operator = `${options.name}-operator`;
  // Every name deploy/ gives starts with "tidal-" (tidal-operator, tidal-interceptor-admin, ...).
  const renamed = JSON.parse(
    JSON.stringify(manifests)
      .replaceAll("tidal-system", options.namespace)
      .replaceAll('"tidal-', `"${options.name}-`),
  ) as Manifest[];
  const certs = await certificates(`${operator}.${options.namespace}.svc`, operator);
  const caBundle = Buffer.from(certs.ca).toString("base64");
  for (const manifest of renamed) {
    if (manifest.kind === "Deployment") setImage(manifest, options.image, options.webhook);
    if (manifest.kind === "Deployment" && manifest.metadata.name === operator && options.name !== "tidal")
      addArgs(manifest, [
        "--interceptor-service",
        `${options.name}-interceptor-admin`,
        "--http-scaler-address",
        `${operator}.${options.namespace}.svc:9090`,
      ]);
    if (manifest.kind === "APIService") (manifest.spec as Record<string, unknown>).caBundle = caBundle;
    if (manifest.kind === "ValidatingWebhookConfiguration")
      for (const webhook of manifest.webhooks as { clientConfig: Record<string, unknown> }[])
        webhook.clientConfig.caBundle = caBundle;
  }
  const secret: Manifest = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: `${operator}-certs`,
      namespace: options.namespace,
      labels: { "app.kubernetes.io/name": "tidal" },
    },
    type: "kubernetes.io/tls",
    stringData: { "tls.crt": certs.cert, "tls.key": certs.key, "ca.crt": certs.ca },
  };
  const order = (manifest: Manifest) => APPLY_ORDER.indexOf(manifest.kind) + 1 || APPLY_ORDER.length + 1;
  return [...crds, ...renamed, secret].sort((a, b) => order(a) - order(b));
}

const APPLY_ORDER = [
  "CustomResourceDefinition",
  "Namespace",
  "ServiceAccount",
  "Secret",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
  "Service",
  "Deployment",
];

function setImage(deployment: Manifest, image: string, webhook: boolean): void {
  const pod = (deployment.spec as { template: { spec: { containers: { image: string; args: string[] }[] } } })
    .template.spec;
  for (const container of pod.containers) {
    container.image = image;
    if (!webhook) {
      const at = container.args.indexOf("--webhook-port");
      if (at !== -1) container.args.splice(at, 2);
    }
  }
}

/** The operator's own Service names, which its defaults assume to be tidal-*. */
function addArgs(deployment: Manifest, args: string[]): void {
  const pod = (deployment.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec;
  pod.containers[0]!.args.push(...args);
}

/** A CA (10 years, as KEDA's) and a serving certificate (1 year) signed by it for `host`. */
async function certificates(
  host: string,
  service: string,
): Promise<{ ca: string; cert: string; key: string }> {
  const now = Date.now();
  const ca = await generate([{ name: "commonName", value: `${service}-ca` }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 3650 * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const serving = await selfSignedServingCert(
    [host, service, host.replace(/\.svc$/, ""), `${host}.cluster.local`],
    365,
    { cert: ca.cert, key: ca.private },
  );
  return { ca: ca.cert, cert: String(serving.cert), key: String(serving.key) };
}
