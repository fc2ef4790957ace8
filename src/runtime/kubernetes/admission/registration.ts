import { isConflict, isNotFound, type KubeClient } from "../kube-api.ts";
import { ADMISSION_PATH } from "./server.ts";

const COLLECTION = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";
export const LOCAL_WEBHOOK_NAME = "tidal-admission-local";

/**
 * The ValidatingWebhookConfiguration of the webhook: KEDA's resources, CREATE and UPDATE, failure
 * policy Ignore and a 10 s timeout as KEDA's chart sets them. `clientConfig` says where the
 * kube-apiserver reaches it (a Service in a cluster, a URL for a local run).
 */
export function webhookConfiguration(
  name: string,
  clientConfig: Record<string, unknown>,
): Record<string, unknown> {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name, labels: { "app.kubernetes.io/managed-by": "tidal" } },
    webhooks: [
      {
        name: "vkeda.tidal.dev",
        clientConfig,
        rules: [
          {
            apiGroups: ["keda.sh"],
            apiVersions: ["v1alpha1"],
            operations: ["CREATE", "UPDATE"],
            resources: [
              "scaledobjects",
              "scaledjobs",
              "triggerauthentications",
              "clustertriggerauthentications",
            ],
            scope: "*",
          },
        ],
        admissionReviewVersions: ["v1"],
        sideEffects: "None",
        failurePolicy: "Ignore",
        timeoutSeconds: 10,
      },
    ],
  };
}

/**
 * For `--local`: registers the webhook on this machine's loopback (the kube-apiserver must run on
 * this machine too), trusting the self-signed serving certificate. Replaces a previous run's.
 */
export async function ensureLocalWebhook(
  api: KubeClient,
  port: number,
  certificatePem: string,
): Promise<void> {
  const body = webhookConfiguration(LOCAL_WEBHOOK_NAME, {
    url: `https://127.0.0.1:${port}${ADMISSION_PATH}`,
    caBundle: Buffer.from(certificatePem).toString("base64"),
  });
  try {
    await api.create(COLLECTION, body);
  } catch (error) {
    if (!isConflict(error)) throw error;
    const existing = await api.get<{ metadata: { resourceVersion: string } }>(
      `${COLLECTION}/${LOCAL_WEBHOOK_NAME}`,
    );
    await api.replace(`${COLLECTION}/${LOCAL_WEBHOOK_NAME}`, {
      ...body,
      metadata: { ...(body.metadata as object), resourceVersion: existing.metadata.resourceVersion },
    });
  }
}

export async function removeLocalWebhook(api: KubeClient): Promise<void> {
  try {
    await api.delete(`${COLLECTION}/${LOCAL_WEBHOOK_NAME}`);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
