/** The real servers of scripts/services.sh: started when needed, addresses from its `env`. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export interface ServiceUrls {
  redisUrl: string;
  postgresUrl: string;
  rabbitmqUrl: string;
}

export function ensureServices(root: string, needed: readonly string[]): ServiceUrls {
  const script = join(root, "scripts/services.sh");
  const started = spawnSync(script, ["start", ...needed], { stdio: ["ignore", "inherit", "inherit"] });
  if (started.status !== 0)
    throw new Error(`scripts/services.sh start ${needed.join(" ")} failed with ${started.status}`);
  const env = spawnSync(script, ["env"], { encoding: "utf8" }).stdout;
  const value = (name: string) => {
    const found = new RegExp(`^export ${name}=(.*)$`, "m").exec(env)?.[1];
    if (!found) throw new Error(`scripts/services.sh env has no ${name}`);
    return found.replace(/^'(.*)'$/, "$1");
  };
  return {
    redisUrl: value("TIDAL_TEST_REDIS_URL"),
    postgresUrl: value("TIDAL_TEST_POSTGRES_URL"),
    rabbitmqUrl: value("TIDAL_TEST_RABBITMQ_URL"),
  };
}

/**
 * Starts those of `needed` that are down (scripts/services.sh status) and returns their addresses
 * with a `stop` that stops only the servers started here.
 */
export function startServices(
  root: string,
  needed: readonly string[],
): { urls: ServiceUrls; startedHere: string[]; stop(): void } {
  const script = join(root, "scripts/services.sh");
  const down = needed.filter((name) => spawnSync(script, ["status", name], { stdio: "ignore" }).status !== 0);
  const urls = ensureServices(root, needed);
  return {
    urls,
    startedHere: down,
    stop: () => {
      if (down.length) spawnSync(script, ["stop", ...down], { stdio: ["ignore", "inherit", "inherit"] });
    },
  };
}
