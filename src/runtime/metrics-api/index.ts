export {
  createExternalMetricsServer,
  statusBody,
  GROUP,
  GROUP_VERSION,
  SCALED_OBJECT_LABEL,
  VERSION,
  type AuthorizationRequest,
  type Authorizer,
  type ExternalMetricsServer,
  type ExternalMetricsServerOptions,
  type FrontProxyTrust,
  type LookupError,
  type LookupResult,
  type MetricLookup,
  type MetricQuery,
  type MetricValue,
  type RequestUser,
  type TlsCredentials,
} from "./server.ts";
export {
  ensureLocalApiService,
  removeLocalApiService,
  API_SERVICE_NAME,
  type LocalApiServiceOptions,
} from "./apiservice.ts";
export { readFrontProxyTrust } from "./front-proxy.ts";
export { selfSignedServingCert } from "./certs.ts";
export {
  createSubjectAccessReviewAuthorizer,
  type SubjectAccessReviewAuthorizerOptions,
} from "./authorizer.ts";
export { formatQuantity, formatMilliQuantity, toMilli } from "./quantity.ts";
export { parseLabelSelector, LabelSelectorError } from "./label-selector.ts";
