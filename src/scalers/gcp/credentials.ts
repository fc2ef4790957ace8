import {
  gcpCredentialSource,
  NO_GCP_CREDENTIALS,
  type GcpCredentialSource,
} from "../../auth/identity/gcp.ts";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";

/** The credential parameters every gcp scaler reads, with KEDA's keys. */
export const gcpCredentialParams = {
  GoogleApplicationCredentials: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "the contents of a service-account key file (JSON)",
  }),
  credentials: param.string({
    sources: ["env"],
    optional: true,
    secret: true,
    description:
      "the contents of a service-account key file (JSON), from the variable credentialsFromEnv names",
  }),
  credentialsFile: param.string({
    sources: ["env"],
    envKey: "credentialsFromEnvFile",
    optional: true,
    description: "path of a service-account key file, from the variable credentialsFromEnvFile names",
  }),
};

interface CredentialValues {
  GoogleApplicationCredentials?: string | undefined;
  credentials?: string | undefined;
  credentialsFile?: string | undefined;
}

/** Where the trigger's credentials come from, in KEDA's order (pod identity gcp first). */
export function triggerCredentialSource(
  values: CredentialValues,
  podIdentity: PodIdentity | undefined,
): GcpCredentialSource | undefined {
  return gcpCredentialSource({
    podIdentity,
    applicationCredentials: values.GoogleApplicationCredentials,
    credentialsFromEnv: values.credentials,
    credentialsFile: values.credentialsFile,
  });
}

/** KEDA's "google application credentials not found", as a problem of the trigger. */
export function gcpCredentialProblems(
  values: CredentialValues,
  podIdentity: PodIdentity | undefined,
): ParamProblem[] {
  return triggerCredentialSource(values, podIdentity) === undefined
    ? [{ key: "GoogleApplicationCredentials", message: NO_GCP_CREDENTIALS, severity: "error" }]
    : [];
}
