import { X509Certificate, createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { renderInstallation, type Manifest } from "./render.ts";

const options = {
  namespace: "autoscaling",
  name: "blue",
  image: "registry.example/tidal:1",
  metricsApi: true,
  webhook: true,
  crds: true,
};

const find = (manifests: Manifest[], kind: string) => manifests.filter((manifest) => manifest.kind === kind);

describe("renderInstallation", () => {
  it("renames deploy/'s objects into the namespace and name prefix, CRDs and namespace first", async () => {
    const manifests = await renderInstallation(options);
    expect(manifests[0]!.kind).toBe("CustomResourceDefinition");
    expect(JSON.stringify(manifests)).not.toMatch(/tidal-system|"tidal-/);
    const deployment = find(manifests, "Deployment").find(
      (manifest) => manifest.metadata.name === "blue-operator",
    );
    expect(deployment?.metadata.namespace).toBe("autoscaling");
    const containers = (
      deployment!.spec as { template: { spec: { containers: { image: string; args: string[] }[] } } }
    ).template.spec.containers;
    expect(containers[0]!.image).toBe("registry.example/tidal:1");
    expect(containers[0]!.args).toContain("--webhook-port");
    expect(containers[0]!.args).toEqual(
      expect.arrayContaining([
        "--interceptor-service",
        "blue-interceptor-admin",
        "--http-scaler-address",
        "blue-operator.autoscaling.svc:9090",
      ]),
    );
    expect(manifests.findIndex((manifest) => manifest.kind === "Namespace")).toBeLessThan(
      manifests.findIndex((manifest) => manifest.kind === "Deployment"),
    );
  });

  it("makes a CA and a serving certificate for the Service, trusted by the APIService and the webhook", async () => {
    const manifests = await renderInstallation(options);
    const secret = find(manifests, "Secret")[0] as unknown as { stringData: Record<string, string> };
    const ca = new X509Certificate(secret.stringData["ca.crt"]!);
    const serving = new X509Certificate(secret.stringData["tls.crt"]!);
    expect(serving.verify(ca.publicKey)).toBe(true);
    expect(serving.checkHost("blue-operator.autoscaling.svc")).toBe("blue-operator.autoscaling.svc");
    const caBundle = Buffer.from(secret.stringData["ca.crt"]!).toString("base64");
    expect((find(manifests, "APIService")[0]!.spec as { caBundle: string }).caBundle).toBe(caBundle);
    const webhook = find(manifests, "ValidatingWebhookConfiguration")[0] as unknown as {
      metadata: { name: string };
      webhooks: { clientConfig: { caBundle: string } }[];
    };
    expect(webhook.metadata.name).toBe("blue-admission");
    expect(webhook.webhooks[0]!.clientConfig.caBundle).toBe(caBundle);
    // The CA's key too: the operator renews the certificate from it, before the year is out.
    expect(ca.checkPrivateKey(createPrivateKey(secret.stringData["ca.key"]!))).toBe(true);
    const deployment = find(manifests, "Deployment").find(
      (manifest) => manifest.metadata.name === "blue-operator",
    )!;
    const pod = (
      deployment.spec as {
        template: { spec: { containers: { args: string[] }[]; volumes: { name: string }[] } };
      }
    ).template.spec;
    expect(pod.containers[0]!.args).toEqual(
      expect.arrayContaining([
        "--enable-cert-rotation",
        "--cert-secret-name",
        "blue-operator-certs",
        "--operator-service-name",
        "blue-operator",
        "--validating-webhook-name",
        "blue-admission",
      ]),
    );
    expect(pod.containers[0]!.args).not.toContain("--cert-dir");
    expect(pod.volumes.map((volume) => volume.name)).not.toContain("certs");
  });

  it("keeps the certificates the cluster holds while they are good, and renews them otherwise", async () => {
    const first = find(await renderInstallation(options), "Secret")[0] as unknown as {
      stringData: Record<string, string>;
    };
    const again = find(
      await renderInstallation({ ...options, certificates: first.stringData }),
      "Secret",
    )[0] as unknown as {
      stringData: Record<string, string>;
    };
    expect(again.stringData).toEqual(first.stringData);
    // A Secret of an install made before rotation has no CA key: a new CA is made.
    const { "ca.key": _key, ...keyless } = first.stringData;
    const renewed = find(
      await renderInstallation({ ...options, certificates: keyless }),
      "Secret",
    )[0] as unknown as {
      stringData: Record<string, string>;
    };
    expect(renewed.stringData["ca.crt"]).not.toBe(first.stringData["ca.crt"]);
    expect(renewed.stringData["ca.crt"]).toContain(first.stringData["ca.crt"]!.trim());
  });

  it("leaves out what is not wanted, and the webhook's port with the webhook", async () => {
    const manifests = await renderInstallation({
      ...options,
      metricsApi: false,
      webhook: false,
      crds: false,
    });
    expect(find(manifests, "CustomResourceDefinition")).toEqual([]);
    expect(find(manifests, "APIService")).toEqual([]);
    expect(find(manifests, "ValidatingWebhookConfiguration")).toEqual([]);
    const deployment = find(manifests, "Deployment").find(
      (manifest) => manifest.metadata.name === "blue-operator",
    )!;
    const args = (deployment.spec as { template: { spec: { containers: { args: string[] }[] } } }).template
      .spec.containers[0]!.args;
    expect(args).not.toContain("--webhook-port");
  });
});
