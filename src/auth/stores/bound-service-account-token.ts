import { messageOf } from "../../util/errors.ts";
import type { SecretStore, StoreProblem } from "./types.ts";

/**
 * `spec.boundServiceAccountToken`: each entry's parameter is a token for the service account in the
 * authentication's namespace (a ClusterTriggerAuthentication's: KEDA_CLUSTER_OBJECT_NAMESPACE),
 * from the TokenRequest API with the API server's default audience. Tokens are renewed before
 * they expire (see AuthSources.serviceAccountToken).
 */
export const boundServiceAccountTokenStore: SecretStore<"boundServiceAccountToken"> = {
  field: "boundServiceAccountToken",

  async resolve(entries, context) {
    const params: Record<string, string> = {};
    for (const [index, entry] of entries.entries()) {
      const where = `${context.label}: boundServiceAccountToken[${index}] (parameter ${entry.parameter})`;
      if (!entry.serviceAccountName) throw new Error(`${where}: serviceAccountName is empty`);
      try {
        const issued = await context.sources.serviceAccountToken(context.namespace, entry.serviceAccountName);
        context.refreshBy(issued.refreshAt);
        params[entry.parameter] = issued.token;
      } catch (error) {
        throw new Error(`${where}: ${messageOf(error)}`, { cause: error });
      }
    }
    return params;
  },

  check(entries) {
    const problems: StoreProblem[] = [];
    for (const [index, entry] of entries.entries())
      for (const field of ["parameter", "serviceAccountName"] as const)
        if (entry[field] === "")
          problems.push({ path: `[${index}].${field}`, message: "must not be empty", severity: "error" });
    if (entries.length > 0)
      problems.push({
        path: "",
        message:
          "service account tokens come from the cluster's TokenRequest API: `tidal operator` requests them; `tidal run` and `tidal probe` cannot",
        severity: "warning",
      });
    return problems;
  },
};
