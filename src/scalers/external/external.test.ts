import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { nextRetryDelayMs, STREAM_RETRY_INITIAL_MS, STREAM_RETRY_MAX_MS } from "./activity-stream.ts";

function prepare(
  type: "external" | "external-push",
  metadata: Record<string, string>,
  inputs: { authParams?: Record<string, string>; resolvedEnv?: Record<string, string> } = {},
) {
  return prepareScalerTrigger(type, metadata, { index: 4, ...inputs });
}

describe("external parameters", () => {
  it.each(["external", "external-push"] as const)("%s requires scalerAddress", (type) => {
    expect(prepare(type, {}).problems).toContainEqual(
      expect.objectContaining({
        key: "scalerAddress",
        severity: "error",
        message: expect.stringMatching(/missing required/),
      }),
    );
  });

  it("passes unknown metadata through to the external scaler without warnings", () => {
    const prepared = prepare("external", { scalerAddress: "scaler:6000", listName: "jobs", listLength: "5" });
    expect(prepared.problems).toEqual([]);
    expect(prepared.params).toMatchObject({
      scalerAddress: "scaler:6000",
      enableTLS: false,
      unsafeSsl: false,
    });
  });

  it("still warns about certificates put in metadata", () => {
    const prepared = prepare("external", { scalerAddress: "scaler:6000", caCert: "PEM" });
    expect(prepared.problems).toContainEqual(expect.objectContaining({ key: "caCert", severity: "warning" }));
  });

  it("reads the certificates from authentication and redacts them", () => {
    const prepared = prepare(
      "external",
      { scalerAddress: "scaler:6000" },
      { authParams: { tlsClientKey: "PRIVATE-KEY" } },
    );
    expect(prepared.params).toMatchObject({ tlsClientKey: "PRIVATE-KEY" });
    expect(prepared.redact("bad key PRIVATE-KEY")).toBe("bad key ***");
  });

  it("resolves FromEnv entries for scalerMetadata and leaves out unset ones", () => {
    const prepared = prepare(
      "external-push",
      {
        scalerAddress: "scaler:6000",
        connectionFromEnv: "REDIS_URL",
        passwordFromEnv: "MISSING",
        queue: "q",
      },
      { resolvedEnv: { REDIS_URL: "redis://cache:6379" } },
    );
    expect(prepared.resolvedMetadata).toEqual({
      scalerAddress: "scaler:6000",
      connectionFromEnv: "redis://cache:6379",
      queue: "q",
    });
  });

  it("gives a placeholder metric until the scaler is asked", () => {
    expect(prepare("external", { scalerAddress: "scaler:6000" }).metricSpec).toMatchObject({
      metricName: "s4-external",
    });
    expect(prepare("external-push", { scalerAddress: "s:1" }).metricSpec).toMatchObject({
      metricName: "s4-external-push",
    });
  });
});

describe("StreamIsActive retry delay", () => {
  it("doubles from 2 s up to a minute", () => {
    const delays = [STREAM_RETRY_INITIAL_MS];
    while (delays.length < 8) delays.push(nextRetryDelayMs(delays.at(-1) as number));
    expect(delays).toEqual([2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
    expect(STREAM_RETRY_MAX_MS).toBe(60_000);
  });
});
