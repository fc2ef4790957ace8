import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import { basicAuthorization, equalFold } from "../shared/go-url.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { SELENIUM_GRID_QUERY, seleniumGridCount } from "./count.ts";

// KEDA reads credentials from the authentication, then the environment (never the metadata).
const CREDENTIAL_SOURCES = ["auth", "env"] as const;

const params = {
  url: param.string({
    sources: ["auth", "metadata"],
    description: "the Grid's GraphQL endpoint, e.g. http://selenium-hub:4444/graphql",
  }),
  authType: param.string({
    sources: CREDENTIAL_SOURCES,
    optional: true,
    description:
      "Basic (default, with username and password), or the scheme sent with accessToken (e.g. Bearer)",
  }),
  username: param.string({
    sources: CREDENTIAL_SOURCES,
    optional: true,
    description: "user for basic authentication",
  }),
  password: param.string({
    sources: CREDENTIAL_SOURCES,
    optional: true,
    secret: true,
    description: "password for basic authentication",
  }),
  accessToken: param.string({
    sources: CREDENTIAL_SOURCES,
    optional: true,
    secret: true,
    description: "token sent as `Authorization: <authType> <accessToken>`",
  }),
  browserName: param.string({ optional: true, description: "browserName of the session requests to count" }),
  sessionBrowserName: param.string({
    optional: true,
    description:
      "browserName the running sessions report, when it differs (e.g. msedge; default browserName)",
  }),
  browserVersion: param.string({ optional: true, description: "browserVersion of the requests to count" }),
  platformName: param.string({ optional: true, description: "platformName of the requests to count" }),
  activationThreshold: param.int({ default: 0, description: "active when more than this many are counted" }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  nodeMaxSessions: param.int({ default: 1, description: "sessions one new node serves" }),
  enableManagedDownloads: param.bool({
    default: true,
    description: "the nodes this trigger scales have managed downloads (se:downloadsEnabled) on",
  }),
  capabilities: param.string({
    optional: true,
    description:
      'extra capabilities the requests must have, as a JSON object, e.g. {"myApp:version": "beta"}',
  }),
};

type SeleniumParams = ParsedParams<typeof params>;

/** KEDA's metric name: selenium-grid, then browserName, browserVersion and platformName where given. */
function metricName(values: SeleniumParams): string {
  return ["selenium-grid", values.browserName, values.browserVersion, values.platformName]
    .filter((part) => part !== undefined && part !== "")
    .join("-");
}

/** KEDA's Authorization: basic when authType is empty or Basic and both credentials are set, else the token. */
export function seleniumAuthorization(values: {
  authType?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  accessToken?: string | undefined;
}): string | undefined {
  const authType = values.authType ?? "";
  const basic = authType === "" || equalFold(authType, "Basic");
  if (basic && values.username && values.password)
    return basicAuthorization(values.username, values.password);
  if (!equalFold(authType, "Basic") && values.accessToken) return `${authType} ${values.accessToken}`;
  return undefined;
}

function capabilitiesProblem(text: string | undefined): ParamProblem[] {
  if (text === undefined) return [];
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return [];
  } catch {
    // reported below
  }
  return [
    {
      key: "capabilities",
      message: `capabilities must be a JSON object such as {"myApp:version": "beta"}, not ${JSON.stringify(text)}`,
      severity: "error",
    },
  ];
}

export const seleniumGridScaler: ScalerDefinition<typeof params> = {
  type: "selenium-grid",
  kedaScalerName: "seleniumGridScaler",
  description:
    "Nodes needed for the Selenium Grid's queued session requests that match the trigger, plus its matching sessions.",
  testedAgainst: "Selenium Grid 4.47 (Maven Central jars, standalone hub)",
  example: {
    metadata: { url: "http://selenium-hub:4444/graphql", browserName: "chrome" },
    metricName: "s0-selenium-grid-chrome",
  },
  params,
  validate(values) {
    const problems = capabilitiesProblem(values.capabilities);
    if (!isHttpUrl(values.url)) {
      problems.push({
        key: "url",
        message: `url "${values.url}" is not a URL such as http://selenium-hub:4444/graphql`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({ name: metricName(values), target: 1, activationTarget: values.activationThreshold }),
  connect(values) {
    const client = createHttpGetClient({ tls: { rejectUnauthorized: !values.unsafeSsl } });
    const url = new URL(values.url);
    const authorization = seleniumAuthorization(values);
    const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
    const body = JSON.stringify({ query: SELENIUM_GRID_QUERY });
    const match = {
      browserName: values.browserName ?? "",
      sessionBrowserName: values.sessionBrowserName || values.browserName || "",
      browserVersion: values.browserVersion ?? "",
      platformName: values.platformName ?? "",
      nodeMaxSessions: values.nodeMaxSessions,
      enableManagedDownloads: values.enableManagedDownloads,
      capabilities: values.capabilities ?? "",
    };
    return {
      async measure(signal) {
        const response = await client.post(url, headers, body, signal);
        if (response.status !== 200) {
          const hint = response.status === 401 || response.status === 403 ? " (check the credentials)" : "";
          throw new Error(`Selenium Grid returned response status code: ${response.status}${hint}`);
        }
        const { newRequestNodes, onGoingSessions } = seleniumGridCount(response.body, match);
        const value = newRequestNodes + onGoingSessions;
        return { value, active: value > values.activationThreshold };
      },
      close: async () => client.close(),
    };
  },
};
