import { describe, expect, it } from "vitest";
import { parseGoBool } from "../util/go/parse.ts";
import { knownMetadataKeys, param, parseParams, type ParamInputs, type ParamSchema } from "./params.ts";

function inputs(partial: Partial<ParamInputs> = {}): ParamInputs {
  return { metadata: {}, authParams: {}, resolvedEnv: {}, ...partial };
}

/** Parses one parameter `value` of the given declaration from trigger metadata. */
function one(declaration: ParamSchema[string], raw: string) {
  return parseParams({ value: declaration }, inputs({ metadata: { value: raw } }));
}

describe("parseParams: conversions by kind", () => {
  it("string: trimmed as is", () => {
    expect(one(param.string({ description: "d" }), "  orders  ").values.value).toBe("orders");
  });

  it("int: whole numbers with an optional sign, anything else is an error naming the parameter and value", () => {
    expect(one(param.int({ description: "d" }), "42").values.value).toBe(42);
    expect(one(param.int({ description: "d" }), "-3").values.value).toBe(-3);
    expect(one(param.int({ description: "d" }), "+7").values.value).toBe(7);
    for (const bad of ["1.5", "ten", "1e3", "0x10"]) {
      const result = one(param.int({ description: "d" }), bad);
      expect(result.problems).toEqual([
        { key: "value", message: `parameter "value" value "${bad}" must be an integer`, severity: "error" },
      ]);
      expect(result.values.value).toBeUndefined();
    }
  });

  it("float: any finite number", () => {
    expect(one(param.float({ description: "d" }), "2.5").values.value).toBe(2.5);
    expect(one(param.float({ description: "d" }), "1e3").values.value).toBe(1000);
    expect(one(param.float({ description: "d" }), "-0.25").values.value).toBe(-0.25);
    expect(one(param.float({ description: "d" }), "abc").problems[0]?.message).toBe(
      'parameter "value" value "abc" must be a number',
    );
    expect(one(param.float({ description: "d" }), "Infinity").problems[0]?.message).toBe(
      'parameter "value" value "Infinity" must be a number',
    );
  });

  it("bool: Go's strconv.ParseBool spellings only", () => {
    for (const yes of ["1", "t", "T", "TRUE", "true", "True"])
      expect(one(param.bool({ description: "d" }), yes).values.value).toBe(true);
    for (const no of ["0", "f", "F", "FALSE", "false", "False"])
      expect(one(param.bool({ description: "d" }), no).values.value).toBe(false);
    expect(one(param.bool({ description: "d" }), "yes").problems[0]?.message).toBe(
      'parameter "value" value "yes" must be true or false',
    );
    expect(parseGoBool("tRuE")).toBeUndefined();
  });

  it("enum: one of the declared values, case-sensitive, listing them in the error", () => {
    const declaration = param.enum(["amqp", "http"], { description: "d" });
    expect(one(declaration, "http").values.value).toBe("http");
    expect(one(declaration, "HTTP").problems[0]?.message).toBe(
      'parameter "value" value "HTTP" must be one of amqp, http',
    );
  });

  it("list: comma-separated, items trimmed, empty items dropped", () => {
    expect(one(param.list({ description: "d" }), "a:1, b:2,,c:3 ,").values.value).toEqual([
      "a:1",
      "b:2",
      "c:3",
    ]);
  });

  it("map: key=value pairs separated by commas; a pair without = is an error", () => {
    expect(one(param.map({ description: "d" }), "a=1, b = x=y ,").values.value).toEqual({ a: "1", b: "x=y" });
    expect(one(param.map({ description: "d" }), "a=1,b").problems[0]?.message).toBe(
      'parameter "value" value "a=1,b" must be a list of key=value pairs separated by commas',
    );
    expect(one(param.map({ description: "d" }), "=1").problems).toHaveLength(1);
  });

  it("duration: Go syntax or a bare integer of milliseconds, as KEDA reads it", () => {
    expect(one(param.duration({ description: "d" }), "1500").values.value).toBe(1500);
    expect(one(param.duration({ description: "d" }), "1m30s").values.value).toBe(90_000);
    expect(one(param.duration({ description: "d" }), "1.5s").values.value).toBe(1500);
    expect(one(param.duration({ description: "d" }), "2h").values.value).toBe(7_200_000);
    expect(one(param.duration({ description: "d" }), "soon").problems[0]?.message).toBe(
      'parameter "value" value "soon" must be a duration such as 500ms, 3s or 1m, or milliseconds',
    );
  });

  it("a secret parameter's value is never quoted in its error", () => {
    const result = parseParams(
      { port: param.int({ sources: ["auth"], secret: true, description: "d" }) },
      inputs({ authParams: { port: "hunter2-not-a-number" } }),
    );
    expect(result.problems).toEqual([
      { key: "port", message: 'parameter "port" value must be an integer', severity: "error" },
    ]);
    expect(result.secrets).toEqual(["hunter2-not-a-number"]);
  });

  it("a value from an authentication or the environment is never quoted in its error, secret or not", () => {
    const schema = { port: param.int({ sources: ["metadata", "auth", "env"], description: "d" }) };
    const fromAuth = parseParams(schema, inputs({ authParams: { port: "6379?password=pw-canary" } }));
    const fromEnv = parseParams(
      schema,
      inputs({ metadata: { portFromEnv: "PORT" }, resolvedEnv: { PORT: "6379?password=pw-canary" } }),
    );
    for (const result of [fromAuth, fromEnv])
      expect(result.problems).toEqual([
        { key: "port", message: 'parameter "port" value must be an integer', severity: "error" },
      ]);
    // From the metadata it is the user's own text, and quoted.
    expect(parseParams(schema, inputs({ metadata: { port: "x" } })).problems[0]?.message).toBe(
      'parameter "port" value "x" must be an integer',
    );
  });
});

