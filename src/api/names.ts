/** API versions, labels and the finalizer Tidal shares with KEDA (and names of its own). */

export const KEDA_API_VERSION = "keda.sh/v1alpha1";
/** KEDA 1.x, converted on read (legacy.ts). */
export const KEDA_LEGACY_API_VERSION = "keda.k8s.io/v1alpha1";
/** KEDA's HTTP add-on (HTTPScaledObject). */
export const HTTP_ADDON_API_VERSION = "http.keda.sh/v1alpha1";
/** Tidal's own kinds (ProcessPool). */
export const TIDAL_API_VERSION = "tidal.dev/v1alpha1";

/** Label KEDA puts on a ScaledObject, its HPA, and every external metric selector. */
export const SCALED_OBJECT_LABEL = "scaledobject.keda.sh/name";
/** Label KEDA puts on a ScaledJob's Jobs. */
export const SCALED_JOB_LABEL = "scaledjob.keda.sh/name";
export const KEDA_FINALIZER = "finalizer.keda.sh";
