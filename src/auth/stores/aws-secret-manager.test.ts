import { describe, expect, it } from "vitest";
import { secretKeyOf } from "./aws-secret-manager.ts";

describe("secretKeyOf: KEDA's secretKey", () => {
  const entry = "entry";

  it("reads a string value of a JSON object", () => {
    expect(secretKeyOf('{"user": "tidal", "password": "p"}', "password", entry)).toBe("p");
  });

  it("fails on a missing key or a value that is not a string", () => {
    expect(() => secretKeyOf('{"user": "tidal"}', "password", entry)).toThrow(
      'entry: SecretKey Not Found: the secret has no key "password"',
    );
    expect(() => secretKeyOf('{"port": 5432}', "port", entry)).toThrow("SecretKey value is not a string");
    expect(() => secretKeyOf('{"nested": {"a": "b"}}', "nested", entry)).toThrow(
      "SecretKey value is not a string",
    );
  });

  it("never quotes the secret when it is not a JSON object", () => {
    for (const text of ["hunter2-canary", '["hunter2-canary"]', '"hunter2-canary"']) {
      let message = "";
      try {
        secretKeyOf(text, "password", entry);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toBe('entry: secretKey "password" is set but the secret is not a JSON object');
    }
  });
});
