import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import { basicAuthorization, goHtmlEscape, parseGoQuery, parseRequestUri } from "../shared/go-url.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import { jolokiaValue } from "../shared/jolokia.ts";
import type { ScalerDefinition } from "../types.ts";

/** KEDA's default request: Jolokia's read of the queue's QueueSize attribute. */
export const DEFAULT_ACTIVEMQ_TEMPLATE =
  "http://{{.ManagementEndpoint}}/api/jolokia/read/org.apache.activemq:type=Broker,brokerName={{.BrokerName}},destinationType=Queue,destinationName={{.DestinationName}}/QueueSize";

// KEDA reads the credentials from the authentication, then the environment, then the metadata.
const CREDENTIAL_SOURCES = ["auth", "env", "metadata"] as const;

const params = {
  managementEndpoint: param.string({
    optional: true,
    description: "host:port of the broker's web console (Jolokia), e.g. activemq:8161",
  }),
  destinationName: param.string({ optional: true, description: "queue to measure" }),
  brokerName: param.string({ optional: true, description: "broker name (brokerName in activemq.xml)" }),
  username: param.string({ sources: CREDENTIAL_SOURCES, description: "web console user" }),
  password: param.string({
    sources: CREDENTIAL_SOURCES,
    secret: true,
    description: "web console password",
  }),
  corsHeader: param.string({
    optional: true,
    description: "Origin header sent to Jolokia (default http://<managementEndpoint>)",
  }),
  restAPITemplate: param.string({
    optional: true,
    description:
      "full Jolokia URL with the values written in (brokerName=…,destinationName=…); managementEndpoint, " +
      "brokerName and destinationName are then read from it, as KEDA does",
  }),
  targetQueueSize: param.int({ default: 10, description: "target number of messages per replica" }),
  activationTargetQueueSize: param.int({
    default: 0,
    description: "active when the queue holds more messages than this",
  }),
};

type ActiveMqParams = ParsedParams<typeof params>;

/** Where and what a trigger reads: from restAPITemplate when given, else from the separate parameters. */
export interface ActiveMqTarget {
  template: string;
  managementEndpoint: string;
  brokerName: string;
  destinationName: string;
  corsHeader: string;
}

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/** KEDA's reading of restAPITemplate: the host, and brokerName and destinationName from the MBean name. */
function fromTemplate(template: string): Omit<ActiveMqTarget, "corsHeader"> | ParamProblem {
  const invalid = (reason: string) =>
    problem("restAPITemplate", `restAPITemplate "${template}" cannot be read: ${reason}`);
  let properties: Map<string, string[]>;
  let host: string;
  try {
    const uri = parseRequestUri(template);
    host = uri.host;
    const colon = uri.path.indexOf(":");
    if (colon < 0) return invalid("its path has no MBean name (org.apache.activemq:type=Broker,…)");
    const mbean =
      uri.path
        .slice(colon + 1)
        .split(":")[0]
        ?.split("/")[0] ?? "";
    properties = parseGoQuery(mbean.replaceAll(",", "&"));
  } catch (error) {
    return invalid((error as Error).message);
  }
  const destination = properties.get("destinationName")?.[0];
  if (destination === undefined) return invalid("its MBean name has no destinationName");
  if (destination === "") return problem("restAPITemplate", "no destinationName is given in restAPITemplate");
  const broker = properties.get("brokerName")?.[0];
  if (broker === undefined) return invalid("its MBean name has no brokerName");
  if (broker === "")
    return problem("restAPITemplate", `no brokerName given in restAPITemplate "${template}"`);
  return { template, managementEndpoint: host, brokerName: broker, destinationName: destination };
}

/** The trigger's Jolokia target, or the problem KEDA reports for its parameters. */
export function activeMqTarget(values: ActiveMqParams): ActiveMqTarget | ParamProblem {
  let target: Omit<ActiveMqTarget, "corsHeader">;
  if (values.restAPITemplate) {
    const parsed = fromTemplate(values.restAPITemplate);
    if ("message" in parsed) return parsed;
    target = parsed;
  } else {
    if (!values.managementEndpoint) return problem("managementEndpoint", "no management endpoint given");
    if (!values.destinationName) return problem("destinationName", "no destination name given");
    if (!values.brokerName) return problem("brokerName", "no broker name given");
    target = {
      template: DEFAULT_ACTIVEMQ_TEMPLATE,
      managementEndpoint: values.managementEndpoint,
      brokerName: values.brokerName,
      destinationName: values.destinationName,
    };
  }
  return { ...target, corsHeader: values.corsHeader || `http://${target.managementEndpoint}` };
}

const FIELDS: Record<string, keyof ActiveMqTarget> = {
  ManagementEndpoint: "managementEndpoint",
  BrokerName: "brokerName",
  DestinationName: "destinationName",
};

/**
 * The request URL: the template with its `{{.Field}}` actions filled in as Go's html/template
 * does (values HTML-escaped). Other actions are refused.
 */
export function activeMqUrl(target: ActiveMqTarget): string {
  return target.template.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (action, expression: string) => {
    const field = /^\.(\w+)$/.exec(expression)?.[1];
    const key = field === undefined ? undefined : FIELDS[field];
    if (key === undefined) {
      throw new Error(
        `restAPITemplate action ${action} is not supported; use {{.ManagementEndpoint}}, {{.BrokerName}} or {{.DestinationName}}`,
      );
    }
    return goHtmlEscape(target[key]);
  });
}

function isTarget(value: ActiveMqTarget | ParamProblem): value is ActiveMqTarget {
  return !("message" in value);
}

export const activeMqScaler: ScalerDefinition<typeof params> = {
  type: "activemq",
  kedaScalerName: "activeMQScaler",
  description: "Messages in an ActiveMQ Classic queue (QueueSize through the web console's Jolokia API).",
  testedAgainst: "Apache ActiveMQ Classic 5.18 (Maven Central distribution)",
  example: {
    metadata: { managementEndpoint: "activemq:8161", destinationName: "orders", brokerName: "localhost" },
    authParams: { username: "admin", password: "admin" },
    metricName: "s0-activemq-orders",
  },
  params,
  validate(values) {
    const target = activeMqTarget(values);
    if (!isTarget(target)) return [target];
    try {
      const url = activeMqUrl(target);
      if (!isHttpUrl(url)) {
        return [problem("restAPITemplate", `the Jolokia URL "${url}" is not an http or https URL`)];
      }
    } catch (error) {
      return [problem("restAPITemplate", (error as Error).message)];
    }
    return [];
  },
  metric(values) {
    const target = activeMqTarget(values);
    return {
      name: `activemq-${isTarget(target) ? target.destinationName : ""}`,
      target: values.targetQueueSize,
      activationTarget: values.activationTargetQueueSize,
    };
  },
  connect(values) {
    const target = activeMqTarget(values);
    if (!isTarget(target)) throw new Error(target.message);
    const url = new URL(activeMqUrl(target));
    const client = createHttpGetClient({ tls: {} });
    const headers = {
      Authorization: basicAuthorization(values.username, values.password),
      "Content-Type": "application/json",
      Origin: target.corsHeader,
    };
    return {
      async measure(signal) {
        const response = await client.get(url, headers, signal);
        const value = jolokiaValue(response, {
          server: "ActiveMQ",
          queue: target.destinationName,
          broker: target.brokerName,
        });
        return { value, active: value > values.activationTargetQueueSize };
      },
      close: async () => client.close(),
    };
  },
};
