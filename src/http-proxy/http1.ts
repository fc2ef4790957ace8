/**
 * The parts of HTTP/1.1 (RFC 9112) the fast path of the proxy needs: finding and parsing message
 * heads, and following a body's framing (no body, Content-Length, chunked, or until the
 * connection closes) so bytes can be relayed unchanged while the proxy knows where each message
 * ends. Anything these functions do not accept goes to Node's HTTP server instead, which answers
 * malformed input as Node does.
 */

/**
 * A message head's header lines as parallel lists: names as received, the same lower-cased (once,
 * here), and values without surrounding whitespace.
 */
export interface HeaderList {
  names: string[];
  lower: string[];
  values: string[];
}

export interface RequestHead extends HeaderList {
  method: string;
  target: string;
  /** "1.1" or "1.0". */
  version: string;
}

export interface ResponseHead extends HeaderList {
  version: string;
  status: number;
  /** The reason phrase, possibly empty. */
  reason: string;
}

const CR = 13;
const LF = 10;

/** The offset just past the blank line ending a head that starts at 0, or -1 while incomplete. */
export function headEnd(buffer: Buffer, searchFrom = 0): number {
  const index = buffer.indexOf("\r\n\r\n", Math.max(0, searchFrom - 3), "latin1");
  return index === -1 ? -1 : index + 4;
}

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([^\s\0]+) HTTP\/1\.([01])$/;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\0]*))?$/;
/** A header line: a token, a colon, a value of visible characters, spaces and tabs (no CR, LF, NUL). */
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([^\r\n\0]*?)[ \t]*$/;

/** Header lines of a head split at CRLF (from index 1), or false when one is malformed. */
function headerLines(lines: string[], into: HeaderList): boolean {
  for (let index = 1; index < lines.length; index++) {
    // Obsolete line folding, a bare CR or LF, whitespace before the colon: not for the fast path.
    const match = HEADER_LINE.exec(lines[index] as string);
    if (match === null) return false;
    const name = match[1] as string;
    into.names.push(name);
    into.lower.push(name.toLowerCase());
    into.values.push(match[2] as string);
  }
  return true;
}

/** A request head (latin1 text up to, not including, the blank line), or undefined if malformed. */
export function parseRequestHead(text: string): RequestHead | undefined {
  const lines = text.split("\r\n");
  const match = REQUEST_LINE.exec(lines[0] ?? "");
  if (!match) return undefined;
  const head: RequestHead = {
    method: match[1] as string,
    target: match[2] as string,
    version: `1.${match[3]}`,
    names: [],
    lower: [],
    values: [],
  };
  return headerLines(lines, head) ? head : undefined;
}

/** A response head, or undefined if malformed. */
export function parseResponseHead(text: string): ResponseHead | undefined {
  const lines = text.split("\r\n");
  const match = STATUS_LINE.exec(lines[0] ?? "");
  if (!match) return undefined;
  const head: ResponseHead = {
    version: `1.${match[1]}`,
    status: Number(match[2]),
    reason: match[3] ?? "",
    names: [],
    lower: [],
    values: [],
  };
  return headerLines(lines, head) ? head : undefined;
}

/** Every value of a header (lower-case name), in order. */
export function headerValues(headers: HeaderList, lowerName: string): string[] {
  const values: string[] = [];
  const { lower } = headers;
  for (let index = 0; index < lower.length; index++)
    if (lower[index] === lowerName) values.push(headers.values[index] as string);
  return values;
}

/** The value of a header, or undefined when absent. Several values are joined with ", ". */
export function headerValue(headers: HeaderList, lowerName: string): string | undefined {
  const { lower } = headers;
  let found: string | undefined;
  for (let index = 0; index < lower.length; index++) {
    if (lower[index] !== lowerName) continue;
    const value = headers.values[index] as string;
    found = found === undefined ? value : `${found}, ${value}`;
  }
  return found;
}

/** Comma-separated tokens of a header, lower-cased. */
export function headerTokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== "");
}

