import { Command, CommanderError } from "commander";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { main } from "./main.ts";
import {
  durationMilliseconds,
  filenameOption,
  hpaSyncPeriod,
  nonNegativeInteger,
  outputOption,
  portNumber,
  timeoutMilliseconds,
} from "./options.ts";
import { formatNumber } from "../util/format-number.ts";
import { renderTable } from "../util/table.ts";
import { useColor } from "./color.ts";

/** A throwaway command with the shared options, parsed without exiting the process. */
function parse(argv: string[]) {
  let seen: Record<string, unknown> = {};
  const command = new Command("t")
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .addOption(filenameOption())
    .addOption(outputOption(["text", "json"], "text"))
    .option("--count <n>", "a count", nonNegativeInteger("--count"))
    .action((options: Record<string, unknown>) => {
      seen = options;
    });
  command.parse(argv, { from: "user" });
  return seen;
}

describe("shared options", () => {
  it("-f takes several paths, --output defaults and is limited to its choices", () => {
    expect(parse(["-f", "a.yaml", "b/", "--count", "3"])).toEqual({
      filename: ["a.yaml", "b/"],
      output: "text",
      count: 3,
    });
    expect(() => parse(["-f", "a.yaml", "-o", "xml"])).toThrow(CommanderError);
    expect(() => parse([])).toThrow("required option '-f, --filename <path...>' not specified");
  });

  it("nonNegativeInteger refuses anything but a whole number, as a usage error naming the option", () => {
    expect(nonNegativeInteger("--count")("0")).toBe(0);
    for (const bad of ["-1", "1.5", "x", ""])
      expect(() => nonNegativeInteger("--count")(bad)).toThrow(
        `--count must be a whole number ≥ 0, got "${bad}"`,
      );
    try {
      parse(["-f", "a", "--count", "two"]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CommanderError);
      expect((error as CommanderError).code).toBe("commander.invalidArgument");
    }
  });

  it("durationMilliseconds reads the HTTP add-on's Go durations and refuses bare numbers and zero", () => {
    expect(durationMilliseconds("20s", "--condition-wait-timeout")).toBe(20_000);
    expect(durationMilliseconds(" 500ms ", "--response-header-timeout")).toBe(500);
    expect(durationMilliseconds("1m30s", "--x")).toBe(90_000);
    for (const bad of ["20", "0s", "-1s", "soon", ""])
      expect(() => durationMilliseconds(bad, "--condition-wait-timeout")).toThrow(
        `--condition-wait-timeout must be a positive duration with a unit, such as 20s or 500ms, got "${bad}"`,
      );
  });
});

describe("table output", () => {
  it("aligns columns to the widest cell, trims the last column, and adds no colour when off", () => {
    const text = renderTable(
      ["NAME", "VALUE", "NOTE"],
      [
        ["a", "10", ""],
        ["longer-name", { text: "2", style: "bold" }, "ok"],
      ],
      false,
    );
    expect(text).toBe("NAME         VALUE  NOTE\na            10\nlonger-name  2      ok\n");
  });

  it("styles cells only when colour is on", () => {
    // node:util styleText also checks the terminal; FORCE_COLOR stands in for one.
    const saved = process.env.FORCE_COLOR;
    process.env.FORCE_COLOR = "1";
    try {
      const text = renderTable(["A"], [[{ text: "x", style: "red" }]], true);
      expect(text).toContain("\u001b[");
      expect(stripVTControlCharacters(text)).toBe("A\nx\n");
      expect(renderTable(["A"], [[{ text: "x", style: "red" }]], false)).toBe("A\nx\n");
    } finally {
      if (saved === undefined) delete process.env.FORCE_COLOR;
      else process.env.FORCE_COLOR = saved;
    }
  });

  it("formats numbers: integers as is, others with up to 3 decimals", () => {
    expect([3, 2.5, 1 / 3, 0.1 + 0.2, 1e21].map(formatNumber)).toEqual(["3", "2.5", "0.333", "0.3", "1e+21"]);
  });

  it("colours a terminal unless NO_COLOR is set; FORCE_COLOR forces it", () => {
    const saved = { NO_COLOR: process.env.NO_COLOR, FORCE_COLOR: process.env.FORCE_COLOR };
    try {
      delete process.env.NO_COLOR;
      delete process.env.FORCE_COLOR;
      expect(useColor({ isTTY: true } as NodeJS.WriteStream)).toBe(true);
      expect(useColor({ isTTY: false } as NodeJS.WriteStream)).toBe(false);
      process.env.NO_COLOR = "1";
      expect(useColor({ isTTY: true } as NodeJS.WriteStream)).toBe(false);
      delete process.env.NO_COLOR;
      process.env.FORCE_COLOR = "1";
      expect(useColor({ isTTY: false } as NodeJS.WriteStream)).toBe(true);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});

describe("main", () => {
  it("returns 2 for usage errors without throwing", async () => {
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(["no-such-command"])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
  });
});

describe("port and timeout values", () => {
  it("accepts ports 0–65535 and names the option otherwise, as a usage error", () => {
    expect(portNumber("0", "--port")).toBe(0);
    expect(portNumber("65535", "--port")).toBe(65535);
    for (const bad of ["65536", "-1", "80.5", "http", "", " ", "0x50", "1e3"]) {
      expect(() => portNumber(bad, "--http-port")).toThrow(
        expect.objectContaining({
          exitCode: 2,
          message: `--http-port must be a port number from 0 to 65535, got "${bad}"`,
        }),
      );
    }
  });

  it("accepts a positive number of milliseconds a timer can wait for --timeout", () => {
    expect(timeoutMilliseconds("250")).toBe(250);
    expect(timeoutMilliseconds("2147483647")).toBe(2147483647);
    for (const bad of ["0", "-5", "1.5", "soon", "", "1e3", "99999999999"]) {
      expect(() => timeoutMilliseconds(bad)).toThrow(
        expect.objectContaining({
          exitCode: 2,
          message: `--timeout must be a whole number of milliseconds from 1 to 2147483647, got "${bad}"`,
        }),
      );
    }
    expect(() => timeoutMilliseconds("3s", "KEDA_HTTP_DEFAULT_TIMEOUT")).toThrow(
      /^KEDA_HTTP_DEFAULT_TIMEOUT must be/,
    );
  });

  it("reads --hpa-sync-period as a duration with a unit, as the HPA controller's flag", () => {
    expect(hpaSyncPeriod("15s")).toBe(15_000);
    expect(hpaSyncPeriod("1m30s")).toBe(90_000);
    expect(hpaSyncPeriod("500ms")).toBe(500);
    for (const bad of ["15", "0s", "50ms", "soon", "", "48h"]) {
      expect(() => hpaSyncPeriod(bad)).toThrow(
        expect.objectContaining({
          exitCode: 2,
          message: `--hpa-sync-period must be a duration with a unit from 100ms to 24h, such as 15s or 1s, got "${bad}"`,
        }),
      );
    }
  });
});
