import { huaweiSign } from "../../auth/identity/huawei.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import type { HttpClient } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerContext, ScalerDefinition } from "../types.ts";

const AUTH = ["auth"] as const;

const params = {
  namespace: param.string({ description: "the metric's namespace, e.g. SYS.ELB" }),
  metricName: param.string({ description: "the Cloud Eye metric, e.g. mb_l7_qps" }),
  dimensionName: param.string({
    description: "the dimension that selects the resource, e.g. lbaas_instance_id",
  }),
  dimensionValue: param.string({ description: "the dimension's value (the resource's id)" }),
  targetMetricValue: param.float({ description: "target value per replica" }),
  activationTargetMetricValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  minMetricValue: param.float({
    optional: true,
    deprecated:
      "The 'minMetricValue' setting is DEPRECATED and is removed in v2.20 - Use 'activationTargetMetricValue' instead",
    description: "removed: use activationTargetMetricValue",
  }),
  metricCollectionTime: param.int({
    default: 300,
    description: "seconds back from now (the whole minute) that the read covers",
  }),
  metricFilter: param.enum(["average", "max", "min", "sum"] as const, {
    default: "average",
    description: "the aggregation: average, max, min or sum",
  }),
  metricPeriod: param.string({
    default: "300",
    description: "the aggregation period in seconds (1, 300, 1200, 3600, 14400, 86400)",
  }),
  IdentityEndpoint: param.string({
    sources: AUTH,
    description: "IAM's endpoint, e.g. https://iam.cn-north-1.myhuaweicloud.com/v3",
  }),
  ProjectID: param.string({ sources: AUTH, description: "the project id" }),
  DomainID: param.string({ sources: AUTH, description: "the account's domain id" }),
  Region: param.string({ sources: AUTH, description: "the region, e.g. cn-north-1" }),
  Domain: param.string({ sources: AUTH, description: "the account's domain name" }),
  Cloud: param.string({ sources: AUTH, default: "myhuaweicloud.com", description: "the cloud's domain" }),
  AccessKey: param.string({ sources: AUTH, description: "the access key (AK)" }),
  SecretKey: param.string({ sources: AUTH, secret: true, description: "the secret key (SK)" }),
};

type Values = {
  namespace: string;
  metricName: string;
  dimensionName: string;
  dimensionValue: string;
  targetMetricValue: number;
  activationTargetMetricValue: number;
  metricCollectionTime: number;
  metricFilter: "average" | "max" | "min" | "sum";
  metricPeriod: string;
  IdentityEndpoint: string;
  ProjectID: string;
  Region: string;
  Cloud: string;
  AccessKey: string;
  SecretKey: string;
};

/** KEDA's batch query: the metric of one resource, from a whole minute `metricCollectionTime` s back. */
export function cloudEyeQuery(values: Values, now: number): unknown {
  const to = Math.floor(now / 60_000) * 60_000;
  return {
    metrics: [
      {
        namespace: values.namespace,
        dimensions: [{ name: values.dimensionName, value: values.dimensionValue }],
        metric_name: values.metricName,
      },
    ],
    from: to - values.metricCollectionTime * 1000,
    to,
    period: values.metricPeriod,
    filter: values.metricFilter,
  };
}

/** KEDA's value: the first datapoint's value of the filter's aggregation. */
export function cloudEyeValue(answer: unknown, filter: string): number {
  const metrics =
    (answer as { metrics?: { datapoints?: Record<string, unknown>[] }[] } | null)?.metrics ?? [];
  const datapoints = metrics[0]?.datapoints ?? [];
  if (datapoints.length === 0) throw new Error("metric Data not received");
  const value = datapoints[0]?.[filter];
  if (typeof value !== "number") throw new Error("metric Data not float64");
  return value;
}

/** Huawei's error bodies: `{"error": {"message"}}` (IAM), `{"error_msg"}` or `{"message"}` (Cloud Eye). */
function huaweiMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as {
      error?: { message?: string };
      error_msg?: string;
      error_code?: string;
      message?: string;
    };
    const message = parsed.error?.message ?? parsed.error_msg ?? parsed.message;
    if (message) return parsed.error_code ? `${parsed.error_code}: ${message}` : message;
  } catch {
    // not JSON
  }
  return bodyExcerpt(body) || "(empty)";
}

interface CatalogService {
  id: string;
  type: string;
}
interface CatalogEndpoint {
  service_id: string;
  interface: string;
  region?: string;
  url: string;
}

class CloudEyeClient {
  readonly #values: Values;
  readonly #client: HttpClient;
  readonly #env: Readonly<Record<string, string | undefined>>;
  #endpoint: Promise<string> | undefined;

  constructor(values: Values, client: HttpClient, context: ScalerContext) {
    this.#values = values;
    this.#client = client;
    this.#env = context.processEnvironment ?? {};
  }

  async #send(method: string, url: URL, body: string, signal: AbortSignal, service: string) {
    const headers = huaweiSign(
      {
        method,
        url,
        body,
        headers: {
          Accept: "application/json",
          "User-Agent": "tidal",
          "X-Project-Id": this.#values.ProjectID,
          ...(body ? { "Content-Type": "application/json" } : {}),
        },
      },
      { accessKey: this.#values.AccessKey, secretKey: this.#values.SecretKey },
    );
    delete headers.Host;
    const response = await this.#client.send(method, url, headers, body || undefined, signal);
    if (response.status !== 200) {
      const hint =
        response.status === 401 || response.status === 403
          ? " (check AccessKey, SecretKey and ProjectID)"
          : "";
      throw new Error(`${service} answered HTTP ${response.status}${hint}: ${huaweiMessage(response.body)}`);
    }
    try {
      return JSON.parse(response.body) as unknown;
    } catch {
      throw new Error(`${service} answered with something that is not JSON`);
    }
  }

