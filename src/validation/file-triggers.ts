import type { ManifestSet } from "../api/resources.ts";
import type { ScaledJob } from "../api/schema/scaled-job.ts";
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import type { TriggerAuthenticationSpec } from "../api/schema/trigger-authentication.ts";
import { manifestAuthSources } from "../auth/manifest-sources.ts";
import { AuthResolutionError, resolveAuthentication, type ResolvedAuthentication } from "../auth/resolve.ts";
import { authenticationInputs, prepareTrigger, type PreparedTrigger } from "../scalers/prepared-trigger.ts";
import { findScaler } from "../scalers/registry.ts";
import { didYouMean } from "../util/did-you-mean.ts";

/** What reading triggers from the files alone found, for `spec.triggers[index]` + `path`. */
export type TriggerFileProblem = (
  index: number,
  path: string,
  message: string,
  severity: "error" | "warning",
) => void;

/**
 * Prepares an object's triggers from the files alone: authentication parameters come from the
 * (Cluster)TriggerAuthentications and Secrets in the files when they are there, environment
 * values never (they belong to the workload). What only the cluster could settle (a Secret not in
 * the files) stays unresolved; what the files themselves get wrong goes to `onProblem`.
 */
export async function prepareTriggersFromFiles(
  object: ScaledObject | ScaledJob,
  set: ManifestSet,
  asMetricSource: boolean,
  onProblem: TriggerFileProblem = () => {},
): Promise<PreparedTrigger[]> {
  const sources = manifestAuthSources(set);
  const namespace = object.metadata.namespace ?? "default";
  const prepared: PreparedTrigger[] = [];
  for (const [index, trigger] of object.spec.triggers.entries()) {
    const unresolved = new Set<"auth" | "env">(["env"]);
    let authentication: ResolvedAuthentication = { params: {} };
    const reference = trigger.authenticationRef;
    if (reference) {
      const known =
        reference.kind === "ClusterTriggerAuthentication"
          ? await sources.clusterTriggerAuthentication(reference.name)
          : await sources.triggerAuthentication(namespace, reference.name);
      if (known === undefined) {
        unresolved.add("auth");
        onProblem(
          index,
          "authenticationRef.name",
          `${reference.kind} "${reference.name}" is not in the given files; its parameters were not checked`,
          "warning",
        );
      } else {
        try {
          authentication = await resolveAuthentication(reference, sources, {
            namespace,
            clusterObjectNamespace: namespace,
            containerEnv: {},
            // Validation never contacts a secret store: its parameters stay unresolved.
            offline: true,
          });
          if (authentication.skippedStores?.length) unresolved.add("auth");
        } catch (error) {
          // Secrets usually live only in the cluster: the parameters exist, their values are unknown here.
          unresolved.add("auth");
          const identity = known.spec.podIdentity;
          if (identity && identity.provider !== "none")
            authentication = { params: {}, podIdentity: identity };
          if (error instanceof AuthResolutionError && error.missingKey)
            onProblem(index, "authenticationRef", error.message, "error");
        }
        const placeholders = Object.keys(authentication.params).filter((key) =>
          isPlaceholder(authentication.params[key]!),
        );
        if (placeholders.length > 0) {
          unresolved.add("auth");
          const params = { ...authentication.params };
          for (const key of placeholders) delete params[key];
          authentication = { ...authentication, params };
          onProblem(
            index,
            "authenticationRef",
            `${placeholders.join(", ")} ${placeholders.length === 1 ? "is" : "are"} still a <placeholder> in the files: fill in the Secret before applying`,
            "warning",
          );
        }
        for (const parameter of unknownAuthParameters(trigger.type, known.spec))
          onProblem(
            index,
            "authenticationRef",
            `${reference.kind} "${reference.name}" sets parameter "${parameter}", which ${trigger.type} does not read from an authentication${didYouMean(parameter, authParameterNames(trigger.type))}`,
            "warning",
          );
      }
    }
    prepared.push(
      prepareTrigger(
        trigger,
        index,
        { ...authenticationInputs(authentication), resolvedEnv: {}, unresolved },
        { asMetricSource, namespace: object.metadata.namespace },
      ),
    );
  }
  return prepared;
}

/** A value still to be filled in, as `tidal init` writes them: `<what to put here>`. */
export function isPlaceholder(value: string): boolean {
  return /^<[^<>]+>$/.test(value);
}

/** Parameters a scaler takes from a TriggerAuthentication. */
function authParameterNames(type: string): string[] {
  const params = findScaler(type)?.params ?? {};
  return Object.entries(params)
    .filter(([, declaration]) => declaration.sources?.includes("auth"))
    .map(([name]) => name);
}

/** Parameters an authentication sets that the trigger's scaler never reads from one. */
function unknownAuthParameters(type: string, spec: TriggerAuthenticationSpec): string[] {
  if (findScaler(type) === undefined) return [];
  const known = new Set(authParameterNames(type));
  const set = [
    ...(spec.secretTargetRef ?? []),
    ...(spec.configMapTargetRef ?? []),
    ...(spec.env ?? []),
    ...(spec.awsSecretManager?.secrets ?? []),
    ...(spec.hashiCorpVault?.secrets ?? []),
    ...(spec.boundServiceAccountToken ?? []),
  ].map((entry) => entry.parameter);
  return [...new Set(set)].filter((parameter) => !known.has(parameter));
}
