export {
  createExternalMetricsServer,
  statusBody,
  GROUP,
  GROUP_VERSION,
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
export { certificateAuthority, followCertDir, readCertDir, selfSignedServingCert } from "./certs.ts";
export {
  createSubjectAccessReviewAuthorizer,
  type SubjectAccessReviewAuthorizerOptions,
} from "./authorizer.ts";
export { parseLabelSelector, LabelSelectorError } from "./label-selector.ts";
