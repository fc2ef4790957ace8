/** Something whose replica count Tidal sets: a ProcessPool, or a Kubernetes workload through /scale. */
export interface ScaleTarget {
  /** Desired replicas (a Deployment's spec.replicas). */
  getReplicas(): Promise<number>;
  setReplicas(replicas: number): Promise<void>;
  /** Replicas that exist (status.replicas) and replicas that are ready (Running and Ready). */
  observedReplicas(): Promise<{ existing: number; ready: number }>;
}

/** Something that happened to a target that a person wants to see in status and events. */
export interface TargetEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}
