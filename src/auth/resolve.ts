import type { AuthenticationRef } from "../api/schema/trigger.ts";
import type { PodIdentity, TriggerAuthenticationSpec } from "../api/schema/trigger-authentication.ts";
import { UNSUPPORTED_AUTH_SOURCES } from "../api/schema/trigger-authentication.ts";
import type { AuthSources } from "./sources.ts";
import { SECRET_STORES } from "./stores/index.ts";
import type { SecretStoreField } from "./stores/types.ts";

export class AuthResolutionError extends Error {
  /** The object was found but lacks the key: a mistake a reader of the files alone can see. */
  readonly missingKey: boolean;
  constructor(message: string, options: { missingKey?: boolean } = {}) {
    super(message);
    this.missingKey = options.missingKey ?? false;
  }
}

export interface AuthContext {
  /** Namespace of the ScaledObject/ScaledJob. */
  namespace: string;
  /** Where ClusterTriggerAuthentication secrets and config maps live (KEDA_CLUSTER_OBJECT_NAMESPACE). */
  clusterObjectNamespace: string;
  /** Environment of the scale target's container, for `spec.env` entries. */
  containerEnv: Readonly<Record<string, string>>;
  /** Tidal's own environment (its cloud identity, VAULT_* settings), for secret stores. Default empty. */
  processEnvironment?: Readonly<Record<string, string | undefined>>;
  /**
   * Never contact an external secret store (`tidal validate`): stores are skipped, named in
   * `skippedStores`, and their parameters count as unknown.
   */
  offline?: boolean;
}

/** How long one external secret store may take to answer. */
const SECRET_STORE_TIMEOUT_MS = 10_000;

/** What a (Cluster)TriggerAuthentication gives a trigger. */
export interface ResolvedAuthentication {
  params: Record<string, string>;
  /** Its podIdentity, unless absent or provider `none`. */
  podIdentity?: PodIdentity;
  /** When a parameter from a store stops being valid (epoch ms): resolve again before then. */
  refreshAt?: number;
  /** Stores the spec names that were skipped (`offline`): their parameters are unknown. */
  skippedStores?: SecretStoreField[];
}

/**
 * Resolves what a (Cluster)TriggerAuthentication gives a trigger: its parameters, in KEDA's order
 * — env, then configMapTargetRef, then secretTargetRef — later sources overwriting earlier ones,
 * and its pod identity. Errors name the object and key, never a value.
 */
export async function resolveAuthentication(
  reference: AuthenticationRef | undefined,
  sources: AuthSources,
  context: AuthContext,
): Promise<ResolvedAuthentication> {
  if (reference === undefined) return { params: {} };
  const cluster = reference.kind === "ClusterTriggerAuthentication";
  const object = cluster
    ? await sources.clusterTriggerAuthentication(reference.name)
    : await sources.triggerAuthentication(context.namespace, reference.name);
  const label = `${reference.kind} "${reference.name}"`;
  if (object === undefined) {
    throw new AuthResolutionError(
      `${label} not found${cluster ? "" : ` in namespace "${context.namespace}"`}; create it or fix authenticationRef.name`,
    );
  }
  const secretNamespace = cluster ? context.clusterObjectNamespace : context.namespace;
  const resolved = await resolveSpec(object.spec, label, secretNamespace, sources, context);
  const identity = object.spec.podIdentity;
  return identity === undefined || identity.provider === "none"
    ? resolved
    : { ...resolved, podIdentity: identity };
}

async function resolveSpec(
  spec: TriggerAuthenticationSpec,
  label: string,
  namespace: string,
  sources: AuthSources,
  context: AuthContext,
): Promise<ResolvedAuthentication> {
  const { containerEnv } = context;
  const unsupported = unsupportedAuthSources(spec);
  if (unsupported.length > 0) {
    throw new AuthResolutionError(
      `${label}: ${unsupported.join(", ")} ${unsupported.length === 1 ? "is" : "are"} not supported by Tidal`,
    );
  }
  const params: Record<string, string> = {};
  for (const entry of spec.env ?? []) {
    const value = containerEnv[entry.name];
    if (value === undefined) {
      throw new AuthResolutionError(
        `${label}: env "${entry.name}" (parameter ${entry.parameter}) is not set on the scale target`,
      );
    }
    params[entry.parameter] = value;
  }
  for (const [kind, references, read] of [
    ["ConfigMap", spec.configMapTargetRef, sources.configMap.bind(sources)],
    ["Secret", spec.secretTargetRef, sources.secret.bind(sources)],
  ] as const) {
    for (const reference of references ?? []) {
      const values = await read(namespace, reference.name);
      if (values === undefined) {
        throw new AuthResolutionError(
          `${label}: ${kind} "${reference.name}" not found in namespace "${namespace}"`,
        );
      }
      const value = values[reference.key];
      if (value === undefined) {
        throw new AuthResolutionError(
          `${label}: ${kind} "${reference.name}" has no key "${reference.key}" (parameter ${reference.parameter})`,
          { missingKey: true },
        );
      }
      params[reference.parameter] = value;
    }
  }
  const resolved: ResolvedAuthentication = { params };
  for (const store of SECRET_STORES) {
    const config = spec[store.field];
    if (config === undefined) continue;
    if (context.offline) {
      (resolved.skippedStores ??= []).push(store.field);
      continue;
    }
    const values = await store.resolve(config as never, {
      namespace,
      objectNamespace: context.namespace,
      label,
      sources,
      containerEnv,
      processEnvironment: context.processEnvironment ?? {},
      signal: AbortSignal.timeout(SECRET_STORE_TIMEOUT_MS),
      refreshBy: (atMs) => {
        resolved.refreshAt = Math.min(resolved.refreshAt ?? Infinity, atMs);
      },
    });
    Object.assign(params, values);
  }
  return resolved;
}

/** Secret stores the spec names that no module of stores/ reads. */
export function unsupportedAuthSources(spec: TriggerAuthenticationSpec): string[] {
  const read = new Set<string>(SECRET_STORES.map((store) => store.field));
  return UNSUPPORTED_AUTH_SOURCES.filter((source) => spec[source] !== undefined && !read.has(source));
}
