import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/**
 * Kerberos encryption types aes128-cts-hmac-sha1-96 (17) and aes256-cts-hmac-sha1-96 (18):
 * RFC 3961's simplified profile with RFC 3962's AES parameters (n-fold, key derivation,
 * string-to-key, CTS mode, truncated HMAC-SHA1), on node:crypto. These are what MIT, Heimdal,
 * Active Directory and Java negotiate by default.
 */

export const ETYPE_AES128 = 17;
export const ETYPE_AES256 = 18;
/** Checksum types hmac-sha1-96-aes128 and hmac-sha1-96-aes256. */
export const CKSUM_FOR_ETYPE: Record<number, number> = { [ETYPE_AES128]: 15, [ETYPE_AES256]: 16 };

export const SUPPORTED_ETYPES: readonly number[] = [ETYPE_AES256, ETYPE_AES128];

export const ETYPE_NAMES: Record<number, string> = {
  1: "des-cbc-crc",
  3: "des-cbc-md5",
  16: "des3-cbc-sha1",
  17: "aes128-cts-hmac-sha1-96",
  18: "aes256-cts-hmac-sha1-96",
  19: "aes128-cts-hmac-sha256-128",
  20: "aes256-cts-hmac-sha384-192",
  23: "rc4-hmac",
  24: "rc4-hmac-exp",
  25: "camellia128-cts-cmac",
  26: "camellia256-cts-cmac",
};

export function etypeName(etype: number): string {
  return ETYPE_NAMES[etype] ?? `etype ${etype}`;
}

export interface EncryptionKey {
  etype: number;
  key: Buffer;
}

const BLOCK = 16;
const MAC_LENGTH = 12;

function keyLength(etype: number): number {
  if (etype === ETYPE_AES128) return 16;
  if (etype === ETYPE_AES256) return 32;
  throw new Error(
    `encryption type ${etypeName(etype)} is not supported (use aes256-cts-hmac-sha1-96 or aes128-cts-hmac-sha1-96)`,
  );
}

function cipherName(key: Buffer): string {
  return key.length === 16 ? "aes-128-ecb" : "aes-256-ecb";
}

function encryptBlock(key: Buffer, block: Buffer): Buffer {
  const cipher = createCipheriv(cipherName(key), key, null).setAutoPadding(false);
  return Buffer.concat([cipher.update(block), cipher.final()]);
}

