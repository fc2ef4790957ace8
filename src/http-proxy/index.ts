/**
 * Tidal's HTTP proxy: KEDA HTTP add-on interceptor semantics for standalone worker pools.
 * Routes requests by host and path prefix, holds them while a pool scales from zero, balances
 * across ready workers and meters each route's concurrency and request rate for the scaler.
 */
export {
  createHttpProxy,
  DEFAULT_CONDITION_WAIT_MS,
  DEFAULT_RESPONSE_HEADER_TIMEOUT_MS,
} from "./http-proxy.ts";
export type {
  HttpProxy,
  HttpProxyLimits,
  HttpProxyOptions,
  HttpProxyRoute,
  RouteStatus,
  TlsOptions,
} from "./http-proxy.ts";
export { httpMetricName, httpScaledObjectRoute, httpScalingMetric } from "./http-scaled-object-route.ts";
export { findRouteConflicts } from "./routing-table.ts";
export type { HttpRoute, RouteConflict, RouteHeader } from "./routing-table.ts";
export { DEFAULT_REQUEST_RATE } from "./traffic-meter.ts";
export type { RequestRateSettings, RouteMetrics } from "./traffic-meter.ts";
export type { Endpoint } from "./endpoint-load.ts";
