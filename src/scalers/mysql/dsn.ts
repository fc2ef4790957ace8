/**
 * Go's MySQL DSN, as KEDA's connectionString gives it to go-sql-driver/mysql:
 * `[user[:password]@][net[(address)]]/dbname[?param=value&...]`. Parsed the way that driver parses
 * it (the last `/` starts the database name, the last `@` before it ends the credentials, the first
 * `:` splits them). Error messages never repeat the DSN: it holds a password.
 */
export interface MySqlDsn {
  user: string;
  password: string;
  /** "tcp" or "unix". */
  network: string;
  /** host:port for tcp, a socket path for unix. */
  address: string;
  database: string;
  params: Record<string, string>;
}

export function parseMySqlDsn(dsn: string): MySqlDsn {
  const slash = dsn.lastIndexOf("/");
  if (slash < 0) throw new Error('missing the "/" before the database name');
  const left = dsn.slice(0, slash);
  const at = left.lastIndexOf("@");
  const credentials = at >= 0 ? left.slice(0, at) : "";
  const colon = credentials.indexOf(":");
  const user = colon >= 0 ? credentials.slice(0, colon) : credentials;
  const password = colon >= 0 ? credentials.slice(colon + 1) : "";

  const location = left.slice(at + 1);
  const open = location.indexOf("(");
  let network = location;
  let address = "";
  if (open >= 0) {
    if (!location.endsWith(")")) throw new Error('the address in parentheses has no closing ")"');
    network = location.slice(0, open);
    address = location.slice(open + 1, -1);
  }
  network ||= "tcp";
  if (network !== "tcp" && network !== "unix")
    throw new Error(`network "${network}" is not supported; use tcp or unix`);
  if (network === "tcp") address = withDefaultPort(address || "127.0.0.1:3306");
  else address ||= "/tmp/mysql.sock";

  const rest = dsn.slice(slash + 1);
  const question = rest.indexOf("?");
  const database = decode(question >= 0 ? rest.slice(0, question) : rest, "database name");
  const params: Record<string, string> = {};
  if (question >= 0) {
    for (const pair of rest.slice(question + 1).split("&")) {
      if (pair === "") continue;
      const equals = pair.indexOf("=");
      if (equals < 1) throw new Error("a parameter is not key=value");
      params[pair.slice(0, equals)] = decode(pair.slice(equals + 1).replace(/\+/g, " "), "parameter value");
    }
  }
  return { user, password, network, address, database, params };
}

/** Go's ensureHavePort: an address that does not split into host and port gets port 3306. */
function withDefaultPort(address: string): string {
  if (/^(\[[^\]]*\]|[^:[\]]*):[^:]*$/.test(address)) return address;
  return address.includes(":") ? `[${address}]:3306` : `${address}:3306`;
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`the ${what} has a malformed %-escape`);
  }
}

/** Splits "host:port" (or "[v6]:port") for the MySQL client. */
export function splitAddress(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(":");
  const port = Number(address.slice(separator + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error("port must be a number from 1 to 65535");
  return { host: address.slice(0, separator).replace(/^\[(.*)\]$/, "$1"), port };
}
