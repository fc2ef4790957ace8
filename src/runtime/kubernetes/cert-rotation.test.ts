import { X509Certificate } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../observability/logger.ts";
import { FakeKubeApi } from "../../../test/support/fake-kube-api.ts";
import type { TlsCredentials } from "../metrics-api/index.ts";
import { CertificateRotator, type SecretObject } from "./cert-rotation.ts";
import { DEFAULT_CERTIFICATE_POLICY, pemBlocks, serviceHosts } from "./certificates.ts";

const DAY = 86_400_000;
const SECRET = "/api/v1/namespaces/tidal-system/secrets/tidal-operator-certs";
const API_SERVICE = "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io";
const WEBHOOK = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/tidal-admission";
const service = { namespace: "tidal-system", name: "tidal-operator" };

function cluster(): FakeKubeApi {
  const api = new FakeKubeApi();
  api.put("apiregistration.k8s.io/v1", "apiservices", {
    metadata: { name: "v1beta1.external.metrics.k8s.io" },
    spec: { group: "external.metrics.k8s.io", version: "v1beta1", service: { ...service, port: 443 } },
  });
  api.put("admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", {
    metadata: { name: "tidal-admission" },
    webhooks: [{ name: "vkeda.tidal.dev", clientConfig: { service: { ...service, path: "/validate" } } }],
  });
  return api;
}

const decoded = (secret: SecretObject | undefined, key: string) =>
  Buffer.from(secret?.data?.[key] ?? "", "base64").toString("utf8");

describe("CertificateRotator", () => {
  const rotators: CertificateRotator[] = [];
  afterEach(() => rotators.splice(0).forEach((rotator) => rotator.stop()));

  function rotator(
    api: FakeKubeApi,
    options: { leader: () => boolean; now: () => Date; served?: TlsCredentials[] },
  ) {
    const created = new CertificateRotator({
      api,
      namespace: "tidal-system",
      secretName: "tidal-operator-certs",
      hosts: serviceHosts("tidal-operator", "tidal-system", "cluster.local"),
      policy: DEFAULT_CERTIFICATE_POLICY,
      caName: "tidal-operator-ca",
      apiService: { name: "v1beta1.external.metrics.k8s.io", service },
      webhookConfiguration: "tidal-admission",
      isLeader: options.leader,
      onCredentials: (tls) => options.served?.push(tls),
      logger: silentLogger,
      trustSettleMs: 0,
      now: options.now,
    });
    rotators.push(created);
    return created;
  }

  it("the leader makes the Secret and patches its CA into the APIService and the webhook", async () => {
    const api = cluster();
    const served: TlsCredentials[] = [];
    const tls = await rotator(api, { leader: () => true, now: () => new Date(), served }).start();
    const secret = api.read<SecretObject>(SECRET);
    expect(secret?.type).toBe("kubernetes.io/tls");
    expect(Object.keys(secret?.data ?? {}).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    expect(tls?.cert).toBe(decoded(secret, "tls.crt"));
    expect(served.map((credentials) => credentials.cert)).toEqual([decoded(secret, "tls.crt")]);
    const caBundle = secret?.data?.["ca.crt"];
    expect(api.read<{ spec: { caBundle: string } }>(API_SERVICE)?.spec.caBundle).toBe(caBundle);
    expect(
      api.read<{ webhooks: { clientConfig: { caBundle: string } }[] }>(WEBHOOK)?.webhooks[0]?.clientConfig
        .caBundle,
    ).toBe(caBundle);
  });

  it("a standby writes nothing and serves what the leader wrote when the Secret changes", async () => {
    const api = cluster();
    const served: TlsCredentials[] = [];
    const standby = rotator(api, { leader: () => false, now: () => new Date(), served });
    expect(await standby.start()).toBeUndefined();
    expect(api.calls.filter((call) => call.method !== "GET")).toEqual([]);
    await rotator(api, { leader: () => true, now: () => new Date() }).start();
    standby.secretChanged(api.read<SecretObject>(SECRET));
    expect(served.map((credentials) => credentials.cert)).toEqual([decoded(api.read(SECRET), "tls.crt")]);
  });

  it("renews the serving certificate when due, and trusts a new CA before serving what it signed", async () => {
    const api = cluster();
    let now = new Date("2026-01-01T00:00:00Z");
    const leader = rotator(api, { leader: () => true, now: () => now });
    await leader.start();
    const first = api.read<SecretObject>(SECRET);

    now = new Date(now.getTime() + 300 * DAY);
    await leader.reconcile();
    const second = api.read<SecretObject>(SECRET);
    expect(decoded(second, "tls.crt")).not.toBe(decoded(first, "tls.crt"));
    expect(second?.data?.["ca.crt"]).toBe(first?.data?.["ca.crt"]);

    const start = now.getTime() - 300 * DAY;
    now = new Date(start + 3500 * DAY);
    await leader.reconcile();
    // 90 days before the CA's end, while the serving certificate is still good.
    now = new Date(start + 3560 * DAY);
    api.calls.length = 0;
    await leader.reconcile();
    const third = api.read<SecretObject>(SECRET);
    const [current, previous] = pemBlocks(decoded(third, "ca.crt"));
    expect(previous).toBe(decoded(first, "ca.crt"));
    expect(
      new X509Certificate(decoded(third, "tls.crt")).verify(new X509Certificate(current!).publicKey),
    ).toBe(true);
    // The APIService trusted the new bundle before the Secret (and so the servers) changed.
    const writes = api.calls
      .filter((call) => call.method !== "GET")
      .map((call) => `${call.method} ${call.path}`);
    expect(writes.indexOf(`PATCH ${API_SERVICE}`)).toBeLessThan(writes.indexOf(`PUT ${SECRET}`));
    expect(api.read<{ spec: { caBundle: string } }>(API_SERVICE)?.spec.caBundle).toBe(
      third?.data?.["ca.crt"],
    );
  });

  it("puts back a caBundle someone reset, and leaves KEDA's APIService alone", async () => {
    const api = cluster();
    const leader = rotator(api, { leader: () => true, now: () => new Date() });
    await leader.start();
    const caBundle = api.read<SecretObject>(SECRET)?.data?.["ca.crt"];
    await api.patch(WEBHOOK, { webhooks: [{ name: "vkeda.tidal.dev", clientConfig: { service } }] });
    api.put("apiregistration.k8s.io/v1", "apiservices", {
      metadata: { name: "v1beta1.external.metrics.k8s.io" },
      spec: { service: { namespace: "keda", name: "keda-operator-metrics-apiserver" } },
    });
    await leader.reconcile();
    expect(
      api.read<{ webhooks: { clientConfig: { caBundle: string } }[] }>(WEBHOOK)?.webhooks[0]?.clientConfig
        .caBundle,
    ).toBe(caBundle);
    expect(api.read<{ spec: { caBundle?: string } }>(API_SERVICE)?.spec.caBundle).toBeUndefined();
  });
});
