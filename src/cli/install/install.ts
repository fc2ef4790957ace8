import { Command } from "commander";
import { stringify } from "yaml";
import { SCALED_OBJECT_LABEL } from "../../api/names.ts";
import { DNS1123_LABEL } from "../../api/resources.ts";
import { messageOf, TidalError, UsageError } from "../../util/errors.ts";
import { DEFAULT_IMAGE, renderInstallation, type InstallOptions, type Manifest } from "./render.ts";

interface CommonFlags {
  kubeconfig?: string;
  namespace: string;
  name: string;
}

interface InstallFlags extends CommonFlags {
  image: string;
  watchNamespace?: string;
  metricsApi: boolean;
  webhook: boolean;
  crds: boolean;
  dryRun?: boolean;
}

interface UninstallFlags extends CommonFlags {
  crds: boolean;
  yes?: boolean;
}

function common(command: Command): Command {
  return command
    .option("--kubeconfig <file>", "kubeconfig file (default: KUBECONFIG, then ~/.kube/config)")
    .option("-n, --namespace <namespace>", "the operator's namespace", "tidal-system")
    .option(
      "--name <name>",
      "prefix of the installation's object names (two installations need two)",
      "tidal",
    );
}

function checkNames(flags: CommonFlags): void {
  for (const [flag, value] of [
    ["--namespace", flags.namespace],
    ["--name", flags.name],
  ] as const)
    if (!DNS1123_LABEL.test(value))
      throw new UsageError(`${flag} "${value}": use lower-case letters, digits and dashes`);
}

export function installCommand(): Command {
  return common(new Command("install"))
    .description(
      "install Tidal's CRDs and operator into the current kubeconfig's cluster (like helm install keda)",
    )
    .option("--image <image>", "the operator's container image", DEFAULT_IMAGE)
    .option("--watch-namespace <namespace>", "watch only this namespace (default: all)")
    .option(
      "--no-metrics-api",
      "do not register the APIService external.metrics.k8s.io (while KEDA still owns it)",
    )
    .option("--no-webhook", "do not register the admission webhook")
    .option("--no-crds", "do not install the CRDs (they are there already)")
    .option("--dry-run", "print the manifests instead of applying them")
    .addHelpText(
      "after",
      `
Applies (server-side apply, field manager "tidal") what deploy/ holds: the keda.sh CRDs, the
namespace, RBAC, the operator's Deployment and Service, the APIService and the admission webhook,
with a CA and serving certificate of its own in the Secret NAME-operator-certs, which the operator
renews before they expire (--enable-cert-rotation). Running it again updates the installation and
keeps the certificates while they are good.

Examples:
  tidal install --image registry.example/tidal:0.1.0
  tidal install --dry-run > tidal.yaml
  tidal install --no-metrics-api        (KEDA still installed: migrate, then run install again)`,
    )
    .action(async (flags: InstallFlags) => {
      checkNames(flags);
      if (flags.dryRun) {
        const manifests = await renderInstallation(installOptions(flags));
        if (flags.watchNamespace !== undefined) setWatchNamespace(manifests, flags.watchNamespace);
        process.stdout.write(
          manifests.map((manifest) => stringify(manifest, { lineWidth: 0 })).join("---\n"),
        );
        return;
      }
      const cluster = await connect(flags.kubeconfig);
      try {
        // Certificates the operator keeps renewing are kept while they are good.
        const certificates = await cluster.certificateFiles(flags.namespace, `${flags.name}-operator-certs`);
        const manifests = await renderInstallation({ ...installOptions(flags), certificates });
        if (flags.watchNamespace !== undefined) setWatchNamespace(manifests, flags.watchNamespace);
        for (const manifest of manifests) {
          if (manifest.kind === "CustomResourceDefinition") cluster.discovery.reset();
          await cluster.apply(manifest).catch((error: unknown) => {
            throw new TidalError(
              "TIDAL_E_INSTALL",
              `could not apply ${manifest.kind} ${manifest.metadata.name}: ${messageOf(error)}`,
            );
          });
          process.stderr.write(`applied ${manifest.kind.toLowerCase()}/${manifest.metadata.name}\n`);
        }
      } finally {
        cluster.close();
      }
      process.stderr.write(
        `installed; watch the operator start with: kubectl -n ${flags.namespace} rollout status deployment/${flags.name}-operator\n`,
      );
    });
}

