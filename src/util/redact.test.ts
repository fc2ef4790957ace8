import { describe, expect, it } from "vitest";
import { createRedactor } from "./redact.ts";

describe("createRedactor", () => {
  it("removes every occurrence of every secret value", () => {
    const redact = createRedactor(["hunter2-pass", "token-123"]);
    expect(redact("login hunter2-pass failed; retried with hunter2-pass and token-123")).toBe(
      "login *** failed; retried with *** and ***",
    );
  });

  it("removes the URL-encoded form of a value, as it appears inside connection URLs", () => {
    const secret = "p@ss/w:rd?#1";
    const redact = createRedactor([secret]);
    const encoded = encodeURIComponent(secret);
    expect(encoded).not.toBe(secret);
    expect(redact(`dial postgres://app:${encoded}@db:5432/x: refused`)).not.toContain(encoded);
    expect(redact(`bad password ${secret}`)).toBe("bad password ***");
  });

  it("masks the password of any URL with user info, even one it was not told about", () => {
    const redact = createRedactor([]);
    expect(redact("cannot reach amqp://guest:not-told@rabbit:5672/vhost")).toBe(
      "cannot reach amqp://guest:***@rabbit:5672/vhost",
    );
    expect(redact("two: redis://:pw1@a:6379 and https://u:pw2@b/path?q=1")).toBe(
      "two: redis://:***@a:6379 and https://u:***@b/path?q=1",
    );
    // A user name without a password and a plain host:port are not credentials.
    expect(redact("http://user@host/ and host:5432")).toBe("http://user@host/ and host:5432");
  });

  it("replaces longer secrets first, so one that contains another leaves nothing behind", () => {
    const redact = createRedactor(["abc", "abcdef-long"]);
    expect(redact("x abcdef-long y abc z")).toBe("x *** y *** z");
  });

  it("ignores values shorter than 3 characters, which would mask ordinary text", () => {
    const redact = createRedactor(["a", "1", ""]);
    expect(redact("a 1 b")).toBe("a 1 b");
  });

  it("leaves text without secrets unchanged", () => {
    expect(createRedactor(["s3cret"])("connection refused")).toBe("connection refused");
  });
});
