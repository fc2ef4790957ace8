/**
 * KEDA's tests of its selenium-grid scaler (pkg/scalers/selenium_grid_scaler_test.go) as data:
 * the metadata table (with the values KEDA parses), and every answer of
 * Test_getCountFromSeleniumResponse with the counts KEDA expects (keda-count-rows.json: each
 * row's GraphQL answer, the trigger's matching parameters, and the expected new nodes and
 * ongoing sessions).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { kedaParseTable, type KedaRow } from "../../../test/support/keda-rows.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { seleniumGridCount } from "./count.ts";
import { seleniumAuthorization } from "./selenium-grid.ts";

const METADATA: (KedaRow & { sessionBrowserName?: string })[] = [
  {
    line: 3178,
    name: "invalid url string should throw error",
    metadata: {},
    isError: true,
  },
  {
    line: 3187,
    name: "invalid browsername string should throw error",
    metadata: {
      url: "",
    },
    isError: true,
  },
  {
    line: 3198,
    name: "valid url and browsername should return metadata",
    metadata: {
      browserName: "chrome",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: false,
    params: {
      browserName: "chrome",
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      url: "http://selenium-hub:4444/graphql",
    },
    sessionBrowserName: "chrome",
  },
  {
    line: 3221,
    name: "valid url, browsername, and sessionbrowsername should return metadata",
    metadata: {
      browserName: "MicrosoftEdge",
      sessionBrowserName: "msedge",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: false,
    params: {
      browserName: "MicrosoftEdge",
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      url: "http://selenium-hub:4444/graphql",
    },
    sessionBrowserName: "msedge",
  },
  {
    line: 3245,
    name: "can input browserName as empty",
    metadata: {
      browserName: "",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: false,
    params: {
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      url: "http://selenium-hub:4444/graphql",
    },
    sessionBrowserName: "",
  },
  {
    line: 3268,
    name: "valid url in AuthParams, browsername, and sessionbrowsername should return metadata",
    metadata: {
      browserName: "MicrosoftEdge",
      sessionBrowserName: "msedge",
    },
    authParams: {
      password: "password",
      url: "http://selenium-hub:4444/graphql",
      username: "user",
    },
    isError: false,
    params: {
      browserName: "MicrosoftEdge",
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      password: "password",
      url: "http://selenium-hub:4444/graphql",
      username: "user",
    },
    sessionBrowserName: "msedge",
  },
  {
    line: 3298,
    name: "valid username and password in AuthParams, url, browsername, and sessionbrowsername should return metadata",
    metadata: {
      browserName: "MicrosoftEdge",
      sessionBrowserName: "msedge",
      url: "http://selenium-hub:4444/graphql",
    },
    authParams: {
      password: "password",
      username: "username",
    },
    isError: false,
    params: {
      browserName: "MicrosoftEdge",
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      password: "password",
      url: "http://selenium-hub:4444/graphql",
      username: "username",
    },
    sessionBrowserName: "msedge",
  },
  {
    line: 3328,
    name: "valid capabilities should return metadata",
    metadata: {
      browserName: "MicrosoftEdge",
      capabilities: '{"myApp:version": "beta"}',
      enableManagedDownloads: "true",
      sessionBrowserName: "msedge",
      url: "http://selenium-hub:4444/graphql",
    },
    authParams: {
      password: "password",
      username: "username",
    },
    isError: false,
    params: {
      browserName: "MicrosoftEdge",
      capabilities: '{"myApp:version": "beta"}',
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      password: "password",
      url: "http://selenium-hub:4444/graphql",
      username: "username",
    },
    sessionBrowserName: "msedge",
  },
  {
    line: 3360,
    name: "valid url and browsername should return metadata",
    metadata: {
      browserName: "chrome",
      browserVersion: "91.0",
      unsafeSsl: "false",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: false,
    params: {
      browserName: "chrome",
      browserVersion: "91.0",
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      url: "http://selenium-hub:4444/graphql",
      unsafeSsl: false,
    },
    sessionBrowserName: "chrome",
  },
  {
    line: 3386,
    name: "valid url, browsername, unsafeSsl and activationThreshold should return metadata",
    metadata: {
      activationThreshold: "10",
      browserName: "chrome",
      browserVersion: "91.0",
      unsafeSsl: "true",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: false,
    params: {
      activationThreshold: 10,
      browserName: "chrome",
      browserVersion: "91.0",
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      url: "http://selenium-hub:4444/graphql",
      unsafeSsl: true,
    },
    sessionBrowserName: "chrome",
  },
  {
    line: 3414,
    name: "valid url, browsername and unsafeSsl but invalid activationThreshold should throw an error",
    metadata: {
      activationThreshold: "AA",
      browserName: "chrome",
      browserVersion: "91.0",
      unsafeSsl: "true",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: true,
  },
  {
    line: 3429,
    name: "valid url, browsername, unsafeSsl and activationThreshold with default platformName should return metadata",
    metadata: {
      activationThreshold: "10",
      browserName: "chrome",
      browserVersion: "91.0",
      unsafeSsl: "true",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: false,
    params: {
      activationThreshold: 10,
      browserName: "chrome",
      browserVersion: "91.0",
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      url: "http://selenium-hub:4444/graphql",
      unsafeSsl: true,
    },
    sessionBrowserName: "chrome",
  },
  {
    line: 3457,
    name: "valid url, browsername, unsafeSsl, activationThreshold and platformName should return metadata",
    metadata: {
      activationThreshold: "10",
      browserName: "chrome",
      browserVersion: "91.0",
      platformName: "Windows 11",
      unsafeSsl: "true",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: false,
    params: {
      activationThreshold: 10,
      browserName: "chrome",
      browserVersion: "91.0",
      enableManagedDownloads: true,
      nodeMaxSessions: 1,
      platformName: "Windows 11",
      url: "http://selenium-hub:4444/graphql",
      unsafeSsl: true,
    },
    sessionBrowserName: "chrome",
  },
  {
    line: 3486,
    name: "valid url, browsername, unsafeSsl, activationThreshold, nodeMaxSessions and platformName with trigger auth params should return metadata",
    metadata: {
      activationThreshold: "10",
      browserName: "chrome",
      browserVersion: "91.0",
      nodeMaxSessions: "3",
      platformName: "Windows 11",
      unsafeSsl: "true",
      url: "http://selenium-hub:4444/graphql",
    },
    authParams: {
      password: "password",
      username: "user",
    },
    isError: false,
    params: {
      activationThreshold: 10,
      browserName: "chrome",
      browserVersion: "91.0",
      enableManagedDownloads: true,
      nodeMaxSessions: 3,
      password: "password",
      platformName: "Windows 11",
      url: "http://selenium-hub:4444/graphql",
      unsafeSsl: true,
      username: "user",
    },
    sessionBrowserName: "chrome",
  },
  {
    line: 3522,
    name: "url in trigger auth param takes precedence over url in trigger metadata",
    metadata: {
      activationThreshold: "10",
      browserName: "chrome",
      browserVersion: "91.0",
      nodeMaxSessions: "3",
      platformName: "Windows 11",
      unsafeSsl: "true",
      url: "http://invalid.dns:4444/graphql",
    },
    authParams: {
      password: "password",
      url: "http://selenium-hub:4444/graphql",
      username: "user",
    },
    isError: false,
    params: {
      activationThreshold: 10,
      browserName: "chrome",
      browserVersion: "91.0",
      enableManagedDownloads: true,
      nodeMaxSessions: 3,
      password: "password",
      platformName: "Windows 11",
      url: "http://selenium-hub:4444/graphql",
      unsafeSsl: true,
      username: "user",
    },
    sessionBrowserName: "chrome",
  },
  {
    line: 3559,
    name: "auth type is not Basic and access token is provided",
    metadata: {
      activationThreshold: "10",
      browserName: "chrome",
      browserVersion: "91.0",
      nodeMaxSessions: "3",
      platformName: "Windows 11",
      unsafeSsl: "true",
      url: "http://selenium-hub:4444/graphql",
    },
    authParams: {
      accessToken: "my-access-token",
      authType: "OAuth2",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: false,
    params: {
      accessToken: "my-access-token",
      activationThreshold: 10,
      authType: "OAuth2",
      browserName: "chrome",
      browserVersion: "91.0",
      enableManagedDownloads: true,
      nodeMaxSessions: 3,
      platformName: "Windows 11",
      url: "http://selenium-hub:4444/graphql",
      unsafeSsl: true,
    },
    sessionBrowserName: "chrome",
  },
  {
    line: 3596,
    name: "authenticating with bearer access token",
    metadata: {
      activationThreshold: "10",
      browserName: "chrome",
      browserVersion: "91.0",
      nodeMaxSessions: "3",
      platformName: "Windows 11",
      unsafeSsl: "true",
    },
    authParams: {
      accessToken: "my-access-token",
      authType: "Bearer",
      url: "http://selenium-hub:4444/graphql",
    },
    isError: false,
    params: {
      accessToken: "my-access-token",
      activationThreshold: 10,
      authType: "Bearer",
      browserName: "chrome",
      browserVersion: "91.0",
      enableManagedDownloads: true,
      nodeMaxSessions: 3,
      platformName: "Windows 11",
      url: "http://selenium-hub:4444/graphql",
      unsafeSsl: true,
    },
    sessionBrowserName: "chrome",
  },
];
// count rows: 52

kedaParseTable("selenium-grid", "Test_parseSeleniumGridScalerMetadata", METADATA);

describe("KEDA's Test_parseSeleniumGridScalerMetadata: sessionBrowserName defaults to browserName", () => {
  it.each(METADATA.filter((row) => !row.isError).map((row) => [row.line, row] as const))(
    "line %s",
    (_line, row) => {
      const prepared = prepareScalerTrigger("selenium-grid", row.metadata, {
        authParams: row.authParams ?? {},
      });
      const params = prepared.params as { sessionBrowserName?: string; browserName?: string };
      expect(params.sessionBrowserName || params.browserName || "").toBe(row.sessionBrowserName);
    },
  );
});

interface CountRow {
  line: number;
  name: string;
  body: string;
  browserName: string;
  sessionBrowserName: string;
  browserVersion: string;
  platformName: string;
  nodeMaxSessions: number;
  enableManagedDownloads: boolean;
  capabilities: string;
  newRequestNodes: number;
  onGoingSessions: number;
  isError: boolean;
}

const COUNT_ROWS = JSON.parse(
  readFileSync(new URL("./keda-count-rows.json", import.meta.url), "utf8"),
) as CountRow[];

describe("KEDA's Test_getCountFromSeleniumResponse", () => {
  it("has every row", () => {
    expect(COUNT_ROWS).toHaveLength(52);
  });
  it.each(COUNT_ROWS.map((row) => [`line ${row.line}: ${row.name}`, row] as const))("%s", (_label, row) => {
    const count = () => seleniumGridCount(row.body, row);
    if (row.isError) {
      expect(count).toThrow();
      return;
    }
    expect(count()).toEqual({ newRequestNodes: row.newRequestNodes, onGoingSessions: row.onGoingSessions });
  });
});

describe("KEDA's authorization rules", () => {
  it("sends basic authentication when authType is empty or Basic and both credentials are set", () => {
    const basic = `Basic ${Buffer.from("user:password").toString("base64")}`;
    expect(seleniumAuthorization({ username: "user", password: "password" })).toBe(basic);
    expect(seleniumAuthorization({ authType: "basic", username: "user", password: "password" })).toBe(basic);
    expect(seleniumAuthorization({ authType: "Basic", accessToken: "token" })).toBeUndefined();
  });
  it("sends `<authType> <accessToken>` otherwise", () => {
    expect(seleniumAuthorization({ authType: "OAuth2", accessToken: "my-access-token" })).toBe(
      "OAuth2 my-access-token",
    );
    expect(seleniumAuthorization({ authType: "Bearer", accessToken: "my-access-token" })).toBe(
      "Bearer my-access-token",
    );
    expect(seleniumAuthorization({ username: "user", accessToken: "token" })).toBe(" token");
  });
});
