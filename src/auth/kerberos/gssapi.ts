import { randomInt, timingSafeEqual } from "node:crypto";
import type { Credential } from "./client.ts";
import { KerberosError } from "./client.ts";
import { checksum, decrypt, encrypt, type EncryptionKey } from "./crypto.ts";
import { decode, objectIdentifier, tlv } from "./der.ts";
import {
  USAGE,
  decodeApReply,
  decodeEncApRepPart,
  describeKrbError,
  encodeApRequest,
  encodeAuthenticator,
} from "./messages.ts";

/**
 * The Kerberos V5 GSS-API mechanism (RFC 1964 framing, RFC 4121 per-message tokens) as an
 * initiator, and the SASL GSSAPI exchange on top of it (RFC 4752): what a Kafka client speaks
 * to a broker's GSSAPI listener.
 */

const KRB5_MECH_OID = Buffer.from("2a864886f712010202", "hex");
const TOK_AP_REQ = Buffer.from([0x01, 0x00]);
const TOK_AP_REP = 0x0200;
const TOK_ERROR = 0x0300;
const TOK_WRAP = 0x0504;
/** The authenticator checksum type that carries GSS-API flags (RFC 4121 section 4.1.1). */
const GSS_CHECKSUM_TYPE = 0x8003;
const GSS_C_MUTUAL_FLAG = 2;
const GSS_C_CONF_FLAG = 16;
const GSS_C_INTEG_FLAG = 32;
/** AP options: mutual-required (bit 2). */
const AP_OPTION_MUTUAL_REQUIRED = 0x20000000;
const FLAG_SENT_BY_ACCEPTOR = 0x01;
const FLAG_SEALED = 0x02;
const FLAG_ACCEPTOR_SUBKEY = 0x04;
const HEADER_LENGTH = 16;

function frame(tokenId: Buffer, inner: Buffer): Buffer {
  return tlv(0x60, Buffer.concat([objectIdentifier(KRB5_MECH_OID), tokenId, inner]));
}

/** The token id and inner message of a framed initial-context token. */
function unframe(token: Buffer): { tokenId: number; inner: Buffer } {
  if (token[0] !== 0x60) throw new KerberosError("the service's GSS-API token is not a Kerberos token");
  const outer = decode(token);
  const mech = decode(outer.value);
  if (mech.tag !== 0x06 || !mech.value.equals(KRB5_MECH_OID)) {
    throw new KerberosError("the service's GSS-API token is for another mechanism than Kerberos V5");
  }
  const rest = outer.value.subarray(mech.end);
  return { tokenId: rest.readUInt16BE(0), inner: rest.subarray(2) };
}

/** A security context being established with one service, then its per-message protection. */
export class GssInitiator {
  private readonly credential: Credential;
  private readonly sequence: number;
  private acceptorSubkey: EncryptionKey | undefined;
  private sendSequence: number;

  constructor(credential: Credential) {
    this.credential = credential;
    this.sequence = randomInt(0, 2 ** 30);
    this.sendSequence = this.sequence;
  }

  /** The first token: an AP-REQ asking for mutual authentication, confidentiality and integrity. */
  initialToken(time: Date, cusec: number): Buffer {
    const bindings = Buffer.alloc(24);
    bindings.writeUInt32LE(16, 0);
    bindings.writeUInt32LE(GSS_C_MUTUAL_FLAG | GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 20);
    const authenticator = encodeAuthenticator({
      crealm: this.credential.crealm,
      cname: this.credential.cname,
      checksum: { type: GSS_CHECKSUM_TYPE, value: bindings },
      time,
      cusec,
      seqNumber: this.sequence,
    });
    const apReq = encodeApRequest(AP_OPTION_MUTUAL_REQUIRED, this.credential.ticket, {
      etype: this.credential.sessionKey.etype,
      cipher: encrypt(this.credential.sessionKey, USAGE.apReqAuthenticator, authenticator),
    });
    return frame(TOK_AP_REQ, apReq);
  }

