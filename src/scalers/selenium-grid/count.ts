/**
 * KEDA's reading of a Selenium Grid's GraphQL answer: how many new nodes the queued session
 * requests that match a trigger need (each new node takes `nodeMaxSessions` of them; a request that
 * fits a free matching slot of a running node needs none), plus the ongoing sessions that match.
 * The matching rules follow the Grid's own slot matcher as KEDA applies them, quirks included.
 */
import { equalFold } from "../shared/go-url.ts";

export interface SeleniumMatch {
  browserName: string;
  sessionBrowserName: string;
  browserVersion: string;
  platformName: string;
  nodeMaxSessions: number;
  enableManagedDownloads: boolean;
  /** The trigger's `capabilities` (JSON object text), or "". */
  capabilities: string;
}

export interface SeleniumCount {
  newRequestNodes: number;
  onGoingSessions: number;
}

type Capabilities = Record<string, unknown>;

/** The GraphQL query KEDA sends. */
export const SELENIUM_GRID_QUERY =
  "{ grid { sessionCount, maxSession, totalSlots }, nodesInfo { nodes { id, status, sessionCount, maxSession, slotCount, stereotypes, sessions { id, capabilities, slot { id, stereotype } } } }, sessionsInfo { sessionQueueRequests } }";

const MANAGED_DOWNLOADS = "se:downloadsEnabled";
const EXTENSION_PREFIXES = ["goog:", "moz:", "ms:", "se:"];

interface Platform {
  name: string;
  family: string | undefined;
}

const FAMILIES: [string, string | undefined, string[]][] = [
  ["windows", undefined, ["windows"]],
  ["Windows XP", "windows", ["windows server 2003", "xp", "winnt", "windows_nt", "windows nt"]],
  ["Windows Vista", "windows", ["windows server 2008", "windows vista"]],
  ["Windows 7", "windows", ["windows 7", "win7"]],
  ["Windows 8", "windows", ["windows server 2012", "windows 8", "win8"]],
  ["Windows 8.1", "windows", ["windows 8.1", "win8.1"]],
  ["Windows 10", "windows", ["windows 10", "win10"]],
  ["Windows 11", "windows", ["windows 11", "win11"]],
  ["mac", undefined, ["mac", "darwin", "macos", "mac os x", "os x"]],
  ["OS X 10.6", "mac", ["os x 10.6", "macos 10.6", "snow leopard"]],
  ["OS X 10.8", "mac", ["os x 10.8", "macos 10.8", "mountain lion"]],
  ["OS X 10.9", "mac", ["os x 10.9", "macos 10.9", "mavericks"]],
  ["OS X 10.10", "mac", ["os x 10.10", "macos 10.10", "yosemite"]],
  ["OS X 10.11", "mac", ["os x 10.11", "macos 10.11", "el capitan"]],
  ["macOS 10.12", "mac", ["os x 10.12", "macos 10.12", "sierra"]],
  ["macOS 10.13", "mac", ["os x 10.13", "macos 10.13", "high sierra"]],
  ["macOS 10.14", "mac", ["os x 10.14", "macos 10.14", "mojave"]],
  ["macOS 10.15", "mac", ["os x 10.15", "macos 10.15", "catalina"]],
  ["macOS 11.0", "mac", ["os x 11.0", "macos 11.0", "big sur"]],
  ["macOS 12.0", "mac", ["os x 12.0", "macos 12.0", "monterey"]],
  ["macOS 13.0", "mac", ["os x 13.0", "macos 13.0", "ventura"]],
  ["macOS 14.0", "mac", ["os x 14.0", "macos 14.0", "sonoma"]],
  ["macOS 15.0", "mac", ["os x 15.0", "macos 15.0", "sequoia"]],
  ["unix", undefined, []],
  ["linux", "unix", ["linux"]],
  ["bsd", "unix", ["bsd"]],
  ["solaris", "unix", ["solaris"]],
  ["android", undefined, ["android", "dalvik"]],
  ["iOS", undefined, ["ios"]],
  ["any", undefined, ["any", ""]],
];

const PLATFORMS = new Map<string, Platform>();
for (const [name, family, aliases] of FAMILIES) {
  for (const alias of aliases) PLATFORMS.set(alias, { name, family });
}

/** The Grid's Platform for a platformName (Selenium's Platform enum, as KEDA maps it). */
export function seleniumPlatform(input: string): Platform {
  const lower = input.toLowerCase();
  return PLATFORMS.get(lower) ?? { name: lower, family: undefined };
}

