import type { Logger } from "../../observability/logger.ts";
import { messageOf } from "../../util/errors.ts";
import type { TlsCredentials } from "../metrics-api/index.ts";
import {
  apiServicePatch,
  decideRenewal,
  issueCertificates,
  servableCredentials,
  webhookConfigurationUpdate,
  type CertificateFiles,
  type CertificatePolicy,
} from "./certificates.ts";
import { isConflict, isNotFound, resourcePath, type KubeClient } from "./kube-api.ts";

const FILE_NAMES = ["ca.crt", "ca.key", "tls.crt", "tls.key"] as const;

export interface SecretObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

export interface CertificateRotatorOptions {
  api: KubeClient;
  /** The certificate Secret (KEDA's is kedaorg-certs in its namespace). */
  namespace: string;
  secretName: string;
  /** Names and addresses the serving certificate must carry (the first is its common name). */
  hosts: string[];
  policy: CertificatePolicy;
  /** Common name of the CA. */
  caName: string;
  /** The APIService to keep trusting the CA, only while it routes to `service`. */
  apiService?: { name: string; service: { namespace: string; name: string } };
  /** The ValidatingWebhookConfiguration to keep trusting the CA. */
  webhookConfiguration?: string;
  /** Only the leader writes; every replica serves what the Secret holds. */
  isLeader: () => boolean;
  /** Serve these credentials from now on (every TLS server of the operator). */
  onCredentials: (tls: TlsCredentials) => void;
  logger: Logger;
  /**
   * How long a new CA is trusted before a certificate it signed is served: time for the
   * kube-apiserver to take up the patched caBundle. Default 5 s.
   */
  trustSettleMs?: number;
  now?: () => Date;
}

/** When a write fails, or an object to patch is missing, look again this soon. */
const RETRY_MS = 10_000;
const MISSING_TARGET_RETRY_MS = 60_000;

function filesOf(secret: SecretObject | undefined): CertificateFiles {
  const files: CertificateFiles = {};
  for (const name of FILE_NAMES) {
    const value = secret?.data?.[name];
    if (value !== undefined) files[name] = Buffer.from(value, "base64").toString("utf8");
  }
  return files;
}

/**
 * KEDA's certificate rotation (`--enable-cert-rotation`): the operator keeps a CA and a serving
 * certificate in a Secret, renews them before they expire, and patches the CA into the APIService
 * and the ValidatingWebhookConfiguration. Only the leader writes; every replica serves the Secret's
 * certificate and takes up a renewed one without a restart (KEDA's operator restarts instead).
 *
 * A renewed CA is trusted first, beside the previous one, and served only after `trustSettleMs`,
 * so the kube-apiserver's calls keep verifying throughout.
 */
export class CertificateRotator {
  readonly #options: CertificateRotatorOptions;
  readonly #now: () => Date;
  #served = "";
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: CertificateRotatorOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  get #secretPath(): string {
    return resourcePath("v1", "secrets", this.#options.namespace, this.#options.secretName);
  }

  /** The CA bundle (base64) of the Secret as last read, for registrations made at start. */
  caBundle = "";

