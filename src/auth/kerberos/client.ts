import { createSocket } from "node:dgram";
import { randomInt } from "node:crypto";
import { connect } from "node:net";
import type { KerberosConfig } from "./config.ts";
import {
  CKSUM_FOR_ETYPE,
  IntegrityError,
  SUPPORTED_ETYPES,
  checksum,
  decrypt,
  encrypt,
  etypeName,
  stringToKey,
  type EncryptionKey,
} from "./crypto.ts";
import { decode } from "./der.ts";
import type { KeytabEntry } from "./keytab.ts";
import {
  MSG,
  NT_PRINCIPAL,
  NT_SRV_INST,
  PA,
  USAGE,
  decodeEncKdcRepPart,
  decodeEtypeInfo2,
  decodeKdcAnswer,
  decodePaDataList,
  describeKrbError,
  encodeApRequest,
  encodeAuthenticator,
  encodeEncryptedData,
  encodeKdcRequest,
  encodePaData,
  encodeRequestBody,
  encodeTimestamp,
  type KdcReply,
  type KrbError,
  type PrincipalName,
} from "./messages.ts";

/**
 * A Kerberos V5 client (RFC 4120) for a principal with a password or a keytab: it gets a
 * ticket-granting ticket from the realm's KDC (AS exchange with encrypted-timestamp
 * pre-authentication) and service tickets with it (TGS exchange), caching both until shortly
 * before they expire. The KDCs come from a krb5.conf; messages go over UDP or TCP as MIT's
 * library sends them (TCP first when udp_preference_limit is 1 or the message is longer).
 */

export interface KerberosCredentials {
  config: KerberosConfig;
  realm: string;
  /** The principal's name: `user`, or components separated by `/` (`svc/host`). */
  username: string;
  password?: string | undefined;
  keytab?: KeytabEntry[] | undefined;
  /** KEDA's kerberosDisableFAST (gokrb5's DisablePAFXFAST): do not ask for PA-REQ-ENC-PA-REP. */
  disableFast?: boolean | undefined;
}

/** A ticket and its session key, for an AP-REQ to the service (or to the TGS). */
export interface Credential {
  ticket: Buffer;
  sessionKey: EncryptionKey;
  /** Epoch milliseconds. */
  endtime: number;
  crealm: string;
  cname: PrincipalName;
}

/** Asks for a new ticket this long before the cached one expires. */
const RENEW_BEFORE_MS = 60_000;
/** Renewable-ok: the KDC may shorten the renewable life instead of refusing. */
const KDC_OPTIONS_AS = 0x00000010;
const LIFETIME_MS = 24 * 3600_000;
const UDP_ATTEMPT_MS = 1_000;
const KRB_ERR_RESPONSE_TOO_BIG = 52;
const KDC_ERR_PREAUTH_REQUIRED = 25;

export class KerberosError extends Error {}

export class KerberosClient {
  private readonly credentials: KerberosCredentials;
  private readonly cname: PrincipalName;
  private tgt: Promise<Credential> | undefined;
  private readonly services = new Map<string, Promise<Credential>>();
  private readonly now: () => number;

  constructor(credentials: KerberosCredentials, now: () => number = Date.now) {
    this.credentials = credentials;
    this.cname = { type: NT_PRINCIPAL, components: credentials.username.split("/") };
    this.now = now;
  }

  /** The principal as Kerberos writes it: user@REALM. */
  get principal(): string {
    return `${this.cname.components.join("/")}@${this.credentials.realm}`;
  }

  /** A service ticket for `service` (`kafka/broker1.example.com`), cached until shortly before it expires. */
  async serviceTicket(service: string, signal: AbortSignal): Promise<Credential> {
    const cached = this.services.get(service);
    if (cached) {
      const credential = await cached.catch(() => undefined);
      if (credential && credential.endtime - RENEW_BEFORE_MS > this.now()) return credential;
      this.services.delete(service);
    }
    const pending = (async () =>
      this.tgsExchange(await this.ticketGrantingTicket(signal), service, signal))();
    this.services.set(service, pending);
    pending.catch(() => this.services.delete(service));
    return pending;
  }