export function uninstallCommand(): Command {
  return common(new Command("uninstall"))
    .description("remove what tidal install applied, and the HPAs and finalizers the operator left")
    .option("--no-crds", "keep the CRDs (and so every ScaledObject and ScaledJob)")
    .option("-y, --yes", "do it (without it, only say what would be removed)")
    .addHelpText(
      "after",
      `
Each ScaledObject the installation watched loses its keda-hpa-<name> HPA and the operator's
finalizer (so that nothing waits for an operator that is gone); ScaledJobs lose the finalizer. Then
the operator's objects are deleted, and the CRDs with every ScaledObject and ScaledJob unless
--no-crds. Workloads keep the replica count they have.`,
    )
    .action(async (flags: UninstallFlags) => {
      checkNames(flags);
      const manifests = await renderInstallation({
        ...installOptions({ ...flags, image: DEFAULT_IMAGE, metricsApi: true, webhook: true }),
        crds: flags.crds,
      });
      const cluster = await connect(flags.kubeconfig);
      try {
        const watched = await cluster.watchedNamespace(flags);
        const scaled = await cluster.scaledObjects(watched);
        if (!flags.yes) {
          for (const manifest of [...manifests].reverse())
            process.stdout.write(`would delete ${manifest.kind.toLowerCase()}/${manifest.metadata.name}\n`);
          process.stdout.write(
            `would remove the HPAs and finalizers of ${scaled.length} ScaledObject(s) and ScaledJob(s)${watched ? ` in ${watched}` : ""}\n`,
          );
          throw new TidalError("TIDAL_E_CONFIRM", "nothing was removed: run again with --yes to remove it");
        }
        for (const object of scaled) await cluster.release(object);
        for (const manifest of [...manifests].reverse()) {
          if (await cluster.remove(manifest))
            process.stderr.write(`deleted ${manifest.kind.toLowerCase()}/${manifest.metadata.name}\n`);
        }
      } finally {
        cluster.close();
      }
      process.stderr.write("uninstalled\n");
    });
}

function installOptions(
  flags: CommonFlags & Pick<InstallFlags, "image" | "metricsApi" | "webhook">,
): InstallOptions {
  return {
    namespace: flags.namespace,
    name: flags.name,
    image: flags.image,
    metricsApi: flags.metricsApi,
    webhook: flags.webhook,
    crds: (flags as { crds?: boolean }).crds ?? true,
  };
}

function setWatchNamespace(manifests: Manifest[], namespace: string): void {
  for (const manifest of manifests) {
    if (manifest.kind !== "Deployment") continue;
    const pod = (
      manifest.spec as { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } }
    ).template.spec;
    for (const variable of pod.containers.flatMap((container) => container.env ?? []))
      if (variable.name === "WATCH_NAMESPACE") variable.value = namespace;
  }
}

interface ScaledResource {
  kind: "ScaledObject" | "ScaledJob";
  metadata: { name: string; namespace: string; finalizers?: string[] };
}

