import { AuthorizationV1Api, type KubeConfig, type V1SubjectAccessReview } from "@kubernetes/client-node";
import type { AuthorizationRequest, Authorizer } from "./server.ts";

export interface SubjectAccessReviewAuthorizerOptions {
  /** How long an allow is remembered; default 10 s (Go's delegating authorizer default). */
  allowTtlMs?: number;
  /** How long a deny is remembered; default 10 s. */
  denyTtlMs?: number;
  /** Bound on remembered decisions; default 10,000. */
  maxEntries?: number;
  now?: () => number;
}

/** Paths every authenticated user may read, as the kube-apiserver's system:discovery role grants. */
const DISCOVERY_PATHS = new Set([
  "/apis",
  "/apis/external.metrics.k8s.io",
  "/apis/external.metrics.k8s.io/v1beta1",
]);

/**
 * Delegated authorization as extension API servers do it: asks the kube-apiserver with a
 * SubjectAccessReview whether the forwarded user may `list` the metric (resource = metric name in
 * API group external.metrics.k8s.io, as custom-metrics-apiserver's request info resolves it).
 * Decisions are cached for a few seconds so the HPA's steady polling costs no round trips; parallel
 * asks for one key share a single review. Discovery paths are allowed without a review.
 *
 * The server's identity needs `create` on subjectaccessreviews (ClusterRole system:auth-delegator),
 * and the HPA's identity needs get/list on external.metrics.k8s.io (KEDA ships such a ClusterRole
 * bound to kube-system:horizontal-pod-autoscaler).
 */
export function createSubjectAccessReviewAuthorizer(
  kubeConfig: KubeConfig,
  options: SubjectAccessReviewAuthorizerOptions = {},
): Authorizer {
  const api = kubeConfig.makeApiClient(AuthorizationV1Api);
  const allowTtl = options.allowTtlMs ?? 10_000;
  const denyTtl = options.denyTtlMs ?? 10_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const decisions = new Map<string, { allowed: boolean; expires: number }>();
  const pending = new Map<string, Promise<boolean>>();

  async function review(request: AuthorizationRequest): Promise<boolean> {
    const body: V1SubjectAccessReview = {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SubjectAccessReview",
      spec: {
        user: request.user.name,
        groups: request.user.groups,
        extra: request.user.extra,
        ...(request.resource
          ? {
              resourceAttributes: {
                verb: request.verb,
                group: request.resource.group,
                version: request.resource.version,
                namespace: request.resource.namespace,
                resource: request.resource.resource,
              },
            }
          : { nonResourceAttributes: { verb: request.verb, path: request.path ?? "/" } }),
      },
    };
    const result = await api.createSubjectAccessReview({ body });
    return result.status?.allowed === true && result.status.denied !== true;
  }

  return (request) => {
    if (request.path !== undefined && DISCOVERY_PATHS.has(request.path)) return true;
    const key = JSON.stringify([
      request.user.name,
      request.user.groups,
      request.user.extra,
      request.verb,
      request.resource ?? request.path,
    ]);
    const cached = decisions.get(key);
    if (cached !== undefined && cached.expires > now()) return cached.allowed;
    const inflight = pending.get(key);
    if (inflight !== undefined) return inflight;
    const decision = review(request)
      .then((allowed) => {
        if (decisions.size >= maxEntries) decisions.clear();
        decisions.set(key, { allowed, expires: now() + (allowed ? allowTtl : denyTtl) });
        return allowed;
      })
      .finally(() => pending.delete(key));
    pending.set(key, decision);
    return decision;
  };
}