  private async ticketGrantingTicket(signal: AbortSignal): Promise<Credential> {
    if (this.tgt) {
      const credential = await this.tgt.catch(() => undefined);
      if (credential && credential.endtime - RENEW_BEFORE_MS > this.now()) return credential;
      this.tgt = undefined;
    }
    const pending = this.asExchange(signal);
    this.tgt = pending;
    pending.catch(() => {
      if (this.tgt === pending) this.tgt = undefined;
    });
    return pending;
  }

  /** The etypes to offer: those this client has, and with a keytab those it holds keys of. */
  private offeredEtypes(): number[] {
    const { keytab } = this.credentials;
    if (!keytab) return [...SUPPORTED_ETYPES];
    const held = new Set(this.keytabEntries().map((entry) => entry.key.etype));
    const usable = SUPPORTED_ETYPES.filter((etype) => held.has(etype));
    if (usable.length === 0) {
      const found = [...held].map(etypeName).join(", ") || "no key at all";
      throw new KerberosError(
        `the keytab has no aes256-cts-hmac-sha1-96 or aes128-cts-hmac-sha1-96 key for ${this.principal} (it has ${found})`,
      );
    }
    return usable;
  }

  private keytabEntries(): KeytabEntry[] {
    const wanted = this.cname.components.join("/");
    return (this.credentials.keytab ?? []).filter(
      (entry) => entry.realm === this.credentials.realm && entry.components.join("/") === wanted,
    );
  }

  /** The principal's long-term key for `etype`: from the password and salt, or from the keytab. */
  private longTermKey(etype: number, salt: string | undefined, s2kparams: Buffer | undefined): EncryptionKey {
    if (this.credentials.password !== undefined) {
      const defaultSalt = this.credentials.realm + this.cname.components.join("");
      return stringToKey(etype, this.credentials.password, salt ?? defaultSalt, s2kparams);
    }
    const entries = this.keytabEntries().filter((entry) => entry.key.etype === etype);
    const newest = entries.sort((a, b) => b.kvno - a.kvno)[0];
    if (!newest) {
      throw new KerberosError(`the keytab has no ${etypeName(etype)} key for ${this.principal}`);
    }
    return newest.key;
  }

  private async asExchange(signal: AbortSignal): Promise<Credential> {
    const { realm, disableFast } = this.credentials;
    const etypes = this.offeredEtypes();
    const nonce = randomInt(1, 2 ** 31 - 1);
    const body = encodeRequestBody({
      kdcOptions: KDC_OPTIONS_AS,
      cname: this.cname,
      realm,
      sname: { type: NT_SRV_INST, components: ["krbtgt", realm] },
      till: new Date(this.now() + LIFETIME_MS),
      nonce,
      etypes,
    });
    const fast = disableFast ? [] : [encodePaData(PA.reqEncPaRep, Buffer.alloc(0))];
    let answer = decodeKdcAnswer(await this.send(encodeKdcRequest(MSG.asReq, fast, body), signal));
    let key: EncryptionKey | undefined;
    if ("error" in answer && answer.error.code === KDC_ERR_PREAUTH_REQUIRED) {
      const info = etypeInfo(answer.error.eData);
      const entry = info.find((candidate) => etypes.includes(candidate.etype));
      if (!entry) {
        const offered = info.map((candidate) => etypeName(candidate.etype)).join(", ");
        throw new KerberosError(
          `the KDC offers pre-authentication with ${offered || "no encryption type"}, none of which Tidal supports (aes256 or aes128 cts-hmac-sha1-96)`,
        );
      }
      key = this.longTermKey(entry.etype, entry.salt, entry.s2kparams);
      const time = new Date(this.now());
      const timestamp = encodeEncryptedData({
        etype: key.etype,
        cipher: encrypt(key, USAGE.asReqTimestamp, encodeTimestamp(time, microseconds())),
      });
      const padata = [encodePaData(PA.encTimestamp, timestamp), ...fast];
      answer = decodeKdcAnswer(await this.send(encodeKdcRequest(MSG.asReq, padata, body), signal));
    }
    if ("error" in answer) throw this.kdcError(answer.error, "a ticket-granting ticket");
    const reply = answer.reply;
    if (!key || key.etype !== reply.encPart.etype) {
      const info = reply.padata
        .filter((pa) => pa.type === PA.etypeInfo2)
        .flatMap((pa) => decodeEtypeInfo2(pa.value));
      const entry = info.find((candidate) => candidate.etype === reply.encPart.etype);
      key = this.longTermKey(reply.encPart.etype, entry?.salt, entry?.s2kparams);
    }
    let plain: Buffer;
    try {
      plain = decrypt(key, USAGE.asRepEncPart, reply.encPart.cipher);
    } catch (error) {
      if (error instanceof IntegrityError) {
        const secret = this.credentials.password !== undefined ? "password" : "keytab's key";
        throw new KerberosError(`the KDC's answer cannot be decrypted with the ${secret}: it is wrong`);
      }
      throw error;
    }
    return this.credentialOf(reply, plain, nonce);
  }

