import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import { basicAuthorization, parseGoQuery, parseRequestUri } from "../shared/go-url.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import { jolokiaValue } from "../shared/jolokia.ts";
import { certAndKeyProblems, tlsMaterialParams, tlsOptions } from "../shared/tls.ts";
import type { ScalerDefinition } from "../types.ts";

/** KEDA's default request: Jolokia's read of the queue's MessageCount attribute. */
export const DEFAULT_ARTEMIS_TEMPLATE =
  'http://<<managementEndpoint>>/console/jolokia/read/org.apache.activemq.artemis:broker="<<brokerName>>",component=addresses,address="<<brokerAddress>>",subcomponent=queues,routing-type="anycast",queue="<<queueName>>"/MessageCount';

// KEDA reads the credentials from the authentication, then the metadata, then the environment.
const CREDENTIAL_SOURCES = ["auth", "metadata", "env"] as const;

const params = {
  managementEndpoint: param.string({
    optional: true,
    description: "host:port of the broker's web console (Jolokia), e.g. artemis:8161",
  }),
  queueName: param.string({ optional: true, description: "queue to measure" }),
  brokerName: param.string({ optional: true, description: "broker name (name in broker.xml)" }),
  brokerAddress: param.string({ optional: true, description: "address the queue is bound to" }),
  username: param.string({ sources: CREDENTIAL_SOURCES, description: "web console user" }),
  password: param.string({ sources: CREDENTIAL_SOURCES, secret: true, description: "web console password" }),
  restApiTemplate: param.string({
    optional: true,
    description:
      'full Jolokia URL with the values written in (broker="…",address="…",queue="…"); managementEndpoint, ' +
      "brokerName, brokerAddress and queueName are then read from it, quotes included, as KEDA does",
  }),
  queueLength: param.int({ default: 10, description: "target number of messages per replica" }),
  activationQueueLength: param.int({
    default: 10,
    description: "active when the queue holds more messages than this (KEDA's default is 10)",
  }),
  corsHeader: param.string({
    optional: true,
    description: "Origin header sent to Jolokia (default http://<managementEndpoint>)",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  ...tlsMaterialParams,
};

type ArtemisParams = ParsedParams<typeof params>;

export interface ArtemisTarget {
  template: string;
  managementEndpoint: string;
  brokerName: string;
  brokerAddress: string;
  queueName: string;
  corsHeader: string;
}

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/**
 * KEDA's reading of restApiTemplate: the host, and broker, address and queue from the MBean name
 * in the path as written (Go's RawPath, so the template must contain a character Go would escape,
 * such as the quotes of `broker="…"`). Values keep their quotes, as in KEDA; an empty `""` is empty.
 */
function fromTemplate(template: string): Omit<ArtemisTarget, "corsHeader"> | ParamProblem {
  const invalid = (reason: string) =>
    problem("restApiTemplate", `can't parse restApiTemplate "${template}": ${reason}`);
  let properties: Map<string, string[]>;
  let host: string;
  try {
    const uri = parseRequestUri(template);
    host = uri.host;
    const colon = uri.rawPath.indexOf(":");
    if (colon < 0) {
      return invalid(
        'its path has no MBean name written with quotes (org.apache.activemq.artemis:broker="…",…)',
      );
    }
    const mbean =
      uri.rawPath
        .slice(colon + 1)
        .split(":")[0]
        ?.split("/")[0] ?? "";
    properties = parseGoQuery(mbean.replaceAll(",", "&").replaceAll('""', ""));
  } catch (error) {
    return invalid((error as Error).message);
  }
  const first = (key: string) => properties.get(key)?.[0];
  const address = first("address");
  if (address === undefined) return invalid("its MBean name has no address");
  if (address === "") return problem("restApiTemplate", "no brokerAddress given in restApiTemplate");
  const queue = first("queue");
  if (queue === undefined) return invalid("its MBean name has no queue");
  if (queue === "") return problem("restApiTemplate", "no queueName is given in restApiTemplate");
  const broker = first("broker");
  if (broker === undefined) return invalid("its MBean name has no broker");
  if (broker === "")
    return problem("restApiTemplate", `no brokerName given in restApiTemplate "${template}"`);
  return { template, managementEndpoint: host, brokerName: broker, brokerAddress: address, queueName: queue };
}

export function artemisTarget(values: ArtemisParams): ArtemisTarget | ParamProblem {
  let target: Omit<ArtemisTarget, "corsHeader">;
  if (values.restApiTemplate) {
    const parsed = fromTemplate(values.restApiTemplate);
    if ("message" in parsed) return parsed;
    target = parsed;
  } else {
    if (!values.managementEndpoint) return problem("managementEndpoint", "no management endpoint given");
    if (!values.queueName) return problem("queueName", "no queue name given");
    if (!values.brokerName) return problem("brokerName", "no broker name given");
    if (!values.brokerAddress) return problem("brokerAddress", "no broker address given");
    target = {
      template: DEFAULT_ARTEMIS_TEMPLATE,
      managementEndpoint: values.managementEndpoint,
      brokerName: values.brokerName,
      brokerAddress: values.brokerAddress,
      queueName: values.queueName,
    };
  }
  return { ...target, corsHeader: values.corsHeader || `http://${target.managementEndpoint}` };
}

/** The request URL: the template with its `<<…>>` placeholders replaced (one pass, as Go's Replacer). */
export function artemisUrl(target: ArtemisTarget): string {
  const replacements: Record<string, string> = {
    "<<managementEndpoint>>": target.managementEndpoint,
    "<<queueName>>": target.queueName,
    "<<brokerName>>": target.brokerName,
    "<<brokerAddress>>": target.brokerAddress,
  };
  return target.template.replace(
    /<<managementEndpoint>>|<<queueName>>|<<brokerName>>|<<brokerAddress>>/g,
    (placeholder) => replacements[placeholder] ?? placeholder,
  );
}

function isTarget(value: ArtemisTarget | ParamProblem): value is ArtemisTarget {
  return !("message" in value);
}

export const artemisScaler: ScalerDefinition<typeof params> = {
  type: "artemis-queue",
  kedaScalerName: "artemisScaler",
  description: "Messages in an ActiveMQ Artemis queue (MessageCount through the web console's Jolokia API).",
  testedAgainst: "Apache ActiveMQ Artemis 2.40 (Maven Central distribution)",
  example: {
    metadata: {
      managementEndpoint: "artemis:8161",
      queueName: "orders",
      brokerName: "broker",
      brokerAddress: "orders",
    },
    authParams: { username: "admin", password: "admin" },
    metricName: "s0-artemis-orders",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    const target = artemisTarget(values);
    if (!isTarget(target)) problems.push(target);
    else if (!isHttpUrl(artemisUrl(target))) {
      problems.push(
        problem("restApiTemplate", `the Jolokia URL "${artemisUrl(target)}" is not an http or https URL`),
      );
    }
    problems.push(
      ...certAndKeyProblems(values).map((found) => ({
        ...found,
        message: "both cert and key must be provided",
      })),
    );
    return problems;
  },
  metric(values) {
    const target = artemisTarget(values);
    return {
      name: `artemis-${isTarget(target) ? target.queueName : ""}`,
      target: values.queueLength,
      activationTarget: values.activationQueueLength,
    };
  },
  connect(values) {
    const target = artemisTarget(values);
    if (!isTarget(target)) throw new Error(target.message);
    const url = new URL(artemisUrl(target));
    // KEDA uses the client certificate when both cert and key are given; a CA is trusted whenever given.
    const withClientCertificate = Boolean(values.cert && values.key);
    const client = createHttpGetClient({
      tls: tlsOptions({
        ca: values.ca,
        cert: withClientCertificate ? values.cert : undefined,
        key: withClientCertificate ? values.key : undefined,
        keyPassword: withClientCertificate ? values.keyPassword : undefined,
        unsafeSsl: values.unsafeSsl,
      }),
    });
    const headers = {
      Authorization: basicAuthorization(values.username, values.password),
      Origin: target.corsHeader,
    };
    return {
      async measure(signal) {
        const response = await client.get(url, headers, signal);
        const value = jolokiaValue(response, {
          server: "Artemis",
          queue: target.queueName,
          broker: target.brokerName,
        });
        return { value, active: value > values.activationQueueLength };
      },
      close: async () => client.close(),
    };
  },
};