export type Framing =
  { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" } | { kind: "close" };

const NO_BODY: Framing = { kind: "none" };

/**
 * How a request's body is framed (RFC 9112 §6.3), or undefined when the request must not take the
 * fast path: conflicting or invalid lengths, a transfer coding other than chunked.
 */
export function requestFraming(head: RequestHead): Framing | undefined {
  const encoding = headerValue(head, "transfer-encoding");
  const lengths = headerValues(head, "content-length");
  if (encoding !== undefined) {
    if (lengths.length > 0) return undefined;
    const codings = headerTokens(encoding);
    return codings.length === 1 && codings[0] === "chunked" ? { kind: "chunked" } : undefined;
  }
  if (lengths.length === 0) return NO_BODY;
  const length = contentLength(lengths);
  if (length === undefined) return undefined;
  return length === 0 ? NO_BODY : { kind: "length", length };
}

/**
 * How a response's body is framed, given the request's method. Undefined for a response the fast
 * path cannot relay exactly (invalid or conflicting lengths, an unknown transfer coding).
 */
export function responseFraming(head: ResponseHead, requestMethod: string): Framing | undefined {
  if (requestMethod === "HEAD" || head.status < 200 || head.status === 204 || head.status === 304) {
    return NO_BODY;
  }
  const encoding = headerValue(head, "transfer-encoding");
  const lengths = headerValues(head, "content-length");
  if (encoding !== undefined) {
    const codings = headerTokens(encoding);
    if (codings.at(-1) === "chunked") return codings.length === 1 ? { kind: "chunked" } : undefined;
    // A final coding other than chunked: the body runs until the connection closes.
    return { kind: "close" };
  }
  if (lengths.length === 0) return { kind: "close" };
  const length = contentLength(lengths);
  if (length === undefined) return undefined;
  return length === 0 ? NO_BODY : { kind: "length", length };
}

/** Content-Length values (all equal, each maybe a comma list of equal numbers), or undefined. */
function contentLength(values: readonly string[]): number | undefined {
  let length: number | undefined;
  for (const value of values) {
    for (const part of value.split(",")) {
      const text = part.trim();
      if (!/^\d{1,15}$/.test(text)) return undefined;
      const number = Number(text);
      if (length !== undefined && length !== number) return undefined;
      length = number;
    }
  }
  return length;
}

// States of the chunked-body parser.
const SIZE = 0;
const SIZE_LINE_END = 1;
const DATA = 2;
const DATA_CR = 3;
const DATA_LF = 4;
const TRAILER_LINE_START = 5;
const TRAILER_LINE = 6;
const TRAILER_LINE_END = 7;
const FINAL_LF = 8;
const DONE = 9;

/**
 * Follows one message body through its framing. `take` is given each arriving buffer and answers
 * how many bytes from `offset` belong to the body; once `done`, the rest belongs to the next
 * message. A chunked body is checked only as far as framing needs; a malformed one sets `error`.
 */
export class BodyTracker {
  readonly framing: Framing;
  #remaining: number;
  #chunk = SIZE;
  #sizeDigits = 0;
  #sizeExtension = false;
  #done: boolean;
  error: string | undefined;

  constructor(framing: Framing) {
    this.framing = framing;
    this.#remaining = framing.kind === "length" ? framing.length : 0;
    this.#done = framing.kind === "none";
  }

  get done(): boolean {
    return this.#done;
  }

  /** Bytes of `buffer` from `offset` that belong to this body (all of them until it is done). */
  take(buffer: Buffer, offset: number): number {
    if (this.#done || this.error !== undefined) return 0;
    const available = buffer.length - offset;
    switch (this.framing.kind) {
      case "none":
        return 0;
      case "close":
        return available;
      case "length": {
        const taken = Math.min(available, this.#remaining);
        this.#remaining -= taken;
        if (this.#remaining === 0) this.#done = true;
        return taken;
      }
      case "chunked":
        return this.#takeChunked(buffer, offset);
    }
  }

  /** The connection closed: a close-delimited body ends here; any other is cut short. */
  end(): boolean {
    if (this.framing.kind === "close") this.#done = true;
    return this.#done;
  }

  #takeChunked(buffer: Buffer, offset: number): number {
    let index = offset;
    const end = buffer.length;
    while (index < end && !this.#done) {
      const byte = buffer[index] as number;
      switch (this.#chunk) {
        case SIZE: {
          if (this.#sizeExtension) {
            if (byte === CR) this.#chunk = SIZE_LINE_END;
            index++;
            break;
          }
          const digit = hexValue(byte);
          if (digit >= 0) {
            if (this.#sizeDigits >= 13) return this.#fail("chunk size too large", index);
            this.#remaining = this.#remaining * 16 + digit;
            this.#sizeDigits++;
          } else if (byte === CR && this.#sizeDigits > 0) {
            this.#chunk = SIZE_LINE_END;
          } else if ((byte === 59 /* ; */ || byte === 32 || byte === 9) && this.#sizeDigits > 0) {
            this.#sizeExtension = true;
          } else {
            return this.#fail("invalid chunk size", index);
          }
          index++;
          break;
        }
        case SIZE_LINE_END:
          if (byte !== LF) return this.#fail("invalid chunk size line", index);
          index++;
          this.#sizeDigits = 0;
          this.#sizeExtension = false;
          this.#chunk = this.#remaining === 0 ? TRAILER_LINE_START : DATA;
          break;
        case DATA: {
          const taken = Math.min(end - index, this.#remaining);
          index += taken;
          this.#remaining -= taken;
          if (this.#remaining === 0) this.#chunk = DATA_CR;
          break;
        }
        case DATA_CR:
          if (byte !== CR) return this.#fail("chunk data not followed by CRLF", index);
          index++;
          this.#chunk = DATA_LF;
          break;
        case DATA_LF:
          if (byte !== LF) return this.#fail("chunk data not followed by CRLF", index);
          index++;
          this.#chunk = SIZE;
          break;
        case TRAILER_LINE_START:
          index++;
          this.#chunk = byte === CR ? FINAL_LF : TRAILER_LINE;
          break;
        case TRAILER_LINE:
          index++;
          if (byte === CR) this.#chunk = TRAILER_LINE_END;
          break;
        case TRAILER_LINE_END:
          if (byte !== LF) return this.#fail("invalid trailer", index);
          index++;
          this.#chunk = TRAILER_LINE_START;
          break;
        case FINAL_LF:
          if (byte !== LF) return this.#fail("invalid end of chunked body", index);
          index++;
          this.#chunk = DONE;
          this.#done = true;
          break;
        case DONE:
          return index - offset;
      }
    }
    return index - offset;
  }

  #fail(reason: string, index: number): number {
    this.error = reason;
    return index;
  }
}

function hexValue(byte: number): number {
  if (byte >= 48 && byte <= 57) return byte - 48;
  if (byte >= 97 && byte <= 102) return byte - 87;
  if (byte >= 65 && byte <= 70) return byte - 55;
  return -1;
}
