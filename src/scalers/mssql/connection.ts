/**
 * SQL Server connection settings as go-mssqldb (KEDA's driver) reads them: a `sqlserver://` URL
 * (`sqlserver://user:password@host:port/instance?database=db&encrypt=true`) or an ADO string
 * (`Server=host,port;User ID=…;Password=…;Database=…;Encrypt=True`), optionally `odbc:`-prefixed;
 * and the URL KEDA assembles from host, port, username, password and database.
 */

/** go-mssqldb's encryption modes: none at all, the login only (its default), everything, TDS 8. */
export type MssqlEncryption = "disable" | "false" | "true" | "strict";

export interface MssqlSettings {
  host: string;
  port?: number;
  instanceName?: string;
  user: string;
  password: string;
  database: string;
  encrypt: MssqlEncryption;
  trustServerCertificate: boolean;
  hostNameInCertificate?: string;
  /** Seconds; 0 means none given. */
  connectionTimeout: number;
}

/** KEDA's URL from the separate parameters (query-escaped database, user info escaped by url.URL). */
export function kedaConnectionUrl(parts: {
  host: string;
  port?: number;
  username?: string;
  password?: string;
  database?: string;
}): string {
  const query = parts.database ? `?${new URLSearchParams({ database: parts.database }).toString()}` : "";
  let user = "";
  if (parts.username) {
    user = escapeUserInfo(parts.username);
    if (parts.password) user += `:${escapeUserInfo(parts.password)}`;
    user += "@";
  }
  const host = parts.host.includes(":") && !parts.host.startsWith("[") ? `[${parts.host}]` : parts.host;
  const port = parts.port !== undefined && parts.port > 0 ? `:${parts.port}` : "";
  return `sqlserver://${user}${host}${port}${query}`;
}

/** Go's url.UserPassword escaping: unreserved characters and a few sub-delims stay as they are. */
function escapeUserInfo(text: string): string {
  return [...new TextEncoder().encode(text)]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9\-._~$&+,;=]/.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

const ADO_SYNONYMS: Record<string, string> = {
  "data source": "server",
  address: "server",
  addr: "server",
  "network address": "server",
  uid: "user id",
  user: "user id",
  pwd: "password",
  "initial catalog": "database",
  timeout: "connection timeout",
  "connect timeout": "connection timeout",
  trustservercertificate: "trustservercertificate",
};

/** The settings of a go-mssqldb connection string; throws naming what is wrong. */
export function parseConnectionString(text: string): MssqlSettings {
  const trimmed = text.trim();
  if (/^sqlserver:\/\//i.test(trimmed)) return fromUrl(trimmed);
  return fromAdo(trimmed.replace(/^odbc:/i, ""));
}

function fromUrl(text: string): MssqlSettings {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error("the sqlserver:// URL cannot be parsed");
  }
  const options = new Map<string, string>();
  for (const [key, value] of url.searchParams) options.set(key.toLowerCase(), value);
  const instance = decodeURIComponent(url.pathname.replace(/^\/+/, ""));
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return settings(
    {
      host,
      port: url.port || options.get("port"),
      instanceName: instance || undefined,
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    },
    options,
  );
}

function fromAdo(text: string): MssqlSettings {
  const options = new Map<string, string>();
  for (const [key, value] of adoPairs(text)) {
    const name = key.trim().toLowerCase();
    options.set(ADO_SYNONYMS[name] ?? name, value);
  }
  const server = options.get("server") ?? "";
  const [hostAndInstance = "", portText] = server.split(",", 2) as [string, string | undefined];
  const [host = "", instanceName] = hostAndInstance.split("\\", 2) as [string, string | undefined];
  return settings(
    {
      host: host.trim() === "." || host.trim().toLowerCase() === "(local)" ? "localhost" : host.trim(),
      port: portText?.trim() || options.get("port"),
      instanceName: instanceName?.trim() || undefined,
      user: options.get("user id") ?? "",
      password: options.get("password") ?? "",
    },
    options,
  );
}

