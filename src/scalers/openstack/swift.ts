import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { HttpClient } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { catalogEndpoint, KeystoneSession, openstackErrorMessage, type KeystoneToken } from "./keystone.ts";

const AUTH = ["auth"] as const;

const params = {
  swiftURL: param.string({
    optional: true,
    description:
      "Swift's account URL, e.g. http://swift:8080/v1/AUTH_<project> (default: from the service catalog)",
  }),
  containerName: param.string({ description: "the container whose objects are counted" }),
  objectCount: param.int({ default: 2, description: "target number of objects per replica" }),
  activationObjectCount: param.int({ default: 0, description: "active when the count is greater than this" }),
  objectPrefix: param.string({
    optional: true,
    description: "part of the metric name (KEDA counts the whole container whatever it says)",
  }),
  objectDelimiter: param.string({
    optional: true,
    description: "accepted as KEDA does; not used by the count",
  }),
  objectLimit: param.string({ optional: true, description: "accepted as KEDA does; not used by the count" }),
  onlyFiles: param.bool({ default: false, description: "accepted as KEDA does; not used by the count" }),
  timeout: param.int({ default: 30, description: "HTTP timeout in seconds" }),
  authURL: param.string({ sources: AUTH, description: "Keystone's URL, e.g. http://keystone:5000/v3" }),
  userID: param.string({ sources: AUTH, optional: true, description: "user id for the password method" }),
  password: param.string({ sources: AUTH, optional: true, secret: true, description: "password of userID" }),
  projectID: param.string({
    sources: AUTH,
    optional: true,
    description: "project of the password method's token",
  }),
  appCredentialID: param.string({
    sources: AUTH,
    optional: true,
    description: "application credential id (the application credential method)",
  }),
  appCredentialSecret: param.string({
    sources: AUTH,
    optional: true,
    secret: true,
    description: "application credential secret",
  }),
  regionName: param.string({
    sources: AUTH,
    optional: true,
    description: "region of the object-store endpoint in the service catalog",
  }),
};

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

function headerValue(
  headers: Readonly<Record<string, string | string[] | undefined>> | undefined,
  name: string,
) {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The container's object count from a HEAD of the container (`X-Container-Object-Count`). */
export function swiftObjectCount(
  response: {
    status: number;
    body: string;
    headers?: Readonly<Record<string, string | string[] | undefined>>;
  },
  container: string,
): number {
  if (response.status === 404)
    throw new Error(`Swift container "${container}" not found: create it or fix containerName`);
  if (response.status < 200 || response.status >= 300) {
    const hint =
      response.status === 401 || response.status === 403
        ? " (check the credentials and the project's access)"
        : "";
    throw new Error(
      `Swift answered HTTP ${response.status} for container "${container}"${hint}${response.body ? `: ${openstackErrorMessage(response.body)}` : ""}`,
    );
  }
  const count = Number(headerValue(response.headers, "x-container-object-count"));
  if (!Number.isInteger(count))
    throw new Error(`Swift's answer for container "${container}" has no X-Container-Object-Count`);
  return count;
}

export const openstackSwiftScaler: ScalerDefinition<typeof params> = {
  type: "openstack-swift",
  kedaScalerName: "openstackSwiftScaler",
  description:
    "Number of objects in an OpenStack Swift container (its X-Container-Object-Count), with a Keystone token.",
  testedAgainst:
    "fake-openstack (a loopback fake of OpenStack Keystone's, Gnocchi's and Swift's documented APIs)",
  example: {
    metadata: { containerName: "uploads", objectCount: "10" },
    authParams: {
      authURL: "http://keystone:5000/v3",
      userID: "my-id",
      password: "my-password",
      projectID: "my-project-id",
    },
    metricName: "s0-openstack-swift-uploads",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (values.userID) {
      if (!values.password)
        problems.push(problem("password", "password must be specified when using userID"));
      if (!values.projectID)
        problems.push(problem("projectID", "projectID must be specified when using userID"));
    } else if (values.appCredentialID) {
      if (!values.appCredentialSecret)
        problems.push(
          problem("appCredentialSecret", "appCredentialSecret must be specified when using appCredentialID"),
        );
    } else {
      problems.push(problem("userID", "either userID or appCredentialID must be specified"));
    }
    if (!isHttpUrl(values.authURL))
      problems.push(
        problem("authURL", `authURL "${values.authURL}" is not a URL such as http://keystone:5000/v3`),
      );
    if (values.swiftURL !== undefined && !isHttpUrl(values.swiftURL))
      problems.push(
        problem(
          "swiftURL",
          `swiftURL "${values.swiftURL}" is not a URL such as http://swift:8080/v1/AUTH_project`,
        ),
      );
    return problems;
  },
  metric: (values) => ({
    name: `openstack-swift-${values.objectPrefix ? `${values.containerName}-${values.objectPrefix}` : values.containerName}`,
    target: values.objectCount,
    activationTarget: values.activationObjectCount,
  }),
  connect(values) {
    const client = createHttpGetClient({ tls: {} });
    const keystone = new KeystoneSession(
      values.appCredentialID
        ? {
            authUrl: values.authURL,
            appCredentialId: values.appCredentialID,
            appCredentialSecret: values.appCredentialSecret,
          }
        : {
            authUrl: values.authURL,
            userId: values.userID,
            password: values.password,
            projectId: values.projectID,
          },
      client,
    );
    const containerUrl = (token: KeystoneToken) => {
      const base = values.swiftURL ?? catalogEndpoint(token.catalog, "object-store", values.regionName);
      return new URL(`${base.replace(/\/+$/, "")}/${encodeURIComponent(values.containerName)}`);
    };
    return {
      timeoutMs: values.timeout * 1000,
      async measure(signal) {
        let response = await headContainer(client, await keystone.token(signal), containerUrl, signal);
        // An expired token: KEDA rebuilds the scaler after a failed read, which authenticates again.
        if (response.status === 401) {
          keystone.invalidate();
          response = await headContainer(client, await keystone.token(signal), containerUrl, signal);
        }
        const count = swiftObjectCount(response, values.containerName);
        return { value: count, active: count > values.activationObjectCount };
      },
      close: async () => client.close(),
    };
  },
};

function headContainer(
  client: HttpClient,
  token: KeystoneToken,
  containerUrl: (token: KeystoneToken) => URL,
  signal: AbortSignal,
) {
  return client.send(
    "HEAD",
    containerUrl(token),
    { "X-Auth-Token": token.token, Accept: "application/json" },
    undefined,
    signal,
  );
}
