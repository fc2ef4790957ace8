import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import type { HttpResponse } from "../shared/http-get.ts";
import { createHttpGetClient } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

const params = {
  account: param.int({ sources: ["auth", "metadata"], description: "New Relic account ID" }),
  region: param.string({
    sources: ["auth", "metadata"],
    default: "US",
    description: "New Relic region: US, EU, JP, GOV (or fedramp), Staging, Local",
  }),
  queryKey: param.string({
    sources: ["auth", "metadata"],
    secret: true,
    description: "user API key, sent to NerdGraph as Api-Key",
  }),
  noDataError: param.bool({
    default: false,
    description: "fail when the query returns no rows or no number, instead of reading 0",
  }),
  nrql: param.string({ description: "NRQL query; the first number in its first result row is the metric" }),
  threshold: param.float({ description: "target value per replica" }),
  activationThreshold: param.float({ default: 0, description: "active when the value is greater than this" }),
};

/** NerdGraph's endpoint per region, as newrelic-client-go knows them (region names case-insensitive). */
const NERDGRAPH: Readonly<Record<string, string>> = {
  us: "https://api.newrelic.com/graphql",
  eu: "https://api.eu.newrelic.com/graphql",
  jp: "https://api.jp.newrelic.com/graphql",
  gov: "https://gov-api.newrelic.com/graphql",
  fedramp: "https://gov-api.newrelic.com/graphql",
  staging: "https://staging-api.newrelic.com/graphql",
  local: "http://localhost:3000/graphql",
};

/**
 * The NerdGraph URL for a region. As newrelic-client-go, NEW_RELIC_NERDGRAPH_BASE_URL in Tidal's own
 * environment (KEDA reads its operator's) replaces it, for a proxy or a private endpoint.
 */
export function nerdGraphUrl(region: string, env: Readonly<Record<string, string | undefined>> = {}): string {
  const override = env.NEW_RELIC_NERDGRAPH_BASE_URL;
  if (override) return override;
  const url = NERDGRAPH[region.toLowerCase()];
  if (url === undefined) throw new Error(`unknown region: ${region}`);
  return url;
}

// The query newrelic-client-go sends for Nrdb.Query.
const NRQL_QUERY = `query (
	$query: Nrql!,
	$accountId: Int!
)
{
  actor {
    account(id: $accountId) {
      nrql(query: $query) {
        currentResults
        otherResult
        previousResults
        results
        totalResult
        metadata {
          eventTypes
          facets
          messages
          timeWindow {
            begin
            compareWith
            end
            since
            until
          }
        }
      }
    }
  }
}
`;

interface NerdGraphAnswer {
  data?: { actor?: { account?: { nrql?: { results?: unknown[] | null } | null } | null } | null } | null;
  errors?: { message?: string }[] | null;
}

/** The results of a NerdGraph NRQL answer, or the error newrelic-client-go would report. */
export function nrqlResults(response: HttpResponse): unknown[] {
  if (response.status === 401 || response.status === 403) {
    throw new Error(
      "401 response returned: Invalid credentials provided. Missing API key or an invalid API key was provided.",
    );
  }
  let answer: NerdGraphAnswer | null;
  try {
    answer = JSON.parse(response.body) as NerdGraphAnswer | null;
  } catch {
    answer = null;
  }
  const messages = (answer?.errors ?? []).map((error) => error.message).filter((message) => message);
  if (response.status < 200 || response.status > 299) {
    const detail = messages.length > 0 ? messages.join(", ") : bodyExcerpt(response.body, 200);
    throw new Error(`${response.status} response returned${detail ? `: ${detail}` : ""}`);
  }
  if (answer === null)
    throw new Error(`NerdGraph answered with something that is not JSON: ${bodyExcerpt(response.body, 120)}`);
  if (messages.length > 0) throw new Error(messages.join(", "));
  return answer.data?.actor?.account?.nrql?.results ?? [];
}

/** KEDA's reading of the results: the first number of the first row (0, or an error with noDataError). */
export function nrqlValue(results: readonly unknown[], nrql: string, noDataError: boolean): number {
  const first = results[0];
  if (first === undefined) {
    if (noDataError) throw new Error(`query returned no results: ${nrql}`);
    return 0;
  }
  if (typeof first === "object" && first !== null) {
    for (const value of Object.values(first)) if (typeof value === "number") return value;
  }
  if (noDataError) throw new Error(`query returned no numeric results: ${nrql}`);
  return 0;
}

export const newRelicScaler: ScalerDefinition<typeof params> = {
  type: "new-relic",
  kedaScalerName: "newrelicScaler",
  description: "The first number of a New Relic NRQL query's first result row, read through NerdGraph.",
  testedAgainst:
    "fake-newrelic (a loopback fake of New Relic's documented NerdGraph GraphQL API: actor.account.nrql)",
  example: {
    metadata: {
      account: "1234567",
      nrql: "SELECT average(duration) FROM Transaction SINCE 5 minutes ago",
      threshold: "50",
    },
    authParams: { queryKey: "NRAK-user-key" },
    metricName: "s0-new-relic",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (NERDGRAPH[values.region.toLowerCase()] === undefined) {
      problems.push({
        key: "region",
        message: `unknown region: ${values.region} (use US, EU, JP, GOV, Staging or Local)`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: "new-relic",
    target: values.threshold,
    activationTarget: values.activationThreshold,
  }),
  connect(values, context) {
    const client = createHttpGetClient({ tls: {} });
    const url = new URL(nerdGraphUrl(values.region, context.processEnvironment));
    const headers = {
      "Api-Key": values.queryKey,
      "Content-Type": "application/json",
      "NewRelic-Requesting-Services": "tidal",
    };
    const body = JSON.stringify({
      query: NRQL_QUERY,
      variables: { accountId: values.account, query: values.nrql },
    });
    return {
      async measure(signal) {
        let results: unknown[];
        try {
          results = nrqlResults(await client.post(url, headers, body, signal));
        } catch (error) {
          if (signal.aborted) throw error;
          throw new Error(`error running NRQL ${values.nrql}: ${(error as Error).message}`, { cause: error });
        }
        const value = nrqlValue(results, values.nrql, values.noDataError);
        return { value, active: value > values.activationThreshold };
      },
      close: async () => client.close(),
    };
  },
};