/** `key=value;…` pairs; a value may be quoted with "…", '…' or {…} to hold `;`. */
function adoPairs(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  let rest = text;
  while (rest.trim() !== "") {
    const equals = rest.indexOf("=");
    if (equals < 0) {
      if (rest.trim() !== "")
        throw new Error(
          `the connection string has a part without "=": ${JSON.stringify(rest.trim().split(";")[0])}`,
        );
      break;
    }
    const key = rest.slice(0, equals).replace(/^[\s;]+/, "");
    rest = rest.slice(equals + 1).replace(/^\s+/, "");
    let value: string;
    const open = rest[0];
    const close = open === "{" ? "}" : open === '"' || open === "'" ? open : undefined;
    if (close) {
      let end = 1;
      value = "";
      for (;;) {
        const next = rest.indexOf(close, end);
        if (next < 0)
          throw new Error(
            `the connection string's value of ${JSON.stringify(key.trim())} is not closed with ${close}`,
          );
        value += rest.slice(end, next);
        if (rest[next + 1] === close) {
          value += close;
          end = next + 2;
          continue;
        }
        rest = rest.slice(next + 1);
        break;
      }
      const semicolon = rest.indexOf(";");
      rest = semicolon < 0 ? "" : rest.slice(semicolon + 1);
    } else {
      const semicolon = rest.indexOf(";");
      value = (semicolon < 0 ? rest : rest.slice(0, semicolon)).trim();
      rest = semicolon < 0 ? "" : rest.slice(semicolon + 1);
    }
    if (key.trim() !== "") pairs.push([key.trim(), value]);
  }
  return pairs;
}

function settings(
  base: {
    host: string;
    port: string | undefined;
    instanceName: string | undefined;
    user: string;
    password: string;
  },
  options: Map<string, string>,
): MssqlSettings {
  if (!base.host) throw new Error("the connection string names no server");
  let port: number | undefined;
  if (base.port !== undefined && base.port !== "") {
    port = Number(base.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`port ${JSON.stringify(base.port)} is not a number from 0 to 65535`);
    }
    if (port === 0) port = undefined;
  }
  const timeout = options.get("connection timeout");
  const connectionTimeout = timeout === undefined || timeout === "" ? 0 : Number(timeout);
  if (!Number.isInteger(connectionTimeout) || connectionTimeout < 0) {
    throw new Error(`connection timeout ${JSON.stringify(timeout)} is not a number of seconds`);
  }
  const hostNameInCertificate = options.get("hostnameincertificate");
  return {
    host: base.host,
    ...(port !== undefined ? { port } : {}),
    ...(base.instanceName !== undefined ? { instanceName: base.instanceName } : {}),
    user: base.user,
    password: base.password,
    database: options.get("database") ?? "",
    encrypt: encryption(options.get("encrypt")),
    trustServerCertificate: bool(options.get("trustservercertificate"), "TrustServerCertificate"),
    ...(hostNameInCertificate ? { hostNameInCertificate } : {}),
    connectionTimeout,
  };
}

function encryption(value: string | undefined): MssqlEncryption {
  switch ((value ?? "").trim().toLowerCase()) {
    case "":
    case "false":
    case "no":
    case "0":
    case "f":
    case "optional":
      return "false";
    case "disable":
      return "disable";
    case "true":
    case "yes":
    case "1":
    case "t":
    case "mandatory":
      return "true";
    case "strict":
      return "strict";
    default:
      throw new Error(`encrypt ${JSON.stringify(value)} is not one of disable, false, true, strict`);
  }
}

function bool(value: string | undefined, key: string): boolean {
  switch ((value ?? "").trim().toLowerCase()) {
    case "":
    case "false":
    case "no":
    case "0":
    case "f":
      return false;
    case "true":
    case "yes":
    case "1":
    case "t":
      return true;
    default:
      throw new Error(`${key} ${JSON.stringify(value)} is not true or false`);
  }
}
