import { describe, expect, it } from "vitest";
import { COMMANDS } from "./commands.ts";

describe("the command list", () => {
  it.each(COMMANDS.map((entry) => [entry.name, entry] as const))(
    "%s: its summary in tidal --help is the command's own description",
    async (name, entry) => {
      const command = await entry.load();
      expect(command.name()).toBe(name);
      expect(command.description()).toBe(entry.summary);
    },
  );
});