function platformsMatch(wanted: string, offered: string): boolean {
  const a = seleniumPlatform(wanted);
  const b = seleniumPlatform(offered);
  return equalFold(a.name, b.name) || (a.family !== undefined && a.family === b.family);
}

function stringCapability(capabilities: Capabilities, key: string): string {
  const value = capabilities[key];
  if (value === undefined) return "";
  if (typeof value !== "string") {
    throw new Error(`capability ${key} is ${JSON.stringify(value)}, not a string`);
  }
  return value;
}

function booleanCapability(capabilities: Capabilities, key: string): boolean | undefined {
  const value = capabilities[key];
  if (value === undefined) return undefined;
  if (typeof value !== "boolean")
    throw new Error(`capability ${key} is ${JSON.stringify(value)}, not a boolean`);
  return value;
}

/**
 * KEDA's managedDownloadsEnabled, called with the trigger's capabilities first: when `offered`
 * asks for managed downloads, the trigger must have them on.
 */
function managedDownloads(trigger: Capabilities, offered: Capabilities): boolean {
  if (booleanCapability(offered, MANAGED_DOWNLOADS) !== true) return true;
  return booleanCapability(trigger, MANAGED_DOWNLOADS) === true;
}

/** The trigger's own capabilities (extension prefixes dropped, managed downloads kept) must all be offered. */
function extensionCapabilitiesMatch(offered: Capabilities, trigger: Capabilities): boolean {
  for (const [key, value] of Object.entries(trigger)) {
    const isExtension = EXTENSION_PREFIXES.some((prefix) => key.startsWith(prefix));
    if (isExtension || key === MANAGED_DOWNLOADS) continue;
    if (!(key in offered) || !goEqual(offered[key], value)) return false;
  }
  return true;
}

/** Go's `!=` on decoded JSON values: maps and slices cannot be compared (KEDA panics). */
function goEqual(a: unknown, b: unknown): boolean {
  if ((typeof a === "object" && a !== null) || (typeof b === "object" && b !== null)) {
    throw new Error("capabilities holding objects or lists cannot be compared");
  }
  return a === b;
}

function versionsMatch(wanted: string, offered: string): boolean {
  return (offered === "" && wanted === "") || (offered !== "" && wanted.startsWith(offered));
}

function requestMatches(request: Capabilities, match: SeleniumMatch, trigger: Capabilities): boolean {
  const browser = stringCapability(request, "browserName");
  const browserMatch = (browser === "" && match.browserName === "") || equalFold(match.browserName, browser);
  return (
    browserMatch &&
    versionsMatch(match.browserVersion, stringCapability(request, "browserVersion")) &&
    platformsMatch(match.platformName, stringCapability(request, "platformName")) &&
    managedDownloads(trigger, request) &&
    extensionCapabilitiesMatch(request, trigger)
  );
}

function stereotypeMatches(stereotype: Capabilities, match: SeleniumMatch, trigger: Capabilities): boolean {
  const browser = stringCapability(stereotype, "browserName");
  const browserMatch =
    (browser === "" && match.browserName === "") ||
    equalFold(match.browserName, browser) ||
    equalFold(match.sessionBrowserName, browser);
  return (
    browserMatch &&
    versionsMatch(match.browserVersion, stringCapability(stereotype, "browserVersion")) &&
    platformsMatch(match.platformName, stringCapability(stereotype, "platformName")) &&
    managedDownloads(trigger, stereotype) &&
    extensionCapabilitiesMatch(stereotype, trigger)
  );
}

interface GridNode {
  id: string;
  status: string;
  sessionCount: number;
  maxSession: number;
  stereotypes: string;
  sessions: { slot: { stereotype: string } }[];
}

interface Reserved {
  id: string;
  slots: number;
}

/** A JSON object decoded from a string the Grid sends inside its answer, or undefined (KEDA logs and skips it). */
function objectFrom(text: unknown): Capabilities | undefined {
  if (typeof text !== "string") return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Capabilities)
      : undefined;
  } catch {
    return undefined;
  }
}

function numberOf(value: unknown): number {
  return typeof value === "number" ? value : 0;
}

function nodesOf(data: Record<string, unknown>): GridNode[] {
  const nodes = (data.nodesInfo as { nodes?: unknown } | undefined)?.nodes;
  if (!Array.isArray(nodes)) return [];
  return nodes.map((node: Record<string, unknown>) => ({
    id: typeof node.id === "string" ? node.id : "",
    status: typeof node.status === "string" ? node.status : "",
    sessionCount: numberOf(node.sessionCount),
    maxSession: numberOf(node.maxSession),
    stereotypes: typeof node.stereotypes === "string" ? node.stereotypes : "",
    sessions: Array.isArray(node.sessions)
      ? node.sessions.map((session: { slot?: { stereotype?: unknown } }) => ({
          slot: { stereotype: typeof session.slot?.stereotype === "string" ? session.slot.stereotype : "" },
        }))
      : [],
  }));
}