  /** Checks the service's AP-REP (mutual authentication) and keeps its subkey, if it sent one. */
  acceptReply(token: Buffer): void {
    const { tokenId, inner } = unframe(token);
    if (tokenId === TOK_ERROR) {
      const answer = decodeApReply(inner);
      const reason = "error" in answer ? describeKrbError(answer.error) : "an error token";
      throw new KerberosError(`the service refused the Kerberos ticket: ${reason}`);
    }
    if (tokenId !== TOK_AP_REP) throw new KerberosError(`unexpected GSS-API token ${tokenId.toString(16)}`);
    const answer = decodeApReply(inner);
    if ("error" in answer)
      throw new KerberosError(`the service refused the Kerberos ticket: ${describeKrbError(answer.error)}`);
    const part = decodeEncApRepPart(
      decrypt(this.credential.sessionKey, USAGE.apRepEncPart, answer.encPart.cipher),
    );
    this.acceptorSubkey = part.subkey;
  }

  private key(): EncryptionKey {
    return this.acceptorSubkey ?? this.credential.sessionKey;
  }

  /** The data of the acceptor's Wrap token, its integrity checked. */
  unwrap(token: Buffer): Buffer {
    if (token.length < HEADER_LENGTH || token.readUInt16BE(0) !== TOK_WRAP) {
      throw new KerberosError("the service's message is not a GSS-API Wrap token");
    }
    const flags = token[2] as number;
    if (!(flags & FLAG_SENT_BY_ACCEPTOR))
      throw new KerberosError("the Wrap token was not sent by the service");
    const ec = token.readUInt16BE(4);
    const rrc = token.readUInt16BE(6);
    const header = Buffer.from(token.subarray(0, HEADER_LENGTH));
    let body = token.subarray(HEADER_LENGTH);
    if (rrc > 0 && body.length > 0) {
      const shift = rrc % body.length;
      body = Buffer.concat([body.subarray(shift), body.subarray(0, shift)]);
    }
    const key =
      flags & FLAG_ACCEPTOR_SUBKEY && this.acceptorSubkey ? this.acceptorSubkey : this.credential.sessionKey;
    if (flags & FLAG_SEALED) {
      const plain = decrypt(key, USAGE.acceptorSeal, body);
      return plain.subarray(0, plain.length - ec - HEADER_LENGTH);
    }
    const data = body.subarray(0, body.length - ec);
    header.writeUInt16BE(0, 4);
    header.writeUInt16BE(0, 6);
    const expected = checksum(key, USAGE.acceptorSeal, Buffer.concat([data, header]));
    const actual = body.subarray(body.length - ec);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      throw new KerberosError("the integrity check of the service's Wrap token failed");
    }
    return data;
  }

  /** A Wrap token with integrity protection only. */
  wrap(data: Buffer): Buffer {
    const header = Buffer.alloc(HEADER_LENGTH);
    header.writeUInt16BE(TOK_WRAP, 0);
    header[2] = this.acceptorSubkey ? FLAG_ACCEPTOR_SUBKEY : 0;
    header[3] = 0xff;
    header.writeBigUInt64BE(BigInt(this.sendSequence), 8);
    this.sendSequence += 1;
    const mac = checksum(this.key(), USAGE.initiatorSeal, Buffer.concat([data, header]));
    header.writeUInt16BE(mac.length, 4);
    return Buffer.concat([header, data, mac]);
  }
}

/** The SASL GSSAPI security layer "none" (RFC 4752 section 3.3). */
const SECURITY_LAYER_NONE = 0x01;

/**
 * The client's answer to the service's security-layer offer: no security layer, no buffer, no
 * authorization identity (the service then authorizes the authenticated principal).
 */
export function securityLayerAnswer(gss: GssInitiator, offer: Buffer): Buffer {
  const layers = gss.unwrap(offer);
  if (layers.length < 4) throw new KerberosError("the service's security-layer offer is too short");
  if (!((layers[0] as number) & SECURITY_LAYER_NONE)) {
    throw new KerberosError(
      "the service requires a SASL security layer (integrity or confidentiality on every message), which Tidal does not offer",
    );
  }
  return gss.wrap(Buffer.from([SECURITY_LAYER_NONE, 0, 0, 0]));
}
