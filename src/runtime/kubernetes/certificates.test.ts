import { X509Certificate } from "node:crypto";
import { generate } from "selfsigned";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_CERTIFICATE_POLICY,
  apiServicePatch,
  decideRenewal,
  issueCertificates,
  pemBlocks,
  policyProblem,
  serviceHosts,
  webhookConfigurationUpdate,
  type CertificateFiles,
} from "./certificates.ts";

const DAY = 86_400_000;
const hosts = serviceHosts("tidal-operator", "tidal-system", "cluster.local");
const policy = DEFAULT_CERTIFICATE_POLICY;
const start = new Date("2026-01-01T00:00:00Z");
const at = (days: number) => new Date(start.getTime() + days * DAY);
const issue = (files: CertificateFiles, renew: "certificate" | "authority", now = start) =>
  issueCertificates(files, renew, { hosts, now, policy, caName: "tidal-operator-ca" });

describe("certificate renewal decisions", () => {
  it("uses KEDA's lifetimes: a CA for 10 years, a certificate for 1, renewed 90 days ahead", async () => {
    expect(policy).toEqual({
      caValidityMs: 3650 * DAY,
      certValidityMs: 365 * DAY,
      renewBeforeMs: 90 * DAY,
      checkIntervalMs: 12 * 3_600_000,
    });
    const files = await issue({}, "authority");
    const ca = new X509Certificate(files["ca.crt"]);
    const serving = new X509Certificate(files["tls.crt"]);
    expect(ca.ca).toBe(true);
    expect(ca.validToDate.getTime() - start.getTime()).toBe(3650 * DAY);
    expect(serving.validToDate.getTime() - start.getTime()).toBe(365 * DAY);
    // An hour back, for clocks that lag.
    expect(start.getTime() - serving.validFromDate.getTime()).toBe(3_600_000);
    expect(serving.verify(ca.publicKey)).toBe(true);
    for (const host of hosts) expect(serving.checkHost(host)).toBe(host);
    expect(hosts).toEqual([
      "tidal-operator.tidal-system.svc",
      "tidal-operator",
      "tidal-operator.tidal-system",
      "tidal-operator.tidal-system.svc.cluster.local",
    ]);
  });

  it("makes a CA when there is none, or its key is missing", async () => {
    expect(decideRenewal({}, { hosts, now: start, policy })).toMatchObject({ renew: "authority" });
    const files = await issue({}, "authority");
    const { "ca.key": _key, ...keyless } = files;
    expect(decideRenewal(keyless, { hosts, now: start, policy })).toEqual({
      renew: "authority",
      reason: "ca.key is missing or not the CA's",
    });
    // An install made before rotation kept no CA key: the first rotation replaces the CA.
    expect(
      decideRenewal({ ...files, "ca.key": files["tls.key"] }, { hosts, now: start, policy }),
    ).toMatchObject({ renew: "authority" });
  });

  it("leaves valid certificates alone until the serving certificate is 90 days from its end", async () => {
    const files = await issue({}, "authority");
    const fresh = decideRenewal(files, { hosts, now: at(1), policy });
    expect(fresh).toEqual({ renew: "none", nextCheckAt: new Date(at(1).getTime() + 12 * 3_600_000) });
    // The last check before the margin is due exactly when the margin starts.
    const close = decideRenewal(files, { hosts, now: at(274.9), policy });
    expect(close).toEqual({ renew: "none", nextCheckAt: at(275) });
    expect(decideRenewal(files, { hosts, now: at(275), policy })).toMatchObject({
      renew: "certificate",
      reason: expect.stringContaining("the serving certificate expires at"),
    });
  });

  it("renews the serving certificate from the same CA, which keeps the bundle", async () => {
    const files = await issue({}, "authority");
    const renewed = await issue(files, "certificate", at(275));
    expect(renewed["ca.crt"]).toBe(files["ca.crt"]);
    expect(renewed["ca.key"]).toBe(files["ca.key"]);
    expect(renewed["tls.crt"]).not.toBe(files["tls.crt"]);
    expect(decideRenewal(renewed, { hosts, now: at(275), policy })).toMatchObject({ renew: "none" });
  });

  it("renews the CA 90 days before its end, trusting the previous CA beside the new one", async () => {
    const files = await issue({}, "authority");
    expect(decideRenewal(files, { hosts, now: at(3560), policy })).toMatchObject({
      renew: "authority",
      reason: expect.stringContaining("the CA expires at"),
    });
    const renewed = await issue(files, "authority", at(3560));
    const [current, previous, ...rest] = pemBlocks(renewed["ca.crt"]);
    expect(rest).toEqual([]);
    expect(previous).toBe(pemBlocks(files["ca.crt"])[0]);
    const ca = new X509Certificate(current!);
    expect(new X509Certificate(renewed["tls.crt"]).verify(ca.publicKey)).toBe(true);
    // The old serving certificate still verifies against the bundle until it is replaced.
    expect(new X509Certificate(files["tls.crt"]).verify(new X509Certificate(previous!).publicKey)).toBe(true);
    expect(decideRenewal(renewed, { hosts, now: at(3560), policy })).toMatchObject({ renew: "none" });
    // The next serving certificate alone drops the previous CA.
    expect(pemBlocks((await issue(renewed, "certificate", at(3600)))["ca.crt"])).toEqual([current]);
  });

  it("a certificate never outlasts its CA, and an expired previous CA is not kept", async () => {
    const short = { ...policy, caValidityMs: 100 * DAY, renewBeforeMs: 10 * DAY };
    const files = await issueCertificates({}, "authority", {
      hosts,
      now: start,
      policy: short,
      caName: "ca",
    });
    expect(new X509Certificate(files["tls.crt"]).validToDate).toEqual(at(100));
    const later = await issueCertificates(files, "authority", {
      hosts,
      now: at(101),
      policy: short,
      caName: "ca",
    });
    expect(pemBlocks(later["ca.crt"])).toHaveLength(1);
  });

  it("renews a certificate that lacks a name, was signed by another CA, or lost its key", async () => {
    const files = await issue({}, "authority");
    const moreHosts = [...hosts, "tidal-operator.tidal-system.svc.example.org"];
    expect(decideRenewal(files, { hosts: moreHosts, now: start, policy })).toEqual({
      renew: "certificate",
      reason: "the serving certificate does not name tidal-operator.tidal-system.svc.example.org",
    });
    const other = await issue({}, "authority");
    expect(
      decideRenewal(
        { ...files, "tls.crt": other["tls.crt"], "tls.key": other["tls.key"] },
        { hosts, now: start, policy },
      ),
    ).toEqual({
      renew: "certificate",
      reason: "the serving certificate was not signed by the current CA",
    });
    expect(
      decideRenewal({ ...files, "tls.key": other["tls.key"] }, { hosts, now: start, policy }),
    ).toMatchObject({
      renew: "certificate",
    });
  });

  it("replaces a CA it cannot sign with (KEDA's RSA one), trusting it meanwhile", async () => {
    const keda = await generate([{ name: "commonName", value: "KEDA" }], {
      keySize: 2048,
      algorithm: "sha256",
      notBeforeDate: at(-1),
      notAfterDate: at(3650),
      extensions: [
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", keyCertSign: true, critical: true },
      ],
    });
    const files = { "ca.crt": keda.cert, "ca.key": keda.private };
    expect(decideRenewal(files, { hosts, now: start, policy })).toMatchObject({ renew: "certificate" });
    const renewed = await issue(files, "certificate");
    const [current, previous] = pemBlocks(renewed["ca.crt"]);
    expect(previous?.trim()).toBe(keda.cert.trim());
    expect(new X509Certificate(renewed["tls.crt"]).verify(new X509Certificate(current!).publicKey)).toBe(
      true,
    );
  });

  it("refuses a policy that would renew forever", () => {
    expect(policyProblem(policy)).toBeUndefined();
    expect(policyProblem({ ...policy, renewBeforeMs: policy.certValidityMs })).toMatch(/renewal margin/);
    expect(policyProblem({ ...policy, certValidityMs: policy.caValidityMs + 1 })).toMatch(/CA's validity/);
  });
});

describe("what rotation patches", () => {
  const ours = { namespace: "tidal-system", name: "tidal-operator" };

  it("patches the APIService's caBundle only while it routes to the operator's Service", () => {
    const apiService = { spec: { service: { ...ours }, insecureSkipTLSVerify: true } };
    expect(apiServicePatch(apiService, ours, "QUJD")).toEqual({
      spec: { caBundle: "QUJD", insecureSkipTLSVerify: false },
    });
    expect(
      apiServicePatch({ spec: { service: { ...ours }, caBundle: "QUJD" } }, ours, "QUJD"),
    ).toBeUndefined();
    // KEDA's (after `tidal install --no-metrics-api`) is not ours to change.
    const keda = { spec: { service: { namespace: "keda", name: "keda-operator-metrics-apiserver" } } };
    expect(apiServicePatch(keda, ours, "QUJD")).toBeUndefined();
    expect(apiServicePatch({ spec: {} }, ours, "QUJD")).toBeUndefined();
  });

  it("sets every webhook's caBundle, keeping the rest of the configuration", () => {
    const configuration = {
      metadata: { name: "tidal-admission", resourceVersion: "7" },
      webhooks: [
        { name: "vkeda.tidal.dev", clientConfig: { service: { name: "tidal-operator" }, caBundle: "T0xE" } },
      ],
    };
    expect(webhookConfigurationUpdate(configuration, "TkVX")).toEqual({
      metadata: { name: "tidal-admission", resourceVersion: "7" },
      webhooks: [
        { name: "vkeda.tidal.dev", clientConfig: { service: { name: "tidal-operator" }, caBundle: "TkVX" } },
      ],
    });
    expect(webhookConfigurationUpdate(configuration, "T0xE")).toBeUndefined();
  });
});
