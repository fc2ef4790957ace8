import { describe, expect, it } from "vitest";
import { parseKerberosConfig } from "./config.ts";
import { ETYPE_AES128, ETYPE_AES256, checksum } from "./crypto.ts";
import { decode, integer, toInteger } from "./der.ts";
import { GssInitiator, securityLayerAnswer } from "./gssapi.ts";
import { keytabFromParameter, parseKeytab } from "./keytab.ts";
import { USAGE } from "./messages.ts";

/** A keytab (format 0x0502) as MIT's ktutil writes it. */
function keytab(
  entries: { realm: string; components: string[]; kvno: number; etype: number; key: Buffer }[],
  hole = true,
) {
  const parts: Buffer[] = [Buffer.from([0x05, 0x02])];
  const u16 = (value: number) => Buffer.from([value >> 8, value & 0xff]);
  const u32 = (value: number) => {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(value);
    return buffer;
  };
  const counted = (value: Buffer) => Buffer.concat([u16(value.length), value]);
  for (const entry of entries) {
    const body = Buffer.concat([
      u16(entry.components.length),
      counted(Buffer.from(entry.realm)),
      ...entry.components.map((component) => counted(Buffer.from(component))),
      u32(1),
      u32(0x01020304),
      Buffer.from([entry.kvno & 0xff]),
      u16(entry.etype),
      counted(entry.key),
      u32(entry.kvno),
    ]);
    parts.push(u32(body.length), body);
  }
  // A hole left by a deleted entry.
  if (hole) parts.push(Buffer.from([0xff, 0xff, 0xff, 0xfc]), Buffer.alloc(4));
  return Buffer.concat(parts);
}

describe("keytabs", () => {
  const bytes = keytab([
    {
      realm: "TIDAL.TEST",
      components: ["tidal"],
      kvno: 300,
      etype: ETYPE_AES256,
      key: Buffer.alloc(32, 0xc3),
    },
    {
      realm: "TIDAL.TEST",
      components: ["kafka", "b1"],
      kvno: 2,
      etype: ETYPE_AES128,
      key: Buffer.alloc(16, 7),
    },
  ]);

  it("reads entries, 32-bit version numbers and holes", () => {
    expect(parseKeytab(bytes)).toEqual([
      {
        realm: "TIDAL.TEST",
        components: ["tidal"],
        kvno: 300,
        key: { etype: 18, key: Buffer.alloc(32, 0xc3) },
      },
      {
        realm: "TIDAL.TEST",
        components: ["kafka", "b1"],
        kvno: 2,
        key: { etype: 17, key: Buffer.alloc(16, 7) },
      },
    ]);
    expect(() => parseKeytab(Buffer.from("not a keytab"))).toThrow("not a keytab file");
  });

  it("reads a keytab parameter whose bytes came as UTF-8 text, one character per byte, or base64", () => {
    expect(keytabFromParameter(bytes.toString("latin1"))).toHaveLength(2);
    const utf8 = keytab(
      [{ realm: "R", components: ["u"], kvno: 1, etype: 17, key: Buffer.from("0123456789abcdé", "utf8") }],
      false,
    );
    expect(keytabFromParameter(utf8.toString("utf8"))).toHaveLength(1);
    expect(keytabFromParameter(bytes.toString("base64"))).toHaveLength(2);
  });
});

