import type { SASLOptions } from "@platformatic/kafka";
import { KerberosClient, microseconds } from "../../auth/kerberos/client.ts";
import { parseKerberosConfig } from "../../auth/kerberos/config.ts";
import { GssInitiator, securityLayerAnswer } from "../../auth/kerberos/gssapi.ts";
import { keytabFromParameter } from "../../auth/kerberos/keytab.ts";
import type { KafkaParams } from "./params.ts";

type SaslCustomAuthenticator = NonNullable<SASLOptions["authenticate"]>;
type AuthenticateApi = Parameters<SaslCustomAuthenticator>[2];
type Connection = Parameters<SaslCustomAuthenticator>[1];
type Response = NonNullable<Parameters<Parameters<SaslCustomAuthenticator>[6]>[1]>;

/**
 * SASL GSSAPI (Kerberos) for the kafka trigger, as sarama does it for KEDA: a ticket for
 * `<kerberosServiceName>/<broker host>` (service name default kafka) from the realm's KDCs named
 * by kerberosConfig, for `username` in `realm` with its password or keytab; then the GSS-API
 * exchange and the SASL security-layer step (no security layer) in SaslAuthenticate requests.
 */
export function gssapiSaslOptions(values: KafkaParams, timeoutMs: number): SASLOptions {
  const client = new KerberosClient({
    config: parseKerberosConfig(values.kerberosConfig ?? ""),
    realm: values.realm ?? "",
    username: values.username ?? "",
    password: values.password || undefined,
    keytab: values.keytab ? keytabFromParameter(values.keytab) : undefined,
    disableFast: values.kerberosDisableFAST,
  });
  const serviceName = values.kerberosServiceName || "kafka";

  const authenticate: SaslCustomAuthenticator = (
    _mechanism,
    connection,
    authenticateApi,
    _u,
    _p,
    _t,
    callback,
  ) => {
    exchange(connection, authenticateApi).then(
      (response) => callback(null, response),
      (error: unknown) => callback(error as Error, undefined as unknown as Response),
    );
  };

  async function exchange(connection: Connection, authenticateApi: AuthenticateApi): Promise<Response> {
    const send = (bytes: Buffer) =>
      new Promise<Response>((resolve, reject) =>
        authenticateApi(connection, bytes, (error, response) =>
          error || !response ? reject(error ?? new Error("no SaslAuthenticate response")) : resolve(response),
        ),
      );
    const service = `${serviceName}/${connection.host ?? ""}`;
    const credential = await client.serviceTicket(service, AbortSignal.timeout(timeoutMs));
    const gss = new GssInitiator(credential);
    const reply = await send(gss.initialToken(new Date(), microseconds()));
    // The broker answers the AP-REQ with its AP-REP (mutual authentication), then offers the
    // security layers once the client has sent an empty response.
    if (reply.authBytes.length > 0) gss.acceptReply(reply.authBytes);
    const offer = await send(Buffer.alloc(0));
    return send(securityLayerAnswer(gss, offer.authBytes));
  }

  return { mechanism: "GSSAPI", authenticate };
}
