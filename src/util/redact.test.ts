import { describe, expect, it } from "vitest";
import { createRedactor, fragmentsOf } from "./redact.ts";

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

  it("masks a secret as a whole token, never the inside of a word", () => {
    const redact = createRedactor(["user", "pass", "enable"]);
    expect(redact("username and password must be given together")).toBe(
      "username and password must be given together",
    );
    expect(redact("login user failed (pass), enableTLS stays")).toBe(
      "login *** failed (***), enableTLS stays",
    );
    expect(redact("user=user;pass=pass")).toBe("***=***;***=***");
  });

  it("masks a secret wherever it appears between non-word characters", () => {
    const redact = createRedactor(["s3cr3t", "-----BEGIN KEY-----"]);
    expect(redact('amqp://app:s3cr3t@host "s3cr3t" [s3cr3t] s3cr3t.')).toBe(
      'amqp://app:***@host "***" [***] ***.',
    );
    expect(redact("key: -----BEGIN KEY-----abc")).toBe("key: ***abc");
  });

  it("masks the password of user:password@host written without a scheme", () => {
    const redact = createRedactor([]);
    expect(redact("this user1:password1@domain.com fails")).toBe("this user1:***@domain.com fails");
    expect(redact("fdasr345_-:password1@domain.com")).toBe("fdasr345_-:***@domain.com");
    // An image reference, a port or a bracketed format hint is not a credential.
    expect(redact("not a DSN (user:password@tcp(host:port)/dbname)")).toBe(
      "not a DSN (user:password@tcp(host:port)/dbname)",
    );
    expect(redact("pull ghcr.io/app:v1@sha256:abc from 10.0.0.1:5672")).toBe(
      "pull ghcr.io/app:v1@sha256:abc from 10.0.0.1:5672",
    );
  });

  it("masks the pieces of a fragmented value, but not the names it uses (keys, schemes, networks)", () => {
    expect(fragmentsOf("app:s3cret/db")).toEqual(["app", "s3cret"]);
    expect(fragmentsOf("redis:6379?password=pw-canary")).toEqual(["redis", "6379", "pw-canary"]);
    expect(fragmentsOf("u:pw@tcp(db:3306)/orders?tls=true")).toEqual(["3306", "orders", "true"]);
    expect(fragmentsOf("postgresql://tidal:pw@pg:5432/jobs")).toEqual(["tidal", "5432", "jobs"]);
    expect(fragmentsOf('{"type": "service_account", "key": "k3y"}')).toEqual(["service_account", "k3y"]);
    const redact = createRedactor([], ["app:s3cret/db", "redis:6379?password=pw-canary"]);
    expect(redact('network "app:s3cret" is not supported')).toBe('network "***:***" is not supported');
    expect(redact('port "6379?password=pw-canary" must be a number')).toBe(
      'port "***?password=***" must be a number',
    );
    // The whole value still goes, and words of the message that merely contain a piece stay.
    expect(redact("dsn app:s3cret/db; apps and redistribution")).toBe("dsn ***; apps and redistribution");
  });

  it("leaves text without secrets unchanged", () => {
    expect(createRedactor(["s3cret"])("connection refused")).toBe("connection refused");
  });
});