  /** The identity v3 base KEDA's client uses: the endpoint itself when it ends in /v3, else IAM's v3 link. */
  async #identityV3(signal: AbortSignal): Promise<string> {
    const endpoint = this.#values.IdentityEndpoint.replace(/\/*$/, "/");
    if (endpoint.endsWith("/v3/")) return endpoint;
    const base = new URL(endpoint);
    base.pathname = base.pathname.replace(/v[0-9.]+\/?/, "");
    const versions = (await this.#send("GET", base, "", signal, "IAM")) as {
      versions?: { values?: { id?: string; links?: { href?: string }[] }[] };
    };
    const v3 = versions.versions?.values?.find((value) => value.id?.startsWith("v3"))?.links?.[0]?.href;
    if (!v3) throw new Error("IAM does not offer the identity API v3 at IdentityEndpoint");
    return v3.replace(/\/*$/, "/");
  }

  /**
   * Cloud Eye's endpoint as KEDA's client finds it: SDK_CESV1_ENDPOINT_OVERRIDE in Tidal's
   * environment, else the public `cesv1` endpoint of IAM's catalog (services and endpoints, signed
   * with the AK/SK), else https://ces.<Region>.<Cloud>/V1.0/<ProjectID>/.
   */
  endpoint(signal: AbortSignal): Promise<string> {
    this.#endpoint ??= (async () => {
      const override = this.#env.SDK_CESV1_ENDPOINT_OVERRIDE;
      if (override) return override.replace("%(projectID)s", this.#values.ProjectID);
      if (!isHttpUrl(this.#values.IdentityEndpoint))
        throw new Error(
          `IdentityEndpoint is not a URL such as https://iam.${this.#values.Region}.myhuaweicloud.com/v3`,
        );
      const identity = await this.#identityV3(signal);
      const services =
        (
          (await this.#send("GET", new URL(`${identity}services`), "", signal, "IAM")) as {
            services?: CatalogService[];
          }
        ).services ?? [];
      const endpoints =
        (
          (await this.#send("GET", new URL(`${identity}endpoints`), "", signal, "IAM")) as {
            endpoints?: CatalogEndpoint[];
          }
        ).endpoints ?? [];
      const cesIds = new Set(
        services.filter((service) => service.type === "cesv1").map((service) => service.id),
      );
      const matches = endpoints.filter(
        (entry) => cesIds.has(entry.service_id) && entry.interface === "public",
      );
      if (matches.length > 1)
        throw new Error(`Discovered ${matches.length} matching cesv1 endpoints in IAM's catalog`);
      const url = matches[0]?.url.replaceAll("$(tenant_id)s", this.#values.ProjectID);
      return (
        url ?? `https://ces.${this.#values.Region}.${this.#values.Cloud}/V1.0/${this.#values.ProjectID}`
      ).replace(/\/*$/, "/");
    })();
    this.#endpoint.catch(() => (this.#endpoint = undefined));
    return this.#endpoint;
  }

  async query(signal: AbortSignal): Promise<unknown> {
    const endpoint = await this.endpoint(signal);
    try {
      return await this.#send(
        "POST",
        new URL(`${endpoint}batch-query-metric-data`),
        JSON.stringify(cloudEyeQuery(this.#values, Date.now())),
        signal,
        "Cloud Eye",
      );
    } catch (error) {
      this.#endpoint = undefined;
      throw error;
    }
  }
}

export const huaweiCloudeyeScaler: ScalerDefinition<typeof params> = {
  type: "huawei-cloudeye",
  kedaScalerName: "huaweiCloudeyeScaler",
  description:
    "A Huawei Cloud Eye metric of one resource (the first datapoint of the collection window), with AK/SK signing.",
  testedAgainst:
    "fake-huawei-cloudeye (a loopback fake of Huawei Cloud's documented IAM catalog and Cloud Eye batch query APIs, checking AK/SK signatures)",
  example: {
    metadata: {
      namespace: "SYS.ELB",
      metricName: "mb_l7_qps",
      dimensionName: "lbaas_instance_id",
      dimensionValue: "5e052238-0346-47b0-86ea-92d9f33e29d2",
      targetMetricValue: "100",
    },
    authParams: {
      IdentityEndpoint: "https://iam.cn-north-1.myhuaweicloud.com/v3",
      ProjectID: "project-id",
      DomainID: "domain-id",
      Region: "cn-north-1",
      Domain: "my-account",
      AccessKey: "access-key",
      SecretKey: "secret-key",
    },
    metricName: "s0-huawei-cloudeye-mb_l7_qps",
  },
  params,
  validate: () => [] as ParamProblem[],
  metric: (values) => ({
    name: `huawei-cloudeye-${values.metricName}`,
    target: values.targetMetricValue,
    activationTarget: values.activationTargetMetricValue,
  }),
  connect(values, context) {
    const client = createHttpGetClient({ tls: {} });
    const cloudEye = new CloudEyeClient(values, client, context);
    return {
      async measure(signal) {
        const value = cloudEyeValue(await cloudEye.query(signal), values.metricFilter);
        return { value, active: value > values.activationTargetMetricValue };
      },
      close: async () => client.close(),
    };
  },
};