  /**
   * Reads the Secret and serves its certificate; when leading, first makes or renews it. Resolves
   * with the credentials to serve, or undefined when there are none yet (a standby before the
   * leader has written the Secret: it serves what the Secret gets, when it gets it).
   */
  async start(): Promise<TlsCredentials | undefined> {
    if (this.#options.isLeader()) await this.reconcile();
    else this.#schedule(this.#options.policy.checkIntervalMs);
    const secret = await this.#readSecret();
    this.#serve(secret);
    return servableCredentials(filesOf(secret), this.#now());
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** The Secret as a watch saw it: serve its certificate if it changed; the leader checks it. */
  secretChanged(secret: SecretObject | undefined): void {
    this.#serve(secret);
    if (this.#options.isLeader() && secret !== undefined) void this.reconcile();
  }

  #serve(secret: SecretObject | undefined): void {
    const files = filesOf(secret);
    if (files["ca.crt"]) this.caBundle = Buffer.from(files["ca.crt"]).toString("base64");
    const credentials = servableCredentials(files, this.#now());
    if (credentials !== undefined && credentials.cert !== this.#served) {
      this.#served = String(credentials.cert);
      this.#options.onCredentials(credentials);
      this.#options.logger.info("serving the certificate of the Secret", {
        secret: `${this.#options.namespace}/${this.#options.secretName}`,
      });
    }
  }

  /** One pass (leader only): renew what is due, patch the CA bundle where it is missing. */
  reconcile(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        const retryMs = await this.#pass().catch((error: unknown) => {
          this.#options.logger.warn("certificate rotation failed; retrying", {
            error: messageOf(error),
            retryInMs: RETRY_MS,
          });
          return RETRY_MS;
        });
        this.#schedule(retryMs);
      } while (this.#again && !this.#stopped);
    })().finally(() => (this.#running = undefined));
    return this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const delay = Math.max(1000, Math.min(delayMs, this.#options.policy.checkIntervalMs));
    this.#timer = setTimeout(() => void this.reconcile(), delay);
    this.#timer.unref();
  }

  async #readSecret(): Promise<SecretObject | undefined> {
    try {
      return await this.#options.api.get<SecretObject>(this.#secretPath);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Returns how long until the next pass. */
  async #pass(): Promise<number> {
    const options = this.#options;
    if (!options.isLeader() || this.#stopped) return options.policy.checkIntervalMs;
    const secret = await this.#readSecret();
    let files = filesOf(secret);
    const now = this.#now();
    const decision = decideRenewal(files, { hosts: options.hosts, now, policy: options.policy });
    let nextMs: number;
    if (decision.renew === "none") {
      nextMs = decision.nextCheckAt.getTime() - now.getTime();
    } else {
      options.logger.info("renewing certificates", {
        secret: `${options.namespace}/${options.secretName}`,
        renew: decision.renew,
        reason: decision.reason,
      });
      const renewed = await issueCertificates(files, decision.renew, {
        hosts: options.hosts,
        now,
        policy: options.policy,
        caName: options.caName,
      });
      if (decision.renew === "authority" && servableCredentials(files, now) !== undefined) {
        // Trust the new CA beside the one that signed what is served now, then serve the new.
        await this.#patchTrust(renewed["ca.crt"]);
        await new Promise((resolve) => setTimeout(resolve, options.trustSettleMs ?? 5000));
      }
      const written = await this.#writeSecret(secret, renewed);
      if (written === undefined) return 1000;
      files = renewed;
      this.#serve(written);
      const next = decideRenewal(files, { hosts: options.hosts, now, policy: options.policy });
      nextMs = next.renew === "none" ? next.nextCheckAt.getTime() - now.getTime() : RETRY_MS;
    }
    const patched = await this.#patchTrust(files["ca.crt"]!);
    return patched ? nextMs : Math.min(nextMs, MISSING_TARGET_RETRY_MS);
  }

  /** Creates or replaces the Secret; undefined when someone else changed it meanwhile. */
  async #writeSecret(
    existing: SecretObject | undefined,
    files: Required<CertificateFiles>,
  ): Promise<SecretObject | undefined> {
    const data = Object.fromEntries(
      FILE_NAMES.map((name) => [name, Buffer.from(files[name]).toString("base64")]),
    );
    const { api, namespace, secretName } = this.#options;
    try {
      if (existing === undefined)
        return await api.create<SecretObject>(resourcePath("v1", "secrets", namespace), {
          apiVersion: "v1",
          kind: "Secret",
          metadata: {
            name: secretName,
            namespace,
            labels: { "app.kubernetes.io/name": "tidal", "app.kubernetes.io/component": "operator" },
          },
          type: "kubernetes.io/tls",
          data,
        });
      return await api.replace<SecretObject>(this.#secretPath, {
        apiVersion: "v1",
        kind: "Secret",
        ...existing,
        data: { ...existing.data, ...data },
      });
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  }

  /**
   * Makes the APIService and the webhook configuration trust `bundle` (PEM). Whether both were
   * there to patch (a missing one is looked for again sooner).
   */
  async #patchTrust(bundle: string): Promise<boolean> {
    const { api, apiService, webhookConfiguration, logger } = this.#options;
    const caBundle = Buffer.from(bundle).toString("base64");
    let found = true;
    if (apiService) {
      const path = `/apis/apiregistration.k8s.io/v1/apiservices/${apiService.name}`;
      const current = await api.get<Parameters<typeof apiServicePatch>[0]>(path).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
      if (current === undefined) found = false;
      const patch = current && apiServicePatch(current, apiService.service, caBundle);
      if (patch) {
        await api.patch(path, patch);
        logger.info("patched the CA bundle", { apiService: apiService.name });
      }
    }
    if (webhookConfiguration) {
      const path = `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${webhookConfiguration}`;
      const current = await api
        .get<Parameters<typeof webhookConfigurationUpdate>[0]>(path)
        .catch((error: unknown) => {
          if (isNotFound(error)) return undefined;
          throw error;
        });
      if (current === undefined) found = false;
      const update = current && webhookConfigurationUpdate(current, caBundle);
      if (update) {
        await api.replace(path, update);
        logger.info("patched the CA bundle", { validatingWebhookConfiguration: webhookConfiguration });
      }
    }
    return found;
  }
}