describe("krb5.conf", () => {
  const config = parseKerberosConfig(`
# comment
[libdefaults]
  default_realm = EXAMPLE.COM
  udp_preference_limit = 1
[realms]
  EXAMPLE.COM = {
    kdc = kdc1.example.com:750
    kdc = kdc2.example.com
    admin_server = kdc1.example.com
  }
  OTHER.ORG = {
    kdc = [::1]:88
  }
[domain_realm]
  .example.com = EXAMPLE.COM
  .eu.example.com = EU.EXAMPLE.COM
  special.example.com = OTHER.ORG
`);

  it("reads the KDCs, the default realm, the UDP limit and the domain-realm map", () => {
    expect(config.defaultRealm).toBe("EXAMPLE.COM");
    expect(config.udpPreferenceLimit).toBe(1);
    expect(config.kdcsOf("EXAMPLE.COM")).toEqual([
      { host: "kdc1.example.com", port: 750 },
      { host: "kdc2.example.com", port: 88 },
    ]);
    expect(config.kdcsOf("OTHER.ORG")).toEqual([{ host: "::1", port: 88 }]);
    expect(config.kdcsOf("NONE")).toEqual([]);
    expect(config.realmOfHost("b1.example.com")).toBe("EXAMPLE.COM");
    expect(config.realmOfHost("b1.eu.example.com")).toBe("EU.EXAMPLE.COM");
    expect(config.realmOfHost("special.example.com")).toBe("OTHER.ORG");
    expect(config.realmOfHost("127.0.0.1")).toBeUndefined();
    expect(parseKerberosConfig("").udpPreferenceLimit).toBe(1465);
  });

  it("names the line that is not krb5.conf", () => {
    expect(() => parseKerberosConfig("[realms]\n  this is not a relation\n")).toThrow(
      "kerberosConfig line 2",
    );
  });
});

describe("DER integers", () => {
  it.each([0, 5, 127, 128, 255, 256, 2 ** 31 - 1, -1, -128, -129])("round-trips %i minimally", (value) => {
    const encoded = integer(value);
    expect(toInteger(decode(encoded))).toBe(value);
    expect(encoded.length).toBeLessThanOrEqual(2 + 5);
  });
});

describe("GSS-API Wrap tokens", () => {
  const sessionKey = { etype: ETYPE_AES256, key: Buffer.alloc(32, 9) };
  const credential = {
    ticket: Buffer.alloc(0),
    sessionKey,
    endtime: 0,
    crealm: "TIDAL.TEST",
    cname: { type: 1, components: ["tidal"] },
  };

  /** A Wrap token as an acceptor (Java's GssKrb5Server) sends its security-layer offer. */
  function acceptorWrap(data: Buffer, rotate = 0): Buffer {
    const header = Buffer.alloc(16);
    header.writeUInt16BE(0x0504, 0);
    header[2] = 0x01;
    header[3] = 0xff;
    header.writeBigUInt64BE(77n, 8);
    const mac = checksum(sessionKey, USAGE.acceptorSeal, Buffer.concat([data, header]));
    header.writeUInt16BE(mac.length, 4);
    header.writeUInt16BE(rotate, 6);
    const body = Buffer.concat([data, mac]);
    const rotated = Buffer.concat([
      body.subarray(body.length - rotate),
      body.subarray(0, body.length - rotate),
    ]);
    return Buffer.concat([header, rotated]);
  }

  it("unwraps the acceptor's offer (also rotated) and answers with no security layer", () => {
    const gss = new GssInitiator(credential);
    const offer = Buffer.from([0x07, 0x01, 0x00, 0x00]);
    expect(gss.unwrap(acceptorWrap(offer))).toEqual(offer);
    expect(gss.unwrap(acceptorWrap(offer, 3))).toEqual(offer);
    const answer = securityLayerAnswer(gss, acceptorWrap(offer));
    expect(answer.subarray(16, 20)).toEqual(Buffer.from([1, 0, 0, 0]));
    expect(answer.readUInt16BE(4)).toBe(12);
    const header = Buffer.from(answer.subarray(0, 16));
    header.writeUInt16BE(0, 4);
    expect(answer.subarray(20)).toEqual(
      checksum(sessionKey, USAGE.initiatorSeal, Buffer.concat([answer.subarray(16, 20), header])),
    );
  });

  it("refuses a tampered offer and one without the no-security-layer option", () => {
    const gss = new GssInitiator(credential);
    const tampered = acceptorWrap(Buffer.from([1, 0, 0, 0]));
    tampered[16] = 3;
    expect(() => gss.unwrap(tampered)).toThrow("integrity check");
    expect(() => securityLayerAnswer(gss, acceptorWrap(Buffer.from([0x06, 0, 0, 0])))).toThrow(
      "requires a SASL security layer",
    );
  });
});
