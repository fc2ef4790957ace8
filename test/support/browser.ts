/**
 * A real browser for the dashboard's tests: Debian's Chromium (installed by
 * `scripts/services.sh start chromium`; no browser download), driven headless by playwright-core,
 * with a fresh profile per launch. Screenshots go to test-results/ (ignored by git).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { useServices } from "./services.ts";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const artifactsDir = fileURLToPath(new URL("../../test-results/", import.meta.url));

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Saves a full-page screenshot as test-results/<folder>/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Installs Chromium if needed and opens one page; `close` removes the profile. */
export async function launchBrowser(
  folder: string,
  colorScheme: "light" | "dark" = "light",
): Promise<Browser> {
  await useServices("chromium");
  const profile = mkdtempSync(join(tmpdir(), "tidal-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.TIDAL_TEST_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport: { width: 1360, height: 900 },
    colorScheme,
    timezoneId: "UTC",
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  const directory = join(artifactsDir, folder);
  mkdirSync(directory, { recursive: true });
  return {
    context,
    page,
    async screenshot(name) {
      if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join("; ")}`);
      const path = join(directory, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
