import { describe, expect, it } from "vitest";
import { operatorCommand } from "./operator.ts";

describe("tidal operator's defaults", () => {
  it("gives every listener of one pod a port of its own", () => {
    const defaults = Object.fromEntries(
      operatorCommand().options.map((option) => [option.long, option.defaultValue as unknown]),
    );
    const ports = [
      String(defaults["--metrics-server-port"]),
      String(defaults["--metrics-bind-address"]).split(":").at(-1),
      String(defaults["--http-scaler-port"]),
      String(defaults["--dashboard-bind-address"]).split(":").at(-1),
    ];
    expect(ports).toEqual(["6443", "8080", "9090", "8435"]);
    expect(new Set(ports).size).toBe(ports.length);
  });
});
