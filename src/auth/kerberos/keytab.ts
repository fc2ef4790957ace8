import type { EncryptionKey } from "./crypto.ts";

/** One key of a keytab: whose it is, its version and the key. */
export interface KeytabEntry {
  realm: string;
  /** The name components (`tidal`, or `kafka`, `broker1.example.com`). */
  components: string[];
  kvno: number;
  key: EncryptionKey;
}

/**
 * Reads an MIT keytab file (format 0x0501 or 0x0502; the format Heimdal, Active Directory's
 * ktpass and Java's ktab write too).
 */
export function parseKeytab(data: Buffer): KeytabEntry[] {
  if (data.length < 2 || data[0] !== 0x05 || (data[1] !== 0x01 && data[1] !== 0x02)) {
    throw new Error("the keytab is not a keytab file (it does not start with version 0x0501 or 0x0502)");
  }
  const version = data[1] as number;
  const entries: KeytabEntry[] = [];
  let offset = 2;
  const need = (count: number) => {
    if (offset + count > data.length) throw new Error("the keytab is truncated");
  };
  const u16 = () => {
    need(2);
    const value = version === 1 ? data.readUInt16LE(offset) : data.readUInt16BE(offset);
    offset += 2;
    return value;
  };
  const u32 = () => {
    need(4);
    const value = version === 1 ? data.readUInt32LE(offset) : data.readUInt32BE(offset);
    offset += 4;
    return value;
  };
  const octets = () => {
    const length = u16();
    need(length);
    const value = data.subarray(offset, offset + length);
    offset += length;
    return value;
  };
  while (offset + 4 <= data.length) {
    need(4);
    const size = version === 1 ? data.readInt32LE(offset) : data.readInt32BE(offset);
    offset += 4;
    if (size === 0) break;
    const end = offset + Math.abs(size);
    if (end > data.length) throw new Error("the keytab is truncated");
    // A negative size is a hole left by a deleted entry.
    if (size > 0) {
      let components = u16();
      if (version === 1) components -= 1;
      const realm = octets().toString("utf8");
      const names: string[] = [];
      for (let index = 0; index < components; index += 1) names.push(octets().toString("utf8"));
      if (version === 2) u32(); // name type
      u32(); // timestamp
      need(1);
      let kvno = data[offset] as number;
      offset += 1;
      const etype = u16();
      const key = Buffer.from(octets());
      // A 32-bit version number follows when the entry has room for it.
      if (end - offset >= 4) {
        const wide = u32();
        if (wide !== 0) kvno = wide;
      }
      entries.push({ realm, components: names, kvno, key: { etype, key } });
    }
    offset = end;
  }
  return entries;
}

/**
 * The keytab's bytes from an authentication parameter. Secrets reach Tidal as text: a keytab's
 * bytes arrive either decoded as UTF-8 (when they happen to be valid UTF-8) or one character per
 * byte (when they are not, see decodeSecret); both are tried, and base64 text as well.
 */
export function keytabBytes(text: string): Buffer[] {
  const candidates: Buffer[] = [];
  if ([...text].every((character) => (character.codePointAt(0) ?? 0) <= 0xff)) {
    candidates.push(Buffer.from(text, "latin1"));
  }
  candidates.push(Buffer.from(text, "utf8"));
  const trimmed = text.trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) candidates.push(Buffer.from(trimmed, "base64"));
  return candidates;
}

/** Parses the keytab of an authentication parameter (see keytabBytes). */
export function keytabFromParameter(text: string): KeytabEntry[] {
  let firstError: unknown;
  for (const bytes of keytabBytes(text)) {
    try {
      return parseKeytab(bytes);
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError instanceof Error ? firstError : new Error("the keytab cannot be read");
}
