import {
  application,
  context,
  decode,
  field,
  flags32,
  generalString,
  integer,
  kerberosTime,
  octetString,
  requiredField,
  sequence,
  toInteger,
  toOctets,
  toText,
  toTime,
  type DerNode,
} from "./der.ts";
import type { EncryptionKey } from "./crypto.ts";

/** Kerberos V5 messages (RFC 4120 section 5) as this client sends and reads them. */

export const PVNO = 5;
export const MSG = { asReq: 10, asRep: 11, tgsReq: 12, tgsRep: 13, apReq: 14, apRep: 15, error: 30 };
export const PA = {
  tgsReq: 1,
  encTimestamp: 2,
  etypeInfo2: 19,
  reqEncPaRep: 149,
};
export const NT_PRINCIPAL = 1;
export const NT_SRV_INST = 2;

/** Key usage numbers (RFC 4120 section 7.5.1, RFC 4121 section 2). */
export const USAGE = {
  asReqTimestamp: 1,
  asRepEncPart: 3,
  tgsReqAuthChecksum: 6,
  tgsReqAuthenticator: 7,
  tgsRepEncPart: 8,
  apReqAuthenticator: 11,
  apRepEncPart: 12,
  acceptorSeal: 22,
  initiatorSeal: 24,
};

export interface PrincipalName {
  type: number;
  components: string[];
}

export interface EncryptedData {
  etype: number;
  kvno?: number | undefined;
  cipher: Buffer;
}

export function encodePrincipal(name: PrincipalName): Buffer {
  return sequence(
    context(0, integer(name.type)),
    context(1, sequence(...name.components.map(generalString))),
  );
}

export function encodeEncryptedData(data: EncryptedData): Buffer {
  return sequence(
    context(0, integer(data.etype)),
    data.kvno === undefined ? undefined : context(1, integer(data.kvno)),
    context(2, octetString(data.cipher)),
  );
}

export function encodeKey(key: EncryptionKey): Buffer {
  return sequence(context(0, integer(key.etype)), context(1, octetString(key.key)));
}

export function encodePaData(type: number, value: Buffer): Buffer {
  return sequence(context(1, integer(type)), context(2, octetString(value)));
}

export function decodePrincipal(node: DerNode): PrincipalName {
  return {
    type: toInteger(requiredField(node, 0, "name-type")),
    components: requiredField(node, 1, "name-string").children.map(toText),
  };
}

export function decodeEncryptedData(node: DerNode): EncryptedData {
  const kvno = field(node, 1);
  return {
    etype: toInteger(requiredField(node, 0, "etype")),
    kvno: kvno ? toInteger(kvno) : undefined,
    cipher: toOctets(requiredField(node, 2, "cipher")),
  };
}

export function decodeKey(node: DerNode): EncryptionKey {
  return {
    etype: toInteger(requiredField(node, 0, "keytype")),
    key: Buffer.from(toOctets(requiredField(node, 1, "keyvalue"))),
  };
}

export interface PaData {
  type: number;
  value: Buffer;
}

export function decodePaDataList(node: DerNode): PaData[] {
  return node.children.map((entry) => ({
    type: toInteger(requiredField(entry, 1, "padata-type")),
    value: toOctets(requiredField(entry, 2, "padata-value")),
  }));
}

export interface EtypeInfo2Entry {
  etype: number;
  salt: string | undefined;
  s2kparams: Buffer | undefined;
}

export function decodeEtypeInfo2(value: Buffer): EtypeInfo2Entry[] {
  return decode(value).children.map((entry) => {
    const salt = field(entry, 1);
    const params = field(entry, 2);
    return {
      etype: toInteger(requiredField(entry, 0, "etype")),
      salt: salt ? toText(salt) : undefined,
      s2kparams: params ? toOctets(params) : undefined,
    };
  });
}

export interface KdcRequestBody {
  kdcOptions: number;
  cname?: PrincipalName | undefined;
  realm: string;
  sname: PrincipalName;
  till: Date;
  nonce: number;
  etypes: readonly number[];
}

