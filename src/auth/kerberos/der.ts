/**
 * The DER subset Kerberos messages need (RFC 4120 section 5): SEQUENCE, explicit context and
 * APPLICATION tags, INTEGER, OCTET STRING, BIT STRING (32 flags), GeneralString and
 * GeneralizedTime. Decoding gives a tree; callers pick fields by context tag.
 */

export interface DerNode {
  /** The identifier octet: class, constructed bit and tag number (all tags here fit in one octet). */
  tag: number;
  /** The content octets. */
  value: Buffer;
  /** The whole encoding (identifier, length and content), kept for fields that are reused as they are. */
  raw: Buffer;
  /** Parsed content of a constructed node. */
  children: DerNode[];
}

const UNIVERSAL = { integer: 0x02, bitString: 0x03, octetString: 0x04, oid: 0x06, generalizedTime: 0x18 };
export const GENERAL_STRING = 0x1b;
const SEQUENCE = 0x30;

function lengthOctets(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthOctets(content.length), content]);
}

export function sequence(...items: (Buffer | undefined)[]): Buffer {
  return tlv(SEQUENCE, Buffer.concat(items.filter((item): item is Buffer => item !== undefined)));
}

/** An explicit context-specific tag `[n]` around an encoded value. */
export function context(n: number, value: Buffer): Buffer {
  return tlv(0xa0 | n, value);
}

/** `[APPLICATION n]` around an encoded value. */
export function application(n: number, value: Buffer): Buffer {
  return tlv(0x60 | n, value);
}

/** A non-negative or negative INTEGER within the JavaScript safe range, minimally encoded. */
export function integer(value: number): Buffer {
  const bytes: number[] = [];
  let rest = BigInt(value);
  // Two's complement, big-endian, in as few octets as keep the sign.
  for (;;) {
    const byte = Number(rest & 0xffn);
    bytes.unshift(byte);
    rest >>= 8n;
    if ((rest === 0n && (byte & 0x80) === 0) || (rest === -1n && (byte & 0x80) !== 0)) break;
  }
  return tlv(UNIVERSAL.integer, Buffer.from(bytes));
}

export function octetString(value: Buffer): Buffer {
  return tlv(UNIVERSAL.octetString, value);
}

export function generalString(value: string): Buffer {
  return tlv(GENERAL_STRING, Buffer.from(value, "utf8"));
}

/** KerberosTime: GeneralizedTime without fractions, YYYYMMDDHHMMSSZ. */
export function kerberosTime(date: Date): Buffer {
  const text = date
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return tlv(UNIVERSAL.generalizedTime, Buffer.from(text, "ascii"));
}

/** A 32-bit flags BIT STRING (KDCOptions, APOptions), bit 0 the most significant. */
export function flags32(value: number): Buffer {
  const content = Buffer.alloc(5);
  content.writeUInt32BE(value >>> 0, 1);
  return tlv(UNIVERSAL.bitString, content);
}

export function objectIdentifier(encodedContent: Buffer): Buffer {
  return tlv(UNIVERSAL.oid, encodedContent);
}

/** Decodes one DER node at `offset`; throws on a truncated or indefinite-length encoding. */
export function decode(buffer: Buffer, offset = 0): DerNode & { end: number } {
  if (offset + 2 > buffer.length) throw new Error("truncated DER encoding");
  const tag = buffer[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw new Error("multi-octet DER tags are not used by Kerberos");
  let length = buffer[offset + 1] as number;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error("unsupported DER length");
    if (start + count > buffer.length) throw new Error("truncated DER encoding");
    length = 0;
    for (let index = 0; index < count; index += 1) length = length * 256 + (buffer[start + index] as number);
    start += count;
  }
  const end = start + length;
  if (end > buffer.length) throw new Error("truncated DER encoding");
  const value = buffer.subarray(start, end);
  const children: DerNode[] = [];
  if (tag & 0x20) {
    for (let position = 0; position < value.length;) {
      const child = decode(value, position);
      children.push(child);
      position = child.end;
    }
  }
  return { tag, value, raw: buffer.subarray(offset, end), children, end };
}

/** The content of `[n]` in a SEQUENCE node (the inner node), or undefined. */
export function field(node: DerNode, n: number): DerNode | undefined {
  return node.children.find((child) => child.tag === (0xa0 | n))?.children[0];
}

export function requiredField(node: DerNode, n: number, what: string): DerNode {
  const found = field(node, n);
  if (!found) throw new Error(`malformed Kerberos message: ${what} is missing`);
  return found;
}

/** The single node inside an APPLICATION or context wrapper, checking the wrapper's tag. */
export function unwrap(node: DerNode, tag: number, what: string): DerNode {
  if (node.tag !== tag || node.children.length !== 1) {
    throw new Error(`malformed Kerberos message: expected ${what}`);
  }
  return node.children[0] as DerNode;
}

export function toInteger(node: DerNode): number {
  if (node.tag !== UNIVERSAL.integer || node.value.length === 0 || node.value.length > 8) {
    throw new Error("malformed Kerberos message: expected an INTEGER");
  }
  let value = BigInt.asIntN(8, BigInt(node.value[0] as number));
  for (const byte of node.value.subarray(1)) value = (value << 8n) | BigInt(byte);
  return Number(value);
}

export function toOctets(node: DerNode): Buffer {
  if (node.tag !== UNIVERSAL.octetString)
    throw new Error("malformed Kerberos message: expected an OCTET STRING");
  return node.value;
}

export function toText(node: DerNode): string {
  return node.value.toString("utf8");
}

/** A GeneralizedTime YYYYMMDDHHMMSS[.fff]Z as epoch milliseconds. */
export function toTime(node: DerNode): number {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(node.value.toString("ascii"));
  if (!match) throw new Error("malformed Kerberos message: expected a KerberosTime");
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
}

/** The 32 flags of a BIT STRING as a number, bit 0 the most significant. */
export function toFlags(node: DerNode): number {
  const bits = node.value.subarray(1);
  const padded = Buffer.alloc(4);
  bits.copy(padded, 0, 0, Math.min(4, bits.length));
  return padded.readUInt32BE(0);
}
