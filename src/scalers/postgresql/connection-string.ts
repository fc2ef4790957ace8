/**
 * PostgreSQL connection settings as libpq (and KEDA's pgx) read them: a `key=value` string or a
 * `postgresql://` URL, both turned into the same map of libpq keywords. Error messages never
 * repeat the text they parse: it usually holds a password.
 */

export type ConnectionSettings = Record<string, string>;

/** Parses libpq's keyword/value syntax: `host=db port=5432 password='a b\'c'`. */
export function parseKeywordValue(text: string): ConnectionSettings {
  const settings: ConnectionSettings = {};
  let index = 0;
  const skipSpace = () => {
    while (index < text.length && /\s/.test(text[index] as string)) index += 1;
  };
  for (skipSpace(); index < text.length; skipSpace()) {
    const keyStart = index;
    while (index < text.length && /[A-Za-z0-9_]/.test(text[index] as string)) index += 1;
    const key = text.slice(keyStart, index);
    skipSpace();
    if (key === "" || text[index] !== "=") {
      throw new Error(`expected keyword=value at character ${keyStart + 1}`);
    }
    index += 1;
    skipSpace();
    let value = "";
    const quoted = text[index] === "'";
    if (quoted) index += 1;
    for (;;) {
      const character = text[index];
      if (character === undefined) {
        if (quoted) throw new Error(`unterminated quoted value of "${key}"`);
        break;
      }
      if (quoted ? character === "'" : /\s/.test(character)) break;
      if (character === "\\" && index + 1 < text.length) index += 1;
      value += text[index];
      index += 1;
    }
    if (quoted) index += 1;
    settings[key] = value;
  }
  return settings;
}

/** Parses a `postgresql://user:password@host:port/dbname?key=value` URL into libpq keywords. */
export function parseUrl(text: string): ConnectionSettings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error("not a valid postgresql:// URL");
  }
  const settings: ConnectionSettings = {};
  const set = (key: string, value: string) => {
    if (value !== "") settings[key] = decodeURIComponent(value);
  };
  set("host", url.hostname.replace(/^\[(.*)\]$/, "$1"));
  set("port", url.port);
  set("user", url.username);
  set("password", url.password);
  set("dbname", url.pathname.replace(/^\//, ""));
  for (const [key, value] of url.searchParams) settings[key] = value;
  return settings;
}

/** Either syntax, told apart by the URL scheme. */
export function parseConnection(text: string): ConnectionSettings {
  return /^postgres(ql)?:\/\//i.test(text.trim()) ? parseUrl(text.trim()) : parseKeywordValue(text);
}
