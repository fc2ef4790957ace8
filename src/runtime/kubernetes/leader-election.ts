import type { Logger } from "../../observability/logger.ts";
import { isConflict, isNotFound, resourcePath, type KubeClient } from "./kube-api.ts";

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** A Kubernetes MicroTime (RFC 3339 with exactly six fractional digits), as Lease times require. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  renewIntervalMs?: number;
  retryIntervalMs?: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: the holder renews the
 * lease; others take it over once it has not been renewed for leaseDurationSeconds. Updates carry
 * the resourceVersion, so two candidates never both win. A leader that fails to renew within the
 * lease duration stops leading.
 */
export class LeaderElector {
  readonly #api: KubeClient;
  readonly #options: Required<Omit<LeaderElectionOptions, "onStartedLeading" | "onStoppedLeading">> &
    Pick<LeaderElectionOptions, "onStartedLeading" | "onStoppedLeading">;
  readonly #logger: Logger;
  #leading = false;
  #lastRenewed = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(api: KubeClient, options: LeaderElectionOptions, logger: Logger) {
    this.#api = api;
    this.#options = { leaseDurationSeconds: 10, renewIntervalMs: 2000, retryIntervalMs: 2000, ...options };
    this.#logger = logger;
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    void this.#tick();
  }

  /** Stops campaigning and, when leading, releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#leading) return;
    this.#leading = false;
    try {
      const lease = await this.#api.get<Lease>(this.#path(this.#options.name));
      if (lease.spec.holderIdentity === this.#options.identity) {
        await this.#api.replace(this.#path(this.#options.name), {
          ...lease,
          spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1 },
        });
      }
    } catch {
      // The lease expires on its own.
    }
  }

  #path(name?: string): string {
    return resourcePath("coordination.k8s.io/v1", "leases", this.#options.namespace, name);
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      await this.#tryAcquireOrRenew();
    } catch (error) {
      this.#logger.warn("leader election: lease update failed", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    if (this.#leading && Date.now() - this.#lastRenewed > this.#options.leaseDurationSeconds * 1000) {
      this.#leading = false;
      this.#logger.warn("leader election: could not renew the lease in time; stopping", {
        identity: this.#options.identity,
      });
      this.#options.onStoppedLeading();
    }
    if (this.#stopped) return;
    this.#timer = setTimeout(
      () => void this.#tick(),
      this.#leading ? this.#options.renewIntervalMs : this.#options.retryIntervalMs,
    );
  }

  async #tryAcquireOrRenew(): Promise<void> {
    const { name, namespace, identity, leaseDurationSeconds } = this.#options;
    const now = microTime(new Date());
    let lease: Lease | undefined;
    try {
      lease = await this.#api.get<Lease>(this.#path(name));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (lease === undefined) {
      try {
        await this.#api.create(this.#path(), {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        });
        this.#becameLeader();
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
      return;
    }
    const holder = lease.spec.holderIdentity ?? "";
    const renewedAt = Date.parse(lease.spec.renewTime ?? lease.spec.acquireTime ?? "") || 0;
    const expired = Date.now() > renewedAt + (lease.spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (holder !== identity && holder !== "" && !expired) return;
    const takingOver = holder !== identity;
    const spec = {
      ...lease.spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      ...(takingOver ? { acquireTime: now, leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 } : {}),
    };
    try {
      await this.#api.replace(this.#path(name), {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: lease.metadata,
        spec,
      });
    } catch (error) {
      if (isConflict(error)) return;
      throw error;
    }
    if (takingOver || !this.#leading) this.#becameLeader();
    else this.#lastRenewed = Date.now();
  }

  #becameLeader(): void {
    this.#lastRenewed = Date.now();
    if (this.#leading) return;
    this.#leading = true;
    this.#logger.info("leader election: became leader", { identity: this.#options.identity });
    this.#options.onStartedLeading();
  }
}