export function encodeRequestBody(body: KdcRequestBody): Buffer {
  return sequence(
    context(0, flags32(body.kdcOptions)),
    body.cname ? context(1, encodePrincipal(body.cname)) : undefined,
    context(2, generalString(body.realm)),
    context(3, encodePrincipal(body.sname)),
    context(5, kerberosTime(body.till)),
    context(7, integer(body.nonce)),
    context(8, sequence(...body.etypes.map(integer))),
  );
}

export function encodeKdcRequest(messageType: number, padata: Buffer[], body: Buffer): Buffer {
  return application(
    messageType,
    sequence(
      context(1, integer(PVNO)),
      context(2, integer(messageType)),
      padata.length > 0 ? context(3, sequence(...padata)) : undefined,
      context(4, body),
    ),
  );
}

export interface KdcReply {
  messageType: number;
  padata: PaData[];
  crealm: string;
  cname: PrincipalName;
  /** The Ticket, as encoded, to be sent on as it is. */
  ticket: Buffer;
  encPart: EncryptedData;
}

export interface KrbError {
  code: number;
  text: string | undefined;
  eData: Buffer | undefined;
  realm: string;
  sname: PrincipalName | undefined;
}

/** An AS-REP, TGS-REP or KRB-ERROR, by its APPLICATION tag. */
export function decodeKdcAnswer(message: Buffer): { reply: KdcReply } | { error: KrbError } {
  const outer = decode(message);
  const body = outer.children[0];
  if (!body) throw new Error("malformed Kerberos message: empty");
  const tag = outer.tag & 0x1f;
  if (tag === MSG.error) {
    const text = field(body, 11);
    const eData = field(body, 12);
    const sname = field(body, 10);
    return {
      error: {
        code: toInteger(requiredField(body, 6, "error-code")),
        text: text ? toText(text) : undefined,
        eData: eData ? toOctets(eData) : undefined,
        realm: toText(requiredField(body, 9, "realm")),
        sname: sname ? decodePrincipal(sname) : undefined,
      },
    };
  }
  if (tag !== MSG.asRep && tag !== MSG.tgsRep) {
    throw new Error(`the KDC answered with Kerberos message type ${tag}, not a reply`);
  }
  const padata = field(body, 2);
  return {
    reply: {
      messageType: tag,
      padata: padata ? decodePaDataList(padata) : [],
      crealm: toText(requiredField(body, 3, "crealm")),
      cname: decodePrincipal(requiredField(body, 4, "cname")),
      ticket: requiredField(body, 5, "ticket").raw,
      encPart: decodeEncryptedData(requiredField(body, 6, "enc-part")),
    },
  };
}

export interface EncKdcRepPart {
  key: EncryptionKey;
  nonce: number;
  endtime: number;
  srealm: string;
  sname: PrincipalName;
}

/** EncASRepPart or EncTGSRepPart (MIT answers AS requests with either tag). */
export function decodeEncKdcRepPart(plain: Buffer): EncKdcRepPart {
  const outer = decode(plain);
  const tag = outer.tag & 0x1f;
  if (tag !== 25 && tag !== 26) throw new Error("malformed Kerberos reply: not an EncKDCRepPart");
  const body = outer.children[0] as DerNode;
  return {
    key: decodeKey(requiredField(body, 0, "key")),
    nonce: toInteger(requiredField(body, 2, "nonce")),
    endtime: toTime(requiredField(body, 7, "endtime")),
    srealm: toText(requiredField(body, 9, "srealm")),
    sname: decodePrincipal(requiredField(body, 10, "sname")),
  };
}

export interface Authenticator {
  crealm: string;
  cname: PrincipalName;
  checksum?: { type: number; value: Buffer } | undefined;
  time: Date;
  cusec: number;
  seqNumber?: number | undefined;
}