function decryptBlock(key: Buffer, block: Buffer): Buffer {
  const decipher = createDecipheriv(cipherName(key), key, null).setAutoPadding(false);
  return Buffer.concat([decipher.update(block), decipher.final()]);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const result = Buffer.alloc(a.length);
  for (let index = 0; index < a.length; index += 1)
    result[index] = (a[index] as number) ^ (b[index] as number);
  return result;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** RFC 3961 section 5.1's n-fold of `input` to `length` octets. */
export function nfold(input: Buffer, length: number): Buffer {
  const inBits = BigInt(input.length * 8);
  const outBits = BigInt(length * 8);
  const lcm = (input.length * length) / gcd(input.length, length);
  const value = BigInt(`0x${input.toString("hex")}`);
  const inMask = (1n << inBits) - 1n;
  const outMask = (1n << outBits) - 1n;
  let sum = 0n;
  let chunks = 0n;
  let chunkBits = 0n;
  // Concatenate copies of the input, each rotated right 13 bits more than the one before, and
  // add the result in `length`-octet chunks with one's-complement addition.
  for (let copy = 0; copy < lcm / input.length; copy += 1) {
    const shift = BigInt((13 * copy) % (input.length * 8));
    const rotated = ((value >> shift) | (value << (inBits - shift))) & inMask;
    chunks = (chunks << inBits) | rotated;
    chunkBits += inBits;
    while (chunkBits >= outBits) {
      chunkBits -= outBits;
      sum += (chunks >> chunkBits) & outMask;
      chunks &= (1n << chunkBits) - 1n;
      while (sum > outMask) sum = (sum & outMask) + (sum >> outBits);
    }
  }
  return Buffer.from(sum.toString(16).padStart(length * 2, "0"), "hex");
}

/** DR then DK: the key derived from `key` for `constant` (random-to-key is the identity for AES). */
export function deriveKey(key: Buffer, constant: Buffer): Buffer {
  let block = constant.length === BLOCK ? constant : nfold(constant, BLOCK);
  const out: Buffer[] = [];
  let produced = 0;
  while (produced < key.length) {
    block = encryptBlock(key, block);
    out.push(block);
    produced += BLOCK;
  }
  return Buffer.concat(out).subarray(0, key.length);
}

function usageConstant(usage: number, suffix: number): Buffer {
  const constant = Buffer.alloc(5);
  constant.writeUInt32BE(usage, 0);
  constant[4] = suffix;
  return constant;
}

/** RFC 3962's string-to-key: PBKDF2-HMAC-SHA1 (4096 iterations unless s2kparams says), then DK "kerberos". */
export function stringToKey(
  etype: number,
  password: string,
  salt: string,
  s2kparams?: Buffer,
): EncryptionKey {
  const iterations = s2kparams && s2kparams.length === 4 ? s2kparams.readUInt32BE(0) : 4096;
  if (iterations === 0) throw new Error("the KDC asked for a string-to-key iteration count of 0");
  const seed = pbkdf2Sync(
    Buffer.from(password, "utf8"),
    Buffer.from(salt, "utf8"),
    iterations,
    keyLength(etype),
    "sha1",
  );
  return { etype, key: deriveKey(seed, Buffer.from("kerberos", "ascii")) };
}

/** CBC with ciphertext stealing as Kerberos does it: the last two blocks always swapped. */
export function ctsEncrypt(key: Buffer, plaintext: Buffer): Buffer {
  if (plaintext.length < BLOCK) throw new Error("CTS needs at least one block");
  if (plaintext.length === BLOCK) return encryptBlock(key, plaintext);
  const blocks = Math.ceil(plaintext.length / BLOCK);
  const padded = Buffer.alloc(blocks * BLOCK);
  plaintext.copy(padded);
  const cipher: Buffer[] = [];
  let previous: Buffer = Buffer.alloc(BLOCK);
  for (let index = 0; index < blocks; index += 1) {
    previous = encryptBlock(key, xor(padded.subarray(index * BLOCK, (index + 1) * BLOCK), previous));
    cipher.push(previous);
  }
  const lastLength = plaintext.length - (blocks - 1) * BLOCK;
  return Buffer.concat([
    ...cipher.slice(0, blocks - 2),
    cipher[blocks - 1] as Buffer,
    (cipher[blocks - 2] as Buffer).subarray(0, lastLength),
  ]);
}

export function ctsDecrypt(key: Buffer, ciphertext: Buffer): Buffer {
  if (ciphertext.length < BLOCK) throw new Error("CTS needs at least one block");
  if (ciphertext.length === BLOCK) return decryptBlock(key, ciphertext);
  const blocks = Math.ceil(ciphertext.length / BLOCK);
  const lastLength = ciphertext.length - (blocks - 1) * BLOCK;
  const head = ciphertext.subarray(0, (blocks - 2) * BLOCK);
  const lastFull = ciphertext.subarray((blocks - 2) * BLOCK, (blocks - 1) * BLOCK);
  const stolen = ciphertext.subarray((blocks - 1) * BLOCK);
  const decrypted = decryptBlock(key, lastFull);
  // The block before the last, completed with the tail the last block's encryption kept.
  const secondLast = Buffer.concat([stolen, decrypted.subarray(lastLength)]);
  const lastPlain = xor(decrypted.subarray(0, lastLength), stolen);
  const chain = Buffer.concat([head, secondLast]);
  const plain: Buffer[] = [];
  let previous: Buffer = Buffer.alloc(BLOCK);
  for (let offset = 0; offset < chain.length; offset += BLOCK) {
    const block = chain.subarray(offset, offset + BLOCK);
    plain.push(xor(decryptBlock(key, block), previous));
    previous = block;
  }
  return Buffer.concat([...plain, lastPlain]);
}

function hmac(key: Buffer, data: Buffer): Buffer {
  return createHmac("sha1", key).update(data).digest().subarray(0, MAC_LENGTH);
}

/** Encrypts for key usage `usage`: confounder, CTS under Ke, truncated HMAC under Ki. */
export function encrypt(
  key: EncryptionKey,
  usage: number,
  plaintext: Buffer,
  confounder = randomBytes(BLOCK),
): Buffer {
  keyLength(key.etype);
  const ke = deriveKey(key.key, usageConstant(usage, 0xaa));
  const ki = deriveKey(key.key, usageConstant(usage, 0x55));
  const data = Buffer.concat([confounder, plaintext]);
  return Buffer.concat([ctsEncrypt(ke, data), hmac(ki, data)]);
}

/** Decrypts and verifies; throws when the integrity check fails (the wrong key, e.g. a wrong password). */
export function decrypt(key: EncryptionKey, usage: number, ciphertext: Buffer): Buffer {
  keyLength(key.etype);
  if (ciphertext.length < BLOCK + MAC_LENGTH) throw new Error("Kerberos ciphertext is too short");
  const ke = deriveKey(key.key, usageConstant(usage, 0xaa));
  const ki = deriveKey(key.key, usageConstant(usage, 0x55));
  const data = ctsDecrypt(ke, ciphertext.subarray(0, ciphertext.length - MAC_LENGTH));
  const mac = ciphertext.subarray(ciphertext.length - MAC_LENGTH);
  if (!timingSafeEqual(hmac(ki, data), mac)) throw new IntegrityError();
  return data.subarray(BLOCK);
}

export class IntegrityError extends Error {
  constructor() {
    super("decryption failed: the integrity check does not match (wrong key)");
  }
}

/** The keyed checksum (hmac-sha1-96-aes) of `data` for key usage `usage`. */
export function checksum(key: EncryptionKey, usage: number, data: Buffer): Buffer {
  keyLength(key.etype);
  return hmac(deriveKey(key.key, usageConstant(usage, 0x99)), data);
}