describe("parseParams: values to redact", () => {
  it("lists secret values, and free-form values from authentication (and each list item), but not enums or numbers", () => {
    const schema = {
      password: param.string({ sources: ["auth"], secret: true, description: "d" }),
      host: param.string({ sources: ["metadata", "auth"], description: "d" }),
      addresses: param.list({ sources: ["auth"], description: "d" }),
      tls: param.enum(["enable", "disable"], { sources: ["auth"], description: "d" }),
      port: param.int({ sources: ["auth"], description: "d" }),
      queue: param.string({ description: "d" }),
    };
    const result = parseParams(
      schema,
      inputs({
        metadata: { queue: "orders" },
        authParams: {
          password: "pw-1",
          host: "amqp://u:p@h/",
          addresses: "a:1, b:2",
          tls: "enable",
          port: "5672",
        },
      }),
    );
    expect(result.problems).toEqual([]);
    expect(result.secrets).toEqual(["pw-1"]);
    expect(result.fromAuthentication).toEqual(["amqp://u:p@h/", "amqp://u:p@h/", "a:1, b:2", "a:1", "b:2"]);
    // The same host from metadata is the user's own text, not a Secret's.
    expect(
      parseParams(
        schema,
        inputs({
          metadata: { host: "h", queue: "q" },
          authParams: { password: "x", addresses: "a", tls: "enable", port: "1" },
        }),
      ).fromAuthentication,
    ).toEqual(["a", "a"]);
  });

  it("lists free-form values from the environment (<key>FromEnv) too", () => {
    const result = parseParams(
      { host: param.string({ sources: ["metadata", "env"], description: "d" }) },
      inputs({ metadata: { hostFromEnv: "HOST" }, resolvedEnv: { HOST: "db.internal:5432" } }),
    );
    expect(result.fromAuthentication).toEqual(["db.internal:5432", "db.internal:5432"]);
  });
});

