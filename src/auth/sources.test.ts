import { describe, expect, it } from "vitest";
import { decodeSecret } from "./sources.ts";

describe("decodeSecret", () => {
  it("decodes text as UTF-8 and keeps other bytes one character per byte", () => {
    const binary = Buffer.from([0x05, 0x02, 0xff, 0x00, 0xc3]);
    const values = decodeSecret({
      data: {
        password: Buffer.from("pässword").toString("base64"),
        keytab: binary.toString("base64"),
      },
      stringData: { user: "tidal" },
    });
    expect(values).toEqual({ password: "pässword", keytab: "\u0005\u0002\u00ff\u0000\u00c3", user: "tidal" });
    expect(Buffer.from(values.keytab as string, "latin1")).toEqual(binary);
  });
});