  private async tgsExchange(tgt: Credential, service: string, signal: AbortSignal): Promise<Credential> {
    const components = service.split("/");
    const host = components[1];
    const serviceRealm = (host && this.credentials.config.realmOfHost(host)) || this.credentials.realm;
    if (serviceRealm !== this.credentials.realm) {
      throw new KerberosError(
        `the service ${service} is in realm ${serviceRealm} ([domain_realm]), another than ${this.credentials.realm}: cross-realm tickets are not supported`,
      );
    }
    const nonce = randomInt(1, 2 ** 31 - 1);
    const body = encodeRequestBody({
      kdcOptions: 0,
      realm: serviceRealm,
      sname: { type: NT_SRV_INST, components },
      till: new Date(this.now() + LIFETIME_MS),
      nonce,
      etypes: SUPPORTED_ETYPES,
    });
    const cksumType = CKSUM_FOR_ETYPE[tgt.sessionKey.etype];
    if (cksumType === undefined) {
      throw new KerberosError(
        `the ticket-granting ticket's session key is ${etypeName(tgt.sessionKey.etype)}, which is not supported`,
      );
    }
    const authenticator = encodeAuthenticator({
      crealm: tgt.crealm,
      cname: tgt.cname,
      checksum: { type: cksumType, value: checksum(tgt.sessionKey, USAGE.tgsReqAuthChecksum, body) },
      time: new Date(this.now()),
      cusec: microseconds(),
    });
    const apReq = encodeApRequest(0, tgt.ticket, {
      etype: tgt.sessionKey.etype,
      cipher: encrypt(tgt.sessionKey, USAGE.tgsReqAuthenticator, authenticator),
    });
    const request = encodeKdcRequest(MSG.tgsReq, [encodePaData(PA.tgsReq, apReq)], body);
    const answer = decodeKdcAnswer(await this.send(request, signal));
    if ("error" in answer) throw this.kdcError(answer.error, `a ticket for ${service}`);
    const plain = decrypt(tgt.sessionKey, USAGE.tgsRepEncPart, answer.reply.encPart.cipher);
    return this.credentialOf(answer.reply, plain, nonce);
  }

  private credentialOf(reply: KdcReply, plain: Buffer, nonce: number): Credential {
    const part = decodeEncKdcRepPart(plain);
    if (part.nonce !== nonce)
      throw new KerberosError("the KDC's answer is for another request (nonce mismatch)");
    return {
      ticket: reply.ticket,
      sessionKey: part.key,
      endtime: part.endtime,
      crealm: reply.crealm,
      cname: reply.cname,
    };
  }

  private kdcError(error: KrbError, what: string): KerberosError {
    return new KerberosError(`the KDC refused ${what}: ${describeKrbError(error)}`);
  }

