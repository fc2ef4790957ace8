import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../../../observability/logger.ts";
import { messageOf } from "../../../util/errors.ts";
import type { TlsCredentials } from "../../metrics-api/index.ts";
import { KEDA_API_VERSION } from "../../../api/names.ts";
import { isNotFound, type KubeClient } from "../kube-api.ts";
import { reviewAdmission, type AdmissionCluster, type AdmissionRequest } from "./review.ts";

export const ADMISSION_PATH = "/validate";
const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** The HTTPS server the kube-apiserver calls for each keda.sh object written. */
export function createAdmissionServer(
  tls: TlsCredentials,
  cluster: AdmissionCluster,
  logger: Logger,
): Server {
  return createServer({ cert: tls.cert, key: tls.key, minVersion: "TLSv1.2" }, (request, response) => {
    void handle(request, response, cluster, logger);
  });
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  cluster: AdmissionCluster,
  logger: Logger,
): Promise<void> {
  const path = new URL(request.url ?? "/", "https://localhost").pathname;
  if (request.method !== "POST" || path !== ADMISSION_PATH) {
    response.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      response.writeHead(413, { "content-type": "text/plain" }).end("request too large\n");
      return;
    }
    chunks.push(chunk);
  }
  let review: { apiVersion?: string; request?: AdmissionRequest };
  try {
    review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof review;
  } catch {
    response.writeHead(400, { "content-type": "text/plain" }).end("not an AdmissionReview\n");
    return;
  }
  if (review.request?.uid === undefined) {
    response.writeHead(400, { "content-type": "text/plain" }).end("an AdmissionReview needs request.uid\n");
    return;
  }
  let answer;
  try {
    answer = await reviewAdmission(review.request, cluster);
  } catch (error) {
    // The cluster could not be asked: let the object through, as KEDA's failurePolicy Ignore would.
    logger.warn("admission review failed; allowing the object", { error: messageOf(error) });
    answer = {
      uid: review.request.uid,
      allowed: true,
      warnings: [`Tidal could not check it: ${messageOf(error)}`],
    };
  }
  if (!answer.allowed) {
    const object = review.request.object?.metadata;
    logger.info("admission denied", {
      kind: review.request.kind.kind,
      namespace: review.request.namespace,
      name: object?.name,
      reason: answer.status?.message,
    });
  }
  const body = JSON.stringify({
    apiVersion: review.apiVersion ?? "admission.k8s.io/v1",
    kind: "AdmissionReview",
    response: answer,
  });
  response
    .writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
    .end(body);
}

type Lister = { list(namespace?: string): readonly object[] };

/** The webhook's view of the cluster: the operator's informers, and the API for the rest. */
export function admissionCluster(
  api: KubeClient,
  informers: {
    scaledObjects: Lister;
    scaledJobs: Lister;
    triggerAuthentications: Lister;
    clusterTriggerAuthentications: Lister;
  },
): AdmissionCluster {
  // List items from the watch cache may lack apiVersion and kind; the review reads objects by them.
  const withKind = (kind: string) => (object: object) => ({ apiVersion: KEDA_API_VERSION, kind, ...object });
  return {
    objects: (namespace) => [
      ...informers.scaledObjects.list(namespace).map(withKind("ScaledObject")),
      ...informers.scaledJobs.list(namespace).map(withKind("ScaledJob")),
      ...informers.triggerAuthentications.list(namespace).map(withKind("TriggerAuthentication")),
    ],
    clusterObjects: () =>
      informers.clusterTriggerAuthentications.list().map(withKind("ClusterTriggerAuthentication")),
    async horizontalPodAutoscalers(namespace) {
      const list = await api.get<{ items: never[] }>(
        `/apis/autoscaling/v2/namespaces/${encodeURIComponent(namespace)}/horizontalpodautoscalers`,
      );
      return list.items;
    },
    async containers(namespace, ref) {
      const plural = { Deployment: "deployments", StatefulSet: "statefulsets" }[ref.kind];
      if (plural === undefined || ref.apiVersion !== "apps/v1") return undefined;
      try {
        const workload = await api.get<{ spec: { template: { spec: { containers: never[] } } } }>(
          `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/${plural}/${encodeURIComponent(ref.name)}`,
        );
        return workload.spec.template.spec.containers;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async limitRangeSets(namespace, resource) {
      const list = await api.get<{
        items: {
          spec: {
            limits: {
              type: string;
              default?: Record<string, string>;
              defaultRequest?: Record<string, string>;
            }[];
          };
        }[];
      }>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/limitranges`);
      return list.items.some((range) =>
        range.spec.limits.some(
          (limit) =>
            limit.type === "Container" &&
            (limit.default?.[resource] !== undefined || limit.defaultRequest?.[resource] !== undefined),
        ),
      );
    },
  };
}