export function encodeAuthenticator(authenticator: Authenticator): Buffer {
  return application(
    2,
    sequence(
      context(0, integer(PVNO)),
      context(1, generalString(authenticator.crealm)),
      context(2, encodePrincipal(authenticator.cname)),
      authenticator.checksum
        ? context(
            3,
            sequence(
              context(0, integer(authenticator.checksum.type)),
              context(1, octetString(authenticator.checksum.value)),
            ),
          )
        : undefined,
      context(4, integer(authenticator.cusec)),
      context(5, kerberosTime(authenticator.time)),
      authenticator.seqNumber === undefined ? undefined : context(7, integer(authenticator.seqNumber)),
    ),
  );
}

export function encodeApRequest(apOptions: number, ticket: Buffer, authenticator: EncryptedData): Buffer {
  return application(
    MSG.apReq,
    sequence(
      context(0, integer(PVNO)),
      context(1, integer(MSG.apReq)),
      context(2, flags32(apOptions)),
      context(3, ticket),
      context(4, encodeEncryptedData(authenticator)),
    ),
  );
}

/** The encrypted part of an AP-REP, or the KRB-ERROR an acceptor answered with. */
export function decodeApReply(message: Buffer): { encPart: EncryptedData } | { error: KrbError } {
  const outer = decode(message);
  const tag = outer.tag & 0x1f;
  if (tag === MSG.error) {
    const answer = decodeKdcAnswer(message);
    if ("error" in answer) return answer;
  }
  if (tag !== MSG.apRep) throw new Error(`expected an AP-REP, got Kerberos message type ${tag}`);
  return { encPart: decodeEncryptedData(requiredField(outer.children[0] as DerNode, 2, "enc-part")) };
}

export function decodeEncApRepPart(plain: Buffer): {
  subkey: EncryptionKey | undefined;
  seqNumber: number | undefined;
} {
  const outer = decode(plain);
  if ((outer.tag & 0x1f) !== 27) throw new Error("malformed AP-REP: not an EncAPRepPart");
  const body = outer.children[0] as DerNode;
  const subkey = field(body, 2);
  const seq = field(body, 3);
  return { subkey: subkey ? decodeKey(subkey) : undefined, seqNumber: seq ? toInteger(seq) : undefined };
}

export function encodeTimestamp(time: Date, usec: number): Buffer {
  return sequence(context(0, kerberosTime(time)), context(1, integer(usec)));
}

/** KRB-ERROR codes (RFC 4120 section 7.5.9) that say what to fix. */
export const ERROR_NAMES: Record<number, string> = {
  6: "KDC_ERR_C_PRINCIPAL_UNKNOWN: the client principal is not in the realm's database",
  7: "KDC_ERR_S_PRINCIPAL_UNKNOWN: the service principal is not in the realm's database",
  12: "KDC_ERR_POLICY: the KDC's policy refuses the request",
  14: "KDC_ERR_ETYPE_NOSUPP: the KDC has no key of a supported encryption type (aes256 or aes128 cts-hmac-sha1-96)",
  18: "KDC_ERR_CLIENT_REVOKED: the client's credentials have been revoked",
  23: "KDC_ERR_KEY_EXPIRED: the password has expired",
  24: "KDC_ERR_PREAUTH_FAILED: pre-authentication failed (wrong password or keytab)",
  25: "KDC_ERR_PREAUTH_REQUIRED",
  31: "KRB_AP_ERR_BAD_INTEGRITY: integrity check failed",
  32: "KRB_AP_ERR_TKT_EXPIRED: the ticket has expired",
  34: "KRB_AP_ERR_REPEAT: the request is a replay",
  37: "KRB_AP_ERR_SKEW: the clocks differ by more than the allowed skew",
  41: "KRB_AP_ERR_MODIFIED: the message was modified or the service's key does not match",
  52: "KRB_ERR_RESPONSE_TOO_BIG",
  60: "KRB_ERR_GENERIC",
  68: "KDC_ERR_WRONG_REALM: the realm does not match",
};

export function describeKrbError(error: KrbError): string {
  const name = ERROR_NAMES[error.code] ?? `Kerberos error ${error.code}`;
  return error.text && !name.includes(error.text) ? `${name} (${error.text})` : name;
}