  /** Sends a message to the realm's KDCs in turn until one answers. */
  private async send(message: Buffer, signal: AbortSignal): Promise<Buffer> {
    const { config, realm } = this.credentials;
    const kdcs = config.kdcsOf(realm);
    if (kdcs.length === 0) {
      throw new KerberosError(
        `kerberosConfig names no kdc for realm ${realm}: add one under [realms] ${realm} = { kdc = host:port }`,
      );
    }
    const failures: string[] = [];
    const tcpFirst = config.udpPreferenceLimit === 1 || message.length > config.udpPreferenceLimit;
    for (const kdc of kdcs) {
      signal.throwIfAborted();
      if (!tcpFirst) {
        try {
          const answer = await exchangeUdp(kdc, message, signal);
          if (!isResponseTooBig(answer)) return answer;
        } catch (error) {
          if (signal.aborted) throw error;
          // MIT's library tries TCP after UDP too.
        }
      }
      try {
        return await exchangeTcp(kdc, message, signal);
      } catch (error) {
        if (signal.aborted) throw error;
        failures.push(`${kdc.host}:${kdc.port}: ${(error as Error).message}`);
      }
    }
    throw new KerberosError(`no KDC answered (${failures.join("; ")})`);
  }
}

function etypeInfo(eData: Buffer | undefined) {
  if (!eData) return [];
  try {
    return decodePaDataList(decode(eData))
      .filter((pa) => pa.type === PA.etypeInfo2)
      .flatMap((pa) => decodeEtypeInfo2(pa.value));
  } catch {
    return [];
  }
}

let lastMicroseconds = -1;

/** Microseconds for authenticators: distinct on each call, so a service's replay cache never trips. */
export function microseconds(): number {
  const now = Number(process.hrtime.bigint() / 1000n) % 1_000_000;
  lastMicroseconds = now === lastMicroseconds ? (now + 1) % 1_000_000 : now;
  return lastMicroseconds;
}

function isResponseTooBig(answer: Buffer): boolean {
  try {
    const decoded = decodeKdcAnswer(answer);
    return "error" in decoded && decoded.error.code === KRB_ERR_RESPONSE_TOO_BIG;
  } catch {
    return false;
  }
}

function exchangeUdp(
  kdc: { host: string; port: number },
  message: Buffer,
  signal: AbortSignal,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(kdc.host.includes(":") ? "udp6" : "udp4");
    const timer = setTimeout(
      () => finish(new Error(`no UDP answer within ${UDP_ATTEMPT_MS} ms`)),
      UDP_ATTEMPT_MS,
    );
    const onAbort = () => finish(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    function finish(error: Error | undefined, answer?: Buffer) {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.close();
      if (error) reject(error);
      else resolve(answer as Buffer);
    }
    socket.once("message", (answer) => finish(undefined, answer));
    socket.once("error", (error) => finish(error));
    // Connected, so that a closed port is reported at once instead of waiting for the timeout.
    socket.connect(kdc.port, kdc.host, () => socket.send(message));
  });
}

function exchangeTcp(
  kdc: { host: string; port: number },
  message: Buffer,
  signal: AbortSignal,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: kdc.host, port: kdc.port });
    const chunks: Buffer[] = [];
    let received = 0;
    const onAbort = () => finish(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    function finish(error: Error | undefined, answer?: Buffer) {
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(answer as Buffer);
    }
    socket.once("connect", () => {
      const length = Buffer.alloc(4);
      length.writeUInt32BE(message.length);
      socket.write(Buffer.concat([length, message]));
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 4) return;
      const all = Buffer.concat(chunks);
      const expected = all.readUInt32BE(0) & 0x7fffffff;
      if (all.length >= expected + 4) finish(undefined, all.subarray(4, expected + 4));
    });
    socket.once("error", (error) => finish(error));
    socket.once("end", () => finish(new Error("the KDC closed the connection without an answer")));
  });
}