describe("parseParams: sources, aliases, defaults", () => {
  const schema = {
    host: param.string({ sources: ["metadata", "auth", "env"], description: "d" }),
  };

  it("takes the first source in declaration order that has a non-blank value: metadata, then auth, then env", () => {
    const all = {
      metadata: { host: "from-metadata", hostFromEnv: "HOST" },
      authParams: { host: "from-auth" },
      resolvedEnv: { HOST: "from-env" },
    };
    expect(parseParams(schema, inputs(all)).values.host).toBe("from-metadata");
    expect(
      parseParams(schema, inputs({ ...all, metadata: { host: "  ", hostFromEnv: "HOST" } })).values.host,
    ).toBe("from-auth");
    expect(
      parseParams(schema, inputs({ ...all, metadata: { hostFromEnv: "HOST" }, authParams: {} })).values.host,
    ).toBe("from-env");
  });

  it("follows a different declared order (env before auth)", () => {
    const envFirst = { host: param.string({ sources: ["env", "auth"], description: "d" }) };
    const result = parseParams(
      envFirst,
      inputs({
        metadata: { hostFromEnv: "HOST", host: "ignored" },
        authParams: { host: "a" },
        resolvedEnv: { HOST: "e" },
      }),
    );
    expect(result.values.host).toBe("e");
  });

  it("reads a parameter only from its declared sources", () => {
    const authOnly = { password: param.string({ sources: ["auth"], description: "d" }) };
    const result = parseParams(authOnly, inputs({ metadata: { password: "in-metadata" } }));
    expect(result.values.password).toBeUndefined();
    expect(result.problems).toEqual([
      {
        key: "password",
        message: 'missing required parameter "password" (looked in authentication parameters)',
        severity: "error",
      },
    ]);
  });

  it("tries aliases after the main key within each source", () => {
    const aliased = {
      address: param.string({ aliases: ["addresses"], sources: ["metadata", "auth"], description: "d" }),
    };
    expect(
      parseParams(
        aliased,
        inputs({ metadata: { addresses: "alias-in-metadata" }, authParams: { address: "main-in-auth" } }),
      ).values.address,
    ).toBe("alias-in-metadata");
    expect(
      parseParams(aliased, inputs({ metadata: { address: "main", addresses: "alias" } })).values.address,
    ).toBe("main");
    const fromEnv = { address: param.string({ aliases: ["addresses"], sources: ["env"], description: "d" }) };
    expect(
      parseParams(fromEnv, inputs({ metadata: { addressesFromEnv: "ADDR" }, resolvedEnv: { ADDR: "x:1" } }))
        .values.address,
    ).toBe("x:1");
  });

  it("a <key>FromEnv naming an unset variable is an error naming the variable", () => {
    const result = parseParams(schema, inputs({ metadata: { hostFromEnv: "RABBIT_HOST" } }));
    expect(result.problems).toContainEqual({
      key: "hostFromEnv",
      message: 'environment variable "RABBIT_HOST" named by hostFromEnv is not set on the target',
      severity: "error",
    });
  });

  it("uses the default when no source has a value, and reports a missing required parameter with where it looked", () => {
    const declared = {
      length: param.int({ default: 5, description: "d" }),
      name: param.string({ description: "d" }),
      extra: param.string({ optional: true, description: "d" }),
      host: param.string({ sources: ["metadata", "auth", "env"], description: "d" }),
    };
    const result = parseParams(declared, inputs());
    expect(result.values).toEqual({ length: 5 });
    expect(result.present.size).toBe(0);
    expect(result.problems).toEqual([
      {
        key: "name",
        message: 'missing required parameter "name" (looked in trigger metadata)',
        severity: "error",
      },
      {
        key: "host",
        message:
          'missing required parameter "host" (looked in trigger metadata or authentication parameters or the target\'s environment (…FromEnv))',
        severity: "error",
      },
    ]);
    expect(
      parseParams(declared, inputs({ metadata: { length: "9", name: "n", host: "h" } })).present,
    ).toEqual(new Set(["length", "name", "host"]));
  });

  it("a deprecated parameter is an error with its message when present, and fine when absent", () => {
    const declared = {
      queueLength: param.int({
        optional: true,
        deprecated: "queueLength is deprecated; use mode and value",
        description: "d",
      }),
    };
    expect(parseParams(declared, inputs({ metadata: { queueLength: "5" } })).problems).toEqual([
      { key: "queueLength", message: "queueLength is deprecated; use mode and value", severity: "error" },
    ]);
    expect(parseParams(declared, inputs()).problems).toEqual([]);
  });
});

describe("parseParams: unresolved sources (validating files without the cluster)", () => {
  const declared = {
    password: param.string({ sources: ["auth"], description: "d" }),
    host: param.string({ sources: ["metadata", "env"], description: "d" }),
    username: param.string({ sources: ["auth", "env"], optional: true, description: "d" }),
  };

  it("does not report a parameter missing when an unresolved source may hold it; it is listed as unknown", () => {
    const result = parseParams(
      declared,
      inputs({ metadata: { hostFromEnv: "HOST" }, unresolved: new Set(["auth", "env"]) }),
    );
    expect(result.problems).toEqual([]);
    expect(result.unknown).toEqual(new Set(["password", "host", "username"]));
  });

  it("the environment can only hold a parameter whose <key>FromEnv is in the metadata", () => {
    const result = parseParams(
      declared,
      inputs({ unresolved: new Set(["env"]), authParams: { password: "p" } }),
    );
    // host: no hostFromEnv, so nothing can supply it: missing. username: optional, so simply unset.
    expect(result.problems).toEqual([
      {
        key: "host",
        message:
          'missing required parameter "host" (looked in trigger metadata or the target\'s environment (…FromEnv))',
        severity: "error",
      },
    ]);
    expect(result.unknown.size).toBe(0);
  });

  it("an unresolved environment does not report a <key>FromEnv variable as unset", () => {
    const result = parseParams(
      declared,
      inputs({
        metadata: { hostFromEnv: "HOST" },
        authParams: { password: "p" },
        unresolved: new Set(["env"]),
      }),
    );
    expect(result.problems).toEqual([]);
    expect(result.unknown).toEqual(new Set(["host"]));
  });
});

describe("knownMetadataKeys", () => {
  it("lists metadata keys and aliases, and <key>FromEnv for parameters the environment may hold", () => {
    const keys = knownMetadataKeys({
      address: param.string({
        aliases: ["addresses"],
        sources: ["metadata", "auth", "env"],
        description: "d",
      }),
      password: param.string({ sources: ["auth", "env"], description: "d" }),
      tls: param.string({ sources: ["auth"], description: "d" }),
      listName: param.string({ description: "d" }),
    });
    expect([...keys].sort()).toEqual([
      "address",
      "addressFromEnv",
      "addresses",
      "addressesFromEnv",
      "listName",
      "passwordFromEnv",
    ]);
  });
});
