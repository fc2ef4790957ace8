/**
 * The parts of a krb5.conf (MIT's profile format) a Kerberos client needs: the realms' KDCs,
 * the default realm, the domain-to-realm map and when to prefer TCP over UDP.
 *
 *   [libdefaults]
 *     default_realm = EXAMPLE.COM
 *     udp_preference_limit = 1
 *   [realms]
 *     EXAMPLE.COM = {
 *       kdc = kdc1.example.com:88
 *       kdc = kdc2.example.com
 *     }
 *   [domain_realm]
 *     .example.com = EXAMPLE.COM
 */

type Relations = Map<string, (string | Relations)[]>;

export interface KerberosConfig {
  defaultRealm: string | undefined;
  /** Messages longer than this go over TCP first (1 means always TCP); MIT's default is 1465. */
  udpPreferenceLimit: number;
  /** The realm's KDCs as host and port (default port 88). */
  kdcsOf(realm: string): { host: string; port: number }[];
  /** The realm of a host from [domain_realm] (exact name, then the longest .domain suffix), if any. */
  realmOfHost(host: string): string | undefined;
}

const DEFAULT_UDP_PREFERENCE_LIMIT = 1465;

function parseProfile(text: string): Map<string, Relations> {
  const sections = new Map<string, Relations>();
  let stack: Relations[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      const name = (section[1] as string).trim();
      const relations = sections.get(name) ?? new Map();
      sections.set(name, relations);
      stack = [relations];
      continue;
    }
    const current = stack.at(-1);
    if (line === "}" || line === "}*") {
      if (stack.length <= 1) throw new Error(`kerberosConfig line ${index + 1}: "}" without an open "{"`);
      stack.pop();
      continue;
    }
    if (line.startsWith("include")) continue;
    const relation = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!relation || !current) {
      throw new Error(`kerberosConfig line ${index + 1} is not "name = value", "[section]" or "}"`);
    }
    const name = relation[1] as string;
    const value = (relation[2] as string).replace(/\*$/, "").trim();
    const values = current.get(name) ?? [];
    current.set(name, values);
    if (value === "{") {
      const nested: Relations = new Map();
      values.push(nested);
      stack.push(nested);
    } else {
      values.push(value);
    }
  }
  return sections;
}

function strings(relations: Relations | undefined, name: string): string[] {
  return (relations?.get(name) ?? []).filter((value): value is string => typeof value === "string");
}

function parseAddress(text: string): { host: string; port: number } {
  const withoutScheme = text.replace(/^(tcp|udp|kkdcp):\/\//i, "");
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(withoutScheme);
  if (bracketed) return { host: bracketed[1] as string, port: Number(bracketed[2] ?? 88) };
  const [host, port] = withoutScheme.split(":");
  return { host: host as string, port: Number(port ?? 88) };
}

export function parseKerberosConfig(text: string): KerberosConfig {
  const sections = parseProfile(text);
  const libdefaults = sections.get("libdefaults");
  const realms = sections.get("realms");
  const domainRealm = sections.get("domain_realm");
  const limit = Number(strings(libdefaults, "udp_preference_limit")[0] ?? DEFAULT_UDP_PREFERENCE_LIMIT);
  return {
    defaultRealm: strings(libdefaults, "default_realm")[0],
    udpPreferenceLimit: Number.isFinite(limit) && limit > 0 ? limit : DEFAULT_UDP_PREFERENCE_LIMIT,
    kdcsOf(realm) {
      const blocks = (realms?.get(realm) ?? []).filter(
        (value): value is Relations => typeof value !== "string",
      );
      return blocks.flatMap((block) => strings(block, "kdc")).map(parseAddress);
    },
    realmOfHost(host) {
      const name = host.toLowerCase();
      const exact = strings(domainRealm, name)[0];
      if (exact) return exact;
      let best: { domain: string; realm: string } | undefined;
      for (const [domain, values] of domainRealm ?? []) {
        const realm = values.find((value): value is string => typeof value === "string");
        const suffix = domain.toLowerCase();
        if (!realm || !suffix.startsWith(".") || !name.endsWith(suffix)) continue;
        if (!best || suffix.length > best.domain.length) best = { domain: suffix, realm };
      }
      return best?.realm;
    },
  };
}
