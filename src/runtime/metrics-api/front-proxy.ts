import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { FrontProxyTrust } from "./server.ts";

const NAMESPACE = "kube-system";
const NAME = "extension-apiserver-authentication";

function list(data: Record<string, string>, key: string): string[] | undefined {
  const raw = data[key];
  if (raw === undefined || raw.trim() === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed;
  } catch {
    // fall through to the error below
  }
  throw new Error(`ConfigMap ${NAMESPACE}/${NAME}: ${key} is not a JSON list of strings: ${raw}`);
}

/**
 * The front-proxy trust the kube-apiserver publishes for aggregated API servers, from ConfigMap
 * kube-system/extension-apiserver-authentication (written from its --requestheader-* flags).
 * Needs `get` on that ConfigMap (the built-in Role extension-apiserver-authentication-reader).
 */
export async function readFrontProxyTrust(kubeConfig: KubeConfig): Promise<FrontProxyTrust> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const configMap = await core.readNamespacedConfigMap({ namespace: NAMESPACE, name: NAME });
  const data = configMap.data ?? {};
  const ca = data["requestheader-client-ca-file"];
  if (ca === undefined || ca.trim() === "") {
    throw new Error(
      `ConfigMap ${NAMESPACE}/${NAME} has no requestheader-client-ca-file: the kube-apiserver runs without ` +
        "--requestheader-client-ca-file, so the aggregation layer cannot authenticate to extension API servers",
    );
  }
  const trust: FrontProxyTrust = { ca, allowedNames: list(data, "requestheader-allowed-names") ?? [] };
  const usernameHeaders = list(data, "requestheader-username-headers");
  const groupHeaders = list(data, "requestheader-group-headers");
  const extraHeaderPrefixes = list(data, "requestheader-extra-headers-prefix");
  if (usernameHeaders) trust.usernameHeaders = usernameHeaders;
  if (groupHeaders) trust.groupHeaders = groupHeaders;
  if (extraHeaderPrefixes) trust.extraHeaderPrefixes = extraHeaderPrefixes;
  return trust;
}
