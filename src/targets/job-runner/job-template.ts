import { resolve } from "node:path";
import { containerArgv, podGraceSeconds } from "../../api/local-container.ts";
import type { JobSpec } from "../../api/schema/scaled-job.ts";
import { TidalError } from "../../util/errors.ts";
import type { LaunchSpec } from "../shared/process-group.ts";

/** What every job of a ScaledJob runs, read from its jobTargetRef (a batch/v1 JobSpec). */
export interface JobTemplate {
  launch: LaunchSpec;
  parallelism: number;
  /**
   * Processes that must exit 0 for the job to succeed. Undefined is Kubernetes' work-queue mode
   * (parallelism set, completions not): the job succeeds once any process succeeded and all have exited.
   */
  completions: number | undefined;
  /** Failed processes a job retries; one more fails the job. */
  backoffLimit: number;
  activeDeadlineMs: number | undefined;
  graceMs: number;
}

const DEFAULT_BACKOFF_LIMIT = 6;

/**
 * Reads the template the way the Job controller and the kubelet would, for local processes:
 * containers[0]'s `command` + `args` run in `workingDir` (relative to `baseDir`). `image` is
 * ignored — the command runs on this machine — so `command` is required. The environment is
 * containers[0]'s literal `env` values with `env` (what the runtime resolved) over them.
 *
 * Defaults follow Kubernetes: parallelism 1; completions 1 when neither is set, equal to nothing
 * (work-queue mode) when only parallelism is; backoffLimit 6; terminationGracePeriodSeconds 30.
 */
export function readJobTemplate(jobSpec: JobSpec, baseDir: string, env: Record<string, string>): JobTemplate {
  const { spec } = jobSpec.template;
  const container = spec.containers[0];
  const argv = containerArgv(container);
  if (container === undefined || argv === undefined) {
    throw new TidalError(
      "TIDAL_E_INVALID",
      "jobTargetRef.template.spec.containers[0].command is required to run jobs as local processes (the image is not used)",
    );
  }
  const literalEnv = Object.fromEntries(
    (container.env ?? []).flatMap(({ name, value }) => (value === undefined ? [] : [[name, value]])),
  );
  return {
    launch: {
      argv,
      cwd: resolve(baseDir, container.workingDir ?? "."),
      env: { ...literalEnv, ...env },
    },
    parallelism: jobSpec.parallelism ?? 1,
    completions: jobSpec.completions ?? (jobSpec.parallelism === undefined ? 1 : undefined),
    backoffLimit: jobSpec.backoffLimit ?? DEFAULT_BACKOFF_LIMIT,
    activeDeadlineMs:
      jobSpec.activeDeadlineSeconds === undefined ? undefined : jobSpec.activeDeadlineSeconds * 1000,
    graceMs: podGraceSeconds(spec) * 1000,
  };
}
