import type { AuthSources } from "./sources.ts";

/** The parts of a Kubernetes container's environment that Tidal resolves. */
export interface ContainerEnvSpec {
  env?: {
    name: string;
    value?: string;
    valueFrom?: {
      secretKeyRef?: { name: string; key: string; optional?: boolean };
      configMapKeyRef?: { name: string; key: string; optional?: boolean };
    };
  }[];
  envFrom?: {
    prefix?: string;
    secretRef?: { name: string; optional?: boolean };
    configMapRef?: { name: string; optional?: boolean };
  }[];
}

export class EnvResolutionError extends Error {}

/** Expands `$(VAR)` references against what is resolved so far; `$$(VAR)` stays literal. */
function expand(value: string, resolved: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return "$";
    return resolved[name] ?? match;
  });
}

/**
 * Resolves a container's environment as the kubelet would for KEDA's `resolvedEnv`: `envFrom`
 * first, then `env` in order (later entries see earlier ones).
 */
export async function resolveContainerEnv(
  container: ContainerEnvSpec,
  namespace: string,
  sources: Pick<AuthSources, "secret" | "configMap">,
): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const reference = source.secretRef ?? source.configMapRef;
    if (reference === undefined) continue;
    const kind = source.secretRef ? "Secret" : "ConfigMap";
    const values = source.secretRef
      ? await sources.secret(namespace, reference.name)
      : await sources.configMap(namespace, reference.name);
    if (values === undefined) {
      if (reference.optional) continue;
      throw new EnvResolutionError(
        `envFrom: ${kind} "${reference.name}" not found in namespace "${namespace}"`,
      );
    }
    for (const [key, value] of Object.entries(values)) resolved[`${source.prefix ?? ""}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (from?.secretKeyRef || from?.configMapKeyRef) {
      const reference = (from.secretKeyRef ?? from.configMapKeyRef)!;
      const kind = from.secretKeyRef ? "Secret" : "ConfigMap";
      const values = from.secretKeyRef
        ? await sources.secret(namespace, reference.name)
        : await sources.configMap(namespace, reference.name);
      const value = values?.[reference.key];
      if (value === undefined) {
        if (reference.optional) continue;
        throw new EnvResolutionError(
          `env ${variable.name}: key "${reference.key}" of ${kind} "${reference.name}" not found in namespace "${namespace}"`,
        );
      }
      resolved[variable.name] = value;
    } else if (variable.value !== undefined) {
      resolved[variable.name] = expand(variable.value, resolved);
    }
  }
  return resolved;
}
