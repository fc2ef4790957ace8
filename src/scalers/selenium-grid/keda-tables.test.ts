/**
 * KEDA's tests of its selenium-grid scaler (pkg/scalers/selenium_grid_scaler_test.go), from the
 * data in test/conformance/keda/: the metadata table (with the values KEDA parses), and every
 * answer of Test_getCountFromSeleniumResponse with the counts KEDA expects.
 */
import { describe, expect, it } from "vitest";
import { plain, runParseVectors, runValueVectors, stringMap } from "../../../test/support/keda-vectors.ts";
import { seleniumGridCount } from "./count.ts";
import { seleniumAuthorization } from "./selenium-grid.ts";

const FILE = "selenium_grid_scaler_test.json";

/** KEDA's parsed fields, named as Tidal's parameters. */
const PARAM_OF: Record<string, string> = {
  URL: "url",
  BrowserName: "browserName",
  BrowserVersion: "browserVersion",
  PlatformName: "platformName",
  Capabilities: "capabilities",
  ActivationThreshold: "activationThreshold",
  UnsafeSsl: "unsafeSsl",
  EnableManagedDownloads: "enableManagedDownloads",
  NodeMaxSessions: "nodeMaxSessions",
  Username: "username",
  Password: "password",
  AuthType: "authType",
  AccessToken: "accessToken",
};

/** Go's zero value of a wanted value: what an unset parameter of Tidal stands for. */
function zeroOf(value: unknown): unknown {
  if (typeof value === "string") return "";
  if (typeof value === "number") return 0;
  if (typeof value === "boolean") return false;
  return undefined;
}

runParseVectors({
  file: FILE,
  table: "Test_parseSeleniumGridScalerMetadata.tests",
  type: "selenium-grid",
  inputs: (row) => {
    const config = (row.args as { config: Record<string, unknown> }).config;
    return { metadata: stringMap(config.TriggerMetadata), authParams: stringMap(config.AuthParams) };
  },
  kedaError: (row) => Boolean(row.wantErr),
  expect: (row) => {
    const want = plain(row.want) as Record<string, unknown> | null;
    if (!want) return undefined;
    return {
      target: Number(want.TargetValue),
      check: (prepared) => {
        const params = prepared.params;
        for (const [field, key] of Object.entries(PARAM_OF)) {
          if (field in want) expect(params[key] ?? zeroOf(want[field]), field).toBe(want[field]);
        }
        // sessionBrowserName defaults to browserName.
        expect(params.sessionBrowserName || params.browserName || "", "SessionBrowserName").toBe(
          want.SessionBrowserName,
        );
      },
    };
  },
});

runValueVectors(FILE, "Test_getCountFromSeleniumResponse.tests", {}, (row) => {
  const args = plain(row.args) as Record<string, unknown>;
  const trigger = {
    browserName: String(args.browserName ?? ""),
    sessionBrowserName: String(args.sessionBrowserName ?? ""),
    browserVersion: String(args.browserVersion ?? ""),
    platformName: String(args.platformName ?? ""),
    nodeMaxSessions: Number(args.nodeMaxSessions ?? 0),
    enableManagedDownloads: Boolean(args.enableManagedDownloads),
    capabilities: String(args.capabilities ?? ""),
  };
  const count = () => seleniumGridCount(String(args.b ?? ""), trigger);
  if (row.wantErr) {
    expect(count).toThrow();
    return;
  }
  expect(count()).toEqual({
    newRequestNodes: Number(row.wantNewRequestNodes ?? 0),
    onGoingSessions: Number(row.wantOnGoingSessions ?? 0),
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
