import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import {
  DEFAULT_CERTIFICATE_POLICY,
  decideRenewal,
  issueCertificates,
  serviceHosts,
  type CertificateFiles,
} from "../../runtime/kubernetes/certificates.ts";
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
  /**
   * The certificate Secret's files as the cluster holds them (a previous install, renewed since by
   * the operator): kept while they are good, renewed as the operator would otherwise.
   */
  certificates?: CertificateFiles;
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
 * its own in the certificate Secret (with the CA's key), and that CA in the APIService's and
 * webhook's caBundle. The operator runs with --enable-cert-rotation: it renews them before they
 * expire. Ordered so that each object's dependencies come before it.
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
  const certs = await certificates(operator, options.namespace, options.certificates ?? {});
  const caBundle = Buffer.from(certs["ca.crt"]).toString("base64");
  for (const manifest of renamed) {
    if (manifest.kind === "Deployment") setImage(manifest, options.image, options.webhook);
    if (manifest.kind === "Deployment" && manifest.metadata.name === operator)
      rotateCertificates(manifest, options.name);
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
    stringData: certs,
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

/**
 * The operator keeps the certificates itself (--enable-cert-rotation) in the Secret install made,
 * read through the API: the folder mount of the plain manifests is not needed.
 */
function rotateCertificates(deployment: Manifest, name: string): void {
  const pod = (
    deployment.spec as {
      template: {
        spec: {
          containers: { args: string[]; volumeMounts?: { name: string }[] }[];
          volumes?: { name: string }[];
        };
      };
    }
  ).template.spec;
  const container = pod.containers[0]!;
  const at = container.args.indexOf("--cert-dir");
  if (at !== -1) container.args.splice(at, 2);
  container.args.push(
    "--enable-cert-rotation",
    "--cert-secret-name",
    `${name}-operator-certs`,
    "--operator-service-name",
    `${name}-operator`,
    "--validating-webhook-name",
    `${name}-admission`,
  );
  container.volumeMounts = container.volumeMounts?.filter((mount) => mount.name !== "certs");
  pod.volumes = pod.volumes?.filter((volume) => volume.name !== "certs");
}

/**
 * The certificate Secret's files: those the cluster holds while they are good (the operator may
 * have renewed them since), else renewed by the operator's own rule: a CA (10 years, as KEDA's)
 * and a serving certificate (1 year) for the Service.
 */
async function certificates(
  service: string,
  namespace: string,
  existing: CertificateFiles,
): Promise<Required<CertificateFiles>> {
  const hosts = serviceHosts(service, namespace, "cluster.local");
  const now = new Date();
  const policy = DEFAULT_CERTIFICATE_POLICY;
  const decision = decideRenewal(existing, { hosts, now, policy });
  if (decision.renew === "none") return existing as Required<CertificateFiles>;
  return issueCertificates(existing, decision.renew, { hosts, now, policy, caName: `${service}-ca` });
}
