import type { SASLOptions } from "@platformatic/kafka";
import type { KafkaParams } from "./params.ts";

/** SASL GSSAPI (Kerberos) for the kafka trigger. */
export function gssapiSaslOptions(_values: KafkaParams, _timeoutMs: number): SASLOptions {
  throw new Error("sasl gssapi is not supported by Tidal yet");
}
