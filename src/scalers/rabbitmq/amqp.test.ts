import { describe, expect, it } from "vitest";
import { amqpTarget, amqpUrl, displayUrl } from "./amqp.ts";

describe("amqpUrl", () => {
  it("keeps the host URL when nothing overrides it", () => {
    expect(amqpUrl("amqp://u:p@rabbit:5672/vh?heartbeat=10", {})).toBe(
      "amqp://u:p@rabbit:5672/vh?heartbeat=10",
    );
  });

  it("applies vhostName and the username/password pair", () => {
    expect(
      amqpUrl("amqp://u:p@rabbit:5672/vh", { vhostName: "other one", username: "x", password: "p@ss" }),
    ).toBe("amqp://x:p%40ss@rabbit:5672/other%20one");
    expect(amqpUrl("amqp://rabbit", { vhostName: "/" })).toBe("amqp://rabbit/%2F");
  });
});

describe("displayUrl", () => {
  it("drops the credentials", () => {
    expect(displayUrl("amqp://user:secret@rabbit:5672/vh")).toBe("amqp://rabbit:5672/vh");
    expect(displayUrl("::")).toBe("(invalid URL)");
  });
});

describe("amqpTarget", () => {
  it("uses SASL EXTERNAL with a client certificate and no user name over amqps", () => {
    const target = amqpTarget("amqps://rabbit:5671/", {}, { cert: "CERT", key: "KEY" }, 3000);
    expect(target.saslExternal).toBe(true);
    expect(target.socketOptions.timeout).toBe(3000);
    expect(target.socketOptions.clientProperties).toEqual({ connection_name: "tidal" });
  });

  it("keeps PLAIN when there is a user name", () => {
    const target = amqpTarget(
      "amqps://rabbit:5671/",
      { username: "u", password: "p" },
      { cert: "CERT" },
      3000,
    );
    expect(target.saslExternal).toBe(false);
  });
});
