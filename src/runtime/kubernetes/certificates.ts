import { X509Certificate, createPrivateKey } from "node:crypto";
import { isIP } from "node:net";
import { certificateAuthority, selfSignedServingCert } from "../metrics-api/certs.ts";
import type { TlsCredentials } from "../metrics-api/index.ts";

/**
 * How long certificates last and when they are renewed. The defaults are KEDA's (its
 * cert-controller): a CA for 10 years, serving certificates for 1 year, each renewed 90 days
 * before it expires, checked every 12 hours.
 */
export interface CertificatePolicy {
  caValidityMs: number;
  certValidityMs: number;
  /** Renew a certificate (or the CA) when it expires within this margin. */
  renewBeforeMs: number;
  /** Look again at least this often, even when nothing is due sooner. */
  checkIntervalMs: number;
}

const DAY = 86_400_000;

export const DEFAULT_CERTIFICATE_POLICY: CertificatePolicy = {
  caValidityMs: 10 * 365 * DAY,
  certValidityMs: 365 * DAY,
  renewBeforeMs: 90 * DAY,
  checkIntervalMs: 12 * 3_600_000,
};

/** Why a policy cannot work, or undefined. A margin as long as a validity would renew forever. */
export function policyProblem(policy: CertificatePolicy): string | undefined {
  if (policy.certValidityMs > policy.caValidityMs)
    return "the certificate validity must not exceed the CA's validity";
  if (policy.renewBeforeMs >= policy.certValidityMs)
    return "the renewal margin must be shorter than the certificate validity";
  return undefined;
}

/**
 * The certificate Secret's keys, as KEDA's `kedaorg-certs` holds them. `ca.crt` is the CA bundle
 * the kube-apiserver trusts: the current CA first (it signs `tls.crt`; `ca.key` is its key), then,
 * for a while after the CA was renewed, the previous one, so that certificates it signed are still
 * trusted until every replica serves the new one.
 */
export interface CertificateFiles {
  "ca.crt"?: string;
  "ca.key"?: string;
  "tls.crt"?: string;
  "tls.key"?: string;
}

export type RenewalDecision =
  { renew: "none"; nextCheckAt: Date } | { renew: "certificate" | "authority"; reason: string };