/** The cluster, through the operator's own Kubernetes client (loaded only for these commands). */
async function connect(kubeconfig: string | undefined) {
  const { KubeApi, loadKubeConfig, isNotFound, resourcePath } =
    await import("../../runtime/kubernetes/kube-api.ts");
  const { Discovery } = await import("../../runtime/kubernetes/discovery.ts");
  let api: InstanceType<typeof KubeApi>;
  try {
    api = new KubeApi(loadKubeConfig(kubeconfig, process.env));
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
  const discovery = new Discovery(api);
  const pathOf = async (manifest: Manifest) => {
    const { resource, namespaced } = await discovery.resolve(manifest.apiVersion, manifest.kind);
    return resourcePath(
      manifest.apiVersion,
      resource,
      namespaced ? manifest.metadata.namespace : undefined,
      manifest.metadata.name,
    );
  };
  const ignoreMissing = (error: unknown) => {
    if (!isNotFound(error)) throw error;
  };
  const listAll = async (plural: string, namespace: string | undefined) => {
    const path = resourcePath("keda.sh/v1alpha1", plural, namespace);
    return (
      await api.get<{ items: ScaledResource[] }>(path).catch((error: unknown) => {
        if (isNotFound(error)) return { items: [] };
        throw error;
      })
    ).items;
  };
  return {
    discovery,
    async apply(manifest: Manifest) {
      await api.patch(`${await pathOf(manifest)}?fieldManager=tidal&force=true`, manifest, "apply");
    },
    /**
     * Deletes an object of the installation; an APIService only while it still routes to this
     * installation (after `install --no-metrics-api`, it is KEDA's). Whether it deleted it.
     */
    async remove(manifest: Manifest) {
      const path = await pathOf(manifest).catch((error: unknown) => {
        if (/is not served/.test(messageOf(error))) return undefined;
        throw error;
      });
      if (path === undefined) return false;
      if (manifest.kind === "APIService") {
        const wanted = (manifest.spec as { service: { name: string; namespace: string } }).service;
        const current = await api
          .get<{ spec: { service?: { name: string; namespace: string } } }>(path)
          .catch((error: unknown) => {
            if (isNotFound(error)) return undefined;
            throw error;
          });
        const service = current?.spec.service;
        if (service?.name !== wanted.name || service.namespace !== wanted.namespace) return false;
      }
      await api.delete(path).catch(ignoreMissing);
      return true;
    },
    /** The namespace the installed operator watches ("" or undefined: all). */
    async watchedNamespace(flags: CommonFlags): Promise<string | undefined> {
      const deployment = await api
        .get<{
          spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
        }>(resourcePath("apps/v1", "deployments", flags.namespace, `${flags.name}-operator`))
        .catch(() => undefined);
      const value = deployment?.spec.template.spec.containers
        .flatMap((container) => container.env ?? [])
        .find((variable) => variable.name === "WATCH_NAMESPACE")?.value;
      return value || undefined;
    },
    async scaledObjects(namespace: string | undefined): Promise<ScaledResource[]> {
      const objects = await listAll("scaledobjects", namespace);
      const jobs = await listAll("scaledjobs", namespace);
      return [
        ...objects.map((object) => ({ ...object, kind: "ScaledObject" as const })),
        ...jobs.map((job) => ({ ...job, kind: "ScaledJob" as const })),
      ];
    },
    /** Deletes a ScaledObject's HPAs and drops the operator's finalizer from it. */
    async release(object: ScaledResource) {
      const { name, namespace } = object.metadata;
      if (object.kind === "ScaledObject") {
        const selector = encodeURIComponent(`${SCALED_OBJECT_LABEL}=${name}`);
        const hpas = await api.get<{ items: { metadata: { name: string } }[] }>(
          `${resourcePath("autoscaling/v2", "horizontalpodautoscalers", namespace)}?labelSelector=${selector}`,
        );
        for (const hpa of hpas.items)
          await api
            .delete(resourcePath("autoscaling/v2", "horizontalpodautoscalers", namespace, hpa.metadata.name))
            .catch(ignoreMissing);
      }
      if (object.metadata.finalizers?.length) {
        const plural = object.kind === "ScaledObject" ? "scaledobjects" : "scaledjobs";
        await api
          .patch(resourcePath("keda.sh/v1alpha1", plural, namespace, name), {
            metadata: { finalizers: null },
          })
          .catch(ignoreMissing);
      }
    },
    /** The files of the certificate Secret, when there is one. */
    async certificateFiles(namespace: string, name: string): Promise<Record<string, string>> {
      const secret = await api
        .get<{ data?: Record<string, string> }>(resourcePath("v1", "secrets", namespace, name))
        .catch((error: unknown) => {
          if (isNotFound(error)) return undefined;
          throw error;
        });
      return Object.fromEntries(
        Object.entries(secret?.data ?? {}).map(([key, value]) => [
          key,
          Buffer.from(value, "base64").toString("utf8"),
        ]),
      );
    },
    close: () => api.close(),
  };
}
