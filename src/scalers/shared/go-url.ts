/**
 * The parts of Go's net/url that KEDA's Jolokia scalers (activemq, artemis-queue) use to take a
 * `restAPITemplate` apart: what it accepts, rejects and decodes decides which templates are valid
 * and what broker, queue and endpoint a trigger reads, so these follow Go's rules.
 */

export interface RequestUri {
  /** The authority after `scheme://` (empty for a bare path). */
  host: string;
  /** The decoded path. */
  path: string;
  /** The path as written, when Go keeps it (it differs from the canonical escaping of `path`); else "". */
  rawPath: string;
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Go's unescape: `%XX` decoded (as bytes, then UTF-8); `+` to space only in query mode. */
function goUnescape(text: string, query: boolean): string {
  const bytes: number[] = [];
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] as string;
    if (character === "%") {
      const hex = text.slice(index + 1, index + 3);
      if (!HEX.test(hex)) throw new Error(`invalid URL escape "${text.slice(index, index + 3)}"`);
      bytes.push(Number.parseInt(hex, 16));
      index += 2;
    } else if (character === "+" && query) {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(character, "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Go's escape in path mode: everything but letters, digits and `-_.~$&+,/:;=@` is percent-encoded. */
export function goEscapePath(text: string): string {
  let result = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const character = String.fromCharCode(byte);
    result += /[A-Za-z0-9\-_.~$&+,/:;=@]/.test(character)
      ? character
      : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return result;
}

/**
 * Go's url.ParseRequestURI: an absolute URI (`scheme:…`) or an absolute path; no fragment is split
 * off. Throws where Go returns an error.
 */
export function parseRequestUri(raw: string): RequestUri {
  if (raw === "") throw new Error("empty url");
  let rest = raw;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  else if (!rest.startsWith("/")) throw new Error(`parse "${raw}": invalid URI for request`);
  const queryAt = rest.indexOf("?");
  if (queryAt >= 0) rest = rest.slice(0, queryAt);
  let host = "";
  if (rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    host = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? "" : rest.slice(slash);
    const at = host.lastIndexOf("@");
    if (at >= 0) host = host.slice(at + 1);
  } else if (scheme && !rest.startsWith("/")) {
    // An opaque URI (mailto:x): Go's request parser rejects it.
    throw new Error(`parse "${raw}": invalid URI for request`);
  }
  const path = goUnescape(rest, false);
  return { host, path, rawPath: goEscapePath(path) === rest ? "" : rest };
}

/** Go's url.ParseQuery: `&`-separated `key=value` pairs, unescaped; a `;` is an error. */
export function parseGoQuery(text: string): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const pair of text.split("&")) {
    if (pair === "") continue;
    if (pair.includes(";")) throw new Error("invalid semicolon separator in query");
    const separator = pair.indexOf("=");
    const key = goUnescape(separator < 0 ? pair : pair.slice(0, separator), true);
    const value = separator < 0 ? "" : goUnescape(pair.slice(separator + 1), true);
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  return values;
}

/** What Go's html/template does to a value printed in text: `& ' < > " +` and NUL escaped. */
export function goHtmlEscape(text: string): string {
  return text.replace(/[\0"'&+<>]/g, (character) => HTML_ESCAPES[character] ?? character);
}

const HTML_ESCAPES: Record<string, string> = {
  "\0": "\uFFFD",
  '"': "&#34;",
  "'": "&#39;",
  "&": "&amp;",
  "+": "&#43;",
  "<": "&lt;",
  ">": "&gt;",
};

/** Go's net.JoinHostPort: an IPv6 host (any host with a colon) goes in brackets. */
export function joinHostPort(host: string, port: string): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's strings.EqualFold for the texts scalers compare (simple Unicode case folding). */
export function equalFold(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();
}

/** Basic authentication as Go's Request.SetBasicAuth sends it (also for empty credentials). */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}