/** The PEM certificates of a bundle, in order. */
export function pemBlocks(bundle: string | undefined): string[] {
  return [...(bundle ?? "").matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map(
    ([block]) => `${block}\n`,
  );
}

function parse(pem: string | undefined): X509Certificate | undefined {
  if (!pem) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

function keyMatches(certificate: X509Certificate, keyPem: string | undefined): boolean {
  if (!keyPem) return false;
  try {
    return certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function covers(certificate: X509Certificate, host: string): boolean {
  return isIP(host) ? certificate.checkIP(host) !== undefined : certificate.checkHost(host) !== undefined;
}

/**
 * Whether the certificate Secret needs new certificates at `now`, and why: the CA (and with it the
 * serving certificate) when it is missing, unreadable, without its key, not yet valid or within the
 * renewal margin of its end; the serving certificate alone when it is missing, does not match its
 * key, was not signed by the current CA, does not name every host, is not yet valid or is within
 * the margin. Otherwise, when to look again: the first renewal due, or the check interval.
 */
export function decideRenewal(
  files: CertificateFiles,
  options: { hosts: readonly string[]; now: Date; policy: CertificatePolicy },
): RenewalDecision {
  const { now, policy } = options;
  const due = (certificate: X509Certificate) => certificate.validToDate.getTime() - policy.renewBeforeMs;
  const ca = parse(pemBlocks(files["ca.crt"])[0]);
  if (ca === undefined) return { renew: "authority", reason: "there is no CA certificate" };
  if (!ca.ca) return { renew: "authority", reason: "ca.crt is not a CA certificate" };
  if (!keyMatches(ca, files["ca.key"]))
    return { renew: "authority", reason: "ca.key is missing or not the CA's" };
  if (ca.validFromDate > now) return { renew: "authority", reason: "the CA is not valid yet" };
  if (due(ca) <= now.getTime())
    return { renew: "authority", reason: `the CA expires at ${ca.validToDate.toISOString()}` };
  const certificate = parse(files["tls.crt"]);
  if (certificate === undefined) return { renew: "certificate", reason: "there is no serving certificate" };
  if (!keyMatches(certificate, files["tls.key"]))
    return { renew: "certificate", reason: "tls.key is missing or not the certificate's" };
  if (!certificate.checkIssued(ca) || !certificate.verify(ca.publicKey))
    return { renew: "certificate", reason: "the serving certificate was not signed by the current CA" };
  const missing = options.hosts.find((host) => !covers(certificate, host));
  if (missing !== undefined)
    return { renew: "certificate", reason: `the serving certificate does not name ${missing}` };
  if (certificate.validFromDate > now)
    return { renew: "certificate", reason: "the serving certificate is not valid yet" };
  if (due(certificate) <= now.getTime())
    return {
      renew: "certificate",
      reason: `the serving certificate expires at ${certificate.validToDate.toISOString()}`,
    };
  const next = Math.min(now.getTime() + policy.checkIntervalMs, due(ca), due(certificate));
  return { renew: "none", nextCheckAt: new Date(next) };
}

/**
 * New certificates for a renewal decision. `authority`: a new CA and a serving certificate it
 * signed; the bundle is the new CA and the previous one while that is still valid. `certificate`:
 * a serving certificate from the current CA; the bundle is the current CA alone (a CA whose key
 * cannot sign here, such as KEDA's RSA one, is renewed instead). Certificates start
 * an hour back (clock skew, as KEDA's) and never outlast their CA.
 */
export async function issueCertificates(
  files: CertificateFiles,
  renew: "certificate" | "authority",
  options: { hosts: readonly string[]; now: Date; policy: CertificatePolicy; caName: string },
): Promise<Required<CertificateFiles>> {
  const { now, policy } = options;
  const notBefore = new Date(now.getTime() - 3_600_000);
  const current = pemBlocks(files["ca.crt"])[0];
  let ca: { cert: string; key: string };
  let bundle: string[];
  if (renew === "authority") {
    ca = await certificateAuthority(options.caName, {
      notBefore,
      notAfter: new Date(now.getTime() + policy.caValidityMs),
    });
    const previous = parse(current);
    bundle = [ca.cert, ...(previous && previous.ca && previous.validToDate > now ? [current!] : [])];
  } else {
    ca = { cert: current!, key: files["ca.key"]! };
    bundle = [current!];
  }
  const caEnd = new X509Certificate(ca.cert).validToDate.getTime();
  let serving: TlsCredentials;
  try {
    serving = await selfSignedServingCert([...options.hosts], 0, ca, {
      notBefore,
      notAfter: new Date(Math.min(now.getTime() + policy.certValidityMs, caEnd)),
    });
  } catch (error) {
    // A CA Tidal cannot sign with (KEDA's RSA key, say): replace it, trusting it meanwhile.
    if (renew === "certificate") return issueCertificates(files, "authority", options);
    throw error;
  }
  return {
    "ca.crt": bundle.map((pem) => (pem.endsWith("\n") ? pem : `${pem}\n`)).join(""),
    "ca.key": ca.key,
    "tls.crt": String(serving.cert),
    "tls.key": String(serving.key),
  };
}

/** The serving pair of the files when it can be served at `now` (present, matching, unexpired). */
export function servableCredentials(files: CertificateFiles, now: Date): TlsCredentials | undefined {
  const certificate = parse(files["tls.crt"]);
  if (certificate === undefined || !keyMatches(certificate, files["tls.key"])) return undefined;
  if (certificate.validToDate <= now) return undefined;
  return { cert: files["tls.crt"]!, key: files["tls.key"]! };
}

/** The DNS names a Service is reached by, as KEDA's certificates name them. */
export function serviceHosts(service: string, namespace: string, clusterDomain: string): string[] {
  return [
    `${service}.${namespace}.svc`,
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc.${clusterDomain}`,
  ];
}

interface ApiServiceObject {
  spec?: {
    service?: { namespace?: string; name?: string };
    caBundle?: string;
    insecureSkipTLSVerify?: boolean;
  };
}

/**
 * The merge patch that makes an APIService trust `caBundle` (base64), or undefined when none is
 * needed: it trusts it already, or it routes to another Service (KEDA's metrics server, or another
 * installation's), which is not ours to change.
 */
export function apiServicePatch(
  apiService: ApiServiceObject,
  service: { namespace: string; name: string },
  caBundle: string,
): Record<string, unknown> | undefined {
  const target = apiService.spec?.service;
  if (target?.namespace !== service.namespace || target.name !== service.name) return undefined;
  if (apiService.spec?.caBundle === caBundle && !apiService.spec.insecureSkipTLSVerify) return undefined;
  return { spec: { caBundle, insecureSkipTLSVerify: false } };
}

interface WebhookConfigurationObject {
  webhooks?: { clientConfig?: Record<string, unknown> }[];
  [key: string]: unknown;
}

/**
 * The webhook configuration with every webhook trusting `caBundle` (base64), to replace the one
 * read (its resourceVersion guards the write), or undefined when each trusts it already.
 */
export function webhookConfigurationUpdate<T extends WebhookConfigurationObject>(
  configuration: T,
  caBundle: string,
): T | undefined {
  const webhooks = configuration.webhooks ?? [];
  if (webhooks.every((webhook) => webhook.clientConfig?.caBundle === caBundle)) return undefined;
  return {
    ...configuration,
    webhooks: webhooks.map((webhook) => ({
      ...webhook,
      clientConfig: { ...webhook.clientConfig, caBundle },
    })),
  };
}