function matchingSessions(node: GridNode, match: SeleniumMatch, trigger: Capabilities): number {
  let count = 0;
  for (const session of node.sessions) {
    const stereotype = objectFrom(session.slot.stereotype);
    if (stereotype && stereotypeMatches(stereotype, match, trigger)) count += 1;
  }
  return count;
}

function matchingSlots(node: GridNode, match: SeleniumMatch, trigger: Capabilities): number {
  let stereotypes: unknown;
  try {
    stereotypes = JSON.parse(node.stereotypes);
  } catch {
    return 0;
  }
  if (!Array.isArray(stereotypes)) return 0;
  let slots = 0;
  for (const entry of stereotypes as { slots?: unknown; stereotype?: unknown }[]) {
    const stereotype =
      typeof entry.stereotype === "object" && entry.stereotype !== null
        ? (entry.stereotype as Capabilities)
        : {};
    if (stereotypeMatches(stereotype, match, trigger)) slots += numberOf(entry.slots);
  }
  return slots;
}

function slotsLeft(reserved: Reserved[], id: string, available: number): number {
  return reserved.find((node) => equalFold(node.id, id))?.slots ?? available;
}

function reserve(reserved: Reserved[], id: string, slots: number): void {
  const existing = reserved.find((node) => equalFold(node.id, id));
  if (existing) existing.slots = slots;
  else reserved.push({ id, slots });
}

/** The trigger's capabilities as KEDA uses them: its JSON object, plus managed downloads when enabled. */
export function triggerCapabilities(match: Pick<SeleniumMatch, "capabilities" | "enableManagedDownloads">) {
  const capabilities: Capabilities = match.capabilities === "" ? {} : (objectFrom(match.capabilities) ?? {});
  if (match.enableManagedDownloads) capabilities[MANAGED_DOWNLOADS] = true;
  return capabilities;
}

/** KEDA's getCountFromSeleniumResponse over the GraphQL answer's text. Throws on a body that is not JSON. */
export function seleniumGridCount(body: string, match: SeleniumMatch): SeleniumCount {
  let answer: unknown;
  try {
    answer = JSON.parse(body);
  } catch (error) {
    throw new Error(`Selenium Grid answered with something that is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const data = ((answer as { data?: unknown } | null)?.data ?? {}) as Record<string, unknown>;
  const trigger = triggerCapabilities(match);
  const queue = (data.sessionsInfo as { sessionQueueRequests?: unknown } | undefined)?.sessionQueueRequests;
  const requests: unknown[] = Array.isArray(queue) ? queue : [];
  const nodes = nodesOf(data);
  const reservedNodes: Reserved[] = [];
  const newNodes: Reserved[] = [];

  requests.forEach((text, requestIndex) => {
    const request = objectFrom(text);
    if (request === undefined || !requestMatches(request, match, trigger)) return;
    let placed = false;
    for (const node of nodes) {
      const free = slotsLeft(reservedNodes, node.id, node.maxSession - node.sessionCount);
      if (!equalFold(node.status, "UP") || free <= 0) continue;
      const slots = matchingSlots(node, match, trigger);
      if (slots === 0) continue;
      if (slots > matchingSessions(node, match, trigger)) {
        reserve(reservedNodes, node.id, free - 1);
        placed = true;
        break;
      }
    }
    if (!placed) {
      const withRoom = newNodes.find((node) => node.slots > 0);
      if (withRoom) {
        reserve(newNodes, withRoom.id, withRoom.slots - 1);
        placed = true;
      }
    }
    // KEDA names each new node after its request's index as a one-character string.
    if (!placed) reserve(newNodes, goRuneString(requestIndex), match.nodeMaxSessions - 1);
  });

  let onGoingSessions = 0;
  for (const node of nodes) onGoingSessions += matchingSessions(node, match, trigger);
  return { newRequestNodes: newNodes.length, onGoingSessions };
}

/** Go's string(rune(i)): invalid code points become U+FFFD. */
function goRuneString(index: number): string {
  if (index > 0x10ffff || (index >= 0xd800 && index <= 0xdfff)) return "\uFFFD";
  return String.fromCodePoint(index);
}
